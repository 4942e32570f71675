//! `sagetune destroy`: deletes the stack's endpoints, endpoint configs, models and the role
//! sagetune created; keeps training jobs (history) and datasets (unless `--purge-data`).
//! Needs only the manifest's stack, region and artifacts, not its data files.

use crate::apply::ExecOptions;
use crate::cli::{DestroyArgs, Format};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::plan::Options;
use crate::prepare::models::env;
use crate::prepare::stack_only;
use crate::stages;

use super::approval::approval_possible;
use super::terminal::{drive, Flags};
use super::Outcome;

pub fn run(args: &DestroyArgs, aws: &AwsOptions) -> Outcome {
    let json = args.format == Format::Json;
    if let Err(d) = approval_possible(args.auto_approve, json, "sagetune destroy") {
        return Outcome::failed(&[d], "nothing was destroyed");
    }
    let (loaded, ctx) = match stack_only(&args.manifest.file, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "nothing was destroyed"),
    };
    let cloud = AwsCloud::new(aws.clone(), &ctx.region);
    let flags = Flags {
        auto_approve: args.auto_approve,
        exec: ExecOptions::from_env(true, &env),
        options: Options {
            stop_orphaned_jobs: args.stop_orphaned_jobs,
            delete_protected: args.force,
            ..Options::default()
        },
        command: "sagetune destroy",
        json,
    };
    drive(&cloud, flags, |session| {
        stages::destroy(&loaded, &ctx.region, args.purge_data, session)
    })
}
