//! `sagetune init`: a new manifest from a data folder and a model id, validated at once.

use crate::cli::{Format, InitArgs};
use crate::diagnostics::{self, Style};
use crate::prepare::init::{init, staging_path, InitRequest, SCHEMA_FILE, SCHEMA_KEPT};
use crate::render;

use super::Outcome;

pub fn run(args: &InitArgs) -> Outcome {
    // Ctrl-C while the new manifest is checked: the user's file was never touched; remove the
    // staging copy too.
    let staged = staging_path(&args.file);
    let _ = ctrlc::set_handler(move || {
        let _ = std::fs::remove_file(&staged);
        std::process::exit(130);
    });
    let request = InitRequest {
        file: args.file.clone(),
        data: args.data.clone(),
        model: args.model.clone(),
        artifacts: args.artifacts.clone(),
        stack: args.stack.clone(),
        role_arn: args.role_arn.clone(),
        permissions_boundary: args.permissions_boundary.clone(),
        region: args.region.clone(),
        accept_eula: args.accept_eula,
        force: args.force,
        text_column: args.text_column.clone(),
    };
    match init(&request) {
        Ok(v) if args.format == Format::Json => Outcome::printed(render::validated_json(&v)),
        Ok(v) => Outcome {
            stderr: diagnostics::render(&v.warnings, Style::for_stderr())
                + if v.warnings.iter().any(|w| w.code == "data::first-column") {
                    "init chose the first column because the data has no `text` column; if the text is in another one, run `sagetune init --force --text-column NAME` (or set `text_column` in the manifest).\n"
                } else {
                    ""
                }
                + &format!(
                "Wrote {}{}. Next: `sagetune lock` pins the model, `sagetune plan` shows what apply would do.\n",
                args.file.display(),
                if v.warnings.iter().any(|w| w.code == SCHEMA_KEPT) {
                    String::new()
                } else {
                    format!(" (and {SCHEMA_FILE} for editors)")
                }
            ),
            ..Outcome::printed(render::validated(&v))
        },
        Err(diags) => Outcome::failed(
            &diags,
            &format!("{} was not written", args.file.display()),
        ),
    }
}
