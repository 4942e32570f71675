//! A loaded manifest's region, where its JumpStart content comes from, and its models: the
//! pins (`sagetune.lock`) read and matched, then each fine-tune's model loaded as pinned or
//! resolved afresh. Resolution problems are located at the fine-tune's `model` node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Context;
use crate::cloud::{AwsOptions, S3ContentStore};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::fetch::{self, ResolvedModel, SpecFetcher};
use crate::jumpstart::pins::{self, Pins};
use crate::jumpstart::source::{Buckets, ContentStore, Source};
use crate::jumpstart::{regions, ResolveError};
use crate::manifest::{self, LoadedManifest};

/// Reads an environment variable; empty counts as unset.
pub(crate) fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The manifest's region, else `--region`, else `AWS_REGION` / `AWS_DEFAULT_REGION`.
pub(crate) fn region(loaded: &LoadedManifest, aws: &AwsOptions) -> Option<String> {
    loaded
        .manifest
        .region
        .as_ref()
        .map(|r| r.get().clone())
        .or_else(|| aws.region.clone())
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
}

/// The region, or a diagnostic saying how to give one; `--region` may not contradict the manifest.
pub(crate) fn require_region(
    loaded: &LoadedManifest,
    aws: &AwsOptions,
) -> Result<Context, Diagnostic> {
    if let (Some(m), Some(cli)) = (&loaded.manifest.region, &aws.region) {
        if m.get() != cli {
            return Err(Diagnostic::new(
                "config::region-conflict",
                format!(
                    "--region {cli} contradicts the manifest's region {}",
                    m.get()
                ),
            )
            .at(&loaded.source, m.span(), "manifest region")
            .help("a stack lives in one region: drop --region, or change the manifest"));
        }
    }
    let region = region(loaded, aws).ok_or_else(|| {
        Diagnostic::new("config::no-region", "no AWS region: the manifest has no `region` and AWS_REGION is not set")
            .help("add `region: us-east-1` (for example) to the manifest, pass --region, or set AWS_REGION")
    })?;
    if !regions::is_known(&region) {
        let hint = regions::closest(&region, regions::REGIONS)
            .map(|r| format!("did you mean `{r}`? "))
            .unwrap_or_default();
        return Err(Diagnostic::new(
            "config::unknown-region",
            format!("region `{region}` (from --region or AWS_REGION) does not exist or has no SageMaker JumpStart"),
        )
        .help(format!("{hint}pass a region JumpStart serves, e.g. `--region us-east-1`, or set `region` in the manifest")));
    }
    Ok(context(&region))
}

/// The context of a known region.
pub(crate) fn context(region: &str) -> Context {
    Context {
        buckets: Buckets::for_region(region, &env),
        region: region.to_string(),
    }
}

/// The SDK's local override when set, else the region's content bucket through `store`.
pub(crate) fn source<'a>(
    ctx: &Context,
    store: &'a dyn ContentStore,
) -> Result<Source<'a>, Diagnostic> {
    match Source::local_from_env(&env) {
        Ok(Some(local)) => Ok(local),
        Ok(None) => Ok(Source::Bucket {
            bucket: ctx.buckets.content.clone(),
            store,
        }),
        Err(e) => Err(Diagnostic::from(&e).with_code("jumpstart::override")),
    }
}

/// `(fine-tune, model id, requested version)` for every fine-tune, as the lock records them.
pub(crate) fn wanted(loaded: &LoadedManifest) -> Vec<(String, String, String)> {
    loaded
        .manifest
        .fine_tunes
        .iter()
        .map(|(name, ft)| {
            let requested = ft
                .model_version
                .as_ref()
                .map(|v| v.get().clone())
                .unwrap_or_else(|| "*".into());
            (name.get().clone(), ft.model.get().clone(), requested)
        })
        .collect()
}

/// The lock next to the manifest, if any; a broken lock is an error.
pub(crate) fn read_pins(loaded: &LoadedManifest) -> Result<Option<Pins>, Diagnostic> {
    pins::read(&loaded.dir).map_err(|e| Diagnostic::from(&e))
}

/// A resolution error located at the fine-tune's `model` (or `model_version`) node.
pub(crate) fn resolve_diagnostic(
    loaded: &LoadedManifest,
    fine_tune: &str,
    e: &ResolveError,
) -> Diagnostic {
    let d = Diagnostic::from(e);
    let Some(ft) = loaded.manifest.fine_tunes.get(fine_tune) else {
        return d;
    };
    let version_error = matches!(
        e,
        ResolveError::NoMatchingVersion { .. }
            | ResolveError::NeedsNewerSdk { .. }
            | ResolveError::Deprecated { .. }
    );
    match (&ft.model_version, version_error) {
        (Some(v), true) => d.at(&loaded.source, v.span(), "version"),
        _ => d.at(&loaded.source, ft.model.span(), "model"),
    }
}

/// Every fine-tune's model: pinned by a matching lock, else resolved fresh (unless `locked`,
/// which requires a matching lock). Returns the models and whether the lock was used.
pub(crate) fn resolve_models(
    loaded: &LoadedManifest,
    fetcher: &mut SpecFetcher<'_>,
    locked: bool,
) -> Result<(BTreeMap<String, ResolvedModel>, bool), Vec<Diagnostic>> {
    let lock = read_pins(loaded).map_err(|d| vec![d])?;
    let wanted = wanted(loaded);
    if locked {
        let problem = match &lock {
            None => Some("sagetune.lock is missing".to_string()),
            Some(l) => {
                let m = l.mismatches(&wanted);
                (!m.is_empty()).then(|| {
                    format!(
                        "sagetune.lock does not match the manifest: {}",
                        m.join("; ")
                    )
                })
            }
        };
        if let Some(problem) = problem {
            return Err(vec![Diagnostic::new("lock::mismatch", problem).help(
                "run `sagetune lock`, review the change to sagetune.lock and commit it",
            )]);
        }
    }
    let use_lock = lock.as_ref().filter(|l| l.mismatches(&wanted).is_empty());
    let pin = |name: &str| use_lock.and_then(|l| l.fine_tunes.get(name));
    fetcher.prefetch_for(
        wanted
            .iter()
            .map(|(name, model, requested)| (model.as_str(), requested.as_str(), pin(name))),
    );
    let mut models = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, model, requested) in &wanted {
        let result = match pin(name) {
            Some(entry) => fetcher.locked(entry),
            None => fetcher.resolve(model, requested),
        };
        match result {
            Ok(m) => {
                models.insert(name.clone(), m);
            }
            Err(e) => errors.push(resolve_diagnostic(loaded, name, &e)),
        }
    }
    if errors.is_empty() {
        Ok((models, use_lock.is_some()))
    } else {
        Err(errors)
    }
}

/// Models pinned by a matching lock, from the local cache or else from the specs the lock
/// carries; no network. The flag says whether any came from the lock's specs.
pub(crate) fn offline_models(
    loaded: &LoadedManifest,
    lock: &Pins,
) -> (BTreeMap<String, ResolvedModel>, Vec<Diagnostic>, bool) {
    let mut models = BTreeMap::new();
    let mut errors = Vec::new();
    let mut carried = false;
    for (name, entry) in &lock.fine_tunes {
        let found = fetch::offline(&loaded.dir, entry).or_else(|| {
            carried = true;
            fetch::carried(entry, lock.specs.get(&entry.spec_sha256)?)
        });
        match found {
            Some(Ok(m)) => {
                models.insert(name.clone(), m);
            }
            Some(Err(e)) => errors.push(resolve_diagnostic(loaded, name, &e)),
            None => {}
        }
    }
    (models, errors, carried)
}

/// What `sagetune lock` did: the fresh pins, the ones before, where the specs came from, and
/// the file written (`None` when the pins were already up to date).
#[derive(Debug)]
pub(crate) struct Relocked {
    pub(crate) pins: Pins,
    pub(crate) previous: Option<Pins>,
    /// Where specs came from, e.g. `s3://jumpstart-cache-prod-us-west-2`.
    pub(crate) source: String,
    pub(crate) region: String,
    pub(crate) written: Option<PathBuf>,
}

/// Resolves every fine-tune's model afresh, as the SDK would, and writes `sagetune.lock`
/// (and the specs into the local cache) when the result differs from the file.
pub(crate) fn relock(file: &Path, aws: &AwsOptions) -> Result<Relocked, Vec<Diagnostic>> {
    let loaded = manifest::load(file)?;
    let problems = manifest::check(&loaded);
    if problems.iter().any(Diagnostic::is_error) {
        return Err(problems);
    }
    let ctx = require_region(&loaded, aws).map_err(|d| vec![d])?;
    let store = S3ContentStore::new(aws.clone(), Some(ctx.region.clone()));
    let mut fetcher = SpecFetcher::new(source(&ctx, &store).map_err(|d| vec![d])?, &loaded.dir);
    let previous = read_pins(&loaded).ok().flatten();
    let mut entries = BTreeMap::new();
    let mut specs = BTreeMap::new();
    let mut errors = Vec::new();
    let wanted = wanted(&loaded);
    fetcher.prefetch_for(
        wanted
            .iter()
            .map(|(_, model, requested)| (model.as_str(), requested.as_str(), None)),
    );
    for (name, model, requested) in wanted {
        match fetcher.resolve(&model, &requested) {
            Ok(m) => {
                let carried = m.spec.for_region(&ctx.region);
                specs.insert(m.entry.spec_sha256.clone(), carried);
                entries.insert(name, m.entry);
            }
            Err(e) => errors.push(resolve_diagnostic(&loaded, &name, &e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let new = Pins::new(&ctx.region, entries, specs);
    let written = if previous.as_ref() == Some(&new) {
        None
    } else {
        Some(pins::write(&loaded.dir, &new).map_err(|e| {
            vec![
                Diagnostic::new("lock::write", format!("cannot write sagetune.lock: {e}"))
                    .help("check the folder's permissions"),
            ]
        })?)
    };
    Ok(Relocked {
        pins: new,
        previous,
        source: fetcher.describe(),
        region: ctx.region,
        written,
    })
}
