//! A training job in the SDK's shapes both ways: the CreateTrainingJob request's parts from
//! sagetune's request, and a DescribeTrainingJob answer as sagetune's [`TrainingJob`] (its
//! resources, channels, final metrics in SageMaker's shortest decimal form, times and metric
//! definitions).

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types as sm;

use super::answers::{rfc3339, some, sorted};
use crate::cloud::requests::{Channel, CreateTrainingJob};
use crate::cloud::{MetricDefinition, Tags, TrainingJob, TrainingStatus};

/// The job `name` as described, with its `status` and `tags` read already.
pub(super) fn training_job_of(
    name: &str,
    j: &DescribeTrainingJobOutput,
    status: TrainingStatus,
    tags: Tags,
) -> TrainingJob {
    let rc = j.resource_config();
    let count = |v: Option<i32>| v.unwrap_or(0).max(0) as u32;
    TrainingJob {
        name: name.to_string(),
        status,
        secondary_status: j.secondary_status().map(|s| s.as_str().to_string()),
        failure_reason: some(j.failure_reason()),
        tags,
        hyper_parameters: sorted(j.hyper_parameters()),
        training_image: j
            .algorithm_specification()
            .and_then(|a| a.training_image())
            .unwrap_or_default()
            .to_string(),
        instance_type: rc
            .and_then(|r| r.instance_type())
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        instance_count: count(rc.and_then(sm::ResourceConfig::instance_count)),
        volume_size_gb: count(rc.and_then(sm::ResourceConfig::volume_size_in_gb)),
        max_runtime_seconds: u64::from(count(
            j.stopping_condition()
                .and_then(sm::StoppingCondition::max_runtime_in_seconds),
        )),
        channels: channels(j),
        environment: sorted(j.environment()),
        output_path: j
            .output_data_config()
            .and_then(|o| some(o.s3_output_path()))
            .unwrap_or_default(),
        model_artifacts: j
            .model_artifacts()
            .and_then(|m| some(m.s3_model_artifacts())),
        final_metrics: final_metrics(j),
        billable_seconds: j.billable_time_in_seconds().map(|s| s.max(0) as u64),
        started_at: j.training_start_time().and_then(rfc3339),
        ended_at: j.training_end_time().and_then(rfc3339),
        created_at: j.creation_time().and_then(rfc3339),
        metric_definitions: (j.algorithm_specification())
            .map(sm::AlgorithmSpecification::metric_definitions)
            .unwrap_or_default()
            .iter()
            .map(|d| MetricDefinition {
                name: d.name().unwrap_or_default().to_string(),
                regex: d.regex().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}

/// A job's input channels: name → S3 URI.
fn channels(j: &DescribeTrainingJobOutput) -> std::collections::BTreeMap<String, String> {
    (j.input_data_config().iter())
        .filter_map(|c| {
            let uri = some(c.data_source()?.s3_data_source()?.s3_uri())?;
            Some((some(c.channel_name())?, uri))
        })
        .collect()
}

/// A job's final metrics. SageMaker reports f32; each keeps its shortest decimal form (4.48,
/// not 4.480000019…).
fn final_metrics(j: &DescribeTrainingJobOutput) -> std::collections::BTreeMap<String, f64> {
    (j.final_metric_data_list().iter())
        .filter_map(|m| {
            let value = m.value()?.to_string().parse().ok()?;
            Some((m.metric_name()?.to_string(), value))
        })
        .collect()
}

/// The algorithm: image, input mode and the metric definitions.
pub(super) fn algorithm(r: &CreateTrainingJob) -> sm::AlgorithmSpecification {
    let a = &r.algorithm_specification;
    let metrics = (a.metric_definitions.iter())
        .map(|m| {
            sm::MetricDefinition::builder()
                .name(&m.name)
                .regex(&m.regex)
                .build()
        })
        .collect::<Vec<_>>();
    sm::AlgorithmSpecification::builder()
        .training_image(&a.training_image)
        .training_input_mode(sm::TrainingInputMode::from(a.training_input_mode.as_str()))
        .set_metric_definitions(Some(metrics))
        .build()
}

/// One input channel read from S3.
pub(super) fn channel(c: &Channel) -> sm::Channel {
    let s = &c.data_source.s3_data_source;
    let access = |accept_eula| {
        sm::ModelAccessConfig::builder()
            .accept_eula(accept_eula)
            .build()
    };
    let source = sm::S3DataSource::builder()
        .s3_data_type(sm::S3DataType::from(s.s3_data_type.as_str()))
        .s3_uri(&s.s3_uri)
        .s3_data_distribution_type(sm::S3DataDistribution::from(
            s.s3_data_distribution_type.as_str(),
        ))
        .set_model_access_config(s.model_access_config.map(|m| access(m.accept_eula)))
        .build();
    sm::Channel::builder()
        .channel_name(&c.channel_name)
        .set_content_type(c.content_type.clone())
        .set_input_mode(c.input_mode.as_deref().map(sm::TrainingInputMode::from))
        .data_source(sm::DataSource::builder().s3_data_source(source).build())
        .build()
}

/// Output, instances and the runtime bound.
pub(super) fn output_and_resources(
    r: &CreateTrainingJob,
) -> (
    sm::OutputDataConfig,
    sm::ResourceConfig,
    sm::StoppingCondition,
) {
    let compression =
        (r.output_data_config.compression_type.as_deref()).map(sm::OutputCompressionType::from);
    let output = sm::OutputDataConfig::builder()
        .s3_output_path(&r.output_data_config.s3_output_path)
        .set_compression_type(compression)
        .build();
    let rc = &r.resource_config;
    let resources = sm::ResourceConfig::builder()
        .volume_size_in_gb(rc.volume_size_in_gb as i32)
        .instance_count(rc.instance_count as i32)
        .instance_type(sm::TrainingInstanceType::from(rc.instance_type.as_str()))
        .build();
    let stopping = sm::StoppingCondition::builder()
        .max_runtime_in_seconds(r.stopping_condition.max_runtime_in_seconds as i32)
        .build();
    (output, resources, stopping)
}
