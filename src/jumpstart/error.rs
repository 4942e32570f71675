//! Errors of JumpStart resolution, each with the help a user needs to fix it.

use crate::cloud::CloudError;
use crate::diagnostics::Diagnostic;
use thiserror::Error;

/// Why a model could not be resolved to a usable spec.
#[derive(Debug, Error, Clone, PartialEq)]
pub(crate) enum ResolveError {
    /// Reading the JumpStart manifest or a spec from a local override failed.
    #[error("cannot read {what}: {reason}")]
    Source { what: String, reason: String },
    /// Reading the JumpStart manifest or a spec from S3 failed (credentials, network,
    /// permissions): said as every other AWS failure is.
    #[error("cannot read {what}: {error}")]
    Cloud { what: String, error: CloudError },
    /// The override variables are half set.
    #[error("{set} is set but {missing} is not")]
    HalfOverride {
        set: &'static str,
        missing: &'static str,
    },
    /// A file was read but is not what JumpStart publishes.
    #[error("{what} is not valid JumpStart JSON: {reason}")]
    Invalid { what: String, reason: String },
    /// The model id is not in the JumpStart manifest of the region.
    #[error("model `{model_id}` is not in the JumpStart manifest ({source_name})")]
    UnknownModel {
        model_id: String,
        source_name: String,
    },
    /// No published version matches the requested pattern.
    #[error("no version of `{model_id}` matches `{requested}`")]
    NoMatchingVersion {
        model_id: String,
        requested: String,
        available: Vec<String>,
    },
    /// Only versions for a newer SDK match.
    #[error("`{model_id}` {version} needs SageMaker SDK {min_version} or newer; sagetune is compatible with {sdk}")]
    NeedsNewerSdk {
        model_id: String,
        version: String,
        min_version: String,
        sdk: &'static str,
    },
    /// The spec says the model cannot be trained.
    #[error("`{model_id}` {version} does not support training")]
    TrainingNotSupported { model_id: String, version: String },
    /// The spec is deprecated.
    #[error("`{model_id}` {version} is deprecated: {message}")]
    Deprecated {
        model_id: String,
        version: String,
        message: String,
    },
    /// The spec's identity differs from the manifest header that pointed at it.
    #[error("spec {key} describes `{found}`, not `{expected}`")]
    SpecMismatch {
        key: String,
        expected: String,
        found: String,
    },
    /// The spec has no image for an instance type in the region.
    #[error("`{model_id}` {version} has no {purpose} image for {instance_type} in {region}")]
    NoImage {
        model_id: String,
        version: String,
        purpose: &'static str,
        instance_type: String,
        region: String,
    },
    /// The instance type is not one the spec supports.
    #[error(
        "{instance_type} is not a supported {purpose} instance type of `{model_id}` {version}"
    )]
    UnsupportedInstance {
        model_id: String,
        version: String,
        purpose: &'static str,
        instance_type: String,
        supported: Vec<String>,
    },
    /// Neither the manifest nor the spec gives an instance type.
    #[error("`{model_id}` {version} has no default {purpose} instance type")]
    NoDefaultInstance {
        model_id: String,
        version: String,
        purpose: &'static str,
    },
    /// The spec behind a lock entry is no longer the one that was locked.
    #[error("spec {key} changed since it was locked (locked {locked}, now {found})")]
    SpecChanged {
        key: String,
        locked: String,
        found: String,
    },
    /// The spec needs a training artifact it does not name.
    #[error("`{model_id}` {version} has no training artifact or training script in its spec")]
    IncompleteSpec { model_id: String, version: String },
}

impl ResolveError {
    /// How the user fixes it.
    pub(crate) fn help(&self) -> String {
        match self {
            Self::Source { reason, .. } if reason.to_ascii_lowercase().contains("access denied") || reason.contains("AccessDenied") => "the credentials may not read JumpStart's content bucket: grant them the policy `sagetune iam-policy` prints (its JumpStartSpecs statement)".into(),
            Self::Source { .. } => "check network access to the JumpStart content bucket, or point AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE and AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE at local copies".into(),
            Self::Cloud { error, .. } => Diagnostic::from(error).help.unwrap_or_default(),
            Self::HalfOverride { .. } => "set both AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE and AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE, or neither".into(),
            Self::Invalid { .. } => "the JumpStart content looks corrupt or is not JumpStart's; check the override variables".into(),
            Self::UnknownModel { .. } => "check the model id with `sagetune models`; the model may not be published in this region".into(),
            Self::NoMatchingVersion { available, .. } => format!(
                "published versions: {}; use `*` for the latest or a prefix such as `3.*`",
                tail(available)
            ),
            Self::NeedsNewerSdk { .. } => "pin an older version with model_version, or upgrade sagetune".into(),
            Self::TrainingNotSupported { .. } => "choose a version that supports fine-tuning (`sagetune models` lists the domain-adaptation models)".into(),
            Self::Deprecated { .. } => "pin a supported version with model_version, or move to a newer model".into(),
            Self::SpecMismatch { .. } => "the JumpStart content is inconsistent; run `sagetune lock` again later or report it".into(),
            Self::NoImage { .. } => "choose an instance type of a family the model supports, or another region".into(),
            Self::UnsupportedInstance { supported, .. } => format!("supported: {}", supported.join(", ")),
            Self::NoDefaultInstance { .. } => "set instance_type in the manifest".into(),
            Self::SpecChanged { .. } => "JumpStart republished this version; review the change, then run `sagetune lock` to pin the new spec".into(),
            Self::IncompleteSpec { .. } => "pin another version of the model with model_version".into(),
        }
    }
}

fn tail(versions: &[String]) -> String {
    let skip = versions.len().saturating_sub(8);
    let shown = versions[skip..].join(", ");
    if skip > 0 {
        format!("… {shown}")
    } else {
        shown
    }
}

impl From<&ResolveError> for Diagnostic {
    /// A model that cannot be resolved (unlocated; see `prepare::models` for the location).
    fn from(e: &ResolveError) -> Self {
        match e {
            // An AWS failure reads as on every other command (credentials, permissions).
            ResolveError::Cloud { error, .. } => Diagnostic {
                message: e.to_string(),
                ..Diagnostic::from(error)
            },
            _ => Diagnostic::new("jumpstart::resolve", e.to_string()).help(e.help()),
        }
    }
}
