//! The desired state: every AWS object the manifest asks for, with its deterministic name,
//! tags and the exact request that creates it. Built from validated, resolved plain data;
//! no YAML, no spans, no I/O.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Repack, Tag,
};
use crate::cloud::{split_s3, RoleRequest};
use crate::cloud::{AlarmRequest, Deployment};
use crate::jumpstart::requests::{self, TrainingInputs};
use crate::jumpstart::source::Buckets;
use crate::manifest::{GateRule, RolloutPlan};
use crate::prepare::Smoke;
use crate::prepare::{Bound, BoundEndpoint, BoundFineTune, DatasetCheck, Prepared};

use naming::Ownership;

/// One dataset file as an S3 object: `<artifacts>datasets/<stack>/<d>/<channel>/<sha256>/<file>`;
/// the stack in the key keeps stacks that share an artifacts prefix out of each other's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DatasetObject {
    /// `dataset.<d>.<channel>`.
    pub(crate) address: String,
    pub(crate) dataset: String,
    pub(crate) channel: String,
    /// The file uploaded: the dataset file itself, or the file derived from it.
    pub(crate) local_path: String,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    /// Records (CSV rows, JSON objects) or lines (TXT) in what goes up.
    pub(crate) rows: u64,
    pub(crate) bucket: String,
    pub(crate) key: String,
    /// The S3 prefix that holds only this file; the training channel reads it.
    pub(crate) prefix_uri: String,
    /// For a derived file, what it holds: `data/x.csv, column `body``.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) derived_from: Option<String>,
    /// For a derived file, how apply makes it (validation only hashed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) derive_from: Option<crate::cloud::DeriveFrom>,
}

/// The training job of a fine-tune and, when an endpoint serves it, its model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FineTuneResources {
    pub(crate) name: String,
    /// The job's identity hash (see `requests::training_identity`).
    pub(crate) identity: String,
    /// The job's name for its first run; later runs append `-<attempt>`.
    pub(crate) first_job_name: String,
    /// Which run of these inputs the desired job is.
    pub(crate) attempt: u32,
    pub(crate) retrain: u32,
    pub(crate) model_id: String,
    pub(crate) model_version: String,
    /// Notes for the plan (e.g. domain-adaptation flags overriding spec defaults).
    pub(crate) notes: Vec<String>,
    /// The hyperparameters the manifest sets; the job's others are the spec's defaults.
    pub(crate) hyperparameters_set: Vec<String>,
    pub(crate) training_job: CreateTrainingJob,
    pub(crate) model: Option<CreateModel>,
    pub(crate) repack: Option<Repack>,
}

/// An endpoint and its config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EndpointResources {
    pub(crate) name: String,
    pub(crate) fine_tune: String,
    pub(crate) protect: bool,
    pub(crate) endpoint_config: CreateEndpointConfig,
    pub(crate) endpoint: CreateEndpoint,
    /// Conditions on the fine-tune's final metrics before the endpoint serves its model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) gate: Vec<GateRule>,
    /// Prompts to check the endpoint with after it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) smoke: Option<Smoke>,
    /// How updates shift traffic, and the alarms that roll them back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) guarded: Option<GuardedUpdate>,
}

impl EndpointResources {
    /// Whether a promotion of this endpoint must pass checks (a gate or a smoke test) before
    /// what it superseded may go.
    pub(crate) fn checked(&self) -> bool {
        !self.gate.is_empty() || self.smoke.is_some()
    }
}

/// A blue/green update with its rollback alarms: what the plan records and apply sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GuardedUpdate {
    pub(crate) deployment: Deployment,
    pub(crate) alarms: Vec<AlarmRequest>,
}

impl GuardedUpdate {
    /// The rollout of endpoint `endpoint` (its AWS name), with its two alarms: any 5xx
    /// error, and model latency above the rollout's limit, each over one minute.
    pub(crate) fn of(rollout: &RolloutPlan, endpoint: &str, tags: &[Tag]) -> Self {
        let alarm = |suffix: &str, metric: &str, statistic: &str, threshold: f64| AlarmRequest {
            name: alarm_name(endpoint, suffix),
            metric: metric.into(),
            statistic: statistic.into(),
            threshold,
            endpoint: endpoint.into(),
            variant: "AllTraffic".into(),
            tags: tags.to_vec(),
        };
        let [errors, latency] = ALARM_SUFFIXES;
        let alarms = vec![
            alarm(errors, "Invocation5XXErrors", "Sum", 0.0),
            // ModelLatency is in microseconds.
            alarm(
                latency,
                "ModelLatency",
                "Average",
                rollout.max_model_latency_ms as f64 * 1000.0,
            ),
        ];
        GuardedUpdate {
            deployment: Deployment {
                rollout: rollout.clone(),
                alarms: alarms.iter().map(|a| a.name.clone()).collect(),
            },
            alarms,
        }
    }
}

/// The endpoint's alarm on 5xx errors, then on model latency: `<endpoint>-<suffix>`.
const ALARM_SUFFIXES: [&str; 2] = ["5xx-errors", "model-latency"];

fn alarm_name(endpoint: &str, suffix: &str) -> String {
    format!("{endpoint}-{suffix}")
}

/// Everything the manifest asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desired {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) artifacts: String,
    /// The execution role sagetune manages (`role: {create: true}`).
    pub(crate) role: Option<RoleRequest>,
    pub(crate) datasets: Vec<DatasetObject>,
    pub(crate) fine_tunes: Vec<FineTuneResources>,
    pub(crate) endpoints: Vec<EndpointResources>,
}

impl Desired {
    /// A stack with nothing in it: what `destroy` plans towards.
    pub fn empty(stack: &str, region: &str, artifacts: &str) -> Self {
        Desired {
            stack: stack.to_string(),
            region: region.to_string(),
            artifacts: artifacts.to_string(),
            role: None,
            datasets: Vec::new(),
            fine_tunes: Vec::new(),
            endpoints: Vec::new(),
        }
    }
}

/// What the desired state is built from.
pub(crate) struct Inputs<'a> {
    pub(crate) stack: &'a str,
    pub(crate) region: &'a str,
    /// `s3://bucket/prefix/`.
    pub(crate) artifacts: &'a str,
    /// The role's ARN; for a managed role, [`managed_role_arn`] with the placeholder account.
    pub(crate) role_arn: &'a str,
    /// Whether sagetune manages the role (`role: {create: true}`).
    pub(crate) managed_role: bool,
    /// The managed role's permissions boundary (`role.permissions_boundary`).
    pub(crate) permissions_boundary: Option<&'a str>,
    /// JumpStart content buckets the role must read.
    pub(crate) buckets: &'a Buckets,
    /// Run number per fine-tune when earlier runs of the same inputs failed (default 1).
    pub(crate) attempts: &'a BTreeMap<String, u32>,
    pub(crate) user_tags: &'a IndexMap<String, String>,
    pub(crate) datasets: &'a [DatasetCheck],
    pub(crate) bound: &'a Bound,
}

/// The desired state of a prepared manifest, with the given run numbers (see
/// `observe::runs`); deterministic for the same inputs.
pub(crate) fn of(prepared: &Prepared, runs: &BTreeMap<String, u32>) -> Desired {
    let m = &prepared.validated.loaded.manifest;
    let role_arn = match &m.role.arn {
        Some(arn) => arn.get().clone(),
        None => managed_role_arn(m.stack.get()),
    };
    let user_tags: IndexMap<String, String> = m
        .tags
        .iter()
        .map(|(k, v)| (k.get().clone(), v.get().clone()))
        .collect();
    build(&Inputs {
        stack: m.stack.get(),
        region: &prepared.ctx.region,
        artifacts: m.artifacts.get(),
        role_arn: &role_arn,
        managed_role: m.role.create.is_some(),
        permissions_boundary: m
            .role
            .permissions_boundary
            .as_ref()
            .map(|b| b.get().as_str()),
        buckets: &prepared.ctx.buckets,
        attempts: runs,
        user_tags: &user_tags,
        datasets: &prepared.validated.datasets,
        bound: &prepared.bound,
    })
}

/// Builds the desired state; deterministic for the same inputs.
pub(crate) fn build(i: &Inputs<'_>) -> Desired {
    let datasets = dataset_objects(i);
    let mut fine_tunes = Vec::new();
    let mut endpoints = Vec::new();
    for ft in &i.bound.fine_tunes {
        fine_tunes.push(fine_tune(i, ft, &datasets, &mut endpoints));
    }
    Desired {
        stack: i.stack.to_string(),
        region: i.region.to_string(),
        artifacts: i.artifacts.to_string(),
        role: i.managed_role.then(|| managed_role(i)),
        datasets,
        fine_tunes,
        endpoints,
    }
}

/// Every checked data file as its content-addressed S3 object.
fn dataset_objects(i: &Inputs<'_>) -> Vec<DatasetObject> {
    let (bucket, prefix) = split_s3(i.artifacts);
    i.datasets
        .iter()
        .flat_map(|d| {
            d.files.iter().map(move |f| {
                // What goes up: the file itself, or the file derived from it.
                let (path, sha256, bytes, rows, name) = match &f.derived {
                    Some(x) => (x.path.as_path(), &x.sha256, x.bytes, x.rows, &x.file_name),
                    None => (
                        f.file.display.as_path(),
                        &f.report.sha256,
                        f.report.bytes,
                        f.report.rows,
                        &f.file.file_name,
                    ),
                };
                let folder = format!(
                    "{prefix}datasets/{}/{}/{}/{sha256}/",
                    i.stack, d.name, f.channel
                );
                DatasetObject {
                    address: format!("dataset.{}.{}", d.name, f.channel),
                    dataset: d.name.clone(),
                    channel: f.channel.to_string(),
                    local_path: path.display().to_string(),
                    sha256: sha256.clone(),
                    bytes,
                    rows,
                    bucket: bucket.to_string(),
                    key: format!("{folder}{name}"),
                    prefix_uri: format!("s3://{bucket}/{folder}"),
                    derived_from: f
                        .derived
                        .as_ref()
                        .map(|x| format!("{}, column `{}`", f.file.display.display(), x.column)),
                    derive_from: f.derived.as_ref().map(|x| crate::cloud::DeriveFrom {
                        source: f.file.display.clone(),
                        format: f.file.format.to_string(),
                        column: x.column.clone(),
                    }),
                }
            })
        })
        .collect()
}

/// A fine-tune's training job and model; the endpoints serving it go to `endpoints`.
fn fine_tune(
    i: &Inputs<'_>,
    ft: &BoundFineTune,
    datasets: &[DatasetObject],
    endpoints: &mut Vec<EndpointResources>,
) -> FineTuneResources {
    let owner = Ownership {
        stack: i.stack,
        model_id: &ft.model.entry.model_id,
        model_version: &ft.model.entry.version,
        user_tags: i.user_tags,
    };
    let attempt = i.attempts.get(&ft.name).copied().unwrap_or(1);
    let mut job = training_job(i, ft, datasets);
    let identity = naming::name_training_job(&mut job, &owner, &ft.name, ft.retrain, attempt);
    let serving: Vec<_> = (i.bound.endpoints.iter())
        .filter(|e| e.fine_tune == ft.name)
        .collect();
    let (model, repack) = match serving.first() {
        Some(e) => {
            let (mut m, repack) = requests::model(&job, &e.hosting);
            naming::name_model(&mut m, &owner, &ft.name);
            (Some(m), repack)
        }
        None => (None, None),
    };
    for ep in &serving {
        let m = model.as_ref().expect("a serving endpoint has a model");
        endpoints.push(endpoint(ep, &ft.name, m, &owner));
    }
    FineTuneResources {
        name: ft.name.clone(),
        first_job_name: naming::resource_name(i.stack, &ft.name, &identity),
        identity,
        attempt,
        retrain: ft.retrain,
        model_id: ft.model.entry.model_id.clone(),
        model_version: ft.model.entry.version.clone(),
        notes: ft.hyperparameters.notes.clone(),
        hyperparameters_set: ft.hyperparameters.set.clone(),
        training_job: job,
        model,
        repack,
    }
}

/// The unnamed training job of a fine-tune, reading its dataset's uploaded files.
fn training_job(
    i: &Inputs<'_>,
    ft: &BoundFineTune,
    datasets: &[DatasetObject],
) -> CreateTrainingJob {
    let uri = |channel: &str| {
        datasets
            .iter()
            .find(|d| d.dataset == ft.dataset && d.channel == channel)
            .map(|d| d.prefix_uri.as_str())
    };
    let output_path = format!("{}outputs/{}/", i.artifacts, ft.name);
    let inputs = TrainingInputs {
        region: i.region,
        role_arn: i.role_arn,
        output_path: &output_path,
        training_channel: &ft.training_channel,
        train_uri: uri("train").unwrap_or_default(),
        validation_uri: uri("validation"),
        instance_count: ft.instance_count,
        max_runtime_seconds: ft.max_runtime_seconds,
        accept_eula: ft.accept_eula,
    };
    requests::training_job(&ft.training, &ft.hyperparameters, &inputs)
}

/// An endpoint serving `model`: its config and the endpoint, named and tagged.
fn endpoint(
    ep: &BoundEndpoint,
    fine_tune: &str,
    model: &CreateModel,
    owner: &Ownership<'_>,
) -> EndpointResources {
    let mut config = requests::endpoint_config(model, &ep.hosting, ep.instance_count);
    naming::name_endpoint_config(&mut config, owner, &ep.name);
    let endpoint = naming::endpoint(&config, &ep.name, ep.protect, owner);
    let address = format!("endpoint.{}", ep.name);
    let guarded = (ep.rollout.as_ref())
        .map(|r| GuardedUpdate::of(r, &endpoint.endpoint_name, &owner.tags(&address)));
    EndpointResources {
        name: ep.name.clone(),
        fine_tune: fine_tune.to_string(),
        protect: ep.protect,
        endpoint_config: config,
        endpoint,
        gate: ep.gate.clone(),
        smoke: ep.smoke.clone(),
        guarded,
    }
}

pub(crate) mod naming;
mod role;

use role::managed_role;
pub(crate) use role::ACCOUNT_PLACEHOLDER;
pub(crate) use role::{managed_role_arn, managed_role_name};
