//! `sagetune lock`: resolve every fine-tune's model as the SDK would and pin the result in
//! `sagetune.lock` (and the specs in the local cache).

use crate::cli::ManifestArgs;
use crate::cloud::AwsOptions;
use crate::prepare::models::relock;
use crate::render;

use super::Outcome;

pub fn run(args: &ManifestArgs, aws: &AwsOptions) -> Outcome {
    match relock(&args.file, aws) {
        Ok(r) => Outcome::printed(render::relocked(&r)),
        Err(diags) => Outcome::failed(&diags, &format!("{} was not locked", args.file.display())),
    }
}
