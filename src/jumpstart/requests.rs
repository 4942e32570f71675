//! The pure builders of the four SageMaker requests (CreateTrainingJob, CreateModel,
//! CreateEndpointConfig, CreateEndpoint) from resolved settings, and the deterministic names
//! derived from what goes into each request. The request types are the cloud door's own
//! (`cloud::requests`), re-exported here.

use indexmap::IndexMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::hyperparameters::{quote, script_mode, Merged};
use super::settings::{BaseModel, Hosting, Training};

/// SageMaker's limit on resource names.
pub const MAX_NAME_LEN: usize = 63;
/// Tag keys sagetune owns.
pub const TAG_STACK: &str = "sagetune:stack";
pub const TAG_ADDRESS: &str = "sagetune:address";
pub const TAG_PROTECT: &str = "sagetune:protect";
/// On an endpoint: the endpoint config that last passed the endpoint's gate and smoke test
/// while this endpoint served it. Written by apply only after they pass, so an interrupted
/// promotion is found and finished by the next run.
pub const TAG_PASSED: &str = "sagetune:passed";
/// The JumpStart tags the SDK adds.
pub const TAG_JS_MODEL_ID: &str = "sagemaker-sdk:jumpstart-model-id";
pub const TAG_JS_MODEL_VERSION: &str = "sagemaker-sdk:jumpstart-model-version";

pub use crate::cloud::requests::{
    AlgorithmSpecification, Channel, ContainerDefinition, CreateEndpoint, CreateEndpointConfig,
    CreateModel, CreateTrainingJob, DataSource, ModelAccessConfig, ModelDataSource,
    ModelS3DataSource, OutputDataConfig, ProductionVariant, Repack, ResourceConfig, S3DataSource,
    StoppingCondition, Tag,
};

/// Who owns an object and what it is; becomes the first tags of every request.
#[derive(Debug, Clone)]
pub struct Ownership<'a> {
    pub stack: &'a str,
    pub model_id: &'a str,
    pub model_version: &'a str,
    pub user_tags: &'a IndexMap<String, String>,
}

impl Ownership<'_> {
    /// Stack and address tags, the user's tags, then the JumpStart tags.
    pub fn tags(&self, address: &str) -> Vec<Tag> {
        let tag = |k: &str, v: &str| Tag {
            key: k.to_string(),
            value: v.to_string(),
        };
        let mut tags = vec![tag(TAG_STACK, self.stack), tag(TAG_ADDRESS, address)];
        tags.extend(self.user_tags.iter().map(|(k, v)| tag(k, v)));
        tags.push(tag(TAG_JS_MODEL_ID, self.model_id));
        tags.push(tag(TAG_JS_MODEL_VERSION, self.model_version));
        tags
    }
}

/// The data and settings of one fine-tune that are not in the spec.
#[derive(Debug, Clone)]
pub struct TrainingInputs<'a> {
    pub fine_tune: &'a str,
    pub region: &'a str,
    pub role_arn: &'a str,
    /// `s3://…/` under which SageMaker writes `<job>/output/`.
    pub output_path: &'a str,
    /// The channel the family's script reads (`train` or `training`).
    pub training_channel: &'a str,
    /// S3 prefixes of the uploaded data files.
    pub train_uri: &'a str,
    pub validation_uri: Option<&'a str>,
    pub instance_count: u32,
    pub max_runtime_seconds: u64,
    pub retrain: u32,
    /// Which run of these inputs this is (1 unless earlier runs failed or were stopped).
    pub attempt: u32,
    pub accept_eula: bool,
}

fn s3_channel(name: &str, uri: &str) -> Channel {
    Channel {
        channel_name: name.to_string(),
        content_type: None,
        input_mode: None,
        data_source: DataSource {
            s3_data_source: S3DataSource {
                s3_data_type: "S3Prefix".into(),
                s3_uri: uri.to_string(),
                s3_data_distribution_type: "FullyReplicated".into(),
                model_access_config: None,
            },
        },
    }
}

/// The CreateTrainingJob request, named `<stack>-<fine_tune>-<hash10>` after its own content.
pub(crate) fn training_job(
    t: &Training,
    hp: &Merged,
    inp: &TrainingInputs<'_>,
    owner: &Ownership<'_>,
) -> CreateTrainingJob {
    let mut channels = vec![s3_channel(inp.training_channel, inp.train_uri)];
    if let Some(v) = inp.validation_uri {
        channels.push(s3_channel("validation", v));
    }
    let mut environment = t.environment.clone();
    match &t.base_model {
        BaseModel::Channel { uri, gated } => {
            let mut c = s3_channel("model", uri);
            c.content_type = Some("application/x-sagemaker-model".into());
            c.input_mode = Some("File".into());
            if *gated {
                c.data_source.s3_data_source.model_access_config = Some(ModelAccessConfig {
                    accept_eula: inp.accept_eula,
                });
            }
            channels.push(c);
        }
        BaseModel::EnvVar { uri } => {
            if inp.accept_eula {
                environment.insert("accept_eula".into(), "true".into());
            }
            environment.insert("SageMakerGatedModelS3Uri".into(), uri.clone());
        }
    }
    if t.network_isolation {
        channels.push(s3_channel("code", &t.script_uri));
    }
    let mut hyper_parameters: IndexMap<String, String> = hp
        .values
        .iter()
        .map(|(k, v)| (k.clone(), quote(v)))
        .collect();
    hyper_parameters.extend(script_mode(
        &t.script_uri,
        t.network_isolation,
        "",
        inp.region,
    ));
    hyper_parameters.shift_remove("sagemaker_job_name");
    let mut job = CreateTrainingJob {
        training_job_name: String::new(),
        role_arn: inp.role_arn.to_string(),
        algorithm_specification: AlgorithmSpecification {
            training_image: t.image.clone(),
            training_input_mode: "File".into(),
            metric_definitions: t.metrics.clone(),
        },
        hyper_parameters,
        input_data_config: channels,
        output_data_config: OutputDataConfig {
            s3_output_path: inp.output_path.to_string(),
            compression_type: t.uncompressed_output.then(|| "NONE".to_string()),
        },
        resource_config: ResourceConfig {
            volume_size_in_gb: t.volume_size_gb,
            instance_count: inp.instance_count,
            instance_type: t.instance_type.clone(),
        },
        stopping_condition: StoppingCondition {
            max_runtime_in_seconds: inp.max_runtime_seconds,
        },
        environment,
        enable_network_isolation: t.network_isolation,
        enable_inter_container_traffic_encryption: t.encrypt_inter_container_traffic,
        tags: Vec::new(),
    };
    let identity = training_identity(&job, inp.retrain);
    let name = job_name(owner.stack, inp.fine_tune, &identity, inp.attempt);
    job.hyper_parameters
        .insert("sagemaker_job_name".into(), quote(&name));
    // Keep the SDK's order: sagemaker_job_name sits before sagemaker_region.
    if let Some(region) = job.hyper_parameters.shift_remove("sagemaker_region") {
        job.hyper_parameters
            .insert("sagemaker_region".into(), region);
    }
    job.training_job_name = name;
    job.tags = owner.tags(&format!("fine_tune.{}", inp.fine_tune));
    job
}

/// The identity of a training job: the hash of its canonical request without the name,
/// role and tags (which do not change what is trained), plus the `retrain` counter.
pub(crate) fn training_identity(job: &CreateTrainingJob, retrain: u32) -> String {
    let mut j = job.clone();
    j.training_job_name.clear();
    j.role_arn.clear();
    j.tags.clear();
    j.hyper_parameters.shift_remove("sagemaker_job_name");
    hash_of(&j, &format!("retrain={retrain}"))
}

/// Where the trained model lands, given the job's output settings.
pub(crate) fn model_artifact(job: &CreateTrainingJob) -> String {
    let base = format!(
        "{}{}/output/",
        job.output_data_config.s3_output_path, job.training_job_name
    );
    if job.output_data_config.compression_type.as_deref() == Some("NONE") {
        format!("{base}model/")
    } else {
        format!("{base}model.tar.gz")
    }
}

/// The CreateModel request for a job's output, named after the job, image and environment.
pub fn model(
    job: &CreateTrainingJob,
    h: &Hosting,
    fine_tune: &str,
    owner: &Ownership<'_>,
) -> (CreateModel, Option<Repack>) {
    let artifact = model_artifact(job);
    let uncompressed = artifact.ends_with('/');
    let repack = h.inference_script_uri.as_ref().map(|code| Repack {
        model_artifact: artifact.clone(),
        inference_code: code.clone(),
        target: format!(
            "{}{}/repacked/model.tar.gz",
            job.output_data_config.s3_output_path, job.training_job_name
        ),
    });
    let (model_data_url, model_data_source) = match (&repack, uncompressed) {
        (Some(r), _) => (Some(r.target.clone()), None),
        (None, false) => (Some(artifact), None),
        (None, true) => (
            None,
            Some(ModelDataSource {
                s3_data_source: ModelS3DataSource {
                    s3_uri: artifact,
                    s3_data_type: "S3Prefix".into(),
                    compression_type: "None".into(),
                },
            }),
        ),
    };
    let mut m = CreateModel {
        model_name: String::new(),
        execution_role_arn: job.role_arn.clone(),
        primary_container: ContainerDefinition {
            image: h.image.clone(),
            model_data_url,
            model_data_source,
            environment: h.environment.clone(),
        },
        enable_network_isolation: h.network_isolation,
        tags: Vec::new(),
    };
    let identity = hash_of(
        &m.primary_container,
        &format!("network_isolation={}", m.enable_network_isolation),
    );
    m.model_name = resource_name(owner.stack, fine_tune, &identity);
    m.tags = owner.tags(&format!("model.{fine_tune}"));
    (m, repack)
}

/// The CreateEndpointConfig request, named after its own content.
pub fn endpoint_config(
    model: &CreateModel,
    h: &Hosting,
    endpoint: &str,
    instance_count: u32,
    owner: &Ownership<'_>,
) -> CreateEndpointConfig {
    let mut c = CreateEndpointConfig {
        endpoint_config_name: String::new(),
        production_variants: vec![ProductionVariant {
            variant_name: "AllTraffic".into(),
            model_name: model.model_name.clone(),
            initial_variant_weight: 1.0,
            initial_instance_count: instance_count,
            instance_type: h.instance_type.clone(),
            volume_size_in_gb: h.volume_size_gb,
            model_data_download_timeout_in_seconds: h.model_data_download_timeout,
            container_startup_health_check_timeout_in_seconds: h
                .container_startup_health_check_timeout,
        }],
        tags: Vec::new(),
    };
    let identity = hash_of(&c.production_variants, "");
    c.endpoint_config_name = resource_name(owner.stack, endpoint, &identity);
    c.tags = owner.tags(&format!("endpoint_config.{endpoint}"));
    c
}

/// The CreateEndpoint request; the endpoint's name is stable (`<stack>-<endpoint>`).
pub fn endpoint(
    config: &CreateEndpointConfig,
    endpoint: &str,
    protect: bool,
    owner: &Ownership<'_>,
) -> CreateEndpoint {
    let mut tags = owner.tags(&format!("endpoint.{endpoint}"));
    if protect {
        tags.insert(
            2,
            Tag {
                key: TAG_PROTECT.into(),
                value: "true".into(),
            },
        );
    }
    CreateEndpoint {
        endpoint_name: format!("{}-{endpoint}", owner.stack),
        endpoint_config_name: config.endpoint_config_name.clone(),
        tags,
    }
}

/// `<stack>-<key>-<hash10>`, with `key` shortened (never the hash) to fit 63 characters.
pub(crate) fn resource_name(stack: &str, key: &str, identity: &str) -> String {
    name_with_tail(stack, key, &identity[..10.min(identity.len())])
}

/// The name of a training job's `attempt`-th run: the first is [`resource_name`], later
/// ones end `-<attempt>` (a failed job's name cannot be reused).
pub(crate) fn job_name(stack: &str, key: &str, identity: &str, attempt: u32) -> String {
    if attempt <= 1 {
        return resource_name(stack, key, identity);
    }
    let hash = &identity[..10.min(identity.len())];
    name_with_tail(stack, key, &format!("{hash}-{attempt}"))
}

/// What every run's name of fine-tune `key` starts with, before `-<hash>`: `<stack>-<key>`,
/// truncated as [`job_name`] does. Least-privilege patterns match `<base>-*` under the
/// fine-tune's own output folder.
pub fn job_name_base(stack: &str, key: &str) -> String {
    let named = name_with_tail(stack, key, "0123456789");
    named[..named.len() - 11].to_string()
}

/// `<stack>-<key>-<tail>`, the key truncated so the whole fits in 63 characters.
fn name_with_tail(stack: &str, key: &str, hash: &str) -> String {
    let room = MAX_NAME_LEN - hash.len() - 1;
    let mut base = format!("{stack}-{key}");
    if base.len() > room {
        base.truncate(room);
    }
    let base = base.trim_end_matches('-');
    format!("{base}-{hash}")
}

/// SHA-256 (hex) of a value's canonical JSON (object keys sorted) and an extra string.
pub(crate) fn hash_of<T: Serialize>(value: &T, extra: &str) -> String {
    let v = serde_json::to_value(value).expect("requests serialize");
    let mut h = Sha256::new();
    h.update(canonical_json(&v).as_bytes());
    h.update(b"\n");
    h.update(extra.as_bytes());
    crate::data::hex(&h.finalize())
}

/// JSON with object keys sorted at every level, no whitespace: the input of identity hashes.
pub(crate) fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).expect("keys serialize"),
                        canonical_json(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_keep_the_hash() {
        let id = "0123456789abcdef";
        assert_eq!(
            resource_name("finance", "gptj", id),
            "finance-gptj-0123456789"
        );
        let long = resource_name(&"s".repeat(24), &"f".repeat(38), id);
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("-0123456789"));
        let re = regex::Regex::new(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$").unwrap();
        assert!(re.is_match(&long));
        // Truncation never leaves a hyphen before the hash separator.
        let name = resource_name("abc", &format!("{}-{}", "x".repeat(47), "y"), id);
        assert!(!name.contains("--"), "{name}");
        assert!(re.is_match(&name));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": "x"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}"#
        );
    }
}
