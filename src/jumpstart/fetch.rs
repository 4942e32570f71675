//! Fetching and checking a model's spec: fresh (manifest → version → spec) or as pinned in
//! `sagetune.lock` (`pins`: cache first, then the source, digest verified).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::error::ResolveError;
use super::index::{self, Header};
use super::pins::{cache_spec, cached_spec, spec_cache_dir, Pin};
use super::source::{Source, MANIFEST_KEY};
use super::spec::ModelSpec;
use super::version::{Version, VersionPattern};

/// A model resolved to one spec, with the lock entry that pins it.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedModel {
    pub(crate) entry: Pin,
    pub(crate) spec: ModelSpec,
}

/// How many specs are fetched at once.
pub(crate) const PARALLEL_FETCHES: usize = 8;

/// Resolves models against one source, reading `models_manifest.json` at most once and each
/// spec at most once.
pub(crate) struct SpecFetcher<'a> {
    source: Source<'a>,
    /// The manifest's folder, where the spec cache lives.
    dir: &'a Path,
    headers: Option<Vec<Header>>,
    /// Spec bytes read this run, by key; a failure is kept too, so no key is read twice.
    fetched: HashMap<String, Result<Vec<u8>, ResolveError>>,
}

impl<'a> SpecFetcher<'a> {
    pub(crate) fn new(source: Source<'a>, dir: &'a Path) -> Self {
        Self {
            source,
            dir,
            headers: None,
            fetched: HashMap::new(),
        }
    }

    /// Fetches at once the specs these resolutions will read — `(model, requested, pin)`: the
    /// pin's spec unless cached, else the spec `requested` resolves to — so each distinct spec
    /// is read once and the reads overlap.
    pub(crate) fn prefetch_for<'p>(
        &mut self,
        wanted: impl IntoIterator<Item = (&'p str, &'p str, Option<&'p Pin>)>,
    ) {
        let mut keys = Vec::new();
        for (model, requested, pin) in wanted {
            match pin {
                Some(p) if cached_spec(self.dir, &p.spec_sha256).is_some() => {}
                Some(p) => keys.push(p.spec_key.clone()),
                None => keys.extend(self.spec_key(model, requested)),
            }
        }
        self.prefetch(keys);
    }

    /// Reads the distinct `keys` not read yet, at most [`PARALLEL_FETCHES`] at once, so the
    /// resolutions that follow find their specs fetched.
    fn prefetch(&mut self, keys: impl IntoIterator<Item = String>) {
        let todo: Vec<String> = keys
            .into_iter()
            .filter(|k| !self.fetched.contains_key(k))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::new());
        let source = &self.source;
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL_FETCHES.min(todo.len()) {
                scope.spawn(|| {
                    while let Some(key) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let got = source.spec(key);
                        results
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((key.clone(), got));
                    }
                });
            }
        });
        self.fetched.extend(
            results
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    /// The spec at `key`, read once per run.
    fn spec_bytes(&mut self, key: &str) -> Result<Vec<u8>, ResolveError> {
        if let Some(got) = self.fetched.get(key) {
            return got.clone();
        }
        let got = self.source.spec(key);
        self.fetched.insert(key.to_string(), got.clone());
        got
    }

    /// The spec key `requested` resolves to, when it resolves (errors are reported by
    /// [`Self::resolve`]).
    fn spec_key(&mut self, model_id: &str, requested: &str) -> Option<String> {
        self.header(model_id, requested).ok().map(|h| h.spec_key)
    }

    /// The manifest entry the SDK would choose for `requested`.
    fn header(&mut self, model_id: &str, requested: &str) -> Result<Header, ResolveError> {
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
        Ok(index::select(headers, model_id, &pattern, &self.source.describe())?.clone())
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
        let header = self.header(model_id, requested)?;
        let bytes = self.spec_bytes(&header.spec_key)?;
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
    pub(crate) fn locked(&mut self, entry: &Pin) -> Result<ResolvedModel, ResolveError> {
        if let Some(found) = offline(self.dir, entry) {
            return found;
        }
        let bytes = self.spec_bytes(&entry.spec_key)?;
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
pub(crate) fn offline(dir: &Path, entry: &Pin) -> Option<Result<ResolvedModel, ResolveError>> {
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

/// The spec a lock entry pins, from the parts of it the lock carries (no cache, no network).
pub(crate) fn carried(
    entry: &Pin,
    spec: &ModelSpec,
) -> Option<Result<ResolvedModel, ResolveError>> {
    let checked = check(spec, &entry.model_id, &entry.version, &entry.spec_key);
    Some(checked.map(|_| ResolvedModel {
        entry: entry.clone(),
        spec: spec.clone(),
    }))
}

/// The newest cached spec of `model_id` whose version `requested` matches, from the spec cache
/// in `dir` only (specs an earlier `lock`, `plan` or `requests` fetched there); `None` when
/// none is cached. Lets `validate` check a manifest without `sagetune.lock`, offline.
pub(crate) fn cached_for(dir: &Path, model_id: &str, requested: &str) -> Option<ResolvedModel> {
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
pub(crate) fn check(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jumpstart::source::ContentStore;

    /// The fixture content, counting reads per key and the most reads in flight at once.
    #[derive(Default)]
    struct Counting {
        reads: Mutex<HashMap<String, usize>>,
        in_flight: AtomicUsize,
        most: AtomicUsize,
    }

    impl ContentStore for Counting {
        fn get(&self, _bucket: &str, key: &str) -> Result<Vec<u8>, crate::cloud::CloudError> {
            *self
                .reads
                .lock()
                .unwrap()
                .entry(key.to_string())
                .or_default() += 1;
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(30));
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jumpstart");
            let path = if key == MANIFEST_KEY {
                base.join("manifest").join(key)
            } else {
                base.join("specs").join(key)
            };
            std::fs::read(&path).map_err(|e| crate::cloud::CloudError::Transport {
                operation: "GetObject".into(),
                message: e.to_string(),
            })
        }
    }

    #[test]
    fn each_distinct_spec_is_read_once_and_the_reads_overlap() {
        let store = Counting::default();
        let dir = tempfile::tempdir().unwrap();
        let source = Source::Bucket {
            bucket: "b".into(),
            store: &store,
        };
        let mut fetcher = SpecFetcher::new(source, dir.path());
        let wanted = [
            ("huggingface-textgeneration1-gpt-j-6b", "3.*"),
            ("meta-textgeneration-llama-2-7b", "4.*"),
            ("huggingface-textgeneration1-gpt-j-6b", "3.*"),
            ("huggingface-textgeneration1-bloom-3b", "*"),
            ("huggingface-textgeneration1-gpt-j-6b", "*"),
            ("meta-textgeneration-llama-2-7b", "4.*"),
        ];
        fetcher.prefetch_for(wanted.iter().map(|(m, r)| (*m, *r, None)));
        for (m, r) in wanted {
            fetcher.resolve(m, r).unwrap();
        }
        let reads = store.reads.lock().unwrap().clone();
        // gpt-j `*` and `3.*` resolve to the same version: three distinct specs.
        assert_eq!(reads.len(), 4, "the manifest and three specs: {reads:?}");
        assert!(reads.values().all(|n| *n == 1), "{reads:?}");
        let most = store.most.load(Ordering::SeqCst);
        assert!((2..=PARALLEL_FETCHES).contains(&most), "{most} at once");
    }
}
