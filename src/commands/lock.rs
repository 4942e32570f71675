//! `sagetune lock`: resolve every fine-tune's model as the SDK would and pin the result in
//! `sagetune.lock` (and the specs in the local cache).

use crate::cli::{Format, ManifestArgs};
use crate::cloud::AwsOptions;
use crate::prepare::models::relock;
use crate::render;

use super::Outcome;

pub fn run(args: &ManifestArgs, aws: &AwsOptions, format: Format) -> Outcome {
    match relock(&args.file, aws) {
        Ok(r) if format == Format::Json => Outcome::printed(render::relocked_json(&r)),
        Ok(r) => Outcome::printed(render::relocked(&r)),
        Err(diags) => Outcome::failed(&diags, &format!("{} was not locked", args.file.display())),
    }
}
