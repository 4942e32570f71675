//! `sagetune validate`: manifest rules and data checks, offline, all problems at once.

use crate::cli::ManifestArgs;
use crate::cloud::AwsOptions;
use crate::diagnostics::{self, Style};
use crate::prepare::validate;
use crate::render;

use super::{ExitStatus, Outcome};

pub fn run(args: &ManifestArgs, aws: &AwsOptions) -> Outcome {
    let style = Style::for_stderr();
    match validate(&args.file, args.allow_outside, aws) {
        Ok(v) => Outcome {
            stdout: render::validated(&v),
            stderr: diagnostics::render(&v.warnings, style),
            status: ExitStatus::Success,
        },
        Err(diags) => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let mut stderr = diagnostics::render(&diags, style);
            stderr.push_str(&format!(
                "error: {} has {errors} problem{}; fix {} and run `sagetune validate` again\n",
                args.file.display(),
                render::units::plural(errors),
                if errors == 1 { "it" } else { "them" },
            ));
            Outcome {
                stdout: String::new(),
                stderr,
                status: ExitStatus::Failure,
            }
        }
    }
}
