//! `sagetune apply [PLANFILE]` and `sagetune unlock LOCK_ID`.

use crate::apply::{state_lock, ExecOptions};
use crate::cli::{ApplyArgs, Format, ManifestArgs};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::Diagnostic;
use crate::plan::{file, Options};
use crate::prepare::models::env;
use crate::prepare::{prepare, stack_only};
use crate::stages;

use super::approval::approval_possible;
use super::terminal::{drive, Flags};
use super::Outcome;

pub fn run(args: &ApplyArgs, aws: &AwsOptions) -> Outcome {
    let json = args.format == Format::Json;
    let saved = match args.plan_file.as_deref().map(file::read).transpose() {
        Ok(saved) => saved,
        Err(e) => {
            let d = Diagnostic::from(&e).with_code("apply::plan-file");
            return Outcome::failed(&[d], "nothing was applied");
        }
    };
    if let Err(d) = approval_possible(args.auto_approve, json, "sagetune apply") {
        return Outcome::failed(&[d], "nothing was applied");
    }
    let m = &args.manifest;
    let prepared = match prepare(&m.file, m.allow_outside, aws, args.locked, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "nothing was applied"),
    };
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    let flags = Flags {
        auto_approve: args.auto_approve,
        exec: ExecOptions::from_env(!args.no_wait, &env).reporting(args.quiet, args.heartbeat),
        options: Options {
            stop_orphaned_jobs: args.stop_orphaned_jobs,
            ..Options::default()
        },
        command: "sagetune apply",
        json,
    };
    drive(&cloud, flags, |session| {
        stages::apply(&prepared, saved.as_ref(), session)
    })
}

pub fn unlock(args: &ManifestArgs, id: &str, aws: &AwsOptions, format: Format) -> Outcome {
    let (loaded, ctx) = match stack_only(&args.file, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "no lock was removed"),
    };
    let cloud = AwsCloud::new(aws.clone(), &ctx.region);
    let m = &loaded.manifest;
    match state_lock::unlock(&cloud, m.artifacts.get(), m.stack.get(), id) {
        Ok(info) if format == Format::Json => Outcome::printed(crate::render::json_value(
            &serde_json::json!({ "removed": info }),
        )),
        Ok(info) => Outcome {
            stderr: format!("Removed the lock held by {}.\n", info.describe()),
            ..Outcome::default()
        },
        Err(e) => Outcome::failed(&[Diagnostic::from(&e)], "no lock was removed"),
    }
}
