//! The plan file: the document assembled from its parts, read back from disk, and the checks
//! a plan must pass before apply runs it (a saved plan still describes the situation; apply
//! can carry out every step).

use crate::diagnostics::Diagnostic;
use std::path::Path;

use crate::desired::Desired;
use crate::observe::{fingerprint, Observed};

use super::{cost, Change, DataFile, Digest, Plan, Planned, Summary, FORMAT_VERSION};

/// Why a plan file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanFileError {
    /// The file cannot be read, is not a plan, or has another format version.
    #[error("{0}")]
    Unreadable(String),
    /// The saved plan was made from another manifest (or stack).
    #[error("the plan was made from another manifest (stack {stack}, {path} sha256 {sha256_prefix}) than {now} now")]
    OtherManifest {
        stack: String,
        path: String,
        sha256_prefix: String,
        now: String,
    },
    /// `sagetune.lock` differs from the one the saved plan used.
    #[error("sagetune.lock changed since the plan was made")]
    PinsChanged,
    /// A dataset file's content differs from the one the saved plan hashed.
    #[error("dataset file {path} ({address}) changed since the plan was made")]
    DataChanged { path: String, address: String },
    /// What AWS holds differs from what the saved plan observed.
    #[error("AWS changed since the plan was made (objects were created, changed or removed by someone or something else)")]
    AwsChanged,
    /// A step apply cannot carry out: repacking an uncompressed training output.
    #[error("{id} needs its uncompressed training output repacked with inference code, which apply cannot do")]
    Unsupported { id: String },
}

/// Puts a plan document together from its parts; `created_at` is the only field that differs
/// between two plans of the same inputs.
pub(crate) fn assemble(
    manifest: Digest,
    lock: Option<Digest>,
    desired: &Desired,
    seen: &Observed,
    planned: Planned,
    created_at: &str,
) -> Plan {
    let cost = cost::estimate(desired, seen, &planned.changes);
    Plan {
        format_version: FORMAT_VERSION,
        sagetune_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: created_at.to_string(),
        stack: desired.stack.clone(),
        region: desired.region.clone(),
        artifacts: desired.artifacts.clone(),
        manifest,
        lock,
        data_files: desired
            .datasets
            .iter()
            .map(|d| DataFile {
                address: d.address.clone(),
                path: d.local_path.clone(),
                source: d.derived_from.clone(),
                sha256: d.sha256.clone(),
                bytes: d.bytes,
            })
            .collect(),
        observed_fingerprint: fingerprint(seen),
        summary: Summary::of(&planned.changes),
        changes: planned.changes,
        warnings: planned.warnings,
        cost,
    }
}

/// A file's digest as the plan records it.
pub(crate) fn digest(path: &Path, bytes: &[u8]) -> Digest {
    Digest {
        path: path.display().to_string(),
        sha256: crate::files::sha256_hex(bytes),
    }
}

/// Parses a plan file's text; refuses other format versions with a clear message.
pub fn parse(text: &str) -> Result<Plan, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a sagetune plan: {e}"))?;
    match v.get("format_version").and_then(serde_json::Value::as_u64) {
        Some(n) if n == u64::from(FORMAT_VERSION) => {}
        Some(n) => {
            return Err(format!(
                "plan format version {n} is not supported by this sagetune (it reads version {FORMAT_VERSION})"
            ))
        }
        None => return Err("not a sagetune plan: no `format_version`".into()),
    }
    serde_json::from_value(v).map_err(|e| format!("not a valid sagetune plan: {e}"))
}

/// Reads a plan file written by `sagetune plan --out`.
pub(crate) fn read(path: &Path) -> Result<Plan, PlanFileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| PlanFileError::Unreadable(format!("cannot read {}: {e}", path.display())))?;
    parse(&text).map_err(|e| PlanFileError::Unreadable(format!("{}: {e}", path.display())))
}

/// Refuses a saved plan that no longer describes the situation: another manifest or lock,
/// changed data, or AWS changed since planning.
pub(crate) fn check_saved(saved: &Plan, fresh: &Plan) -> Result<(), PlanFileError> {
    if saved.stack != fresh.stack || saved.manifest.sha256 != fresh.manifest.sha256 {
        return Err(PlanFileError::OtherManifest {
            stack: saved.stack.clone(),
            path: saved.manifest.path.clone(),
            sha256_prefix: saved.manifest.sha256.chars().take(12).collect(),
            now: fresh.manifest.path.clone(),
        });
    }
    if saved.lock.as_ref().map(|l| &l.sha256) != fresh.lock.as_ref().map(|l| &l.sha256) {
        return Err(PlanFileError::PinsChanged);
    }
    for f in &saved.data_files {
        let now = fresh.data_files.iter().find(|n| n.address == f.address);
        if now.map(|n| &n.sha256) != Some(&f.sha256) {
            return Err(PlanFileError::DataChanged {
                path: f.source.clone().unwrap_or_else(|| f.path.clone()),
                address: f.address.clone(),
            });
        }
    }
    if saved.observed_fingerprint != fresh.observed_fingerprint {
        return Err(PlanFileError::AwsChanged);
    }
    Ok(())
}

/// Refuses, before anything runs, a plan with a step apply cannot carry out: repacking a
/// model whose training output is uncompressed (a folder, not `model.tar.gz`).
pub(crate) fn check_supported(plan: &Plan) -> Result<(), PlanFileError> {
    let unsupported = |c: &&Change| {
        c.repack
            .as_ref()
            .is_some_and(|r| r.model_artifact.ends_with('/'))
    };
    match plan.changes.iter().find(unsupported) {
        None => Ok(()),
        Some(c) => Err(PlanFileError::Unsupported {
            id: c.id.to_string(),
        }),
    }
}

impl From<&PlanFileError> for Diagnostic {
    /// A plan file that cannot be read, a saved plan that is stale, or a step apply cannot do.
    fn from(e: &PlanFileError) -> Self {
        match e {
            // The code `show` has always used; `apply PLANFILE` says `apply::plan-file`.
            PlanFileError::Unreadable(_) => Diagnostic::new("show::read", e.to_string())
                .help("pass a file written by `sagetune plan --out FILE`"),
            PlanFileError::Unsupported { .. } => Diagnostic::new("apply::unsupported", e.to_string())
                .help("nothing was changed; serve this fine-tune with a model whose spec hosts without an inference script, or drop its endpoint"),
            _ => Diagnostic::new("apply::stale-plan", e.to_string())
                .help("run `sagetune plan --out FILE` again, review it, and apply the new file"),
        }
    }
}
