//! What several commands share once a manifest is loaded: the region, where JumpStart
//! content comes from, and the lock (read, matched, and turned into resolved models).

use std::collections::BTreeMap;

use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::jumpstart::lock::{self, LockFile};
use crate::jumpstart::resolver::{self, ResolvedModel, Resolver};
use crate::jumpstart::source::{Buckets, ContentStore, Source};
use crate::jumpstart::ResolveError;
use crate::manifest::LoadedManifest;
use crate::resolution::Context;

/// Reads an environment variable; empty counts as unset.
pub fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The manifest's region, else `--region`, else `AWS_REGION` / `AWS_DEFAULT_REGION`.
pub fn region(loaded: &LoadedManifest, aws: &AwsOptions) -> Option<String> {
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
pub fn require_region(loaded: &LoadedManifest, aws: &AwsOptions) -> Result<Context, Diagnostic> {
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
    Ok(Context {
        buckets: Buckets::for_region(&region, &env),
        region,
    })
}

/// The SDK's local override when set, else the region's content bucket through `store`.
pub fn source<'a>(ctx: &Context, store: &'a dyn ContentStore) -> Result<Source<'a>, Diagnostic> {
    match Source::local_from_env(&env) {
        Ok(Some(local)) => Ok(local),
        Ok(None) => Ok(Source::Bucket {
            bucket: ctx.buckets.content.clone(),
            store,
        }),
        Err(e) => Err(Diagnostic::new("jumpstart::override", e.to_string()).help(e.help())),
    }
}

/// `(fine-tune, model id, requested version)` for every fine-tune, as the lock records them.
pub fn wanted(loaded: &LoadedManifest) -> Vec<(String, String, String)> {
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
pub fn read_lock(loaded: &LoadedManifest) -> Result<Option<LockFile>, Diagnostic> {
    lock::read(&loaded.dir).map_err(|e| {
        Diagnostic::new("lock::invalid", e.to_string())
            .help("delete it and run `sagetune lock` to write a new one")
    })
}

/// A resolution error located at the fine-tune's `model` (or `model_version`) node.
pub fn resolve_diagnostic(
    loaded: &LoadedManifest,
    fine_tune: &str,
    e: &ResolveError,
) -> Diagnostic {
    let d = Diagnostic::new("jumpstart::resolve", e.to_string()).help(e.help());
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
pub fn resolve_models(
    loaded: &LoadedManifest,
    resolver: &mut Resolver,
    locked: bool,
) -> Result<(BTreeMap<String, ResolvedModel>, bool), Vec<Diagnostic>> {
    let lock = read_lock(loaded).map_err(|d| vec![d])?;
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
    let mut models = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, model, requested) in &wanted {
        let result = match use_lock.and_then(|l| l.fine_tunes.get(name)) {
            Some(entry) => resolver.locked(entry),
            None => resolver.resolve(model, requested),
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

/// Models pinned by a matching lock whose specs are in the local cache; no network.
pub fn offline_models(
    loaded: &LoadedManifest,
    lock: &LockFile,
) -> (BTreeMap<String, ResolvedModel>, Vec<Diagnostic>) {
    let mut models = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, entry) in &lock.fine_tunes {
        match resolver::offline(&loaded.dir, entry) {
            Some(Ok(m)) => {
                models.insert(name.clone(), m);
            }
            Some(Err(e)) => errors.push(resolve_diagnostic(loaded, name, &e)),
            None => {}
        }
    }
    (models, errors)
}
