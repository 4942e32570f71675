//! The gate before an endpoint change: the new job's final metrics and the serving job's,
//! read now and judged by the plan's rules. A failed gate holds the change back.

use super::Run;
use crate::apply::{Event, Outcome};
use crate::cloud::{CloudError, TrainingStatus};
use crate::plan::gate::{judge, Baseline};
use crate::plan::GateCheck;

impl Run<'_> {
    /// `Some(Outcome::Held)` when the gate fails now, `Some(Failed)` when its job cannot be
    /// judged (not completed), `None` to go ahead.
    pub(super) fn gate(&self, planned: &GateCheck) -> Result<Option<Outcome>, CloudError> {
        let rules: Vec<_> = planned.rules.iter().map(|r| r.rule.clone()).collect();
        let Some(job) = self.cloud.describe_training_job(&planned.job)? else {
            return Ok(Some(Outcome::Failed(format!(
                "the gate cannot judge: training job {} does not exist",
                planned.job
            ))));
        };
        if job.status != TrainingStatus::Completed {
            return Ok(Some(Outcome::Failed(format!(
                "the gate cannot judge: training job {} is {}",
                job.name,
                job.status.as_str()
            ))));
        }
        let serving = match &planned.serving_job {
            Some(name) => self.cloud.describe_training_job(name)?,
            None => None,
        };
        let baseline = match (&planned.serving_unreadable, &planned.serving_job, &serving) {
            (Some(why), _, _) => Baseline::Unreadable(why.clone()),
            (None, Some(name), Some(j)) => Baseline::Job(name, &j.final_metrics),
            (None, Some(name), None) => {
                Baseline::Unreadable(format!("training job {name} no longer exists"))
            }
            (None, None, _) => Baseline::Nothing,
        };
        let check = judge(&rules, &job.name, Some(&job.final_metrics), baseline);
        let verdicts: Vec<String> = check
            .rules
            .iter()
            .map(|r| crate::plan::gate::said(&r.verdict).to_string())
            .collect();
        self.progress
            .event(Event::Note(format!("gate: {}", verdicts.join("; "))));
        Ok(check
            .held()
            .map(|why| Outcome::Held(format!("held by gate: {why}"))))
    }
}
