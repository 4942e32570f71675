//! Training jobs' logs in CloudWatch Logs: which job a `logs`/`metrics` request means, the
//! job's streams (`<job>/algo-N-…` in `/aws/sagemaker/TrainingJobs`) and their lines, read
//! forward one page per stream per poll as SageMaker's `logs_for_job` does. Read-only.

use crate::diagnostics::Diagnostic;
use std::collections::VecDeque;

use serde::Serialize;
use thiserror::Error;

use std::time::Duration;

use crate::cloud::{CloudError, CloudRead, LogCursor, TrainingJob, TrainingStatus};
use crate::desired::naming::{TAG_ADDRESS, TAG_STACK};

use super::describe_jobs;

/// Where SageMaker writes every training job's logs.
pub(crate) const TRAINING_LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";

/// How many of the latest lines a tail keeps for a failure report.
pub(crate) const RECENT_LINES: usize = 30;

/// One log line of a training job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// The stream it came from (`<job>/algo-1-…`).
    pub(crate) stream: String,
    /// CloudWatch's timestamp, in milliseconds since the epoch.
    pub timestamp_ms: i64,
    pub message: String,
}

impl LogLine {
    /// The instance that wrote it (`algo-1`), from the stream's name.
    pub(crate) fn instance(&self) -> &str {
        let host = self.stream.rsplit('/').next().unwrap_or(&self.stream);
        match host.rsplit_once('-') {
            Some((instance, ts)) if ts.bytes().all(|b| b.is_ascii_digit()) => instance,
            _ => host,
        }
    }
}

/// Reads a job's log streams forward; each [`LogTail::poll`] makes at most one call per
/// stream (plus one listing while the job has fewer streams than instances).
#[derive(Debug)]
pub struct LogTail {
    job: String,
    instances: usize,
    since_ms: Option<i64>,
    streams: Vec<(String, LogCursor)>,
    recent: VecDeque<LogLine>,
}

impl LogTail {
    /// A tail of `job`'s logs from the start (or from `since_ms`).
    pub fn new(job: &str, instances: u32, since_ms: Option<i64>) -> Self {
        Self {
            job: job.to_string(),
            instances: instances.max(1) as usize,
            since_ms,
            streams: Vec::new(),
            recent: VecDeque::new(),
        }
    }

    /// The new lines since the last poll, in time order: one page of each stream.
    pub fn poll(&mut self, cloud: &dyn CloudRead) -> Result<Vec<LogLine>, CloudError> {
        if self.streams.len() < self.instances {
            let prefix = format!("{}/", self.job);
            for name in cloud.log_streams(TRAINING_LOG_GROUP, &prefix)? {
                if !self.streams.iter().any(|(s, _)| *s == name) {
                    let head = LogCursor {
                        token: None,
                        since_ms: self.since_ms,
                    };
                    self.streams.push((name, head));
                }
            }
        }
        let mut lines = Vec::new();
        for (stream, cursor) in &mut self.streams {
            let page = match cloud.log_events(TRAINING_LOG_GROUP, stream, cursor) {
                Ok(page) => page,
                // Keep what other streams gave; this one is read again next time.
                Err(_) if !lines.is_empty() => break,
                Err(e) => return Err(e),
            };
            match (page.next, page.events.last()) {
                (Some(token), _) => cursor.token = Some(token),
                // Without a token (CloudWatch always sends one), go on after the newest line.
                (None, Some(e)) => {
                    *cursor = LogCursor {
                        token: None,
                        since_ms: Some(e.timestamp_ms + 1),
                    }
                }
                (None, None) => {}
            }
            lines.extend(page.events.into_iter().map(|e| LogLine {
                stream: stream.clone(),
                timestamp_ms: e.timestamp_ms,
                message: e.message,
            }));
        }
        lines.sort_by_key(|l| l.timestamp_ms);
        for l in &lines {
            if self.recent.len() == RECENT_LINES {
                self.recent.pop_front();
            }
            self.recent.push_back(l.clone());
        }
        Ok(lines)
    }

    /// Reads up to the streams' current end, handing each page to `show` as it arrives
    /// (polls until a poll brings nothing); memory holds one page, never the whole log.
    pub fn pages(
        &mut self,
        cloud: &dyn CloudRead,
        show: &mut dyn FnMut(Vec<LogLine>),
    ) -> Result<(), CloudError> {
        loop {
            let lines = self.poll(cloud)?;
            if lines.is_empty() {
                return Ok(());
            }
            show(lines);
        }
    }

    /// Everything up to the streams' current end, collected (for short logs and tests).
    pub fn drain(&mut self, cloud: &dyn CloudRead) -> Result<Vec<LogLine>, CloudError> {
        let mut all = Vec::new();
        self.pages(cloud, &mut |lines| all.extend(lines))?;
        Ok(all)
    }

    /// The latest [`RECENT_LINES`] lines read, oldest first.
    pub fn recent(&self) -> Vec<LogLine> {
        self.recent.iter().cloned().collect()
    }

    /// The streams found so far.
    pub(crate) fn streams(&self) -> Vec<String> {
        self.streams.iter().map(|(s, _)| s.clone()).collect()
    }
}

/// Reads `job`'s log from the start (or `since_ms`), handing each batch of lines to `show`;
/// with `follow`, polls at that interval until the job ends, and reads the last lines then.
/// Returns the job's status when reading stopped.
pub fn read(
    cloud: &dyn CloudRead,
    job: &TrainingJob,
    since_ms: Option<i64>,
    follow: Option<Duration>,
    show: &mut dyn FnMut(Vec<LogLine>),
) -> Result<TrainingStatus, CloudError> {
    let mut tail = LogTail::new(&job.name, job.instance_count, since_ms);
    let mut status = job.status;
    loop {
        tail.pages(cloud, show)?;
        let Some(poll) = follow.filter(|_| status.is_running()) else {
            return Ok(status);
        };
        std::thread::sleep(poll);
        match cloud.describe_training_job(&job.name)? {
            Some(j) => status = j.status,
            None => return Ok(status),
        }
    }
}

/// Why no job's logs could be read.
#[derive(Debug, Error)]
pub(crate) enum JobLookupError {
    /// The stack has no training job for this fine-tune yet.
    #[error("fine-tune {fine_tune} has no training job in stack {stack} yet")]
    NoJob { stack: String, fine_tune: String },
    /// `--job` names a job that is not a run of this fine-tune in this stack.
    #[error("training job {job} is not a run of fine-tune {fine_tune} in stack {stack}")]
    NotOurs {
        job: String,
        stack: String,
        fine_tune: String,
    },
    /// A read failed.
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// The job a request means: `job` when given (it must be a run of `fine_tune` in `stack`),
/// else the fine-tune's latest run by creation time.
pub(crate) fn job_of(
    cloud: &dyn CloudRead,
    stack: &str,
    fine_tune: &str,
    job: Option<&str>,
) -> Result<TrainingJob, JobLookupError> {
    let address = format!("fine_tune.{fine_tune}");
    let ours = |j: &TrainingJob| {
        j.tags.get(TAG_STACK).map(String::as_str) == Some(stack)
            && j.tags.get(TAG_ADDRESS) == Some(&address)
    };
    if let Some(name) = job {
        return match cloud.describe_training_job(name)? {
            Some(j) if ours(&j) => Ok(j),
            _ => Err(JobLookupError::NotOurs {
                job: name.to_string(),
                stack: stack.to_string(),
                fine_tune: fine_tune.to_string(),
            }),
        };
    }
    let prefix = format!("{stack}-");
    let names: Vec<String> = cloud
        .list_training_jobs(&prefix)?
        .into_iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with(&prefix))
        .collect();
    describe_jobs(cloud, &names)?
        .into_iter()
        .filter(ours)
        .max_by(|a, b| (&a.created_at, &a.name).cmp(&(&b.created_at, &b.name)))
        .ok_or_else(|| JobLookupError::NoJob {
            stack: stack.to_string(),
            fine_tune: fine_tune.to_string(),
        })
}

/// The SageMaker console page of a training job (it links to the job's log streams).
pub(crate) fn console_url(region: &str, job: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/jobs/{job}")
}

impl From<&JobLookupError> for Diagnostic {
    /// A training job `logs` or `metrics` cannot show.
    fn from(e: &JobLookupError) -> Self {
        use JobLookupError as E;
        match e {
            E::Cloud(c) => Diagnostic::from(c),
            E::NoJob { .. } => Diagnostic::new("logs::no-job", e.to_string())
                .help("`sagetune apply` starts its training job; `sagetune status` lists the stack's jobs"),
            E::NotOurs { .. } => Diagnostic::new("logs::not-our-job", e.to_string())
                .help("`sagetune status` lists the stack's jobs with the fine-tune each belongs to"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_come_from_stream_names() {
        let line = |stream: &str| LogLine {
            stream: stream.into(),
            timestamp_ms: 0,
            message: String::new(),
        };
        assert_eq!(line("job-1/algo-1-1764504000").instance(), "algo-1");
        assert_eq!(line("job-1/algo-12-1764504000").instance(), "algo-12");
        assert_eq!(line("odd").instance(), "odd");
    }
}
