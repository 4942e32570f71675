//! The boundary to AWS: a narrow trait in sagetune's terms ([`Cloud`]), its AWS
//! implementation (`aws/`, the only code that imports `aws_sdk_*`) and an in-memory fake
//! with SageMaker's lifecycles for tests (compiled only for tests: the `fake` feature, which
//! the test suite turns on, never the release binary). No SDK type crosses this module.

mod aws;
mod error;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub(crate) mod requests;
mod types;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub(crate) use aws::S3ContentStore;
pub use aws::{hosting_instance_types, training_instance_types, AwsCloud};
pub use error::CloudError;
pub(crate) use error::{classify, ErrorClass};
pub use types::*;

use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};

/// `s3://bucket/prefix/` → (`bucket`, `prefix/`).
pub(crate) fn split_s3(uri: &str) -> (&str, &str) {
    let rest = uri.strip_prefix("s3://").unwrap_or(uri);
    rest.split_once('/').unwrap_or((rest, ""))
}

/// AWS settings from the command line; the rest comes from the standard configuration chain
/// (profiles, environment, `AWS_ENDPOINT_URL` and the per-service endpoint variables).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// A local file to store at `bucket/key`, with the hash S3 must verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// Rows of a dataset file, stored as `sagetune-rows` metadata so later plans can show how
    /// the data changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// For a derived file (the chosen text column alone), how apply makes it at `path` right
    /// before the upload; validation only hashed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derive_from: Option<DeriveFrom>,
}

/// The user's file a derived upload is made from, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeriveFrom {
    /// The user's data file.
    pub source: PathBuf,
    /// Its format: `csv`, `json` or `jsonl`.
    pub format: String,
    /// The column whose text is uploaded as `text`.
    pub column: String,
}

/// An IAM role sagetune manages: trust policy, one inline policy, tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRequest {
    pub role_name: String,
    pub trust_policy: String,
    pub policy_name: String,
    pub policy_document: String,
    pub tags: Vec<Tag>,
    /// The managed policy that bounds the role (its permissions boundary), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
}

/// Reads one object of JumpStart content; shared by the threads that fetch specs at once.
pub trait ContentStore: Sync {
    /// The bytes of `key` in `bucket`.
    fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, CloudError>;
}

/// Everything sagetune reads from AWS (all `plan` needs). Reads return `Ok(None)` for
/// absent objects; every method is blocking and safe to call from several threads at once.
pub trait CloudRead: Send + Sync {
    /// HEAD of an object, with its `sagetune-sha256` metadata.
    fn head_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, CloudError>;
    /// Every object under a prefix (no hash: listings do not carry metadata); `None` when
    /// the bucket does not exist, so one listing also says whether it does.
    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<StoredObject>>, CloudError>;
    /// Multipart uploads under a prefix that were neither completed nor aborted.
    fn list_pending_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<PendingUpload>, CloudError>;
    /// A small object read whole (the state lock).
    fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Blob>, CloudError>;
    /// Training jobs whose name contains `fragment`, with their status.
    fn list_training_jobs(&self, fragment: &str) -> Result<Vec<JobSummary>, CloudError>;
    /// Names of models, endpoint configs or endpoints containing `fragment`.
    fn list_names(&self, kind: Kind, fragment: &str) -> Result<Vec<String>, CloudError>;
    fn describe_training_job(&self, name: &str) -> Result<Option<TrainingJob>, CloudError>;
    fn describe_model(&self, name: &str) -> Result<Option<Model>, CloudError>;
    fn describe_endpoint_config(&self, name: &str) -> Result<Option<EndpointConfig>, CloudError>;
    fn describe_endpoint(&self, name: &str) -> Result<Option<Endpoint>, CloudError>;
    /// The endpoint's status and config in one request, without its tags (`tags` empty).
    fn endpoint_status(&self, name: &str) -> Result<Option<Endpoint>, CloudError>;
    /// Every endpoint tagged `key` = `value`, with its status, config and tags, as SageMaker's
    /// `Search` shows them: 100 a page, and possibly moments behind DescribeEndpoint. Never
    /// `pending_config` (Search does not report it).
    fn search_endpoints(&self, key: &str, value: &str) -> Result<Vec<Endpoint>, CloudError>;
    fn get_role(&self, name: &str) -> Result<Option<Role>, CloudError>;
    /// CloudWatch alarms whose name starts with `prefix`, with their tags.
    fn list_alarms(&self, prefix: &str) -> Result<Vec<Alarm>, CloudError>;
    /// Names of the log streams in `group` that start with `prefix`, by name.
    fn log_streams(&self, group: &str, prefix: &str) -> Result<Vec<String>, CloudError>;
    /// One page of a log stream read forward from `from` (one GetLogEvents call).
    fn log_events(
        &self,
        group: &str,
        stream: &str,
        from: &LogCursor,
    ) -> Result<LogPage, CloudError>;
}

/// Everything sagetune does to AWS (what `apply` needs), on top of the reads.
pub trait Cloud: CloudRead {
    /// Uploads a file with `sagetune-sha256` metadata, verifying that hash from the bytes it
    /// sends (S3 checksums: SHA-256 for a single PUT, CRC32C per multipart part); `progress`
    /// receives the bytes sent so far.
    fn upload(&self, upload: &Upload, progress: &(dyn Fn(u64) + Sync)) -> Result<(), CloudError>;
    /// Writes a small object only if absent (`if_match: None`, `If-None-Match: *`) or
    /// unchanged since it was read (`If-Match: etag`); returns the new ETag.
    fn put_if(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        if_match: Option<&str>,
    ) -> Result<String, CloudError>;
    fn delete_object(&self, bucket: &str, key: &str) -> Result<(), CloudError>;
    /// Aborts a multipart upload, freeing its parts; `NotFound` when it is already gone.
    fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), CloudError>;
    /// Streams an object into a local file; returns its size.
    fn download(&self, bucket: &str, key: &str, to: &std::path::Path) -> Result<u64, CloudError>;
    /// Creates the role with its inline policy; returns the role's ARN.
    fn create_role(&self, role: &RoleRequest) -> Result<String, CloudError>;
    /// Replaces the role's inline policy.
    fn put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError>;
    /// Deletes the role's inline policies and the role.
    fn delete_role(&self, name: &str) -> Result<(), CloudError>;
    fn create_training_job(&self, request: &CreateTrainingJob) -> Result<(), CloudError>;
    fn stop_training_job(&self, name: &str) -> Result<(), CloudError>;
    fn create_model(&self, request: &CreateModel) -> Result<(), CloudError>;
    fn delete_model(&self, name: &str) -> Result<(), CloudError>;
    fn create_endpoint_config(&self, request: &CreateEndpointConfig) -> Result<(), CloudError>;
    fn delete_endpoint_config(&self, name: &str) -> Result<(), CloudError>;
    fn create_endpoint(&self, request: &CreateEndpoint) -> Result<(), CloudError>;
    /// Points the endpoint at another config; with `deployment`, as a guarded blue/green
    /// update that its alarms roll back.
    fn update_endpoint(
        &self,
        name: &str,
        config_name: &str,
        deployment: Option<&Deployment>,
    ) -> Result<(), CloudError>;
    /// Creates or replaces a CloudWatch alarm.
    fn put_alarm(&self, alarm: &AlarmRequest) -> Result<(), CloudError>;
    /// Deletes a CloudWatch alarm; `NotFound` when it is already gone.
    fn delete_alarm(&self, name: &str) -> Result<(), CloudError>;
    fn delete_endpoint(&self, name: &str) -> Result<(), CloudError>;
    /// Adds or replaces tags on an endpoint (SageMaker AddTags on its ARN).
    fn tag_endpoint(&self, name: &str, tags: &[Tag]) -> Result<(), CloudError>;
    /// Sends a request to a deployed model and returns its answer's body.
    fn invoke(&self, request: &Invocation) -> Result<Vec<u8>, CloudError>;
}
