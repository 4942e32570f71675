//! The wait for a training job: status changes, the job's log lines as they arrive (one
//! read per stream per poll), a heartbeat with the last metric, and on failure the reason
//! with the job's last log lines and where to read the rest.

use std::time::Instant;

use super::{Creation, Look, Run, Waited};
use crate::apply::Event;
use crate::apply::Outcome;
use crate::cloud::requests::CreateTrainingJob;
use crate::cloud::{CloudError, TrainingJob, TrainingStatus};
use crate::observe::logs::{console_url, LogLine, LogTail, TRAINING_LOG_GROUP};
use crate::observe::metrics::MetricParser;

/// What a wait for a training job has seen so far.
struct Seen {
    start: Instant,
    /// When the last heartbeat was said.
    beat: Instant,
    last: Option<(TrainingStatus, Option<String>)>,
    watch: Option<Watch>,
}

/// What the wait has seen of a job's logs.
struct Watch {
    tail: LogTail,
    parser: MetricParser,
    last_metric: Option<(String, f64)>,
    /// Whether a failed log read was said already.
    unreadable_said: bool,
}

impl Watch {
    /// The log lines since the last poll (to the end once the job stopped running); logs are
    /// extra: a failed read is said once and retried at the next poll.
    fn show_logs(&mut self, run: &Run<'_>, job: &str, running: bool) {
        let read = if running {
            self.tail
                .poll(run.cloud)
                .map(|lines| self.take(run, job, lines, true))
        } else {
            self.read_to_end(run, job, true)
        };
        if let Err(e) = read {
            if !self.unreadable_said {
                self.unreadable_said = true;
                run.progress.event(Event::LogUnreadable {
                    job: job.to_string(),
                    error: e.to_string(),
                });
            }
        }
    }

    /// Reads the log to its current end page by page, each page taken as it arrives.
    fn read_to_end(&mut self, run: &Run<'_>, job: &str, show: bool) -> Result<(), CloudError> {
        loop {
            let lines = self.tail.poll(run.cloud)?;
            if lines.is_empty() {
                return Ok(());
            }
            self.take(run, job, lines, show);
        }
    }

    fn take(&mut self, run: &Run<'_>, job: &str, lines: Vec<LogLine>, show: bool) {
        for l in lines {
            if let Some((i, v)) = self.parser.values(&l.message).last() {
                self.last_metric = Some((self.parser.name(i).to_string(), v));
            }
            if show {
                run.progress.event(Event::Log {
                    job: job.to_string(),
                    instance: l.instance().to_string(),
                    message: l.message,
                });
            }
        }
    }
}

impl Run<'_> {
    pub(super) fn create_training_job(
        &self,
        job: &CreateTrainingJob,
    ) -> Result<Outcome, CloudError> {
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

    /// Waits until the training job `name` ends; Completed is done, anything else failed.
    pub(super) fn wait_training(&self, name: &str) -> Waited {
        let mut seen = Seen {
            start: Instant::now(),
            beat: Instant::now(),
            last: None,
            watch: None,
        };
        let subject = format!("training job {name}");
        self.poll(
            (&subject, "keeps running"),
            || self.cloud.describe_training_job(name),
            |job| self.look_at_training(&mut seen, job),
        )
    }

    /// One look at a job being waited for: its status change, logs and heartbeat said, and
    /// whether it has ended.
    fn look_at_training(&self, seen: &mut Seen, job: TrainingJob) -> Look {
        let name = job.name.clone();
        let w = seen.watch.get_or_insert_with(|| Watch {
            tail: LogTail::new(&name, job.instance_count, None),
            parser: MetricParser::new(&job.metric_definitions),
            last_metric: None,
            unreadable_said: false,
        });
        let now = (job.status, job.secondary_status.clone());
        if seen.last.as_ref() != Some(&now) {
            self.progress.event(Event::Training {
                job: name.clone(),
                status: job.status.as_str().to_string(),
                secondary: job.secondary_status.clone(),
                elapsed: seen.start.elapsed(),
            });
            seen.last = Some(now);
        }
        let running = matches!(
            job.status,
            TrainingStatus::InProgress | TrainingStatus::Stopping
        );
        if self.options.logs {
            w.show_logs(self, &name, running);
        }
        if running && seen.beat.elapsed() >= self.options.heartbeat {
            seen.beat = Instant::now();
            self.progress.event(Event::Heartbeat {
                job: name.clone(),
                status: job.status.as_str().to_string(),
                secondary: job.secondary_status.clone(),
                elapsed: seen.start.elapsed(),
                last_metric: w.last_metric.clone(),
            });
        }
        match job.status {
            TrainingStatus::Completed => {
                self.progress.event(Event::Trained {
                    job: name,
                    metrics: job.final_metrics.clone(),
                });
                Look::Ended(Waited::Done("trained".into()))
            }
            TrainingStatus::Failed => {
                self.report_failure(&job, w);
                let reason = job.failure_reason.as_deref().unwrap_or("no reason given");
                Look::Ended(Waited::Failed(format!(
                    "training job {name} failed: {reason}"
                )))
            }
            TrainingStatus::Stopped => {
                Look::Ended(Waited::Failed(format!("training job {name} was stopped")))
            }
            TrainingStatus::InProgress | TrainingStatus::Stopping => Look::Again,
        }
    }

    /// Shows why a job failed: its reason, last log lines, streams and console page.
    fn report_failure(&self, job: &TrainingJob, w: &mut Watch) {
        if !self.options.logs {
            let _ = w.read_to_end(self, &job.name, false);
        }
        self.progress.event(Event::TrainingFailed {
            job: job.name.clone(),
            reason: job
                .failure_reason
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
            last_lines: w.tail.recent().into_iter().map(|l| l.message).collect(),
            log_group: TRAINING_LOG_GROUP.to_string(),
            streams: w.tail.streams(),
            console_url: console_url(&self.plan.region, &job.name),
        });
    }
}
