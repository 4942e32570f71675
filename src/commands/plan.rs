//! `sagetune plan` (observe AWS, plan, print, optionally save) and `sagetune show PLANFILE`.
//! Neither changes anything in AWS.

use std::path::Path;

use crate::cli::{PlanArgs, PlanFormat};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::{self, Diagnostic, Style};
use crate::plan::{file, Options, Plan};
use crate::prepare::prepare;
use crate::render::{self, Detail};
use crate::stages;

use super::{ExitStatus, Outcome};

/// Said on stderr when the models were resolved afresh instead of from the pins.
pub(crate) const UNPINNED_NOTE: &str = "note: sagetune.lock is missing or does not match the manifest; models were resolved afresh (run `sagetune lock` to pin them)\n";

/// The plan in the chosen format.
pub(crate) fn rendered(plan: &Plan, format: PlanFormat, full: bool) -> String {
    let detail = if full { Detail::Full } else { Detail::Folded };
    match format {
        PlanFormat::Human => render::human_for_stdout(plan, detail),
        PlanFormat::Json => render::json(plan),
        PlanFormat::Markdown => render::markdown(plan),
    }
}

pub fn run(args: &PlanArgs, aws: &AwsOptions) -> Outcome {
    let m = &args.manifest;
    let prepared = match prepare(&m.file, m.allow_outside, aws, args.locked, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "no plan was made"),
    };
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    let options = Options {
        stop_orphaned_jobs: args.stop_orphaned_jobs,
        ..Options::default()
    };
    let plan = match stages::plan(&prepared, &cloud, &options, &stages::now()) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "no plan was made; nothing was changed"),
    };
    let mut notes = diagnostics::render(&prepared.validated.warnings, Style::for_stderr());
    if !prepared.used_pins() && !prepared.validated.loaded.manifest.fine_tunes.is_empty() {
        notes.push_str(UNPINNED_NOTE);
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
    let held = plan.held();
    if args.detailed_exitcode && !held.is_empty() && !plan.has_unheld_changes() {
        let ids: Vec<String> = held.iter().map(ToString::to_string).collect();
        notes.push_str(&format!(
            "Only changes a gate holds back are pending ({}): they are held again until the inputs change, so --detailed-exitcode exits 0.\n",
            ids.join(", ")
        ));
    }
    Outcome {
        stdout: rendered(&plan, args.format, args.full),
        stderr: notes,
        status: if args.detailed_exitcode && plan.has_unheld_changes() {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        },
        ..Outcome::default()
    }
}

pub fn show(path: &Path, format: PlanFormat, full: bool) -> Outcome {
    match file::read(path) {
        Ok(plan) => Outcome::printed(rendered(&plan, format, full)),
        Err(e) => Outcome::failed(&[Diagnostic::from(&e)], "nothing to show"),
    }
}
