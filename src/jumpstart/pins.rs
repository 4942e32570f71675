//! Model pins, the `sagetune.lock` file: the resolved JumpStart version and spec digest of
//! every fine-tune, with the parts of each spec sagetune reads (for the lock's region) so that
//! `validate` checks specs in a fresh clone with no cache and no network; and the local cache
//! of whole specs (`.sagetune/cache/specs/<sha256>.json`). Reads and writes files next to the
//! manifest only.

use crate::diagnostics::Diagnostic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::ModelSpec;
use super::version::SDK_COMPAT_VERSION;

/// File name of the pins, next to the manifest ("lock" for users, as in Cargo.lock).
pub(crate) const PINS_FILE: &str = "sagetune.lock";
const FORMAT_VERSION: u32 = 1;

/// The pins file: one entry per fine-tune, sorted by name so diffs stay small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pins {
    /// Format version of this file.
    pub(crate) version: u32,
    /// The SageMaker SDK version whose JumpStart rules the resolution followed.
    pub(crate) sdk_compat: String,
    /// The region the models were resolved in; the carried specs hold its images only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    pub(crate) fine_tunes: BTreeMap<String, Pin>,
    /// By spec digest: the parts of each pinned spec sagetune reads (see
    /// [`ModelSpec::for_region`]). Absent from locks written before sagetune carried them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) specs: BTreeMap<String, ModelSpec>,
}

/// What one fine-tune's model resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pin {
    pub(crate) model_id: String,
    /// The manifest's `model_version` when this was resolved (`*` by default).
    pub(crate) requested_version: String,
    pub(crate) version: String,
    pub(crate) spec_key: String,
    pub(crate) spec_sha256: String,
}

impl Pins {
    /// Pins resolved in `region`, carrying the given specs' checkable parts.
    pub(crate) fn new(
        region: &str,
        fine_tunes: BTreeMap<String, Pin>,
        specs: BTreeMap<String, ModelSpec>,
    ) -> Self {
        Self {
            version: FORMAT_VERSION,
            sdk_compat: SDK_COMPAT_VERSION.to_string(),
            region: Some(region.to_string()),
            fine_tunes,
            specs,
        }
    }

    /// Reasons the lock does not fit the manifest's fine-tunes `(name, model id, requested version)`;
    /// empty when it fits.
    pub(crate) fn mismatches(&self, wanted: &[(String, String, String)]) -> Vec<String> {
        let mut out = Vec::new();
        for (name, model, requested) in wanted {
            match self.fine_tunes.get(name) {
                None => out.push(format!("fine-tune `{name}` is not in the lock")),
                Some(e) if &e.model_id != model => out.push(format!("fine-tune `{name}`: the lock has model `{}`, the manifest `{model}`", e.model_id)),
                Some(e) if &e.requested_version != requested => out.push(format!(
                    "fine-tune `{name}`: the lock was resolved for model_version `{}`, the manifest asks for `{requested}`",
                    e.requested_version
                )),
                Some(_) => {}
            }
        }
        for name in self.fine_tunes.keys() {
            if !wanted.iter().any(|(n, _, _)| n == name) {
                out.push(format!(
                    "the lock has fine-tune `{name}`, which the manifest no longer has"
                ));
            }
        }
        if self.sdk_compat != SDK_COMPAT_VERSION {
            out.push(format!(
                "the lock follows SDK {} rules, this sagetune follows {SDK_COMPAT_VERSION}",
                self.sdk_compat
            ));
        }
        out
    }
}

/// Why the pins file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PinsError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    /// The file is not a lock file of this format.
    #[error("{path} is not a valid sagetune lock file: {reason}")]
    Invalid { path: String, reason: String },
}

/// The lock next to the manifest in `dir`; `Ok(None)` when there is none.
pub(crate) fn read(dir: &Path) -> Result<Option<Pins>, PinsError> {
    let path = dir.join(PINS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PinsError::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    let lock: Pins = serde_json::from_str(&text).map_err(|e| PinsError::Invalid {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if lock.version != FORMAT_VERSION {
        return Err(PinsError::Invalid {
            path: path.display().to_string(),
            reason: format!(
                "format version {} (this sagetune writes {FORMAT_VERSION})",
                lock.version
            ),
        });
    }
    Ok(Some(lock))
}

/// Writes the lock atomically (a temporary file renamed over the old one).
pub(crate) fn write(dir: &Path, lock: &Pins) -> std::io::Result<PathBuf> {
    let path = dir.join(PINS_FILE);
    let mut text = serde_json::to_string_pretty(lock).expect("the lock serializes");
    text.push('\n');
    crate::files::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The folder of cached specs for a manifest in `dir`.
pub(crate) fn spec_cache_dir(dir: &Path) -> PathBuf {
    dir.join(".sagetune").join("cache").join("specs")
}

/// Stores spec bytes under their digest; a failure only costs a later download.
pub(crate) fn cache_spec(dir: &Path, sha256: &str, bytes: &[u8]) {
    let folder = spec_cache_dir(dir);
    if std::fs::create_dir_all(&folder).is_ok() {
        let _ = crate::files::write_atomic(&folder.join(format!("{sha256}.json")), bytes);
    }
}

/// Cached spec bytes whose digest is `sha256`; a corrupt entry is ignored.
pub(crate) fn cached_spec(dir: &Path, sha256: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(spec_cache_dir(dir).join(format!("{sha256}.json"))).ok()?;
    (crate::files::sha256_hex(&bytes) == sha256).then_some(bytes)
}

impl From<&PinsError> for Diagnostic {
    /// `sagetune.lock` exists but cannot be used.
    fn from(e: &PinsError) -> Self {
        Diagnostic::new("lock::invalid", e.to_string())
            .help("delete it and run `sagetune lock` to write a new one")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(model: &str, requested: &str) -> Pin {
        Pin {
            model_id: model.into(),
            requested_version: requested.into(),
            version: "3.2.13".into(),
            spec_key: "k".into(),
            spec_sha256: "s".into(),
        }
    }

    #[test]
    fn mismatches_name_what_differs() {
        let lock = Pins::new(
            "us-east-1",
            BTreeMap::from([
                ("a".to_string(), entry("m", "*")),
                ("gone".to_string(), entry("m", "*")),
            ]),
            BTreeMap::new(),
        );
        let wanted = vec![
            ("a".to_string(), "m".to_string(), "3.*".to_string()),
            ("new".to_string(), "m".to_string(), "*".to_string()),
        ];
        let got = lock.mismatches(&wanted);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].contains("model_version `*`"));
        assert!(got[1].contains("`new` is not in the lock"));
        assert!(got[2].contains("`gone`"));
        let ok = vec![
            ("a".to_string(), "m".to_string(), "*".to_string()),
            ("gone".to_string(), "m".to_string(), "*".to_string()),
        ];
        assert!(lock.mismatches(&ok).is_empty());
    }

    #[test]
    fn write_read_round_trip_and_cache_integrity() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        let lock = Pins::new(
            "us-east-1",
            BTreeMap::from([("a".to_string(), entry("m", "*"))]),
            BTreeMap::new(),
        );
        write(dir.path(), &lock).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(lock));
        std::fs::write(dir.path().join(PINS_FILE), "{").unwrap();
        assert!(matches!(read(dir.path()), Err(PinsError::Invalid { .. })));

        let bytes = br#"{"model_id":"m"}"#;
        let sha = crate::files::sha256_hex(bytes);
        cache_spec(dir.path(), &sha, bytes);
        assert_eq!(cached_spec(dir.path(), &sha).as_deref(), Some(&bytes[..]));
        std::fs::write(
            spec_cache_dir(dir.path()).join(format!("{sha}.json")),
            b"tampered",
        )
        .unwrap();
        assert!(cached_spec(dir.path(), &sha).is_none());
    }
}
