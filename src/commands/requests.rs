//! `sagetune requests [FINE_TUNE]`: the exact SageMaker requests a fine-tune and its
//! endpoints would send, as JSON. Offline once the specs are cached.

use std::collections::BTreeMap;

use crate::cli::ManifestArgs;
use crate::cloud::AwsOptions;
use crate::desired::{self, ACCOUNT_PLACEHOLDER};
use crate::diagnostics::{self, Diagnostic, Style};
use crate::prepare::prepare;
use crate::render;

use super::plan::UNPINNED_NOTE;
use super::Outcome;

pub fn run(args: &ManifestArgs, only: Option<&str>, locked: bool, aws: &AwsOptions) -> Outcome {
    let prepared = match prepare(&args.file, args.allow_outside, aws, locked, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "no requests were built"),
    };
    let m = &prepared.validated.loaded.manifest;
    if let Some(name) = only.filter(|n| !m.fine_tunes.contains_key(*n)) {
        let known: Vec<&str> = m.fine_tunes.keys().map(|k| k.get().as_str()).collect();
        let d = Diagnostic::new(
            "requests::unknown-fine-tune",
            format!("the manifest has no fine-tune `{name}`"),
        )
        .help(format!("fine-tunes: {}", known.join(", ")));
        return Outcome::failed(&[d], "no requests were built");
    }
    let desired = desired::of(&prepared, &BTreeMap::new());
    let mut notes = diagnostics::render(&prepared.validated.warnings, Style::for_stderr());
    if !prepared.used_pins() && !m.fine_tunes.is_empty() {
        notes.push_str(UNPINNED_NOTE);
    }
    if m.role.create.is_some() {
        notes.push_str(&format!(
            "note: the managed role's ARN shows {ACCOUNT_PLACEHOLDER}; the account is known only when sagetune talks to AWS\n"
        ));
    }
    Outcome {
        stdout: render::requests(&desired, only),
        stderr: notes,
        ..Outcome::default()
    }
}
