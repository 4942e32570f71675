//! The stack's status: what it has in AWS now (only objects carrying its stack tag) —
//! training jobs with status and final metrics, models, endpoint configs, endpoints and the
//! config each serves, the managed role. Read-only, plain data.

use serde::Serialize;

use crate::cloud::{
    Alarm, CloudError, CloudRead, Endpoint, EndpointConfig, Model, PendingUpload, Role, Tags,
    TrainingJob,
};
use crate::desired::naming::TAG_STACK;
use crate::desired::Desired;
use crate::prices::{price, prices_as_of};

use super::{describe_jobs, observe};

/// The stack's objects (only those carrying its stack tag); jobs by name, later runs first.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) artifacts: String,
    pub training_jobs: Vec<TrainingJob>,
    pub(crate) models: Vec<Model>,
    pub(crate) endpoint_configs: Vec<EndpointConfig>,
    pub(crate) endpoints: Vec<Endpoint>,
    /// The rollback alarms of guarded updates (CloudWatch), with their state.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) alarms: Vec<Alarm>,
    pub(crate) role: Option<Role>,
    /// Uploads an interrupted run left under the stack's datasets (apply aborts them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interrupted_uploads: Vec<PendingUpload>,
    /// What each finished training job cost, from its billable seconds and the price table.
    pub(crate) training_costs: Vec<JobCost>,
    /// The sum in USD of the costs that are known.
    pub(crate) training_total_usd: f64,
    /// Jobs without a known cost (still running, or a type the price table lacks).
    pub(crate) unpriced_jobs: usize,
    /// The date of the prices used.
    pub(crate) prices_as_of: String,
}

/// The actual cost of one training job: billable seconds × instances × the hourly price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobCost {
    pub(crate) job: String,
    pub(crate) instance_type: String,
    pub(crate) instance_count: u32,
    /// Training time, from start to end, in seconds (`None` while running or unknown).
    pub(crate) duration_seconds: Option<u64>,
    pub(crate) billable_seconds: Option<u64>,
    /// USD per instance-hour; `None` when the price table does not have the type.
    pub(crate) hourly_usd: Option<f64>,
    pub(crate) usd: Option<f64>,
}

impl JobCost {
    /// The cost of `job` in `region`.
    pub(crate) fn of(job: &TrainingJob, region: &str) -> Self {
        let hourly_usd = price(region, &job.instance_type);
        let duration_seconds = match (&job.started_at, &job.ended_at) {
            (Some(a), Some(b)) => {
                let parse = |t: &str| humantime::parse_rfc3339_weak(t).ok();
                match (parse(a), parse(b)) {
                    (Some(a), Some(b)) => b.duration_since(a).ok().map(|d| d.as_secs()),
                    _ => None,
                }
            }
            _ => None,
        };
        let usd = match (job.billable_seconds, hourly_usd) {
            (Some(s), Some(p)) => Some(s as f64 / 3600.0 * f64::from(job.instance_count) * p),
            _ => None,
        };
        Self {
            job: job.name.clone(),
            instance_type: job.instance_type.clone(),
            instance_count: job.instance_count,
            duration_seconds,
            billable_seconds: job.billable_seconds,
            hourly_usd,
            usd,
        }
    }
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
    let costs: Vec<JobCost> = jobs
        .iter()
        .map(|j| JobCost::of(j, &desired.region))
        .collect();
    let total: f64 = costs.iter().filter_map(|c| c.usd).sum();
    let unpriced = costs.iter().filter(|c| c.usd.is_none()).count();
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
        alarms: seen
            .alarms
            .into_values()
            .filter(|a| owned(&a.tags))
            .collect(),
        role: seen.role.filter(|r| owned(&r.tags)),
        interrupted_uploads: seen.pending_uploads,
        training_costs: costs,
        training_total_usd: total,
        unpriced_jobs: unpriced,
        prices_as_of: prices_as_of().to_string(),
    })
}
