//! sagetune's own view of AWS objects: what the planner and executor need to know, as plain
//! serializable data. Every SDK response is converted into these at the boundary; absence is
//! `None`, never an empty string.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A metric the training script logs, with the regex SageMaker uses to extract it (a spec's
/// and a training request's `MetricDefinitions`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct MetricDefinition {
    #[serde(rename = "Name")]
    pub(crate) name: String,
    #[serde(rename = "Regex")]
    pub(crate) regex: String,
}

/// Tags as a sorted map (AWS gives no order).
pub(crate) type Tags = BTreeMap<String, String>;

/// The four SageMaker object kinds sagetune manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    TrainingJob,
    Model,
    EndpointConfig,
    Endpoint,
}

/// An S3 object as HEAD sees it; `sha256` is the `sagetune-sha256` metadata when present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) size: u64,
    pub(crate) sha256: Option<String>,
    /// Rows of a dataset object, from its `sagetune-rows` metadata (HEAD only; uploads before
    /// sagetune recorded it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rows: Option<u64>,
    /// When it was last written (RFC 3339), as listings report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) modified: Option<String>,
}

/// A multipart upload that was started and neither completed nor aborted: its parts are
/// stored (and billed) but form no object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) upload_id: String,
    /// When it was started (RFC 3339), when S3 says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) initiated: Option<String>,
}

/// A training job's status (DescribeTrainingJob's `TrainingJobStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainingStatus {
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

impl TrainingStatus {
    /// Whether the job still runs (and bills).
    pub(crate) fn is_running(self) -> bool {
        matches!(self, Self::InProgress | Self::Stopping)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "InProgress",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Stopping => "Stopping",
            Self::Stopped => "Stopped",
        }
    }

    /// Parses the API's spelling; unknown values are `None`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Self::InProgress,
            Self::Completed,
            Self::Failed,
            Self::Stopping,
            Self::Stopped,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A training job as described, with what the planner diffs against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingJob {
    pub(crate) name: String,
    pub status: TrainingStatus,
    pub(crate) secondary_status: Option<String>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) tags: Tags,
    pub(crate) hyper_parameters: BTreeMap<String, String>,
    pub(crate) training_image: String,
    pub(crate) instance_type: String,
    pub(crate) instance_count: u32,
    pub(crate) volume_size_gb: u32,
    pub(crate) max_runtime_seconds: u64,
    /// Channel name → S3 URI.
    pub channels: BTreeMap<String, String>,
    pub(crate) environment: BTreeMap<String, String>,
    pub(crate) output_path: String,
    /// Where the trained model is, once the job completed.
    pub(crate) model_artifacts: Option<String>,
    /// Final metric values reported by the job.
    pub(crate) final_metrics: BTreeMap<String, f64>,
    /// Billable seconds, once known (wall-clock; SageMaker bills them per instance).
    pub(crate) billable_seconds: Option<u64>,
    /// When training started and ended (RFC 3339), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ended_at: Option<String>,
    /// When the job was created (RFC 3339): which run of a fine-tune is the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created_at: Option<String>,
    /// The regexes SageMaker applies to the job's log lines to extract its metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_definitions: Vec<MetricDefinition>,
}

/// A SageMaker model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) tags: Tags,
    pub(crate) image: String,
    /// `ModelDataUrl` or `ModelDataSource.S3DataSource.S3Uri`.
    pub model_data: Option<String>,
    pub(crate) environment: BTreeMap<String, String>,
}

/// One production variant of an endpoint config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub model_name: String,
    pub(crate) instance_type: String,
    pub(crate) instance_count: u32,
}

/// An endpoint config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConfig {
    pub(crate) name: String,
    pub(crate) tags: Tags,
    pub variants: Vec<Variant>,
}

/// An endpoint's status (DescribeEndpoint's `EndpointStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointStatus {
    Creating,
    Updating,
    SystemUpdating,
    RollingBack,
    InService,
    OutOfService,
    Deleting,
    Failed,
    UpdateRollbackFailed,
}

impl EndpointStatus {
    /// Whether SageMaker is still changing the endpoint.
    pub(crate) fn is_transitional(self) -> bool {
        matches!(
            self,
            Self::Creating | Self::Updating | Self::SystemUpdating | Self::RollingBack
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::SystemUpdating => "SystemUpdating",
            Self::RollingBack => "RollingBack",
            Self::InService => "InService",
            Self::OutOfService => "OutOfService",
            Self::Deleting => "Deleting",
            Self::Failed => "Failed",
            Self::UpdateRollbackFailed => "UpdateRollbackFailed",
        }
    }

    /// Parses the API's spelling; unknown values are `None`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Self::Creating,
            Self::Updating,
            Self::SystemUpdating,
            Self::RollingBack,
            Self::InService,
            Self::OutOfService,
            Self::Deleting,
            Self::Failed,
            Self::UpdateRollbackFailed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// An endpoint with the config it currently serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub name: String,
    pub tags: Tags,
    pub status: EndpointStatus,
    pub config_name: String,
    pub failure_reason: Option<String>,
    /// The config an update in progress is deploying (DescribeEndpoint's
    /// `PendingDeploymentSummary`); `None` when no update is under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_config: Option<String>,
}

/// An IAM role with its inline policies (name → document, as JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub(crate) arn: String,
    pub(crate) tags: Tags,
    pub trust_policy: String,
    pub inline_policies: BTreeMap<String, String>,
    /// The role's permissions boundary (a managed policy's ARN), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) permissions_boundary: Option<String>,
}

/// A training job as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub(crate) name: String,
    pub(crate) status: TrainingStatus,
}

/// A small object read whole, with its ETag for conditional writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub body: Vec<u8>,
    pub(crate) etag: String,
}

/// One line of a log stream: CloudWatch's timestamp (milliseconds since the epoch) and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogEvent {
    pub(crate) timestamp_ms: i64,
    pub(crate) message: String,
}

/// Where a read of a log stream begins: after the page that returned `token` (from the head
/// without one), never before `since_ms`. Both go with every read of the stream, as
/// SageMaker's SDK sends them: the token's position counts only the events from `since_ms` on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCursor {
    pub(crate) token: Option<String>,
    pub(crate) since_ms: Option<i64>,
}

/// Events read forward from a cursor; `next` continues after them (CloudWatch hands the
/// same token back while a stream has nothing new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    pub(crate) events: Vec<LogEvent>,
    pub(crate) next: Option<String>,
}

/// A request to a deployed model (SageMaker Runtime's InvokeEndpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub(crate) endpoint: String,
    pub(crate) content_type: String,
    pub(crate) accept: String,
    pub(crate) custom_attributes: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// A guarded endpoint update: how traffic moves (SageMaker's blue/green DeploymentConfig)
/// and the alarms that roll it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub(crate) rollout: RolloutPlan,
    pub(crate) alarms: Vec<String>,
}

/// A CloudWatch alarm as DescribeAlarms and ListTagsForResource show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub(crate) name: String,
    pub(crate) tags: Tags,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub(crate) state: String,
    /// The endpoint its `EndpointName` dimension names, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) endpoint: Option<String>,
}

/// A CloudWatch alarm on one metric of an endpoint's variant (PutMetricAlarm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRequest {
    pub(crate) name: String,
    /// In `AWS/SageMaker`: `Invocation5XXErrors`, `ModelLatency` (microseconds).
    pub(crate) metric: String,
    /// `Sum`, `Average`.
    pub(crate) statistic: String,
    /// The alarm fires when the statistic over one minute is greater than this.
    pub(crate) threshold: f64,
    pub(crate) endpoint: String,
    pub(crate) variant: String,
    pub(crate) tags: Vec<super::requests::Tag>,
}

/// How traffic moves in an update (SageMaker's TrafficRoutingConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub(crate) enum Traffic {
    AllAtOnce,
    Canary { percent: u32 },
    Linear { percent: u32 },
}

/// A rollout as plain data: what the plan records and apply sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RolloutPlan {
    pub(crate) traffic: Traffic,
    /// Seconds to watch the alarms after each shift.
    pub(crate) wait_seconds: u32,
    /// The model-latency alarm's threshold, in milliseconds.
    pub(crate) max_model_latency_ms: u64,
}
