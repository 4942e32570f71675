//! `sagetune destroy`: deletes the stack's endpoints, endpoint configs, models and the role
//! sagetune created; keeps training jobs (history) and datasets (unless `--purge-data`).
//! Needs only the manifest's stack, region and artifacts, not its data files.

use crate::cli::DestroyArgs;
use crate::cloud::{AwsOptions, CloudRead};
use crate::desired::{split_s3, Desired};
use crate::diagnostics::Diagnostic;
use crate::manifest::LoadedManifest;
use crate::observe::observe;
use crate::plan::{self, Options, Plan};

use super::apply::{approval_possible, drive, run_locked, Applied, Flags, Session};
use super::stack::{assemble, cloud_diagnostic, load_stack, manifest_digest, now};
use super::Outcome;

/// The plan that empties the stack.
pub fn destroy_plan(
    loaded: &LoadedManifest,
    region: &str,
    cloud: &dyn CloudRead,
    options: &Options,
    purge_data: bool,
) -> Result<Plan, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let desired = Desired::empty(m.stack.get(), region, m.artifacts.get());
    let seen = observe(cloud, &desired).map_err(|e| vec![cloud_diagnostic(&e)])?;
    let mut planned = plan::plan(&desired, &seen, options).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                let help = if p.code == "plan::protected" {
                    "pass --force to delete protected endpoints too, or set `protect: false` and apply first".to_string()
                } else {
                    p.help
                };
                Diagnostic::new(p.code, p.message).help(help)
            })
            .collect::<Vec<_>>()
    })?;
    if purge_data && seen.bucket_exists {
        let (bucket, prefix) = split_s3(&desired.artifacts);
        let objects = cloud
            .list_objects(bucket, &format!("{prefix}datasets/"))
            .map_err(|e| vec![cloud_diagnostic(&e)])?;
        planned.changes.extend(plan::purge_datasets(&objects));
    }
    Ok(assemble(
        manifest_digest(loaded),
        None,
        &desired,
        &seen,
        planned,
        &now(),
    ))
}

/// Destroys with the lock held.
pub fn destroy_with(
    loaded: &LoadedManifest,
    region: &str,
    purge_data: bool,
    session: Session,
) -> Result<Applied, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let cloud = session.cloud;
    let options = session.options.clone();
    run_locked(m.artifacts.get(), m.stack.get(), session, || {
        destroy_plan(loaded, region, cloud, &options, purge_data)
    })
}

pub fn run(args: &DestroyArgs, aws: &AwsOptions) -> Outcome {
    if let Err(d) = approval_possible(args.auto_approve, "sagetune destroy") {
        return Outcome::failed(&[d], "nothing was destroyed");
    }
    let (loaded, ctx, cloud) = match load_stack(&args.manifest, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "nothing was destroyed"),
    };
    let flags = Flags {
        auto_approve: args.auto_approve,
        no_wait: false,
        options: Options {
            stop_orphaned_jobs: args.stop_orphaned_jobs,
            delete_protected: args.force,
        },
        command: "sagetune destroy",
    };
    drive(&cloud, flags, |session| {
        destroy_with(&loaded, &ctx.region, args.purge_data, session)
    })
}
