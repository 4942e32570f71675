//! Prepare: from the command line's inputs to everything the later stages need, before any
//! AWS write. Validates the manifest and data (`validate`), finds the region and where
//! JumpStart content comes from, resolves the models as pinned or afresh (`models`), and
//! binds fine-tunes and endpoints to their specs (`bind`); `check` turns one dataset entry into a
//! checked, hashed file or located diagnostics. Every problem is a located
//! diagnostic; nothing here reads or writes AWS except fetching JumpStart specs.

pub(crate) mod bind;
mod check;
pub(crate) mod init;
pub(crate) mod models;
mod validate;

use std::path::Path;

use crate::cloud::{AwsOptions, S3ContentStore};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::fetch::SpecFetcher;
use crate::jumpstart::pins::PINS_FILE;
use crate::jumpstart::source::{Buckets, ContentStore};
use crate::manifest::{self, LoadedManifest};

pub(crate) use bind::{Bound, BoundEndpoint, BoundFineTune, Smoke};
pub(crate) use validate::{validate, DatasetCheck, SpecCheck, Validated};

/// The region a stack lives in and the JumpStart buckets of that region.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) region: String,
    pub(crate) buckets: Buckets,
}

/// A validated manifest with its models resolved and bound to their specs: everything the
/// desired state is built from.
pub struct Prepared {
    pub(crate) validated: Validated,
    pub(crate) ctx: Context,
    pub(crate) bound: Bound,
    /// The SHA-256 of `sagetune.lock` when it pinned the models (`None`: resolved afresh).
    pub(crate) pins_sha256: Option<String>,
}

impl Prepared {
    /// Whether `sagetune.lock` pinned the models.
    pub(crate) fn used_pins(&self) -> bool {
        self.pins_sha256.is_some()
    }

    /// The pins file next to the manifest.
    pub(crate) fn pins_path(&self) -> std::path::PathBuf {
        self.validated.loaded.dir.join(PINS_FILE)
    }
}

/// Validates, resolves and binds. JumpStart content comes from the SDK's local overrides
/// when set, else from `store`, else from the region's content bucket in S3. With `locked`,
/// `sagetune.lock` must exist and match the manifest.
pub fn prepare(
    file: &Path,
    allow_outside: bool,
    aws: &AwsOptions,
    locked: bool,
    store: Option<&dyn ContentStore>,
) -> Result<Prepared, Vec<Diagnostic>> {
    let validated = validate(file, allow_outside, aws)?;
    let loaded = &validated.loaded;
    let ctx = models::require_region(loaded, aws).map_err(|d| vec![d])?;
    let s3 = S3ContentStore::new(aws.clone(), Some(ctx.region.clone()));
    let store = store.unwrap_or(&s3);
    let source = models::source(&ctx, store).map_err(|d| vec![d])?;
    let mut fetcher = SpecFetcher::new(source, &loaded.dir);
    let (models, used_pins) = models::resolve_models(loaded, &mut fetcher, locked)?;
    let bound = bind::bind(loaded, &models, &ctx)?;
    let pins_sha256 = if used_pins {
        let bytes = std::fs::read(loaded.dir.join(PINS_FILE)).map_err(|e| {
            vec![
                Diagnostic::new("lock::invalid", format!("cannot read {PINS_FILE}: {e}"))
                    .help("check the file's permissions"),
            ]
        })?;
        Some(crate::files::sha256_hex(&bytes))
    } else {
        None
    };
    Ok(Prepared {
        validated,
        ctx,
        bound,
        pins_sha256,
    })
}

/// The manifest alone (no data files, no model specs) and its region: what `destroy`,
/// `status` and `unlock` need.
pub(crate) fn stack_only(
    file: &Path,
    aws: &AwsOptions,
) -> Result<(LoadedManifest, Context), Vec<Diagnostic>> {
    let loaded = manifest::load(file)?;
    let ctx = models::require_region(&loaded, aws).map_err(|d| vec![d])?;
    Ok((loaded, ctx))
}
