//! Fetching and checking a model's spec: fresh (manifest → version → spec) or as pinned in
//! `sagetune.lock` (`pins`: cache first, then the source, digest verified).

use std::path::Path;

use super::error::ResolveError;
use super::index::{self, Header};
use super::pins::{cache_spec, cached_spec, spec_cache_dir, Pin};
use super::source::{Source, MANIFEST_KEY};
use super::spec::ModelSpec;
use super::version::{Version, VersionPattern};

/// A model resolved to one spec, with the lock entry that pins it.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    pub entry: Pin,
    pub spec: ModelSpec,
}

/// Resolves models against one source, reading `models_manifest.json` at most once.
pub struct SpecFetcher<'a> {
    source: Source<'a>,
    /// The manifest's folder, where the spec cache lives.
    dir: &'a Path,
    headers: Option<Vec<Header>>,
}

impl<'a> SpecFetcher<'a> {
    pub fn new(source: Source<'a>, dir: &'a Path) -> Self {
        Self {
            source,
            dir,
            headers: None,
        }
    }

    /// Where specs come from, for messages.
    pub(crate) fn describe(&self) -> String {
        self.source.describe()
    }

    /// Chooses the version the SDK would choose for `requested` and loads its spec.
    pub(crate) fn resolve(
        &mut self,
        model_id: &str,
        requested: &str,
    ) -> Result<ResolvedModel, ResolveError> {
        let pattern =
            VersionPattern::parse(requested).ok_or_else(|| ResolveError::NoMatchingVersion {
                model_id: model_id.to_string(),
                requested: requested.to_string(),
                available: Vec::new(),
            })?;
        if self.headers.is_none() {
            let bytes = self.source.manifest()?;
            let what = format!("{} ({MANIFEST_KEY})", self.source.describe());
            self.headers = Some(index::parse(&bytes, &what)?);
        }
        let headers = self.headers.as_deref().unwrap_or_default();
        let header = index::select(headers, model_id, &pattern, &self.source.describe())?.clone();
        let bytes = self.source.spec(&header.spec_key)?;
        let sha = crate::files::sha256_hex(&bytes);
        let spec = parse_spec(&bytes, &header.spec_key)?;
        check(&spec, &header.model_id, &header.version, &header.spec_key)?;
        cache_spec(self.dir, &sha, &bytes);
        Ok(ResolvedModel {
            entry: Pin {
                model_id: header.model_id,
                requested_version: requested.to_string(),
                version: header.version,
                spec_key: header.spec_key,
                spec_sha256: sha,
            },
            spec,
        })
    }

    /// Loads the spec a lock entry pins: from the cache, else from the source, refusing a
    /// spec whose digest changed since it was locked.
    pub fn locked(&mut self, entry: &Pin) -> Result<ResolvedModel, ResolveError> {
        if let Some(found) = offline(self.dir, entry) {
            return found;
        }
        let bytes = self.source.spec(&entry.spec_key)?;
        let sha = crate::files::sha256_hex(&bytes);
        if sha != entry.spec_sha256 {
            return Err(ResolveError::SpecChanged {
                key: entry.spec_key.clone(),
                locked: entry.spec_sha256.clone(),
                found: sha,
            });
        }
        cache_spec(self.dir, &sha, &bytes);
        let spec = parse_spec(&bytes, &entry.spec_key)?;
        check(&spec, &entry.model_id, &entry.version, &entry.spec_key)?;
        Ok(ResolvedModel {
            entry: entry.clone(),
            spec,
        })
    }
}

/// The spec a lock entry pins, from the local cache only; `None` when it is not cached.
pub fn offline(dir: &Path, entry: &Pin) -> Option<Result<ResolvedModel, ResolveError>> {
    let bytes = cached_spec(dir, &entry.spec_sha256)?;
    Some(
        parse_spec(&bytes, &entry.spec_key)
            .and_then(|spec| {
                check(&spec, &entry.model_id, &entry.version, &entry.spec_key).map(|_| spec)
            })
            .map(|spec| ResolvedModel {
                entry: entry.clone(),
                spec,
            }),
    )
}

/// The newest cached spec of `model_id` whose version `requested` matches, from the spec cache
/// in `dir` only (specs an earlier `lock`, `plan` or `requests` fetched there); `None` when
/// none is cached. Lets `validate` check a manifest without `sagetune.lock`, offline.
pub fn cached_for(dir: &Path, model_id: &str, requested: &str) -> Option<ResolvedModel> {
    let pattern = VersionPattern::parse(requested)?;
    let entries = std::fs::read_dir(spec_cache_dir(dir)).ok()?;
    let mut best: Option<(Version, ResolvedModel)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(sha) = name.strip_suffix(".json") else {
            continue;
        };
        let Some(bytes) = cached_spec(dir, sha) else {
            continue;
        };
        let Ok(spec) = ModelSpec::from_json(&bytes) else {
            continue;
        };
        let Some(version) = Version::parse(&spec.version) else {
            continue;
        };
        let newer = best.as_ref().is_none_or(|(v, _)| version > *v);
        if spec.model_id != model_id || !pattern.matches(&version) || !newer {
            continue;
        }
        if check(&spec, model_id, &spec.version, "cached spec").is_err() {
            continue;
        }
        let entry = Pin {
            model_id: model_id.to_string(),
            requested_version: requested.to_string(),
            version: spec.version.clone(),
            spec_key: format!("(cached {name})"),
            spec_sha256: sha.to_string(),
        };
        best = Some((version, ResolvedModel { entry, spec }));
    }
    best.map(|(_, m)| m)
}

fn parse_spec(bytes: &[u8], key: &str) -> Result<ModelSpec, ResolveError> {
    ModelSpec::from_json(bytes).map_err(|e| ResolveError::Invalid {
        what: key.to_string(),
        reason: e.to_string(),
    })
}

/// The SDK's checks of a chosen spec for the training scope.
pub fn check(
    spec: &ModelSpec,
    model_id: &str,
    version: &str,
    key: &str,
) -> Result<(), ResolveError> {
    if spec.model_id != model_id || spec.version != version {
        return Err(ResolveError::SpecMismatch {
            key: key.to_string(),
            expected: format!("{model_id} {version}"),
            found: format!("{} {}", spec.model_id, spec.version),
        });
    }
    if spec.deprecated {
        return Err(ResolveError::Deprecated {
            model_id: model_id.to_string(),
            version: version.to_string(),
            message: spec
                .deprecated_message
                .clone()
                .unwrap_or_else(|| "the model spec is marked deprecated".into()),
        });
    }
    if !spec.training_supported {
        return Err(ResolveError::TrainingNotSupported {
            model_id: model_id.to_string(),
            version: version.to_string(),
        });
    }
    Ok(())
}
