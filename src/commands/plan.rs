//! `sagetune plan` (observe AWS, plan, print, optionally save) and `sagetune show PLANFILE`.
//! Neither changes anything in AWS.

use std::path::Path;

use crate::cli::{PlanArgs, PlanFormat};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::{self, Diagnostic, Style};
use crate::plan::{Options, Plan};
use crate::render;

use super::stack::{make_plan, now, prepare};
use super::Outcome;

/// The plan in the chosen format.
pub fn rendered(plan: &Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Human => render::human(plan),
        PlanFormat::Json => render::json(plan),
        PlanFormat::Markdown => render::markdown(plan),
    }
}

pub fn run(args: &PlanArgs, aws: &AwsOptions) -> Outcome {
    let prepared = match prepare(&args.manifest, aws, args.locked, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "no plan was made"),
    };
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    let options = Options {
        stop_orphaned_jobs: args.stop_orphaned_jobs,
        ..Options::default()
    };
    let plan = match make_plan(&prepared, &cloud, &options, &now()) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "no plan was made; nothing was changed"),
    };
    let mut notes = diagnostics::render(&prepared.validated.warnings, Style::for_stderr());
    if !prepared.used_lock && !prepared.validated.loaded.manifest.fine_tunes.is_empty() {
        notes.push_str("note: sagetune.lock is missing or does not match the manifest; models were resolved afresh (run `sagetune lock` to pin them)\n");
    }
    if let Some(out) = &args.out {
        if let Err(e) = crate::files::write_atomic(out, plan.to_json().as_bytes()) {
            let d = Diagnostic::new(
                "plan::write",
                format!("cannot write the plan to {}: {e}", out.display()),
            )
            .help("check that the folder exists and is writable");
            return Outcome::failed(&[d], "the plan was not saved");
        }
        notes.push_str(&format!(
            "Saved the plan to {}; `sagetune show {}` renders it again.\n",
            out.display(),
            out.display()
        ));
    }
    Outcome {
        stdout: rendered(&plan, args.format),
        stderr: notes,
        success: true,
        changes_present: args.detailed_exitcode && plan.has_changes(),
    }
}

pub fn show(file: &Path, format: PlanFormat) -> Outcome {
    let fail = |message: String| {
        let d = Diagnostic::new("show::read", message)
            .help("pass a file written by `sagetune plan --out FILE`");
        Outcome::failed(&[d], "nothing to show")
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
    };
    match Plan::from_json(&text) {
        Ok(plan) => Outcome {
            stdout: rendered(&plan, format),
            stderr: String::new(),
            success: true,
            changes_present: false,
        },
        Err(e) => fail(format!("{}: {e}", file.display())),
    }
}
