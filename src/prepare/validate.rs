//! The offline checks `sagetune validate` runs and every later stage starts from: manifest
//! rules, every data file checked and hashed, and the fine-tunes checked against the specs
//! the pins name when those are cached. No network, no AWS call; all problems at once.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cloud::AwsOptions;
use crate::data::{DataFile, Derived, FileReport};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::fetch::{self, ResolvedModel};
use crate::manifest::{self, LoadedManifest};

use super::{bind, models};

/// One checked data file of a dataset.
#[derive(Debug)]
pub(crate) struct FileCheck {
    /// `train` or `validation`.
    pub(crate) channel: &'static str,
    pub(crate) file: DataFile,
    pub(crate) report: FileReport,
    /// What is uploaded instead of `file` when its text column is not the one the training
    /// script reads.
    pub(crate) derived: Option<Derived>,
}

/// The checked files of one dataset.
#[derive(Debug)]
pub(crate) struct DatasetCheck {
    pub(crate) name: String,
    pub(crate) files: Vec<FileCheck>,
}

/// How far the model specs could be checked offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpecCheck {
    /// No fine-tunes, nothing to check.
    NothingToCheck,
    /// No sagetune.lock yet.
    NoLock,
    /// The lock does not match the manifest.
    LockMismatch(Vec<String>),
    /// No region is known offline, so images cannot be resolved.
    NoRegion,
    /// No lock, but checked against the newest matching specs in the local cache; `missing`
    /// lists fine-tunes with no cached spec.
    Cached {
        versions: Vec<(String, String)>,
        missing: Vec<String>,
    },
    /// Checked against the specs the lock pins (cached, or carried by the lock); `missing`
    /// lists fine-tunes whose spec neither has.
    Checked {
        versions: Vec<(String, String)>,
        missing: Vec<String>,
    },
}

impl SpecCheck {
    /// Why some fine-tune was not checked against its pinned spec; `None` when every one was
    /// (what `validate --require-lock` demands).
    pub(crate) fn unchecked(&self) -> Option<String> {
        let why = match self {
            SpecCheck::NothingToCheck => return None,
            SpecCheck::Checked { missing, .. } if missing.is_empty() => return None,
            SpecCheck::Checked { missing, .. } => format!(
                "sagetune.lock carries no spec for {} and none is cached",
                missing.join(", ")
            ),
            SpecCheck::NoLock => "there is no sagetune.lock".into(),
            SpecCheck::LockMismatch(why) => {
                format!(
                    "sagetune.lock does not match the manifest ({})",
                    why.join("; ")
                )
            }
            SpecCheck::NoRegion => "no region is known to resolve images".into(),
            SpecCheck::Cached { .. } => {
                "there is no sagetune.lock (cached specs were used instead)".into()
            }
        };
        Some(why)
    }
}

/// A manifest that passed every rule, its checked data, and the warnings found on the way.
#[derive(Debug)]
pub(crate) struct Validated {
    pub(crate) loaded: LoadedManifest,
    pub(crate) datasets: Vec<DatasetCheck>,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) specs: SpecCheck,
}

/// Runs every offline check; on failure returns all diagnostics (errors and warnings).
pub(crate) fn validate(
    file: &Path,
    allow_outside: bool,
    aws: &AwsOptions,
) -> Result<Validated, Vec<Diagnostic>> {
    let loaded = manifest::load(file)?;
    let mut diags = manifest::check(&loaded);
    let mut datasets = Vec::new();
    for (name, ds) in &loaded.manifest.datasets {
        let mut files = Vec::new();
        let entries = [
            ("train", Some(&ds.train)),
            ("validation", ds.validation.as_ref()),
        ];
        for (channel, entry) in entries {
            let Some(entry) = entry else { continue };
            match super::check::check_entry(&loaded, entry, ds.text_column.as_ref(), allow_outside)
            {
                Ok(checked) => {
                    diags.extend(checked.note);
                    files.push(FileCheck {
                        channel,
                        file: checked.file,
                        report: checked.report,
                        derived: checked.derived,
                    });
                }
                Err(d) => diags.push(d),
            }
        }
        datasets.push(DatasetCheck {
            name: name.get().clone(),
            files,
        });
    }
    // Specs are checked whatever else is wrong: every problem at once. A spec problem at a
    // node already reported (a malformed instance type, say) is said once.
    let mut spec_diags = Vec::new();
    let specs = check_specs(&loaded, aws, &mut spec_diags);
    for d in spec_diags {
        let said = d.span().is_some() && diags.iter().any(|e| e.is_error() && e.span() == d.span());
        if !said {
            diags.push(d);
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Validated {
        loaded,
        datasets,
        warnings: diags,
        specs,
    })
}

/// Binds the manifest to specs found offline, adding the problems to `diags`; the version of
/// each fine-tune's spec, or `None` when no region is known (images cannot be resolved).
fn bind_offline(
    loaded: &LoadedManifest,
    aws: &AwsOptions,
    models: &BTreeMap<String, ResolvedModel>,
    lock_region: Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<(String, String)>> {
    let ctx = match &lock_region {
        // Specs carried by the lock hold that region's images only.
        Some(region) => models::context(region),
        None => models::require_region(loaded, aws).ok()?,
    };
    if let Err(errors) = bind::bind(loaded, models, &ctx) {
        diags.extend(errors);
    }
    Some(
        models
            .iter()
            .map(|(n, m)| (n.clone(), m.entry.version.clone()))
            .collect(),
    )
}

/// Without `sagetune.lock`: checks the fine-tunes whose model has a matching spec in the local
/// cache (an earlier `lock`, `plan` or `requests` here fetched it) against that spec.
fn check_cached_specs(
    loaded: &LoadedManifest,
    aws: &AwsOptions,
    diags: &mut Vec<Diagnostic>,
) -> SpecCheck {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, model, requested) in models::wanted(loaded) {
        match fetch::cached_for(&loaded.dir, &model, &requested) {
            Some(m) => {
                found.insert(name, m);
            }
            None => missing.push(name),
        }
    }
    if found.is_empty() {
        return SpecCheck::NoLock;
    }
    let Some(versions) = bind_offline(loaded, aws, &found, None, diags) else {
        return SpecCheck::NoRegion;
    };
    SpecCheck::Cached { versions, missing }
}

/// Checks fine-tunes against the specs the lock pins, from the local cache only.
fn check_specs(
    loaded: &LoadedManifest,
    aws: &AwsOptions,
    diags: &mut Vec<Diagnostic>,
) -> SpecCheck {
    if loaded.manifest.fine_tunes.is_empty() {
        return SpecCheck::NothingToCheck;
    }
    let lock = match models::read_pins(loaded) {
        Ok(Some(lock)) => lock,
        Ok(None) => return check_cached_specs(loaded, aws, diags),
        Err(d) => {
            diags.push(d);
            return SpecCheck::NoLock;
        }
    };
    let mismatches = lock.mismatches(&models::wanted(loaded));
    if !mismatches.is_empty() {
        return SpecCheck::LockMismatch(mismatches);
    }
    let (models, errors, carried) = models::offline_models(loaded, &lock);
    diags.extend(errors);
    let lock_region = lock.region.clone().filter(|_| carried);
    let Some(versions) = bind_offline(loaded, aws, &models, lock_region, diags) else {
        return SpecCheck::NoRegion;
    };
    SpecCheck::Checked {
        versions,
        missing: lock
            .fine_tunes
            .keys()
            .filter(|n| !models.contains_key(*n))
            .cloned()
            .collect(),
    }
}
