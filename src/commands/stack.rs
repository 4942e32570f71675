//! From a manifest to a plan, the steps `requests`, `plan` and `apply` share: validate,
//! resolve the models (lock-aware), bind, build the desired state, observe and plan.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::cli::ManifestArgs;
use crate::cloud::{AwsCloud, AwsOptions, CloudError, CloudRead, S3ContentStore};
use crate::desired::{self, Desired};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::lock::LOCK_FILE;
use crate::jumpstart::resolver::Resolver;
use crate::jumpstart::source::ContentStore;
use crate::observe::{self, Observed};
use crate::plan::{self, cost, DataFile, Digest, Options, Plan, Summary};
use crate::resolution::{self, Bound, Context};

use super::context::{require_region, resolve_models, source};
use super::validate::{validate, Validated};

/// A validated manifest with its models resolved and bound to their specs.
pub struct Prepared {
    pub validated: Validated,
    pub ctx: Context,
    pub bound: Bound,
    /// Whether `sagetune.lock` pinned the models.
    pub used_lock: bool,
    pub role_arn: String,
    pub user_tags: IndexMap<String, String>,
}

/// Validates, resolves and binds. JumpStart content comes from the SDK's local overrides
/// when set, else from `store`, else from the region's content bucket in S3.
pub fn prepare(
    args: &ManifestArgs,
    aws: &AwsOptions,
    locked: bool,
    store: Option<&dyn ContentStore>,
) -> Result<Prepared, Vec<Diagnostic>> {
    let validated = validate(args, aws)?;
    let loaded = &validated.loaded;
    let ctx = require_region(loaded, aws).map_err(|d| vec![d])?;
    let s3 = S3ContentStore::new(aws.clone(), Some(ctx.region.clone()));
    let store = store.unwrap_or(&s3);
    let mut resolver = Resolver::new(source(&ctx, store).map_err(|d| vec![d])?, &loaded.dir);
    let (models, used_lock) = resolve_models(loaded, &mut resolver, locked)?;
    let bound = resolution::bind(loaded, &models, &ctx)?;
    let m = &loaded.manifest;
    let role_arn = match &m.role.arn {
        Some(arn) => arn.get().clone(),
        None => desired::managed_role_arn(m.stack.get()),
    };
    let user_tags = m
        .tags
        .iter()
        .map(|(k, v)| (k.get().clone(), v.get().clone()))
        .collect();
    Ok(Prepared {
        validated,
        ctx,
        bound,
        used_lock,
        role_arn,
        user_tags,
    })
}

impl Prepared {
    /// The desired state with the given run numbers (see `plan::runs`).
    pub fn desired(&self, runs: &BTreeMap<String, u32>) -> Desired {
        let m = &self.validated.loaded.manifest;
        desired::build(&desired::Inputs {
            stack: m.stack.get(),
            region: &self.ctx.region,
            artifacts: m.artifacts.get(),
            role_arn: &self.role_arn,
            managed_role: m.role.create.is_some(),
            buckets: &self.ctx.buckets,
            attempts: runs,
            user_tags: &self.user_tags,
            datasets: &self.validated.datasets,
            bound: &self.bound,
        })
    }

    /// The manifest's path and digest, as the plan records them.
    pub fn manifest_digest(&self) -> Digest {
        manifest_digest(&self.validated.loaded)
    }

    /// The lock file's digest when it pinned the models.
    pub fn lock_digest(&self) -> Option<Digest> {
        if !self.used_lock {
            return None;
        }
        let path = self.validated.loaded.dir.join(LOCK_FILE);
        let bytes = std::fs::read(&path).ok()?;
        Some(Digest {
            path: path.display().to_string(),
            sha256: crate::files::sha256_hex(&bytes),
        })
    }
}

/// The manifest alone (no data files, no model specs) with its region and an AWS cloud for
/// it: what `destroy`, `status` and `unlock` need.
pub fn load_stack(
    args: &ManifestArgs,
    aws: &AwsOptions,
) -> Result<(crate::manifest::LoadedManifest, Context, AwsCloud), Vec<Diagnostic>> {
    let loaded = crate::manifest::load(&args.file)?;
    let ctx = require_region(&loaded, aws).map_err(|d| vec![d])?;
    let cloud = AwsCloud::new(aws.clone(), &ctx.region);
    Ok((loaded, ctx, cloud))
}

/// A loaded manifest's path and digest.
pub fn manifest_digest(loaded: &crate::manifest::LoadedManifest) -> Digest {
    Digest {
        path: loaded.path.display().to_string(),
        sha256: crate::files::sha256_hex(loaded.source.text.as_bytes()),
    }
}

/// Observes `cloud` for the desired state, with run numbers settled: when an earlier run of
/// the same inputs failed, the desired state is rebuilt for the next run and observed again.
pub fn observe_settled(
    prepared: &Prepared,
    cloud: &dyn CloudRead,
) -> Result<(Desired, Observed), CloudError> {
    let first = prepared.desired(&BTreeMap::new());
    let seen = observe::observe(cloud, &first)?;
    let runs = plan::runs(&first, &seen);
    if runs.is_empty() {
        return Ok((first, seen));
    }
    let desired = prepared.desired(&runs);
    let seen = observe::observe(cloud, &desired)?;
    Ok((desired, seen))
}

/// The whole plan document for `prepared` against `cloud`.
pub fn make_plan(
    prepared: &Prepared,
    cloud: &dyn CloudRead,
    options: &Options,
    created_at: &str,
) -> Result<Plan, Vec<Diagnostic>> {
    let (desired, seen) =
        observe_settled(prepared, cloud).map_err(|e| vec![cloud_diagnostic(&e)])?;
    let planned = plan::plan(&desired, &seen, options).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| Diagnostic::new(p.code, p.message).help(p.help))
            .collect::<Vec<_>>()
    })?;
    Ok(assemble(
        prepared.manifest_digest(),
        prepared.lock_digest(),
        &desired,
        &seen,
        planned,
        created_at,
    ))
}

/// Puts a plan document together from its parts.
pub fn assemble(
    manifest: Digest,
    lock: Option<Digest>,
    desired: &Desired,
    seen: &Observed,
    planned: plan::Planned,
    created_at: &str,
) -> Plan {
    let cost = cost::estimate(desired, &planned.changes);
    Plan {
        format_version: plan::FORMAT_VERSION,
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
                sha256: d.sha256.clone(),
                bytes: d.bytes,
            })
            .collect(),
        observed_fingerprint: observe::fingerprint(seen),
        summary: Summary::of(&planned.changes),
        changes: planned.changes,
        warnings: planned.warnings,
        cost,
    }
}

/// An AWS failure while reading, as a diagnostic.
pub fn cloud_diagnostic(e: &CloudError) -> Diagnostic {
    let help = match e {
        CloudError::Denied { .. } => "check the credentials (profile, AWS_PROFILE, environment) and that they allow sagetune's reads",
        CloudError::Transport { .. } => "check the network and the endpoint (AWS_ENDPOINT_URL, if set)",
        CloudError::Throttled { .. } => "wait a moment and run the command again",
        _ => "nothing was changed; run the command again once the cause is fixed",
    };
    Diagnostic::new("aws::call", e.to_string()).help(help)
}

/// Now, as RFC 3339 UTC to the second.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
