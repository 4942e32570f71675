//! A DescribeTrainingJob answer as sagetune's [`TrainingJob`]: its resources, channels,
//! final metrics (in SageMaker's shortest decimal form), times and metric definitions.

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;

use super::answers::{rfc3339, some, sorted};
use crate::cloud::{MetricDefinition, Tags, TrainingJob, TrainingStatus};

/// The job `name` as described, with its `status` and `tags` read already.
pub(super) fn training_job_of(
    name: &str,
    j: &DescribeTrainingJobOutput,
    status: TrainingStatus,
    tags: Tags,
) -> TrainingJob {
    let rc = j.resource_config();
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
        instance_count: rc
            .and_then(aws_sdk_sagemaker::types::ResourceConfig::instance_count)
            .unwrap_or(0)
            .max(0) as u32,
        volume_size_gb: rc
            .and_then(aws_sdk_sagemaker::types::ResourceConfig::volume_size_in_gb)
            .unwrap_or(0)
            .max(0) as u32,
        max_runtime_seconds: j
            .stopping_condition()
            .and_then(aws_sdk_sagemaker::types::StoppingCondition::max_runtime_in_seconds)
            .unwrap_or(0)
            .max(0) as u64,
        channels: j
            .input_data_config()
            .iter()
            .filter_map(|c| {
                let uri = some(c.data_source()?.s3_data_source()?.s3_uri())?;
                Some((some(c.channel_name())?, uri))
            })
            .collect(),
        environment: sorted(j.environment()),
        output_path: j
            .output_data_config()
            .and_then(|o| some(o.s3_output_path()))
            .unwrap_or_default(),
        model_artifacts: j
            .model_artifacts()
            .and_then(|m| some(m.s3_model_artifacts())),
        final_metrics: j
            .final_metric_data_list()
            .iter()
            // SageMaker reports f32; keep its shortest decimal form (4.48, not 4.480000019…).
            .filter_map(|m| {
                let value = m.value()?.to_string().parse().ok()?;
                Some((m.metric_name()?.to_string(), value))
            })
            .collect(),
        billable_seconds: j.billable_time_in_seconds().map(|s| s.max(0) as u64),
        started_at: j.training_start_time().and_then(rfc3339),
        ended_at: j.training_end_time().and_then(rfc3339),
        created_at: j.creation_time().and_then(rfc3339),
        metric_definitions: j
            .algorithm_specification()
            .map(aws_sdk_sagemaker::types::AlgorithmSpecification::metric_definitions)
            .unwrap_or_default()
            .iter()
            .map(|d| MetricDefinition {
                name: d.name().unwrap_or_default().to_string(),
                regex: d.regex().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}
