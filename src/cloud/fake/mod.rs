//! An in-memory [`Cloud`] for tests: it keeps state, logs every call, refuses duplicate
//! names as SageMaker does, and moves jobs and endpoints through SageMaker's lifecycles one
//! step per `pace` describe calls. Failures, rollbacks and crashes are injected by tests.
//! Never used by the product. `knobs` holds what tests set and inspect, `read` and `write`
//! the two traits, the lifecycles and helpers stay here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use super::{
    Alarm, AlarmRequest, Blob, Cloud, CloudError, CloudRead, Deployment, Endpoint, EndpointConfig,
    EndpointStatus, Invocation, JobSummary, Kind, LogCursor, LogEvent, LogPage, Model,
    PendingUpload, Role, RoleRequest, StoredObject, Tags, TrainingJob, TrainingStatus, Upload,
    Variant,
};
use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};

/// The account every fake ARN uses.
pub(crate) const ACCOUNT: &str = "123456789012";

/// The secondary statuses a job goes through before it completes.
const JOB_STEPS: [&str; 4] = ["Starting", "Downloading", "Training", "Uploading"];

#[derive(Debug, Clone)]
struct Object {
    body: Vec<u8>,
    sha256: Option<String>,
    rows: Option<u64>,
    etag: String,
}

impl Object {
    /// A write time that orders objects as they were written: the fake's clock is its etag
    /// counter, one second per write.
    fn modified(&self) -> String {
        let n: u64 = self.etag.trim_matches('"').parse().unwrap_or(0);
        format!(
            "2026-01-01T{:02}:{:02}:{:02}Z",
            n / 3600 % 24,
            n / 60 % 60,
            n % 60
        )
    }
}

#[derive(Debug, Clone)]
struct Job {
    job: TrainingJob,
    step: usize,
    ticks: u32,
    /// `Some(reason)`: the job fails instead of completing.
    fails: Option<String>,
    /// Its log stream's lines (`<job>/algo-1-0`): one per step, an error line on failure.
    log: Vec<LogEvent>,
}

impl Job {
    fn say(&mut self, message: String) {
        let timestamp_ms = LOG_START_MS + self.log.len() as i64 * 1000;
        self.log.push(LogEvent {
            timestamp_ms,
            message,
        });
    }
}

/// When a fake job's log begins (its first line a second before); a line a second after.
const LOG_START_MS: i64 = 1_764_504_000_000;

/// The one log stream of a fake job.
fn stream_of(job: &str) -> String {
    format!("{job}/algo-1-0")
}

#[derive(Debug, Clone)]
struct Pending {
    target: String,
    previous: Option<String>,
    ticks: u32,
    fails: Option<String>,
}

#[derive(Debug, Clone)]
struct Ep {
    endpoint: Endpoint,
    pending: Option<Pending>,
}

#[derive(Debug, Default)]
struct State {
    buckets: BTreeSet<String>,
    objects: BTreeMap<(String, String), Object>,
    jobs: BTreeMap<String, Job>,
    models: BTreeMap<String, Model>,
    configs: BTreeMap<String, EndpointConfig>,
    endpoints: BTreeMap<String, Ep>,
    roles: BTreeMap<String, Role>,
    /// CloudWatch alarms by name.
    alarms: BTreeMap<String, Alarm>,
    calls: Vec<String>,
    next_etag: u64,
    /// Reasons for the next jobs to fail, in order.
    job_failures: VecDeque<String>,
    /// Reasons for the next endpoint updates to roll back.
    rollbacks: VecDeque<String>,
    /// CreateTrainingJob calls still to refuse as IAM does before a new role propagates.
    unassumable_role: usize,
    /// Writes allowed before every further write fails (a crash).
    writes_left: Option<usize>,
    /// Multipart uploads started and never completed or aborted: (bucket, key, upload id).
    pending_uploads: BTreeSet<(String, String, String)>,
    /// Status reads (DescribeTrainingJob, DescribeEndpoint) still to fail as a flaky network.
    failing_reads: usize,
    /// The next conditional PUT is stored, but its answer is lost: the caller sees what the
    /// SDK's retry of the same request sees (412).
    lose_next_put_answer: bool,
    /// The store does not implement ListMultipartUploads (as some S3-compatible stores).
    no_upload_listing: bool,
    no_search: bool,
    /// What Search answers while its index lags: the endpoints as they were (see
    /// `lag_search`).
    search_snapshot: Option<Vec<Endpoint>>,
    /// While set, every model answers with this error (a model that loads but cannot serve).
    invoke_error: Option<String>,
    pace: u32,
}

/// The fake cloud. Cheap to create; each test owns one.
#[derive(Debug)]
pub struct FakeCloud {
    state: Mutex<State>,
}

impl Default for FakeCloud {
    fn default() -> Self {
        Self::new()
    }
}

mod knobs;
mod read;
#[cfg(test)]
mod tests;
mod write;

impl FakeCloud {
    /// An empty account; jobs and endpoints advance one step per describe call.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                pace: 1,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, call: String) -> Result<std::sync::MutexGuard<'_, State>, CloudError> {
        let mut s = self.lock();
        let op = call.split(' ').next().unwrap_or("").to_string();
        s.calls.push(call);
        if let Some(left) = s.writes_left.as_mut() {
            if *left == 0 {
                return Err(CloudError::Transport {
                    operation: op,
                    message: "connection reset (injected crash)".into(),
                });
            }
            *left -= 1;
        }
        Ok(s)
    }

    fn read(&self, call: String) -> std::sync::MutexGuard<'_, State> {
        let mut s = self.lock();
        s.calls.push(call);
        s
    }

    /// A status read that may fail as injected by [`FakeCloud::fail_next_reads`]: only reads
    /// of something still changing (a wait's polls), never plan-time reads.
    fn status_read(
        &self,
        call: String,
        changing: impl Fn(&State) -> bool,
    ) -> Result<std::sync::MutexGuard<'_, State>, CloudError> {
        let op = call.split(' ').next().unwrap_or("").to_string();
        let mut s = self.read(call);
        if s.failing_reads > 0 && changing(&s) {
            s.failing_reads -= 1;
            return Err(CloudError::Transport {
                operation: op,
                message: "connection reset by peer (injected)".into(),
            });
        }
        Ok(s)
    }
}

fn is_write(op: &str) -> bool {
    !(op.starts_with("Describe")
        || op.starts_with("List")
        || op.starts_with("Head")
        || op.starts_with("Get")
        || op == "Search")
}

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

fn job_from_request(r: &CreateTrainingJob) -> TrainingJob {
    TrainingJob {
        name: r.training_job_name.clone(),
        status: TrainingStatus::InProgress,
        secondary_status: Some(JOB_STEPS[0].into()),
        failure_reason: None,
        tags: tags_of(&r.tags),
        hyper_parameters: r
            .hyper_parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        training_image: r.algorithm_specification.training_image.clone(),
        instance_type: r.resource_config.instance_type.clone(),
        instance_count: r.resource_config.instance_count,
        volume_size_gb: r.resource_config.volume_size_in_gb,
        max_runtime_seconds: r.stopping_condition.max_runtime_in_seconds,
        channels: r
            .input_data_config
            .iter()
            .map(|c| {
                (
                    c.channel_name.clone(),
                    c.data_source.s3_data_source.s3_uri.clone(),
                )
            })
            .collect(),
        environment: r
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        output_path: r.output_data_config.s3_output_path.clone(),
        model_artifacts: None,
        final_metrics: BTreeMap::new(),
        billable_seconds: None,
        started_at: Some(FAKE_START.to_string()),
        ended_at: None,
        created_at: Some(FAKE_START.to_string()),
        metric_definitions: r.algorithm_specification.metric_definitions.clone(),
    }
}

/// When every fake job starts; it ends 600 s later (deterministic for snapshots).
const FAKE_START: &str = "2026-11-30T12:00:00Z";

/// Completes a job: writes a small `model.tar.gz` and final metrics.
fn complete(
    objects: &mut BTreeMap<(String, String), Object>,
    job: &mut TrainingJob,
    etag: &mut u64,
) {
    let artifact = format!("{}{}/output/model.tar.gz", job.output_path, job.name);
    let (bucket, key) = crate::cloud::split_s3(&artifact);
    *etag += 1;
    objects.insert(
        (bucket.to_string(), key.to_string()),
        Object {
            body: crate::model_archive::archive(&[("config.json", b"{\"model_type\": \"fake\"}")]),
            sha256: None,
            rows: None,
            etag: format!("\"{etag}\""),
        },
    );
    job.model_artifacts = Some(artifact);
    job.final_metrics = BTreeMap::from([
        ("train_loss".to_string(), 1.25),
        ("eval_loss".to_string(), 1.5),
        ("eval_perplexity".to_string(), 4.48),
    ]);
    job.billable_seconds = Some(600);
    job.ended_at = Some("2026-11-30T12:10:00Z".to_string());
}

fn advance_all(s: &mut State) {
    let pace = s.pace;
    let State {
        jobs,
        objects,
        next_etag,
        endpoints,
        ..
    } = s;
    for j in jobs.values_mut() {
        advance_job(j, objects, next_etag, pace);
    }
    for e in endpoints.values_mut() {
        advance_endpoint(e, pace);
    }
}

fn advance_job(
    j: &mut Job,
    objects: &mut BTreeMap<(String, String), Object>,
    etag: &mut u64,
    pace: u32,
) {
    if !j.job.status.is_running() {
        return;
    }
    j.ticks += 1;
    if j.ticks < pace {
        return;
    }
    j.ticks = 0;
    if j.job.status == TrainingStatus::Stopping {
        j.job.status = TrainingStatus::Stopped;
        j.job.secondary_status = Some("Stopped".into());
        return;
    }
    j.step += 1;
    if j.step < JOB_STEPS.len() {
        if let (Some(reason), "Uploading") = (&j.fails, JOB_STEPS[j.step]) {
            let line = format!("ERROR: {reason}");
            j.say(line);
            j.job.status = TrainingStatus::Failed;
            j.job.secondary_status = Some("Failed".into());
            j.job.failure_reason = j.fails.clone();
            return;
        }
        j.job.secondary_status = Some(JOB_STEPS[j.step].into());
        j.say(format!(
            "{} (step {} of {})",
            JOB_STEPS[j.step],
            j.step + 1,
            JOB_STEPS.len()
        ));
        return;
    }
    j.say("Training job completed".into());
    j.job.status = TrainingStatus::Completed;
    j.job.secondary_status = Some("Completed".into());
    complete(objects, &mut j.job, etag);
}

fn advance_endpoint(e: &mut Ep, pace: u32) {
    let Some(p) = e.pending.as_mut() else {
        return;
    };
    p.ticks += 1;
    if p.ticks < pace {
        return;
    }
    let p = e.pending.take().expect("pending");
    e.endpoint.pending_config = None;
    match (p.fails, p.previous) {
        (None, _) => {
            e.endpoint.status = EndpointStatus::InService;
            e.endpoint.config_name = p.target;
            e.endpoint.failure_reason = None;
        }
        (Some(reason), Some(previous)) => {
            e.endpoint.status = EndpointStatus::InService;
            e.endpoint.config_name = previous;
            e.endpoint.failure_reason = Some(reason);
        }
        (Some(reason), None) => {
            e.endpoint.status = EndpointStatus::Failed;
            e.endpoint.failure_reason = Some(reason);
        }
    }
}

fn exists(operation: &str, name: &str) -> CloudError {
    CloudError::AlreadyExists {
        operation: operation.into(),
        name: name.into(),
    }
}

fn missing(operation: &str, what: &str) -> CloudError {
    CloudError::NotFound {
        operation: operation.into(),
        message: format!("Could not find {what}"),
    }
}
