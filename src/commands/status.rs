//! `sagetune status`: what the stack has in AWS now, as a table or JSON. Read-only; needs
//! only the manifest's stack, region and artifacts.

use crate::cli::{Format, ManifestArgs};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::desired::Desired;
use crate::diagnostics::Diagnostic;
use crate::observe::status;
use crate::prepare::stack_only;
use crate::render;

use super::Outcome;

pub fn run(args: &ManifestArgs, format: Format, aws: &AwsOptions) -> Outcome {
    let (loaded, ctx) = match stack_only(&args.file, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "no status was read"),
    };
    let cloud = AwsCloud::new(aws.clone(), &ctx.region);
    let m = &loaded.manifest;
    let desired = Desired::empty(m.stack.get(), &ctx.region, m.artifacts.get());
    match status(&cloud, &desired) {
        Ok(s) => Outcome::printed(match format {
            Format::Human => render::status_table(&s),
            Format::Json => render::json_value(&s),
        }),
        Err(e) => Outcome::failed(&[Diagnostic::from(&e)], "no status was read"),
    }
}
