//! An in-memory [`Cloud`] for tests: it keeps state, logs every call, refuses duplicate
//! names as SageMaker does, and moves jobs and endpoints through SageMaker's lifecycles one
//! step per `pace` describe calls. Failures, rollbacks and crashes are injected by tests.
//! Never used by the product.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use super::{
    Alarm, AlarmRequest, Blob, Cloud, CloudError, CloudRead, Deployment, Endpoint, EndpointConfig,
    EndpointStatus, Invocation, JobSummary, Kind, LogCursor, LogEvent, LogPage, Model,
    PendingUpload, Role, RoleRequest, StoredObject, Tags, TrainingJob, TrainingStatus, Upload,
    Variant,
};
use crate::jumpstart::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};

/// The account every fake ARN uses.
pub const ACCOUNT: &str = "123456789012";

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

    /// Creates a bucket.
    pub fn add_bucket(&self, bucket: &str) {
        self.lock().buckets.insert(bucket.to_string());
    }

    /// Describe calls per lifecycle step (at least 1).
    pub fn set_pace(&self, describes_per_step: u32) {
        self.lock().pace = describes_per_step.max(1);
    }

    /// The next training job created fails with `reason` instead of completing.
    pub fn fail_next_job(&self, reason: &str) {
        self.lock().job_failures.push_back(reason.to_string());
    }

    /// The next endpoint update rolls back silently: `InService` on the old config, with
    /// `reason` as the failure reason.
    pub fn roll_back_next_update(&self, reason: &str) {
        self.lock().rollbacks.push_back(reason.to_string());
    }

    /// The next `n` CreateTrainingJob calls fail as they do while IAM has not yet propagated a
    /// new role ("could not assume role").
    pub fn refuse_role_for(&self, n: usize) {
        self.lock().unassumable_role = n;
    }

    /// After `n` more successful writes, every write fails as if the network were gone.
    pub fn crash_after_writes(&self, n: usize) {
        self.lock().writes_left = Some(n);
    }

    /// The next `n` status reads of a running job or a changing endpoint (a wait's polls)
    /// fail as a flaky network does.
    pub fn fail_next_reads(&self, n: usize) {
        self.lock().failing_reads = n;
    }

    /// While `error` is set, every InvokeEndpoint answers `{"error": error}`.
    pub fn answer_with_error(&self, error: Option<&str>) {
        self.lock().invoke_error = error.map(str::to_string);
    }

    /// The next conditional PUT is stored but its answer is lost; the caller gets the answer
    /// the SDK's automatic retry of the same request would get (412 Precondition Failed).
    pub fn lose_next_put_answer(&self) {
        self.lock().lose_next_put_answer = true;
    }

    /// Leaves a multipart upload behind, as a crash after CreateMultipartUpload does; returns
    /// its upload id.
    pub fn seed_pending_upload(&self, bucket: &str, key: &str) -> String {
        let mut s = self.lock();
        s.next_etag += 1;
        let id = format!("upload-{}", s.next_etag);
        s.pending_uploads
            .insert((bucket.to_string(), key.to_string(), id.clone()));
        id
    }

    /// Writes succeed again.
    pub fn recover(&self) {
        self.lock().writes_left = None;
    }

    /// Every call so far, as `Operation target`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// Only the calls that change something.
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| is_write(c.split(' ').next().unwrap_or("")))
            .collect()
    }

    /// Forgets the call log.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Runs every job and endpoint transition to its end state.
    pub fn settle(&self) {
        let mut s = self.lock();
        for _ in 0..(JOB_STEPS.len() as u32 + 2) * s.pace.max(1) {
            advance_all(&mut s);
        }
    }

    /// Appends lines to an existing job's log stream (`<job>/algo-1-0`).
    pub fn write_log(&self, job: &str, lines: &[String]) {
        let mut s = self.lock();
        let j = s.jobs.get_mut(job).expect("a job to write the log of");
        for l in lines {
            j.say(l.clone());
        }
    }

    /// Seeds a training job as it would be after running to `status`.
    pub fn seed_job(
        &self,
        request: &CreateTrainingJob,
        status: TrainingStatus,
        reason: Option<&str>,
    ) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let mut job = job_from_request(request);
        job.status = status;
        job.failure_reason = reason.map(str::to_string);
        job.secondary_status = Some(status.as_str().to_string());
        if status == TrainingStatus::Completed {
            complete(&mut s.objects, &mut job, &mut s.next_etag);
        }
        s.jobs.insert(
            job.name.clone(),
            Job {
                job,
                step: 0,
                ticks: 0,
                fails: None,
                log: Vec::new(),
            },
        );
    }

    /// Seeds any endpoint.
    pub fn seed_endpoint(&self, endpoint: Endpoint) {
        self.lock().endpoints.insert(
            endpoint.name.clone(),
            Ep {
                endpoint,
                pending: None,
            },
        );
    }

    /// Seeds an S3 object.
    pub fn seed_object(&self, bucket: &str, key: &str, body: &[u8], sha256: Option<&str>) {
        let mut s = self.lock();
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            (bucket.to_string(), key.to_string()),
            Object {
                body: body.to_vec(),
                sha256: sha256.map(str::to_string),
                rows: None,
                etag,
            },
        );
    }

    /// Every object key in a bucket.
    pub fn object_keys(&self, bucket: &str) -> Vec<String> {
        self.lock()
            .objects
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Names of every object of a kind, sorted.
    pub fn names(&self, kind: Kind) -> Vec<String> {
        let s = self.lock();
        match kind {
            Kind::TrainingJob => s.jobs.keys().cloned().collect(),
            Kind::Model => s.models.keys().cloned().collect(),
            Kind::EndpointConfig => s.configs.keys().cloned().collect(),
            Kind::Endpoint => s.endpoints.keys().cloned().collect(),
        }
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
        || op.starts_with("Get"))
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

impl CloudRead for FakeCloud {
    fn bucket_exists(&self, bucket: &str) -> Result<bool, CloudError> {
        Ok(self
            .read(format!("HeadBucket {bucket}"))
            .buckets
            .contains(bucket))
    }

    fn head_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, CloudError> {
        let s = self.read(format!("HeadObject s3://{bucket}/{key}"));
        Ok(s.objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|o| StoredObject {
                bucket: bucket.into(),
                key: key.into(),
                size: o.body.len() as u64,
                sha256: o.sha256.clone(),
                rows: o.rows,
                modified: Some(o.modified()),
            }))
    }

    fn list_pending_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<PendingUpload>, CloudError> {
        let s = self.read(format!("ListMultipartUploads s3://{bucket}/{prefix}"));
        Ok(s.pending_uploads
            .iter()
            .filter(|(b, k, _)| b == bucket && k.starts_with(prefix))
            .map(|(b, k, id)| PendingUpload {
                bucket: b.clone(),
                key: k.clone(),
                upload_id: id.clone(),
                initiated: None,
            })
            .collect())
    }

    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<StoredObject>, CloudError> {
        let s = self.read(format!("ListObjectsV2 s3://{bucket}/{prefix}"));
        Ok(s.objects
            .iter()
            .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
            .map(|((b, k), o)| StoredObject {
                bucket: b.clone(),
                key: k.clone(),
                size: o.body.len() as u64,
                sha256: None,
                rows: None,
                modified: Some(o.modified()),
            })
            .collect())
    }

    fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Blob>, CloudError> {
        let s = self.read(format!("GetObject s3://{bucket}/{key}"));
        Ok(s.objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|o| Blob {
                body: o.body.clone(),
                etag: o.etag.clone(),
            }))
    }

    fn list_training_jobs(&self, fragment: &str) -> Result<Vec<JobSummary>, CloudError> {
        let s = self.read(format!("ListTrainingJobs {fragment}"));
        Ok(s.jobs
            .values()
            .filter(|j| j.job.name.contains(fragment))
            .map(|j| JobSummary {
                name: j.job.name.clone(),
                status: j.job.status,
            })
            .collect())
    }

    fn list_names(&self, kind: Kind, fragment: &str) -> Result<Vec<String>, CloudError> {
        let op = match kind {
            Kind::TrainingJob => "ListTrainingJobs",
            Kind::Model => "ListModels",
            Kind::EndpointConfig => "ListEndpointConfigs",
            Kind::Endpoint => "ListEndpoints",
        };
        drop(self.read(format!("{op} {fragment}")));
        Ok(self
            .names(kind)
            .into_iter()
            .filter(|n| n.contains(fragment))
            .collect())
    }

    fn describe_training_job(&self, name: &str) -> Result<Option<TrainingJob>, CloudError> {
        let mut s = self.status_read(format!("DescribeTrainingJob {name}"), |s| {
            s.jobs.get(name).is_some_and(|j| j.job.status.is_running())
        })?;
        let pace = s.pace;
        let State {
            jobs,
            objects,
            next_etag,
            ..
        } = &mut *s;
        Ok(jobs.get_mut(name).map(|j| {
            let seen = j.job.clone();
            advance_job(j, objects, next_etag, pace);
            seen
        }))
    }

    fn describe_model(&self, name: &str) -> Result<Option<Model>, CloudError> {
        Ok(self
            .read(format!("DescribeModel {name}"))
            .models
            .get(name)
            .cloned())
    }

    fn describe_endpoint_config(&self, name: &str) -> Result<Option<EndpointConfig>, CloudError> {
        Ok(self
            .read(format!("DescribeEndpointConfig {name}"))
            .configs
            .get(name)
            .cloned())
    }

    fn endpoint_status(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        // A plan-time read: it does not move an endpoint along as a status poll does.
        let s = self.read(format!("DescribeEndpoint {name}"));
        Ok(s.endpoints.get(name).map(|e| Endpoint {
            tags: Tags::new(),
            ..e.endpoint.clone()
        }))
    }

    fn describe_endpoint(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        let mut s = self.status_read(format!("DescribeEndpoint {name}"), |s| {
            s.endpoints
                .get(name)
                .is_some_and(|e| e.endpoint.status.is_transitional())
        })?;
        let pace = s.pace;
        Ok(s.endpoints.get_mut(name).map(|e| {
            let seen = e.endpoint.clone();
            advance_endpoint(e, pace);
            seen
        }))
    }

    fn get_role(&self, name: &str) -> Result<Option<Role>, CloudError> {
        Ok(self
            .read(format!("GetRole {name}"))
            .roles
            .get(name)
            .cloned())
    }

    fn list_alarms(&self, prefix: &str) -> Result<Vec<Alarm>, CloudError> {
        Ok(self
            .read(format!("DescribeAlarms {prefix}"))
            .alarms
            .values()
            .filter(|a| a.name.starts_with(prefix))
            .cloned()
            .collect())
    }

    fn log_streams(&self, _group: &str, prefix: &str) -> Result<Vec<String>, CloudError> {
        Ok(self
            .read(format!("DescribeLogStreams {prefix}"))
            .jobs
            .keys()
            .map(|j| stream_of(j))
            .filter(|s| s.starts_with(prefix))
            .collect())
    }

    fn log_events(
        &self,
        _group: &str,
        stream: &str,
        from: &LogCursor,
    ) -> Result<LogPage, CloudError> {
        let s = self.read(format!("GetLogEvents {stream}"));
        let Some(job) = s.jobs.keys().find(|j| stream_of(j) == stream) else {
            return Err(CloudError::NotFound {
                operation: "GetLogEvents".into(),
                message: format!("The specified log stream does not exist: {stream}"),
            });
        };
        let log = &s.jobs[job].log;
        // Positions count only the events from `since_ms` on, as CloudWatch's tokens do.
        let log: Vec<&LogEvent> = log
            .iter()
            .filter(|e| from.since_ms.is_none_or(|t| e.timestamp_ms >= t))
            .collect();
        let start = from
            .token
            .as_deref()
            .and_then(|t| t.strip_prefix("f/"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let events: Vec<LogEvent> = log.into_iter().skip(start).take(PAGE).cloned().collect();
        Ok(LogPage {
            next: Some(format!("f/{}", start + events.len())),
            events,
        })
    }
}

/// Events per GetLogEvents page (small, so tests see reads that take several pages).
const PAGE: usize = 50;

impl Cloud for FakeCloud {
    fn upload(&self, upload: &Upload, progress: &(dyn Fn(u64) + Sync)) -> Result<(), CloudError> {
        let body = std::fs::read(&upload.path).map_err(|e| CloudError::Transport {
            operation: "PutObject".into(),
            message: format!("cannot read {}: {e}", upload.path.display()),
        })?;
        let actual = crate::files::sha256_hex(&body);
        if actual != upload.sha256 {
            return Err(CloudError::Service {
                operation: "PutObject".into(),
                code: "BadDigest".into(),
                message: "the SHA-256 checksum does not match the content".into(),
            });
        }
        let mut s = self.write(format!("PutObject s3://{}/{}", upload.bucket, upload.key))?;
        if !s.buckets.contains(&upload.bucket) {
            return Err(missing("PutObject", &format!("bucket {}", upload.bucket)));
        }
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            (upload.bucket.clone(), upload.key.clone()),
            Object {
                body,
                sha256: Some(upload.sha256.clone()),
                rows: upload.rows,
                etag,
            },
        );
        drop(s);
        progress(upload.bytes);
        Ok(())
    }

    fn put_if(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        if_match: Option<&str>,
    ) -> Result<String, CloudError> {
        let mut s = self.write(format!("PutObject s3://{bucket}/{key}"))?;
        let id = (bucket.to_string(), key.to_string());
        let current = s.objects.get(&id).map(|o| o.etag.clone());
        let allowed = match (if_match, &current) {
            (None, None) => true,
            (Some(want), Some(have)) => want == have,
            _ => false,
        };
        if !allowed {
            return Err(CloudError::PreconditionFailed {
                operation: "PutObject".into(),
            });
        }
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            id,
            Object {
                body: body.to_vec(),
                sha256: None,
                rows: None,
                etag: etag.clone(),
            },
        );
        if std::mem::take(&mut s.lose_next_put_answer) {
            return Err(CloudError::PreconditionFailed {
                operation: "PutObject".into(),
            });
        }
        Ok(etag)
    }

    fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!(
            "AbortMultipartUpload s3://{bucket}/{key} {upload_id}"
        ))?;
        let id = (bucket.to_string(), key.to_string(), upload_id.to_string());
        if s.pending_uploads.remove(&id) {
            Ok(())
        } else {
            Err(missing("AbortMultipartUpload", upload_id))
        }
    }

    fn delete_object(&self, bucket: &str, key: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteObject s3://{bucket}/{key}"))?;
        s.objects.remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }

    fn download(&self, bucket: &str, key: &str, to: &std::path::Path) -> Result<u64, CloudError> {
        let s = self.read(format!("GetObject s3://{bucket}/{key}"));
        let o = s
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(|| missing("GetObject", &format!("s3://{bucket}/{key}")))?;
        std::fs::write(to, &o.body).map_err(|e| CloudError::Transport {
            operation: "GetObject".into(),
            message: e.to_string(),
        })?;
        Ok(o.body.len() as u64)
    }

    fn create_role(&self, role: &RoleRequest) -> Result<String, CloudError> {
        let mut s = self.write(format!("CreateRole {}", role.role_name))?;
        if s.roles.contains_key(&role.role_name) {
            return Err(exists("CreateRole", &role.role_name));
        }
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{}", role.role_name);
        s.roles.insert(
            role.role_name.clone(),
            Role {
                name: role.role_name.clone(),
                arn: arn.clone(),
                tags: tags_of(&role.tags),
                trust_policy: role.trust_policy.clone(),
                inline_policies: BTreeMap::from([(
                    role.policy_name.clone(),
                    role.policy_document.clone(),
                )]),
                permissions_boundary: role.permissions_boundary.clone(),
            },
        );
        Ok(arn)
    }

    fn put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        let mut s = self.write(format!("PutRolePolicy {}", role.role_name))?;
        let r = s
            .roles
            .get_mut(&role.role_name)
            .ok_or_else(|| missing("PutRolePolicy", &role.role_name))?;
        r.inline_policies
            .insert(role.policy_name.clone(), role.policy_document.clone());
        r.trust_policy = role.trust_policy.clone();
        if role.permissions_boundary.is_some() {
            r.permissions_boundary = role.permissions_boundary.clone();
        }
        Ok(())
    }

    fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteRole {name}"))?;
        s.roles.remove(name);
        Ok(())
    }

    fn create_training_job(&self, request: &CreateTrainingJob) -> Result<(), CloudError> {
        let name = &request.training_job_name;
        let mut s = self.write(format!("CreateTrainingJob {name}"))?;
        if s.jobs.contains_key(name) {
            return Err(exists("CreateTrainingJob", name));
        }
        if s.unassumable_role > 0 {
            s.unassumable_role -= 1;
            return Err(CloudError::Service {
                operation: "CreateTrainingJob".into(),
                code: "ValidationException".into(),
                message: format!("Could not assume role {}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.", request.role_arn),
            });
        }
        let fails = s.job_failures.pop_front();
        s.jobs.insert(
            name.clone(),
            Job {
                job: job_from_request(request),
                step: 0,
                ticks: 0,
                fails,
                log: vec![LogEvent {
                    timestamp_ms: LOG_START_MS - 1000,
                    message: format!("Starting the training job {name}"),
                }],
            },
        );
        Ok(())
    }

    fn stop_training_job(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("StopTrainingJob {name}"))?;
        let j = s
            .jobs
            .get_mut(name)
            .ok_or_else(|| missing("StopTrainingJob", name))?;
        if j.job.status == TrainingStatus::InProgress {
            j.job.status = TrainingStatus::Stopping;
            j.job.secondary_status = Some("Stopping".into());
        }
        Ok(())
    }

    fn create_model(&self, request: &CreateModel) -> Result<(), CloudError> {
        let name = &request.model_name;
        let mut s = self.write(format!("CreateModel {name}"))?;
        if s.models.contains_key(name) {
            return Err(exists("CreateModel", name));
        }
        let c = &request.primary_container;
        s.models.insert(
            name.clone(),
            Model {
                name: name.clone(),
                tags: tags_of(&request.tags),
                image: c.image.clone(),
                model_data: c.model_data_url.clone().or_else(|| {
                    c.model_data_source
                        .as_ref()
                        .map(|d| d.s3_data_source.s3_uri.clone())
                }),
                environment: c
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        );
        Ok(())
    }

    fn delete_model(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteModel {name}"))?;
        s.models
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteModel", name))
    }

    fn create_endpoint_config(&self, request: &CreateEndpointConfig) -> Result<(), CloudError> {
        let name = &request.endpoint_config_name;
        let mut s = self.write(format!("CreateEndpointConfig {name}"))?;
        if s.configs.contains_key(name) {
            return Err(exists("CreateEndpointConfig", name));
        }
        s.configs.insert(
            name.clone(),
            EndpointConfig {
                name: name.clone(),
                tags: tags_of(&request.tags),
                variants: request
                    .production_variants
                    .iter()
                    .map(|v| Variant {
                        model_name: v.model_name.clone(),
                        instance_type: v.instance_type.clone(),
                        instance_count: v.initial_instance_count,
                    })
                    .collect(),
            },
        );
        Ok(())
    }

    fn delete_endpoint_config(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteEndpointConfig {name}"))?;
        s.configs
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteEndpointConfig", name))
    }

    fn create_endpoint(&self, request: &CreateEndpoint) -> Result<(), CloudError> {
        let name = &request.endpoint_name;
        let mut s = self.write(format!("CreateEndpoint {name}"))?;
        if s.endpoints.contains_key(name) {
            return Err(exists("CreateEndpoint", name));
        }
        if !s.configs.contains_key(&request.endpoint_config_name) {
            return Err(missing(
                "CreateEndpoint",
                &format!("endpoint config {}", request.endpoint_config_name),
            ));
        }
        s.endpoints.insert(
            name.clone(),
            Ep {
                endpoint: Endpoint {
                    name: name.clone(),
                    tags: tags_of(&request.tags),
                    status: EndpointStatus::Creating,
                    config_name: request.endpoint_config_name.clone(),
                    failure_reason: None,
                    pending_config: None,
                },
                pending: Some(Pending {
                    target: request.endpoint_config_name.clone(),
                    previous: None,
                    ticks: 0,
                    fails: None,
                }),
            },
        );
        Ok(())
    }

    fn update_endpoint(
        &self,
        name: &str,
        config_name: &str,
        _deployment: Option<&Deployment>,
    ) -> Result<(), CloudError> {
        let mut s = self.write(format!("UpdateEndpoint {name} {config_name}"))?;
        if !s.configs.contains_key(config_name) {
            return Err(missing(
                "UpdateEndpoint",
                &format!("endpoint config {config_name}"),
            ));
        }
        let fails = s.rollbacks.pop_front();
        let e = s
            .endpoints
            .get_mut(name)
            .ok_or_else(|| missing("UpdateEndpoint", name))?;
        if e.endpoint.status != EndpointStatus::InService {
            return Err(CloudError::Conflict {
                operation: "UpdateEndpoint".into(),
                message: format!(
                    "Cannot update endpoint {name} while it is {}",
                    e.endpoint.status.as_str()
                ),
            });
        }
        e.endpoint.status = EndpointStatus::Updating;
        e.endpoint.pending_config = Some(config_name.to_string());
        e.pending = Some(Pending {
            target: config_name.to_string(),
            previous: Some(e.endpoint.config_name.clone()),
            ticks: 0,
            fails,
        });
        Ok(())
    }

    fn delete_endpoint(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteEndpoint {name}"))?;
        s.endpoints
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteEndpoint", name))
    }

    fn tag_endpoint(&self, name: &str, tags: &[Tag]) -> Result<(), CloudError> {
        let mut s = self.write(format!("AddTags {name}"))?;
        let e = s
            .endpoints
            .get_mut(name)
            .ok_or_else(|| missing("AddTags", name))?;
        for t in tags {
            e.endpoint.tags.insert(t.key.clone(), t.value.clone());
        }
        Ok(())
    }

    fn put_alarm(&self, alarm: &AlarmRequest) -> Result<(), CloudError> {
        let mut s = self.write(format!("PutMetricAlarm {}", alarm.name))?;
        s.alarms.insert(
            alarm.name.clone(),
            Alarm {
                name: alarm.name.clone(),
                tags: alarm
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                state: "OK".into(),
                endpoint: Some(alarm.endpoint.clone()),
            },
        );
        Ok(())
    }

    fn delete_alarm(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteAlarms {name}"))?;
        s.alarms
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteAlarms", name))
    }

    /// Answers as a text-generation container would: the prompt, continued with the name of
    /// the config serving it; a list of `generated_text` for TGI-style bodies (`inputs`),
    /// `generated_texts` for JumpStart's script (`text_inputs`).
    fn invoke(&self, r: &Invocation) -> Result<Vec<u8>, CloudError> {
        let s = self.read(format!("InvokeEndpoint {}", r.endpoint));
        let Some(e) = s.endpoints.get(&r.endpoint) else {
            return Err(missing("InvokeEndpoint", &r.endpoint));
        };
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let text = |prompt: &serde_json::Value| {
            format!(
                "{} … continued by {}",
                prompt.as_str().unwrap_or_default(),
                e.endpoint.config_name
            )
        };
        if let Some(error) = &s.invoke_error {
            return Ok(serde_json::json!({ "error": error })
                .to_string()
                .into_bytes());
        }
        let answer = match (body.get("inputs"), body.get("text_inputs")) {
            (Some(p), _) => serde_json::json!([{ "generated_text": text(p) }]),
            (None, Some(p)) => serde_json::json!({ "generated_texts": [text(p)] }),
            (None, None) => serde_json::json!({ "error": "no inputs" }),
        };
        Ok(answer.to_string().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jumpstart::requests::{
        AlgorithmSpecification, OutputDataConfig, ProductionVariant, ResourceConfig,
        StoppingCondition,
    };

    fn job(name: &str) -> CreateTrainingJob {
        CreateTrainingJob {
            training_job_name: name.into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            algorithm_specification: AlgorithmSpecification {
                training_image: "img".into(),
                training_input_mode: "File".into(),
                metric_definitions: vec![],
            },
            hyper_parameters: Default::default(),
            input_data_config: vec![],
            output_data_config: OutputDataConfig {
                s3_output_path: "s3://b/out/".into(),
                compression_type: None,
            },
            resource_config: ResourceConfig {
                volume_size_in_gb: 30,
                instance_count: 1,
                instance_type: "ml.g5.2xlarge".into(),
            },
            stopping_condition: StoppingCondition {
                max_runtime_in_seconds: 60,
            },
            environment: [("K".to_string(), "V".to_string())].into_iter().collect(),
            enable_network_isolation: false,
            enable_inter_container_traffic_encryption: false,
            tags: vec![],
        }
    }

    fn config(name: &str) -> CreateEndpointConfig {
        CreateEndpointConfig {
            endpoint_config_name: name.into(),
            production_variants: vec![ProductionVariant {
                variant_name: "AllTraffic".into(),
                model_name: "m".into(),
                initial_variant_weight: 1.0,
                initial_instance_count: 1,
                instance_type: "ml.g5.2xlarge".into(),
                volume_size_in_gb: None,
                model_data_download_timeout_in_seconds: None,
                container_startup_health_check_timeout_in_seconds: None,
            }],
            tags: vec![],
        }
    }

    fn endpoint(config: &str) -> CreateEndpoint {
        CreateEndpoint {
            endpoint_name: "e".into(),
            endpoint_config_name: config.into(),
            tags: vec![],
        }
    }

    #[test]
    fn jobs_move_through_their_states_and_write_a_model_on_completion() {
        let c = FakeCloud::new();
        c.add_bucket("b");
        c.create_training_job(&job("j")).unwrap();
        let seen: Vec<String> = (0..6)
            .map(|_| {
                let j = c.describe_training_job("j").unwrap().unwrap();
                format!("{}/{}", j.status.as_str(), j.secondary_status.unwrap())
            })
            .collect();
        assert_eq!(
            seen,
            [
                "InProgress/Starting",
                "InProgress/Downloading",
                "InProgress/Training",
                "InProgress/Uploading",
                "Completed/Completed",
                "Completed/Completed"
            ]
        );
        let done = c.describe_training_job("j").unwrap().unwrap();
        assert_eq!(done.environment["K"], "V", "Environment is kept");
        assert_eq!(
            done.model_artifacts.as_deref(),
            Some("s3://b/out/j/output/model.tar.gz")
        );
        assert!(c
            .object_keys("b")
            .contains(&"out/j/output/model.tar.gz".to_string()));
        assert!(matches!(
            c.create_training_job(&job("j")),
            Err(CloudError::AlreadyExists { .. })
        ));
    }

    #[test]
    fn jobs_fail_or_stop_on_request() {
        let c = FakeCloud::new();
        c.fail_next_job("AlgorithmError: boom");
        c.create_training_job(&job("f")).unwrap();
        c.settle();
        let f = c.describe_training_job("f").unwrap().unwrap();
        assert_eq!(f.status, TrainingStatus::Failed);
        assert_eq!(f.failure_reason.as_deref(), Some("AlgorithmError: boom"));
        c.create_training_job(&job("s")).unwrap();
        c.stop_training_job("s").unwrap();
        assert_eq!(
            c.describe_training_job("s").unwrap().unwrap().status,
            TrainingStatus::Stopping
        );
        c.settle();
        assert_eq!(
            c.describe_training_job("s").unwrap().unwrap().status,
            TrainingStatus::Stopped
        );
    }

    #[test]
    fn endpoints_update_or_roll_back_silently() {
        let c = FakeCloud::new();
        c.set_pace(3);
        c.create_endpoint_config(&config("c1")).unwrap();
        c.create_endpoint_config(&config("c2")).unwrap();
        c.create_endpoint(&endpoint("c1")).unwrap();
        assert_eq!(
            c.describe_endpoint("e").unwrap().unwrap().status,
            EndpointStatus::Creating
        );
        assert!(matches!(
            c.update_endpoint("e", "c2", None),
            Err(CloudError::Conflict { .. })
        ));
        c.settle();
        c.update_endpoint("e", "c2", None).unwrap();
        assert_eq!(
            c.describe_endpoint("e").unwrap().unwrap().status,
            EndpointStatus::Updating
        );
        c.settle();
        let e = c.describe_endpoint("e").unwrap().unwrap();
        assert_eq!(
            (e.status, e.config_name.as_str()),
            (EndpointStatus::InService, "c2")
        );

        c.roll_back_next_update("the new model failed its health check");
        c.update_endpoint("e", "c1", None).unwrap();
        c.settle();
        let e = c.describe_endpoint("e").unwrap().unwrap();
        assert_eq!(
            (e.status, e.config_name.as_str()),
            (EndpointStatus::InService, "c2")
        );
        assert_eq!(
            e.failure_reason.as_deref(),
            Some("the new model failed its health check")
        );
    }

    #[test]
    fn a_crash_fails_every_later_write_and_is_logged() {
        let c = FakeCloud::new();
        c.crash_after_writes(1);
        c.create_endpoint_config(&config("c1")).unwrap();
        assert!(matches!(
            c.create_endpoint_config(&config("c2")),
            Err(CloudError::Transport { .. })
        ));
        c.recover();
        c.create_endpoint_config(&config("c2")).unwrap();
        assert_eq!(
            c.writes(),
            [
                "CreateEndpointConfig c1",
                "CreateEndpointConfig c2",
                "CreateEndpointConfig c2"
            ]
        );
    }
}
