//! `sagetune validate`: manifest rules and data checks, offline, all problems at once.

use crate::cli::{Format, ManifestArgs};
use crate::cloud::AwsOptions;
use crate::diagnostics::{self, Diagnostic, Style};
use crate::prepare::validate;
use crate::render;

use super::Outcome;

pub fn run(args: &ManifestArgs, format: Format, require_lock: bool, aws: &AwsOptions) -> Outcome {
    match validate(&args.file, args.allow_outside, aws) {
        Ok(v) if require_lock && v.specs.unchecked().is_some() => {
            let why = v.specs.unchecked().unwrap_or_default();
            let d = Diagnostic::new(
                "validate::specs-unchecked",
                format!("the model specs could not all be checked offline: {why}"),
            )
            .help("run `sagetune lock` and commit sagetune.lock; it carries what validate checks");
            Outcome::failed(&[d], "--require-lock: not every spec rule was checked")
        }
        Ok(v) if format == Format::Json => Outcome::printed(render::validated_json(&v)),
        Ok(v) => Outcome {
            stderr: diagnostics::render(&v.warnings, Style::for_stderr()),
            ..Outcome::printed(render::validated(&v))
        },
        Err(diags) => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let closing = format!(
                "{} has {errors} problem{}; fix {} and run `sagetune validate` again",
                args.file.display(),
                render::units::plural(errors),
                if errors == 1 { "it" } else { "them" },
            );
            Outcome::failed(&diags, &closing)
        }
    }
}
