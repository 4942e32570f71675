//! The pure builders of the SageMaker requests a fine-tune sends (CreateTrainingJob,
//! CreateModel, CreateEndpointConfig) from resolved settings, as the SageMaker Python SDK
//! would send them. They leave names and tags empty: `desired::naming` names each request
//! after its content. The request types are the cloud door's own (`cloud::requests`),
//! re-exported here.

use indexmap::IndexMap;

use super::hyperparameters::{quote, script_mode, Merged};
use super::settings::{BaseModel, Hosting, Training};

pub(crate) use crate::cloud::requests::{
    AlgorithmSpecification, Channel, ContainerDefinition, CreateEndpointConfig, CreateModel,
    CreateTrainingJob, DataSource, ModelAccessConfig, ModelDataSource, ModelS3DataSource,
    OutputDataConfig, ProductionVariant, Repack, ResourceConfig, S3DataSource, StoppingCondition,
};

/// The data and settings of one fine-tune that are not in the spec.
#[derive(Debug, Clone)]
pub(crate) struct TrainingInputs<'a> {
    pub(crate) region: &'a str,
    pub(crate) role_arn: &'a str,
    /// `s3://…/` under which SageMaker writes `<job>/output/`.
    pub(crate) output_path: &'a str,
    /// The channel the family's script reads (`train` or `training`).
    pub(crate) training_channel: &'a str,
    /// S3 prefixes of the uploaded data files.
    pub(crate) train_uri: &'a str,
    pub(crate) validation_uri: Option<&'a str>,
    pub(crate) instance_count: u32,
    pub(crate) max_runtime_seconds: u64,
    pub(crate) accept_eula: bool,
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

/// The job's input channels (data, base model, code) and its environment, which carries
/// the base model instead of a channel for families that read it from a variable.
fn channels_and_environment(
    t: &Training,
    inp: &TrainingInputs<'_>,
) -> (Vec<Channel>, IndexMap<String, String>) {
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
    (channels, environment)
}

/// The CreateTrainingJob request without its name and tags (see [`set_job_name`]).
pub(crate) fn training_job(
    t: &Training,
    hp: &Merged,
    inp: &TrainingInputs<'_>,
) -> CreateTrainingJob {
    let (input_data_config, environment) = channels_and_environment(t, inp);
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
    CreateTrainingJob {
        training_job_name: String::new(),
        role_arn: inp.role_arn.to_string(),
        algorithm_specification: AlgorithmSpecification {
            training_image: t.image.clone(),
            training_input_mode: "File".into(),
            metric_definitions: t.metrics.clone(),
        },
        hyper_parameters,
        input_data_config,
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
    }
}

/// Names a training job: the name, and the `sagemaker_job_name` hyperparameter the SDK sends
/// just before `sagemaker_region`.
pub(crate) fn set_job_name(job: &mut CreateTrainingJob, name: &str) {
    job.hyper_parameters
        .insert("sagemaker_job_name".into(), quote(name));
    if let Some(region) = job.hyper_parameters.shift_remove("sagemaker_region") {
        job.hyper_parameters
            .insert("sagemaker_region".into(), region);
    }
    job.training_job_name = name.to_string();
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

/// The CreateModel request for a named job's output, without its own name and tags, and the
/// repack of the model with an inference script when the hosting needs one.
pub(crate) fn model(job: &CreateTrainingJob, h: &Hosting) -> (CreateModel, Option<Repack>) {
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
    let m = CreateModel {
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
    (m, repack)
}

/// The CreateEndpointConfig request serving a named model, without its own name and tags.
pub(crate) fn endpoint_config(
    model: &CreateModel,
    h: &Hosting,
    instance_count: u32,
) -> CreateEndpointConfig {
    CreateEndpointConfig {
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
    }
}
