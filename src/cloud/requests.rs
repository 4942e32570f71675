//! The SageMaker requests sagetune sends (CreateTrainingJob, CreateModel,
//! CreateEndpointConfig, CreateEndpoint) as plain serializable data in the API's own field
//! names: the cloud door's vocabulary. Built by `jumpstart::requests` and named by `desired::naming`, recorded in plans,
//! sent by the AWS adapter.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::types::MetricDefinition;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub(crate) key: String,
    #[serde(rename = "Value")]
    pub(crate) value: String,
}

/// CreateTrainingJob, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTrainingJob {
    pub training_job_name: String,
    pub(crate) role_arn: String,
    pub(crate) algorithm_specification: AlgorithmSpecification,
    pub(crate) hyper_parameters: IndexMap<String, String>,
    pub(crate) input_data_config: Vec<Channel>,
    pub(crate) output_data_config: OutputDataConfig,
    pub(crate) resource_config: ResourceConfig,
    pub(crate) stopping_condition: StoppingCondition,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) environment: IndexMap<String, String>,
    pub(crate) enable_network_isolation: bool,
    pub(crate) enable_inter_container_traffic_encryption: bool,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AlgorithmSpecification {
    pub(crate) training_image: String,
    pub(crate) training_input_mode: String,
    pub(crate) metric_definitions: Vec<MetricDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Channel {
    pub(crate) channel_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) input_mode: Option<String>,
    pub(crate) data_source: DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DataSource {
    #[serde(rename = "S3DataSource")]
    pub(crate) s3_data_source: S3DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3DataSource {
    #[serde(rename = "S3DataType")]
    pub(crate) s3_data_type: String,
    #[serde(rename = "S3Uri")]
    pub(crate) s3_uri: String,
    #[serde(rename = "S3DataDistributionType")]
    pub(crate) s3_data_distribution_type: String,
    #[serde(
        rename = "ModelAccessConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) model_access_config: Option<ModelAccessConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ModelAccessConfig {
    #[serde(rename = "AcceptEula")]
    pub(crate) accept_eula: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OutputDataConfig {
    #[serde(rename = "S3OutputPath")]
    pub(crate) s3_output_path: String,
    #[serde(
        rename = "CompressionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) compression_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResourceConfig {
    #[serde(rename = "VolumeSizeInGB")]
    pub(crate) volume_size_in_gb: u32,
    #[serde(rename = "InstanceCount")]
    pub(crate) instance_count: u32,
    #[serde(rename = "InstanceType")]
    pub(crate) instance_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoppingCondition {
    #[serde(rename = "MaxRuntimeInSeconds")]
    pub(crate) max_runtime_in_seconds: u64,
}

/// CreateModel, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateModel {
    pub(crate) model_name: String,
    pub(crate) execution_role_arn: String,
    pub(crate) primary_container: ContainerDefinition,
    pub(crate) enable_network_isolation: bool,
    pub(crate) tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerDefinition {
    pub(crate) image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model_data_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model_data_source: Option<ModelDataSource>,
    pub(crate) environment: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelDataSource {
    #[serde(rename = "S3DataSource")]
    pub(crate) s3_data_source: ModelS3DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelS3DataSource {
    #[serde(rename = "S3Uri")]
    pub(crate) s3_uri: String,
    #[serde(rename = "S3DataType")]
    pub(crate) s3_data_type: String,
    #[serde(rename = "CompressionType")]
    pub(crate) compression_type: String,
}

/// CreateEndpointConfig, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEndpointConfig {
    pub(crate) endpoint_config_name: String,
    pub(crate) production_variants: Vec<ProductionVariant>,
    pub(crate) tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProductionVariant {
    pub(crate) variant_name: String,
    pub(crate) model_name: String,
    pub(crate) initial_variant_weight: f64,
    pub(crate) initial_instance_count: u32,
    pub(crate) instance_type: String,
    #[serde(
        rename = "VolumeSizeInGB",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) volume_size_in_gb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model_data_download_timeout_in_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) container_startup_health_check_timeout_in_seconds: Option<u64>,
}

/// CreateEndpoint, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEndpoint {
    pub endpoint_name: String,
    pub endpoint_config_name: String,
    pub(crate) tags: Vec<Tag>,
}

/// Script-mode hosting: the training output must be repacked with the inference code
/// before CreateModel (the SDK's `repack_model`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Repack {
    pub(crate) model_artifact: String,
    pub(crate) inference_code: String,
    pub(crate) target: String,
}
