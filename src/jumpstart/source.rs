//! Where JumpStart content comes from: the regional content buckets (read through a
//! [`ContentStore`], implemented over S3 in `cloud/`) or the SDK's local-directory overrides.

use std::path::PathBuf;

use super::error::ResolveError;

/// The SDK's key of the model manifest in the content bucket (and the override folder).
pub(crate) const MANIFEST_KEY: &str = "models_manifest.json";

pub use crate::cloud::ContentStore;

/// The public and gated content buckets of a region, honouring the SDK's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Buckets {
    pub(crate) content: String,
    pub(crate) gated: String,
}

impl Buckets {
    /// `jumpstart-cache-prod-<region>` / `jumpstart-private-cache-prod-<region>` unless
    /// `AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE` / `AWS_JUMPSTART_GATED_CONTENT_BUCKET_OVERRIDE` say otherwise.
    pub(crate) fn for_region(region: &str, env: &impl Fn(&str) -> Option<String>) -> Self {
        Self {
            content: env("AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE")
                .unwrap_or_else(|| format!("jumpstart-cache-prod-{region}")),
            gated: env("AWS_JUMPSTART_GATED_CONTENT_BUCKET_OVERRIDE")
                .unwrap_or_else(|| format!("jumpstart-private-cache-prod-{region}")),
        }
    }
}

/// Where the manifest and specs are read from.
pub(crate) enum Source<'a> {
    /// `AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE` + `AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE`:
    /// `<manifest_root>/models_manifest.json` and `<specs_root>/<spec_key>`.
    Local {
        manifest_root: PathBuf,
        specs_root: PathBuf,
    },
    /// The content bucket, read through a store.
    Bucket {
        bucket: String,
        store: &'a dyn ContentStore,
    },
}

impl<'a> Source<'a> {
    /// The local override when both variables are set; `None` when neither is.
    pub(crate) fn local_from_env(
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Source<'a>>, ResolveError> {
        const M: &str = "AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE";
        const S: &str = "AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE";
        match (env(M), env(S)) {
            (Some(m), Some(s)) => Ok(Some(Source::Local {
                manifest_root: m.into(),
                specs_root: s.into(),
            })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ResolveError::HalfOverride { set: M, missing: S }),
            (None, Some(_)) => Err(ResolveError::HalfOverride { set: S, missing: M }),
        }
    }

    /// Human name of the source, for messages and the lock file.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Local { manifest_root, .. } => {
                format!("local override {}", manifest_root.display())
            }
            Source::Bucket { bucket, .. } => format!("s3://{bucket}"),
        }
    }

    /// The raw `models_manifest.json`.
    pub(crate) fn manifest(&self) -> Result<Vec<u8>, ResolveError> {
        match self {
            Source::Local { manifest_root, .. } => read_file(manifest_root.join(MANIFEST_KEY)),
            Source::Bucket { bucket, store } => read_object(*store, bucket, MANIFEST_KEY),
        }
    }

    /// The raw spec at `key`.
    pub(crate) fn spec(&self, key: &str) -> Result<Vec<u8>, ResolveError> {
        match self {
            Source::Local { specs_root, .. } => read_file(specs_root.join(key)),
            Source::Bucket { bucket, store } => read_object(*store, bucket, key),
        }
    }
}

fn read_object(store: &dyn ContentStore, bucket: &str, key: &str) -> Result<Vec<u8>, ResolveError> {
    store.get(bucket, key).map_err(|error| ResolveError::Cloud {
        what: format!("s3://{bucket}/{key}"),
        error,
    })
}

fn read_file(path: PathBuf) -> Result<Vec<u8>, ResolveError> {
    std::fs::read(&path).map_err(|e| ResolveError::Source {
        what: path.display().to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_region_and_overrides() {
        let none = |_: &str| None;
        let b = Buckets::for_region("us-west-2", &none);
        assert_eq!(b.content, "jumpstart-cache-prod-us-west-2");
        assert_eq!(b.gated, "jumpstart-private-cache-prod-us-west-2");
        let env =
            |k: &str| (k == "AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE").then(|| "my-js".to_string());
        assert_eq!(Buckets::for_region("us-west-2", &env).content, "my-js");
    }

    #[test]
    fn local_override_needs_both_variables() {
        let one = |k: &str| {
            (k == "AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE").then(|| "/x".to_string())
        };
        assert!(matches!(
            Source::local_from_env(&one),
            Err(ResolveError::HalfOverride { .. })
        ));
        assert!(Source::local_from_env(&|_: &str| None).unwrap().is_none());
        let both = |_: &str| Some("/x".to_string());
        assert!(matches!(
            Source::local_from_env(&both),
            Ok(Some(Source::Local { .. }))
        ));
    }
}
