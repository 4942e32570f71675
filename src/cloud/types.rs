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
    pub name: String,
    #[serde(rename = "Regex")]
    pub regex: String,
}

/// Tags as a sorted map (AWS gives no order).
pub type Tags = BTreeMap<String, String>;

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
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub sha256: Option<String>,
    /// Rows of a dataset object, from its `sagetune-rows` metadata (HEAD only; uploads before
    /// sagetune recorded it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// When it was last written (RFC 3339), as listings report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// A multipart upload that was started and neither completed nor aborted: its parts are
/// stored (and billed) but form no object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    /// When it was started (RFC 3339), when S3 says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated: Option<String>,
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

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "InProgress",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Stopping => "Stopping",
            Self::Stopped => "Stopped",
        }
    }

    /// Parses the API's spelling; unknown values are `None`.
    pub fn parse(s: &str) -> Option<Self> {
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
    pub name: String,
    pub status: TrainingStatus,
    pub secondary_status: Option<String>,
    pub failure_reason: Option<String>,
    pub tags: Tags,
    pub hyper_parameters: BTreeMap<String, String>,
    pub training_image: String,
    pub instance_type: String,
    pub instance_count: u32,
    pub volume_size_gb: u32,
    pub max_runtime_seconds: u64,
    /// Channel name → S3 URI.
    pub channels: BTreeMap<String, String>,
    pub environment: BTreeMap<String, String>,
    pub output_path: String,
    /// Where the trained model is, once the job completed.
    pub model_artifacts: Option<String>,
    /// Final metric values reported by the job.
    pub final_metrics: BTreeMap<String, f64>,
    /// Billable seconds, once known (wall-clock; SageMaker bills them per instance).
    pub billable_seconds: Option<u64>,
    /// When training started and ended (RFC 3339), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// When the job was created (RFC 3339): which run of a fine-tune is the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The regexes SageMaker applies to the job's log lines to extract its metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_definitions: Vec<MetricDefinition>,
}

/// A SageMaker model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub name: String,
    pub tags: Tags,
    pub image: String,
    /// `ModelDataUrl` or `ModelDataSource.S3DataSource.S3Uri`.
    pub model_data: Option<String>,
    pub environment: BTreeMap<String, String>,
}

/// One production variant of an endpoint config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub model_name: String,
    pub instance_type: String,
    pub instance_count: u32,
}

/// An endpoint config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConfig {
    pub name: String,
    pub tags: Tags,
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

    pub fn as_str(self) -> &'static str {
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
    pub fn parse(s: &str) -> Option<Self> {
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
    pub arn: String,
    pub tags: Tags,
    pub trust_policy: String,
    pub inline_policies: BTreeMap<String, String>,
    /// The role's permissions boundary (a managed policy's ARN), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
}

/// A training job as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub name: String,
    pub status: TrainingStatus,
}

/// A small object read whole, with its ETag for conditional writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub body: Vec<u8>,
    pub etag: String,
}

/// One line of a log stream: CloudWatch's timestamp (milliseconds since the epoch) and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub timestamp_ms: i64,
    pub message: String,
}

/// Where a read of a log stream begins: after the page that returned `token` (from the head
/// without one), never before `since_ms`. Both go with every read of the stream, as
/// SageMaker's SDK sends them: the token's position counts only the events from `since_ms` on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCursor {
    pub token: Option<String>,
    pub since_ms: Option<i64>,
}

/// Events read forward from a cursor; `next` continues after them (CloudWatch hands the
/// same token back while a stream has nothing new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    pub next: Option<String>,
}

/// A request to a deployed model (SageMaker Runtime's InvokeEndpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub endpoint: String,
    pub content_type: String,
    pub accept: String,
    pub custom_attributes: Option<String>,
    pub body: Vec<u8>,
}

/// A guarded endpoint update: how traffic moves (SageMaker's blue/green DeploymentConfig)
/// and the alarms that roll it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub rollout: RolloutPlan,
    pub alarms: Vec<String>,
}

/// A CloudWatch alarm as DescribeAlarms and ListTagsForResource show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub tags: Tags,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// The endpoint its `EndpointName` dimension names, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// A CloudWatch alarm on one metric of an endpoint's variant (PutMetricAlarm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRequest {
    pub name: String,
    /// In `AWS/SageMaker`: `Invocation5XXErrors`, `ModelLatency` (microseconds).
    pub metric: String,
    /// `Sum`, `Average`.
    pub statistic: String,
    /// The alarm fires when the statistic over one minute is greater than this.
    pub threshold: f64,
    pub endpoint: String,
    pub variant: String,
    pub tags: Vec<super::requests::Tag>,
}

/// How traffic moves in an update (SageMaker's TrafficRoutingConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Traffic {
    AllAtOnce,
    Canary { percent: u32 },
    Linear { percent: u32 },
}

/// A rollout as plain data: what the plan records and apply sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutPlan {
    pub traffic: Traffic,
    /// Seconds to watch the alarms after each shift.
    pub wait_seconds: u32,
    /// The model-latency alarm's threshold, in milliseconds.
    pub max_model_latency_ms: u64,
}
