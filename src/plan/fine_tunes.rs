//! The planner's fine-tune half: each fine-tune's training job (new when its inputs differ
//! from the job behind the endpoint, waited for while running, the next run after a failed
//! one) and the model that serves its output, with why it trains.

use super::planner::{change, Planner, Problem};
use super::{diff, Action, ChangeId, FieldDiff, Request, ResourceKind};
use crate::cloud::requests::CreateTrainingJob;
use crate::cloud::{TrainingJob, TrainingStatus};
use crate::desired::{managed_role_arn, FineTuneResources};
use crate::observe::job_of_artifact;

impl Planner<'_> {
    /// The job whose output the fine-tune's first endpoint serves now.
    fn job_behind(&self, fine_tune: &str) -> Option<&TrainingJob> {
        self.d
            .endpoints
            .iter()
            .filter(|e| e.fine_tune == fine_tune)
            .find_map(|e| {
                let ep = self.o.endpoints.get(&e.endpoint.endpoint_name)?;
                let config = self.o.endpoint_configs.get(&ep.config_name)?;
                let model = self.o.models.get(&config.variants.first()?.model_name)?;
                let job = job_of_artifact(model.model_data.as_deref()?)?;
                self.o.jobs.get(&job)
            })
    }

    pub(super) fn fine_tune(&mut self, f: &FineTuneResources, role_arn: Option<&str>) {
        if self.training_job(f, role_arn) {
            self.model(f, role_arn);
        }
    }

    /// Plans a fine-tune's training job; `false` when planning stopped at a problem.
    fn training_job(&mut self, f: &FineTuneResources, role_arn: Option<&str>) -> bool {
        let id = ChangeId::at(format!("fine_tune.{}", f.name));
        let mut job = f.training_job.clone();
        let placeholder = managed_role_arn(&self.d.stack);
        if let Some(arn) = role_arn.filter(|_| job.role_arn == placeholder) {
            job.role_arn = arn.to_string();
        }
        let name = job.training_job_name.clone();
        let mut c = match self.o.jobs.get(&name) {
            // Part of an unchanged fine-tune: completed, and not described.
            _ if self.o.settled.contains(&name) => change(
                id.clone(),
                ResourceKind::TrainingJob,
                &name,
                Action::Noop,
                "trained (Completed)".into(),
            ),
            Some(have) if !self.check_owner("training job", &name, &have.tags) => return false,
            Some(have) => {
                let Some((action, reason)) = self.existing_job(have) else {
                    return false;
                };
                change(id.clone(), ResourceKind::TrainingJob, &name, action, reason)
            }
            None => {
                let (reason, supersedes, diffs) = self.why_train(f, &job);
                let mut c = change(
                    id.clone(),
                    ResourceKind::TrainingJob,
                    &name,
                    Action::Create,
                    reason,
                );
                c.supersedes = supersedes;
                c.diff = diffs;
                c.request = Some(Request::CreateTrainingJob(job.clone()));
                c.hyperparameters_set = f.hyperparameters_set.clone();
                c
            }
        };
        if c.action == Action::Create {
            c.depends_on = self.job_inputs_pending(&job);
        }
        self.changes.push(c);
        true
    }

    /// A job of the desired name that exists: trained, running (apply waits), or a problem
    /// (`None`) when it ended otherwise.
    fn existing_job(&mut self, have: &TrainingJob) -> Option<(Action, String)> {
        match have.status {
            TrainingStatus::Completed => Some((Action::Noop, "trained (Completed)".into())),
            s if s.is_running() => Some((
                Action::Wait,
                format!(
                    "training is {} ({}); apply waits for it",
                    s.as_str(),
                    have.secondary_status.as_deref().unwrap_or("no detail yet")
                ),
            )),
            s => {
                self.problems.push(Problem {
                    code: "plan::job-reused",
                    message: format!("training job `{}` already ran and is {}", have.name, s.as_str()),
                    help: "run `sagetune plan` again: a new run is planned when the listing shows the earlier one".into(),
                });
                None
            }
        }
    }

    /// What a new job must wait for: the uploads of the data it reads, and the role.
    fn job_inputs_pending(&self, job: &CreateTrainingJob) -> Vec<ChangeId> {
        let reads = |prefix: &str| {
            (job.input_data_config.iter()).any(|c| c.data_source.s3_data_source.s3_uri == prefix)
        };
        let mut deps: Vec<ChangeId> = (self.d.datasets.iter())
            .filter(|ds| reads(&ds.prefix_uri))
            .map(|ds| ChangeId::at(&ds.address))
            .filter(|a| self.pending(a))
            .collect();
        if self.pending(&ChangeId::at("role")) {
            deps.push(ChangeId::at("role"));
        }
        deps
    }

    /// Plans the model that serves a fine-tune's job output, when an endpoint serves it.
    fn model(&mut self, f: &FineTuneResources, role_arn: Option<&str>) {
        let Some(model) = &f.model else { return };
        let id = ChangeId::at(format!("fine_tune.{}", f.name));
        let name = &f.training_job.training_job_name;
        let placeholder = managed_role_arn(&self.d.stack);
        let model_id = ChangeId::at(format!("model.{}", f.name));
        let mut model = model.clone();
        if let Some(arn) = role_arn.filter(|_| model.execution_role_arn == placeholder) {
            model.execution_role_arn = arn.to_string();
        }
        let settled = self.o.settled.contains(&model.model_name);
        let mut c = match self.o.models.get(&model.model_name) {
            Some(have) if !settled && !self.check_owner("model", &have.name, &have.tags) => return,
            _ if settled => change(
                model_id.clone(),
                ResourceKind::Model,
                &model.model_name,
                Action::Noop,
                format!("serves the output of {name}"),
            ),
            Some(_) => change(
                model_id.clone(),
                ResourceKind::Model,
                &model.model_name,
                Action::Noop,
                format!("serves the output of {name}"),
            ),
            None => {
                let mut c = change(
                    model_id.clone(),
                    ResourceKind::Model,
                    &model.model_name,
                    Action::Create,
                    format!("serves the output of {name}"),
                );
                if self.pending(&id) {
                    c.depends_on.push(id.clone());
                    c.reason.push_str(" once it completes");
                }
                // The managed role may be (re)created by this run: after a destroy, the
                // completed job is still there and the model needs the role first.
                if self.pending(&ChangeId::at("role")) && model.execution_role_arn == placeholder {
                    c.depends_on.push(ChangeId::at("role"));
                }
                c.request = Some(Request::CreateModel(model.clone()));
                c.repack = f.repack.clone();
                c
            }
        };
        if c.action == Action::Noop {
            c.depends_on.clear();
        }
        self.changes.push(c);
    }

    /// Why a new training job runs: an earlier run failed, or its inputs differ from the job
    /// behind the endpoint, or `retrain` forces it.
    fn why_train(
        &self,
        f: &FineTuneResources,
        job: &crate::cloud::requests::CreateTrainingJob,
    ) -> (String, Option<String>, Vec<FieldDiff>) {
        if f.attempt > 1 {
            let previous = if f.attempt == 2 {
                f.first_job_name.clone()
            } else {
                format!("{}-{}", f.first_job_name, f.attempt - 1)
            };
            let detail = match self.o.jobs.get(&previous) {
                Some(j) => format!(
                    "{}{}",
                    j.status.as_str(),
                    j.failure_reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                None => "did not complete".into(),
            };
            return (
                format!(
                    "the previous run {previous} {detail}; starting run {} with the same inputs",
                    f.attempt
                ),
                Some(previous),
                Vec::new(),
            );
        }
        let Some(behind) = self.job_behind(&f.name) else {
            let serves = self.d.endpoints.iter().any(|e| e.fine_tune == f.name);
            let reason = if serves {
                "new training job (no endpoint serves an earlier one)"
            } else {
                "new training job"
            };
            return (reason.into(), None, Vec::new());
        };
        let mut diffs = diff::training(job, &f.model_id, &f.model_version, behind);
        if diffs.is_empty() {
            diffs.push(FieldDiff {
                field: "retrain".into(),
                before: None,
                after: Some(f.retrain.to_string()),
            });
            let reason = if f.retrain > 0 {
                format!("retrain = {}: a new run with the same inputs", f.retrain)
            } else {
                "the request differs from the job behind the endpoint".into()
            };
            return (reason, Some(behind.name.clone()), diffs);
        }
        (diff::summarize(&diffs), Some(behind.name.clone()), diffs)
    }
}
