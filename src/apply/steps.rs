//! One plan change at a time, idempotently: a create that meets an object of the same name
//! with our stack tag adopts it (names are derived from content, so it is the same object);
//! a delete of something already gone is done; waits poll until SageMaker settles.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Cancel, Did, Event, ExecOptions, Outcome, Progress};
use crate::cloud::requests::CreateTrainingJob;
use crate::cloud::{Cloud, CloudError, RoleRequest, Tags, Upload};
use crate::desired::naming::TAG_STACK;
use crate::desired::{managed_role_arn, managed_role_name};
use crate::plan::{Action, Change, ChangeId, Plan, Request, ResourceKind};

mod endpoint;
mod gate;
mod model;
mod smoke;
mod training;

pub(super) struct Run<'a> {
    plan: &'a Plan,
    cloud: &'a dyn Cloud,
    options: &'a ExecOptions,
    progress: &'a dyn Progress,
    cancel: &'a Cancel,
    /// The managed role's ARN once known.
    role_arn: Mutex<Option<String>>,
}

enum Waited {
    Done(String),
    Interrupted(String),
    Failed(String),
}

/// What one look at an object being waited for decided.
enum Look {
    /// Still changing: look again after a pause.
    Again,
    /// The wait is over, with this result.
    Ended(Waited),
}

impl From<Waited> for Outcome {
    fn from(w: Waited) -> Self {
        match w {
            Waited::Done(s) => done(s),
            Waited::Interrupted(s) => Outcome::Interrupted(s),
            Waited::Failed(s) => Outcome::Failed(s),
        }
    }
}

/// How a create ended: a new object, ours adopted, or refused (the name is someone else's).
enum Creation {
    Created,
    Adopted,
    Refused(Outcome),
}

impl Creation {
    /// `created` / `adopted`, or the refusal.
    fn said(self) -> Outcome {
        match self {
            Creation::Created => done("created"),
            Creation::Adopted => done("adopted"),
            Creation::Refused(outcome) => outcome,
        }
    }
}

fn done(what: impl Into<Did>) -> Outcome {
    Outcome::Done(what.into())
}

fn gone(r: Result<(), CloudError>) -> Result<(), CloudError> {
    match r {
        Err(CloudError::NotFound { .. }) => Ok(()),
        other => other,
    }
}

/// A delete: done when it went, or was already gone.
fn deleted(r: Result<(), CloudError>) -> Result<Outcome, CloudError> {
    gone(r).map(|()| done("deleted"))
}

impl<'a> Run<'a> {
    pub(super) fn new(
        plan: &'a Plan,
        cloud: &'a dyn Cloud,
        options: &'a ExecOptions,
        progress: &'a dyn Progress,
        cancel: &'a Cancel,
    ) -> Self {
        Self {
            plan,
            cloud,
            options,
            progress,
            cancel,
            role_arn: Mutex::new(None),
        }
    }

    fn owned(&self, tags: &Tags) -> bool {
        tags.get(TAG_STACK) == Some(&self.plan.stack)
    }

    fn note(&self, id: &ChangeId, what: Did) {
        self.progress.event(Event::Finished {
            id: id.clone(),
            what,
        });
    }

    /// Runs one change and reports how it ended.
    pub(crate) fn step(&self, c: &Change) -> Outcome {
        self.progress.event(Event::Started {
            id: c.id.clone(),
            what: format!("{} {}", verb(c), c.name),
        });
        let outcome = match self.dispatch(c) {
            Ok(o) => o,
            Err(e) => Outcome::Failed(e.to_string()),
        };
        match &outcome {
            Outcome::Done(what) => self.note(&c.id, what.clone()),
            Outcome::Started(what) | Outcome::Interrupted(what) => {
                self.note(&c.id, what.as_str().into());
            }
            Outcome::Failed(why) => self.note(&c.id, format!("failed: {why}").into()),
            Outcome::Held(why) => self.note(&c.id, why.as_str().into()),
        }
        outcome
    }

    fn dispatch(&self, c: &Change) -> Result<Outcome, CloudError> {
        if c.action == Action::Wait {
            return Ok(match c.kind {
                ResourceKind::TrainingJob => self.wait_training(&c.name).into(),
                _ => self.wait_endpoint(&c.name, None).into(),
            });
        }
        if c.action == Action::Verify {
            return self.verify(c);
        }
        let Some(request) = &c.request else {
            return Ok(done("nothing to send"));
        };
        if let Some(planned) = &c.gate {
            if let Some(stop) = self.gate(planned)? {
                return Ok(stop);
            }
        }
        self.send(c, request)
    }

    /// Sends a change's request: the creates, updates and tags here, removals in
    /// [`Run::remove`].
    fn send(&self, c: &Change, request: &Request) -> Result<Outcome, CloudError> {
        match request {
            Request::PutObject(u) => self.upload(c, u),
            Request::CreateRole(r) => self.create_role(r),
            Request::PutRolePolicy(r) => {
                self.cloud.put_role_policy(r)?;
                Ok(done("policy replaced"))
            }
            Request::CreateTrainingJob(job) => self.create_training_job(job),
            Request::CreateModel(model) => self.create_model(c, model),
            Request::CreateEndpointConfig(cfg) => {
                let name = &cfg.endpoint_config_name;
                Ok(self
                    .create_or_adopt(
                        "endpoint config",
                        name,
                        || self.cloud.create_endpoint_config(cfg),
                        || Ok(self.cloud.describe_endpoint_config(name)?.map(|x| x.tags)),
                    )?
                    .said())
            }
            Request::CreateEndpoint(e) => {
                let created = self.create_endpoint(e)?;
                let config = &e.endpoint_config_name;
                self.checked(c, &e.endpoint_name, config, None, created)
            }
            Request::UpdateEndpoint {
                endpoint_name,
                endpoint_config_name,
            } => {
                let updated =
                    self.update_endpoint(endpoint_name, endpoint_config_name, c.guarded.as_ref())?;
                let previous = c.supersedes.as_deref();
                self.checked(c, endpoint_name, endpoint_config_name, previous, updated)
            }
            Request::AddTags {
                endpoint_name,
                tags,
            } => {
                self.cloud.tag_endpoint(endpoint_name, tags)?;
                Ok(done("tagged"))
            }
            removal @ (Request::StopTrainingJob { .. }
            | Request::DeleteRole { .. }
            | Request::DeleteModel { .. }
            | Request::DeleteEndpointConfig { .. }
            | Request::DeleteEndpoint { .. }
            | Request::DeleteAlarms { .. }
            | Request::DeleteObject { .. }
            | Request::AbortMultipartUpload { .. }) => self.remove(removal),
        }
    }

    /// Stops or removes an object: gone already counts as done.
    fn remove(&self, request: &Request) -> Result<Outcome, CloudError> {
        match request {
            Request::StopTrainingJob { training_job_name } => {
                gone(self.cloud.stop_training_job(training_job_name))?;
                Ok(done("stop requested"))
            }
            Request::DeleteRole { role_name } => deleted(self.cloud.delete_role(role_name)),
            Request::DeleteModel { model_name } => deleted(self.cloud.delete_model(model_name)),
            Request::DeleteEndpointConfig {
                endpoint_config_name,
            } => deleted(self.cloud.delete_endpoint_config(endpoint_config_name)),
            Request::DeleteEndpoint { endpoint_name } => {
                deleted(self.cloud.delete_endpoint(endpoint_name))
            }
            Request::DeleteAlarms { alarm_names } => {
                for alarm in alarm_names {
                    gone(self.cloud.delete_alarm(alarm))?;
                }
                Ok(done("deleted"))
            }
            Request::DeleteObject { bucket, key } => deleted(self.cloud.delete_object(bucket, key)),
            Request::AbortMultipartUpload {
                bucket,
                key,
                upload_id,
            } => gone(self.cloud.abort_upload(bucket, key, upload_id)).map(|()| done("aborted")),
            // `send` passes removals only.
            other => Ok(Outcome::Failed(format!("not a removal: {other:?}"))),
        }
    }

    /// Sends a create; when the name is taken, adopts the object if it carries this stack's
    /// tag (names derive from content, so it is the object we meant) and refuses otherwise.
    fn create_or_adopt(
        &self,
        noun: &str,
        name: &str,
        create: impl FnOnce() -> Result<(), CloudError>,
        existing_tags: impl FnOnce() -> Result<Option<Tags>, CloudError>,
    ) -> Result<Creation, CloudError> {
        match create() {
            Ok(()) => Ok(Creation::Created),
            Err(CloudError::AlreadyExists { .. }) => match existing_tags()? {
                Some(tags) if self.owned(&tags) => Ok(Creation::Adopted),
                _ => Ok(Creation::Refused(unowned(noun, name))),
            },
            Err(e) => Err(e),
        }
    }

    fn create_role(&self, r: &RoleRequest) -> Result<Outcome, CloudError> {
        let arn = match self.cloud.create_role(r) {
            Ok(arn) => arn,
            Err(CloudError::AlreadyExists { .. }) => match self.cloud.get_role(&r.role_name)? {
                Some(role) if self.owned(&role.tags) => {
                    self.cloud.put_role_policy(r)?;
                    role.arn
                }
                _ => return Ok(unowned("IAM role", &r.role_name)),
            },
            Err(e) => return Err(e),
        };
        *self
            .role_arn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(arn.clone());
        Ok(done(format!("created {arn}")))
    }

    fn create_training_job(&self, job: &CreateTrainingJob) -> Result<Outcome, CloudError> {
        let mut job = job.clone();
        job.role_arn = self.role(&job.role_arn)?;
        let name = &job.training_job_name;
        let creation = self.create_or_adopt(
            "training job",
            name,
            || self.with_role_retry(|| self.cloud.create_training_job(&job)),
            || Ok(self.cloud.describe_training_job(name)?.map(|j| j.tags)),
        )?;
        if let Creation::Refused(outcome) = creation {
            return Ok(outcome);
        }
        Ok(if self.options.wait {
            self.wait_training(name).into()
        } else {
            Outcome::Started("training started".into())
        })
    }

    /// The real ARN for a request's role: the managed role's placeholder becomes the ARN
    /// `CreateRole` returned (or the existing role's).
    fn role(&self, arn: &str) -> Result<String, CloudError> {
        if arn != managed_role_arn(&self.plan.stack) {
            return Ok(arn.to_string());
        }
        if let Some(known) = self
            .role_arn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            return Ok(known);
        }
        let name = managed_role_name(&self.plan.stack);
        match self.cloud.get_role(&name)? {
            Some(r) => {
                *self
                    .role_arn
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r.arn.clone());
                Ok(r.arn)
            }
            None => Err(CloudError::NotFound {
                operation: "GetRole".into(),
                message: format!("the managed role {name} does not exist"),
            }),
        }
    }

    /// CreateTrainingJob, retried while IAM has not yet propagated a new role.
    /// A create that passes a role (CreateTrainingJob, CreateModel), retried while IAM has not
    /// yet let SageMaker assume a new role.
    fn with_role_retry(&self, send: impl Fn() -> Result<(), CloudError>) -> Result<(), CloudError> {
        let start = Instant::now();
        loop {
            match send() {
                Err(e)
                    if is_role_not_ready(&e) && start.elapsed() < self.options.role_propagation =>
                {
                    self.progress.event(Event::Note(
                        "waiting for IAM to let SageMaker assume the new role…".into(),
                    ));
                    self.pause(Duration::from_secs(5).min(self.options.role_propagation));
                }
                other => return other,
            }
        }
    }

    fn upload(&self, c: &Change, u: &Upload) -> Result<Outcome, CloudError> {
        // Checked right before it is read: still a regular file of the planned size, and
        // never read past that size.
        let planned = crate::files::open_planned(&u.path, u.bytes)
            .and_then(|f| crate::files::sha256_planned(f, u.bytes));
        match planned {
            Ok(sha) if sha == u.sha256 => {}
            Ok(sha) => {
                return Ok(Outcome::Failed(format!(
                    "{} changed since planning (sha256 {} → {}); run `sagetune plan` again",
                    u.path.display(),
                    &u.sha256[..12],
                    &sha[..12]
                )))
            }
            Err(e) => {
                return Ok(Outcome::Failed(format!(
                    "cannot upload {}: {e}; run `sagetune plan` again",
                    u.path.display()
                )))
            }
        }
        if let Some(have) = self.cloud.head_object(&u.bucket, &u.key)? {
            if have.sha256.as_deref() == Some(u.sha256.as_str()) {
                return Ok(done("already uploaded"));
            }
        }
        let id = c.id.clone();
        let total = u.bytes;
        self.cloud.upload(u, &|sent| {
            self.progress.event(Event::Uploaded {
                id: id.clone(),
                sent,
                total,
            });
        })?;
        Ok(done(Did::Uploaded { bytes: u.bytes }))
    }

    /// Sleeps `d`, waking early when Ctrl-C asks to stop waiting.
    fn pause(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end && !self.cancel.requested() {
            std::thread::sleep((end - Instant::now()).min(Duration::from_millis(100)));
        }
    }

    /// The one poll loop of every wait: reads `subject` (through transient failures, see
    /// [`Run::status`]) until `look` says the wait is over, pausing between reads. Ctrl-C ends
    /// the wait, saying what goes on in AWS (`ongoing`); an object gone is a failure.
    fn poll<T>(
        &self,
        (subject, ongoing): (&str, &str),
        read: impl Fn() -> Result<Option<T>, CloudError>,
        mut look: impl FnMut(T) -> Look,
    ) -> Waited {
        loop {
            if self.cancel.requested() {
                return Waited::Interrupted(format!("stopped waiting; {subject} {ongoing}"));
            }
            let seen = match self.status(&read) {
                Ok(Some(v)) => v,
                Ok(None) => return Waited::Failed(format!("{subject} does not exist")),
                Err(e) => return Waited::Failed(e),
            };
            match look(seen) {
                Look::Again => self.pause(self.options.poll),
                Look::Ended(w) => return w,
            }
        }
    }

    /// A status read during a wait, retried through transient failures (network, throttling,
    /// 5xx that outlasted the SDK's own retries) with growing pauses; fails after
    /// [`TRANSIENT_READS`] in a row, or at once on any other error.
    fn status<T>(&self, read: impl Fn() -> Result<T, CloudError>) -> Result<T, String> {
        let mut failures = 0u32;
        loop {
            match read() {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && failures + 1 < TRANSIENT_READS => {
                    failures += 1;
                    self.progress.event(Event::Note(format!(
                        "{e}; reading again ({failures} of {} tries)",
                        TRANSIENT_READS - 1
                    )));
                    let backoff = self.options.poll * 2u32.pow(failures.min(6));
                    self.pause(backoff.min(Duration::from_secs(60)));
                    if self.cancel.requested() {
                        return Err(format!("stopped while retrying: {e}"));
                    }
                }
                Err(e) if is_transient(&e) => {
                    return Err(format!("{e} (failed {TRANSIENT_READS} times in a row)"))
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// Status reads that may fail in a row, transiently, before a wait gives up.
const TRANSIENT_READS: u32 = 8;

/// Errors a later identical read may not meet: the network, throttling, a server error.
fn is_transient(e: &CloudError) -> bool {
    match e {
        CloudError::Transport { .. } | CloudError::Throttled { .. } => true,
        CloudError::Service { code, .. } => {
            code.contains("InternalFailure")
                || code.contains("ServiceUnavailable")
                || code.starts_with('5')
        }
        _ => false,
    }
}

fn unowned(noun: &str, name: &str) -> Outcome {
    Outcome::Failed(format!(
        "{noun} {name} exists but does not carry this stack's tag; sagetune will not touch it"
    ))
}

/// Whether SageMaker refused a job because the new role cannot be assumed yet.
fn is_role_not_ready(e: &CloudError) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("assume") && (text.contains("role") || text.contains("sts"))
}

fn verb(c: &Change) -> &'static str {
    match (c.action, c.kind) {
        (Action::Wait, _) => "waiting for",
        (Action::Create, ResourceKind::Dataset) | (Action::Update, ResourceKind::Dataset) => {
            "uploading"
        }
        (Action::Create, _) => "creating",
        (Action::Update, _) => "updating",
        (Action::Delete, _) => "deleting",
        (Action::Stop, _) => "stopping",
        (Action::Verify, _) => "verifying",
        (Action::Noop, _) => "checking",
    }
}
