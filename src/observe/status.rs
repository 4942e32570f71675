//! The stack's status: what it has in AWS now (only objects carrying its stack tag) —
//! training jobs with status and final metrics, models, endpoint configs, endpoints and the
//! config each serves, the managed role. Read-only, plain data.

use serde::Serialize;

use crate::cloud::{
    CloudError, CloudRead, Endpoint, EndpointConfig, Model, PendingUpload, Role, Tags, TrainingJob,
};
use crate::desired::Desired;
use crate::jumpstart::requests::TAG_STACK;

use super::{describe_jobs, observe};

/// The stack's objects (only those carrying its stack tag); jobs by name, later runs first.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    pub region: String,
    pub artifacts: String,
    pub training_jobs: Vec<TrainingJob>,
    pub models: Vec<Model>,
    pub endpoint_configs: Vec<EndpointConfig>,
    pub endpoints: Vec<Endpoint>,
    pub role: Option<Role>,
    /// Uploads an interrupted run left under the stack's datasets (apply aborts them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interrupted_uploads: Vec<PendingUpload>,
}

/// Reads the stack's objects.
pub fn status(cloud: &dyn CloudRead, desired: &Desired) -> Result<Status, CloudError> {
    let seen = observe(cloud, desired)?;
    let names: Vec<String> = seen.job_list.keys().cloned().collect();
    let owned = |tags: &Tags| tags.get(TAG_STACK) == Some(&desired.stack);
    let mut jobs: Vec<TrainingJob> = describe_jobs(cloud, &names)?
        .into_iter()
        .filter(|j| owned(&j.tags))
        .collect();
    jobs.reverse();
    Ok(Status {
        stack: desired.stack.clone(),
        region: desired.region.clone(),
        artifacts: desired.artifacts.clone(),
        training_jobs: jobs,
        models: seen
            .models
            .into_values()
            .filter(|m| owned(&m.tags))
            .collect(),
        endpoint_configs: seen
            .endpoint_configs
            .into_values()
            .filter(|c| owned(&c.tags))
            .collect(),
        endpoints: seen
            .endpoints
            .into_values()
            .filter(|e| owned(&e.tags))
            .collect(),
        role: seen.role.filter(|r| owned(&r.tags)),
        interrupted_uploads: seen.pending_uploads,
    })
}
