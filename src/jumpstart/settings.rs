//! From a model spec, a region and instance types to the concrete training and hosting
//! settings (images, script, base model, environment, defaults), as SDK v2.257.6 resolves
//! them. Pure: no I/O.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ResolveError;
use super::source::Buckets;
use super::spec::{
    instance_family, python_str, HyperparameterSpec, InstanceTypeVariants, MetricDefinition,
    ModelSpec,
};

/// The SDK's default `MaxRuntimeInSeconds` (24 h) when neither manifest nor spec sets one.
pub(crate) const DEFAULT_MAX_RUNTIME_SECONDS: u64 = 86_400;
/// The SDK's default training volume when the spec's size does not apply.
pub(crate) const DEFAULT_VOLUME_GB: u32 = 30;
/// The entry point of every JumpStart training script tarball.
pub(crate) const TRAINING_ENTRY_POINT: &str = "transfer_learning.py";

/// How the base model's weights reach the training container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BaseModel {
    /// An input channel `model`; gated artifacts carry `ModelAccessConfig.AcceptEula`.
    Channel { uri: String, gated: bool },
    /// The `SageMakerGatedModelS3Uri` environment variable (Llama 2 style), with `accept_eula`.
    EnvVar { uri: String },
}

/// Everything about the training job that comes from the spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Training {
    pub(crate) instance_type: String,
    pub(crate) image: String,
    pub(crate) script_uri: String,
    pub(crate) base_model: BaseModel,
    /// Variant environment variables (without the gated-model variables).
    pub(crate) environment: IndexMap<String, String>,
    /// Algorithm-scope hyperparameters with their spec (variant overrides applied), spec order.
    pub(crate) hyperparameters: Vec<HyperparameterSpec>,
    pub(crate) metrics: Vec<MetricDefinition>,
    pub(crate) volume_size_gb: u32,
    pub(crate) network_isolation: bool,
    pub(crate) encrypt_inter_container_traffic: bool,
    /// `disable_output_compression`: the job writes an uncompressed model folder.
    pub(crate) uncompressed_output: bool,
    /// The spec's `max_run`, if any.
    pub(crate) max_run_seconds: Option<u64>,
    /// Whether the spec accepts a validation channel.
    pub(crate) validation_supported: bool,
}

/// Everything about hosting a fine-tuned model that comes from the spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hosting {
    pub(crate) instance_type: String,
    pub(crate) image: String,
    pub(crate) environment: IndexMap<String, String>,
    pub(crate) model_data_download_timeout: Option<u64>,
    pub(crate) container_startup_health_check_timeout: Option<u64>,
    pub(crate) volume_size_gb: Option<u32>,
    pub(crate) network_isolation: bool,
    /// Script-mode hosting: the SDK repacks the inference code from this URI into the model.
    pub(crate) inference_script_uri: Option<String>,
}

/// The SDK's `volume_size_supported`: false for instance families with local NVMe storage.
pub(crate) fn volume_size_supported(instance_type: &str) -> bool {
    match instance_family(instance_type) {
        Some(f) => {
            !(f.contains('d') || ["g5", "g6", "p5", "trn1"].iter().any(|p| f.starts_with(p)))
        }
        None => false,
    }
}

fn choose_instance(
    spec: &ModelSpec,
    requested: Option<&str>,
    default: Option<&str>,
    supported: &[String],
    purpose: &'static str,
) -> Result<String, ResolveError> {
    let chosen = match requested.or(default) {
        Some(i) => i.to_string(),
        None => {
            return Err(ResolveError::NoDefaultInstance {
                model_id: spec.model_id.clone(),
                version: spec.version.clone(),
                purpose,
            })
        }
    };
    if !supported.is_empty() && !supported.contains(&chosen) {
        return Err(ResolveError::UnsupportedInstance {
            model_id: spec.model_id.clone(),
            version: spec.version.clone(),
            purpose,
            instance_type: chosen,
            supported: supported.to_vec(),
        });
    }
    Ok(chosen)
}

/// The spec's variants, or none at all (a spec without variants has no images).
fn variants_or_empty(v: &Option<InstanceTypeVariants>) -> &InstanceTypeVariants {
    static EMPTY: std::sync::OnceLock<InstanceTypeVariants> = std::sync::OnceLock::new();
    v.as_ref()
        .unwrap_or_else(|| EMPTY.get_or_init(InstanceTypeVariants::default))
}

/// The variant image for an instance type in a region, or the error naming what is missing.
fn image(
    spec: &ModelSpec,
    variants: &InstanceTypeVariants,
    instance_type: &str,
    region: &str,
    purpose: &'static str,
) -> Result<String, ResolveError> {
    variants
        .regional(instance_type, region, "image_uri")
        .ok_or_else(|| ResolveError::NoImage {
            model_id: spec.model_id.clone(),
            version: spec.version.clone(),
            purpose,
            instance_type: instance_type.to_string(),
            region: region.to_string(),
        })
}

fn string_map(map: serde_json::Map<String, Value>) -> IndexMap<String, String> {
    map.into_iter().map(|(k, v)| (k, python_str(&v))).collect()
}

/// Resolves the training side of `spec` for `region` and the requested instance type.
pub(crate) fn training(
    spec: &ModelSpec,
    region: &str,
    buckets: &Buckets,
    instance_type: Option<&str>,
) -> Result<Training, ResolveError> {
    let instance_type = choose_instance(
        spec,
        instance_type,
        spec.default_training_instance_type.as_deref(),
        &spec.supported_training_instance_types,
        "training",
    )?;
    let variants = variants_or_empty(&spec.training_instance_type_variants);
    let image = image(spec, variants, &instance_type, region, "training")?;
    let incomplete = || ResolveError::IncompleteSpec {
        model_id: spec.model_id.clone(),
        version: spec.version.clone(),
    };
    let script_key = spec
        .training_prepacked_script_key
        .as_deref()
        .or(spec.training_script_key.as_deref())
        .ok_or_else(incomplete)?;
    let script_uri = format!("s3://{}/{script_key}", buckets.content);

    let base_model =
        base_model(spec, variants, &instance_type, region, buckets).ok_or_else(incomplete)?;

    let (hyperparameters, metrics) = training_variables(spec, variants, &instance_type);
    let volume_size_gb = match spec.training_volume_size {
        Some(size) if volume_size_supported(&instance_type) => size,
        _ => DEFAULT_VOLUME_GB,
    };
    Ok(Training {
        environment: string_map(variants.merged_map(&instance_type, "environment_variables")),
        image,
        script_uri,
        base_model,
        hyperparameters,
        metrics,
        volume_size_gb,
        network_isolation: spec.training_enable_network_isolation,
        encrypt_inter_container_traffic: spec
            .estimator_bool("encrypt_inter_container_traffic")
            .unwrap_or(false),
        uncompressed_output: spec
            .estimator_bool("disable_output_compression")
            .unwrap_or(false),
        max_run_seconds: spec.estimator_u64("max_run"),
        validation_supported: spec.validation_supported.unwrap_or(true),
        instance_type,
    })
}

/// The algorithm hyperparameters and the metrics of a training instance type: the spec's,
/// with the instance variant's overriding or added.
fn training_variables(
    spec: &ModelSpec,
    variants: &InstanceTypeVariants,
    instance_type: &str,
) -> (Vec<HyperparameterSpec>, Vec<MetricDefinition>) {
    let mut hyperparameters: Vec<HyperparameterSpec> = spec
        .hyperparameters
        .iter()
        .filter(|h| h.is_algorithm())
        .cloned()
        .collect();
    for over in variants
        .merged_list::<HyperparameterSpec>(instance_type, "hyperparameters", |h| h.name.clone())
    {
        match hyperparameters.iter_mut().find(|h| h.name == over.name) {
            Some(existing) => *existing = over,
            None if over.is_algorithm() => hyperparameters.push(over),
            None => {}
        }
    }
    let mut metrics = spec.metrics.clone();
    for m in variants.merged_list::<MetricDefinition>(instance_type, "metrics", |m| m.name.clone())
    {
        if !metrics.iter().any(|e| e.name == m.name) {
            metrics.push(m);
        }
    }
    (hyperparameters, metrics)
}

/// The SDK's `use_training_model_artifact` decision and the artifact's URI.
fn base_model(
    spec: &ModelSpec,
    variants: &InstanceTypeVariants,
    instance_type: &str,
    region: &str,
    buckets: &Buckets,
) -> Option<BaseModel> {
    let gated_keys = variants.values_for(
        &spec.supported_training_instance_types,
        "gated_model_key_env_var_value",
    );
    let package_uris = spec
        .training_model_package_artifact_uris
        .clone()
        .unwrap_or_default();
    if gated_keys.is_empty() && package_uris.is_empty() {
        let key = variants
            .property(instance_type, "training_artifact_key")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| spec.training_artifact_key.clone())?;
        let bucket = if spec.gated_bucket {
            &buckets.gated
        } else {
            &buckets.content
        };
        return Some(BaseModel::Channel {
            uri: format!("s3://{bucket}/{key}"),
            gated: spec.gated_bucket,
        });
    }
    if !gated_keys.is_empty() {
        let own = variants
            .property(instance_type, "gated_model_key_env_var_value")
            .and_then(Value::as_str)
            .map(str::to_string);
        // With no value for this instance, the SDK uses the supported types' value when they
        // all share one; when they differ it sends nothing (sagetune refuses instead).
        let key = own.or_else(|| (gated_keys.len() == 1).then(|| gated_keys[0].clone()))?;
        return Some(BaseModel::EnvVar {
            uri: format!("s3://{}/{key}", buckets.gated),
        });
    }
    package_uris
        .get(region)
        .map(|uri| BaseModel::EnvVar { uri: uri.clone() })
}

/// The serving container's environment and, for script-mode hosting, the inference
/// script's URI (with the variables the SDK sets for it).
fn hosting_environment(
    spec: &ModelSpec,
    variants: &InstanceTypeVariants,
    instance_type: &str,
    region: &str,
    buckets: &Buckets,
) -> Result<(IndexMap<String, String>, Option<String>), ResolveError> {
    let mut environment: IndexMap<String, String> = spec
        .inference_environment_variables
        .iter()
        .filter(|e| e.required_for_model_class)
        .map(|e| {
            (
                e.name.clone(),
                e.default.as_ref().map(python_str).unwrap_or_default(),
            )
        })
        .collect();
    environment.extend(string_map(
        variants.merged_map(instance_type, "environment_variables"),
    ));
    let scripted = spec.hosting_use_script_uri.unwrap_or(false)
        && spec.hosting_prepacked_artifact_key.is_none();
    if !scripted {
        return Ok((environment, None));
    }
    let key = spec
        .hosting_script_key
        .as_deref()
        .ok_or_else(|| ResolveError::IncompleteSpec {
            model_id: spec.model_id.clone(),
            version: spec.version.clone(),
        })?;
    environment.insert("SAGEMAKER_PROGRAM".into(), "inference.py".into());
    environment.insert(
        "SAGEMAKER_SUBMIT_DIRECTORY".into(),
        "/opt/ml/model/code".into(),
    );
    environment.insert("SAGEMAKER_CONTAINER_LOG_LEVEL".into(), "20".into());
    environment.insert("SAGEMAKER_REGION".into(), region.to_string());
    Ok((environment, Some(format!("s3://{}/{key}", buckets.content))))
}

/// Resolves the hosting side of `spec`; `training_instance` lets newer specs map a
/// training instance to its default inference instance.
pub(crate) fn hosting(
    spec: &ModelSpec,
    region: &str,
    buckets: &Buckets,
    instance_type: Option<&str>,
    training_instance: &str,
) -> Result<Hosting, ResolveError> {
    let training_variants = variants_or_empty(&spec.training_instance_type_variants);
    let mapped_default = training_variants
        .property(training_instance, "default_inference_instance_type")
        .and_then(Value::as_str)
        .map(str::to_string);
    let default = mapped_default.or_else(|| spec.default_inference_instance_type.clone());
    let instance_type = choose_instance(
        spec,
        instance_type,
        default.as_deref(),
        &spec.supported_inference_instance_types,
        "hosting",
    )?;
    let variants = variants_or_empty(&spec.hosting_instance_type_variants);
    let image = image(spec, variants, &instance_type, region, "hosting")?;
    let (environment, inference_script_uri) =
        hosting_environment(spec, variants, &instance_type, region, buckets)?;
    Ok(Hosting {
        volume_size_gb: spec
            .inference_volume_size
            .filter(|_| volume_size_supported(&instance_type)),
        model_data_download_timeout: spec.deploy_u64("model_data_download_timeout"),
        container_startup_health_check_timeout: spec
            .deploy_u64("container_startup_health_check_timeout"),
        network_isolation: spec.inference_enable_network_isolation,
        instance_type,
        image,
        environment,
        inference_script_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_size_rule() {
        for (it, want) in [
            ("ml.p3.16xlarge", true),
            ("ml.m5.xlarge", true),
            ("ml.g5.12xlarge", false),
            ("ml.g6.xlarge", false),
            ("ml.p4d.24xlarge", false),
            ("ml.p3dn.24xlarge", false),
            ("ml.g4dn.12xlarge", false),
            ("ml.trn1.32xlarge", false),
            ("ml.p5.48xlarge", false),
            ("ml.inf2.xlarge", true),
        ] {
            assert_eq!(volume_size_supported(it), want, "{it}");
        }
    }
}
