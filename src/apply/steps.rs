//! One plan change at a time, idempotently: a create that meets an object of the same name
//! with our stack tag adopts it (names are derived from content, so it is the same object);
//! a delete of something already gone is done; waits poll until SageMaker settles.

use std::sync::Mutex;

use super::{Cancel, Did, Event, ExecOptions, Outcome, Progress};
use crate::cloud::{Cloud, CloudError, Tags};
use crate::desired::naming::TAG_STACK;
use crate::plan::{Action, Change, ChangeId, Plan, Request, ResourceKind};

mod endpoint;
mod gate;
mod model;
mod role;
mod smoke;
mod training;
mod upload;
mod wait;

use wait::{Look, Waited};

pub(super) struct Run<'a> {
    plan: &'a Plan,
    cloud: &'a dyn Cloud,
    options: &'a ExecOptions,
    progress: &'a dyn Progress,
    cancel: &'a Cancel,
    /// The managed role's ARN once known.
    role_arn: Mutex<Option<String>>,
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
}

fn unowned(noun: &str, name: &str) -> Outcome {
    Outcome::Failed(format!(
        "{noun} {name} exists but does not carry this stack's tag; sagetune will not touch it"
    ))
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
