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
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// CreateTrainingJob, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTrainingJob {
    pub training_job_name: String,
    pub role_arn: String,
    pub algorithm_specification: AlgorithmSpecification,
    pub hyper_parameters: IndexMap<String, String>,
    pub input_data_config: Vec<Channel>,
    pub output_data_config: OutputDataConfig,
    pub resource_config: ResourceConfig,
    pub stopping_condition: StoppingCondition,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, String>,
    pub enable_network_isolation: bool,
    pub enable_inter_container_traffic_encryption: bool,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlgorithmSpecification {
    pub training_image: String,
    pub training_input_mode: String,
    pub metric_definitions: Vec<MetricDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Channel {
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    pub data_source: DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    #[serde(rename = "S3DataSource")]
    pub s3_data_source: S3DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3DataSource {
    #[serde(rename = "S3DataType")]
    pub s3_data_type: String,
    #[serde(rename = "S3Uri")]
    pub s3_uri: String,
    #[serde(rename = "S3DataDistributionType")]
    pub s3_data_distribution_type: String,
    #[serde(
        rename = "ModelAccessConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub model_access_config: Option<ModelAccessConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelAccessConfig {
    #[serde(rename = "AcceptEula")]
    pub accept_eula: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputDataConfig {
    #[serde(rename = "S3OutputPath")]
    pub s3_output_path: String,
    #[serde(
        rename = "CompressionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compression_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceConfig {
    #[serde(rename = "VolumeSizeInGB")]
    pub volume_size_in_gb: u32,
    #[serde(rename = "InstanceCount")]
    pub instance_count: u32,
    #[serde(rename = "InstanceType")]
    pub instance_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppingCondition {
    #[serde(rename = "MaxRuntimeInSeconds")]
    pub max_runtime_in_seconds: u64,
}

/// CreateModel, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateModel {
    pub model_name: String,
    pub execution_role_arn: String,
    pub primary_container: ContainerDefinition,
    pub enable_network_isolation: bool,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_source: Option<ModelDataSource>,
    pub environment: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDataSource {
    #[serde(rename = "S3DataSource")]
    pub s3_data_source: ModelS3DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelS3DataSource {
    #[serde(rename = "S3Uri")]
    pub s3_uri: String,
    #[serde(rename = "S3DataType")]
    pub s3_data_type: String,
    #[serde(rename = "CompressionType")]
    pub compression_type: String,
}

/// CreateEndpointConfig, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEndpointConfig {
    pub endpoint_config_name: String,
    pub production_variants: Vec<ProductionVariant>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductionVariant {
    pub variant_name: String,
    pub model_name: String,
    pub initial_variant_weight: f64,
    pub initial_instance_count: u32,
    pub instance_type: String,
    #[serde(
        rename = "VolumeSizeInGB",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size_in_gb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_download_timeout_in_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_startup_health_check_timeout_in_seconds: Option<u64>,
}

/// CreateEndpoint, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEndpoint {
    pub endpoint_name: String,
    pub endpoint_config_name: String,
    pub tags: Vec<Tag>,
}

/// Script-mode hosting: the training output must be repacked with the inference code
/// before CreateModel (the SDK's `repack_model`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repack {
    pub model_artifact: String,
    pub inference_code: String,
    pub target: String,
}
