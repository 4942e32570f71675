//! `sagetune init`: a new manifest from a data folder and a model id, validated at once.

use crate::cli::{Format, InitArgs};
use crate::prepare::init::{init, InitRequest, SCHEMA_FILE};
use crate::render;

use super::Outcome;

pub fn run(args: &InitArgs) -> Outcome {
    let request = InitRequest {
        file: args.file.clone(),
        data: args.data.clone(),
        model: args.model.clone(),
        artifacts: args.artifacts.clone(),
        stack: args.stack.clone(),
        role_arn: args.role_arn.clone(),
        region: args.region.clone(),
        accept_eula: args.accept_eula,
        force: args.force,
    };
    match init(&request) {
        Ok(v) if args.format == Format::Json => Outcome::printed(render::validated_json(&v)),
        Ok(v) => Outcome {
            stderr: format!(
                "Wrote {} (and {SCHEMA_FILE} for editors). Next: `sagetune lock` pins the model, `sagetune plan` shows what apply would do.\n",
                args.file.display()
            ),
            ..Outcome::printed(render::validated(&v))
        },
        Err(diags) => Outcome::failed(
            &diags,
            &format!("{} was not written", args.file.display()),
        ),
    }
}
