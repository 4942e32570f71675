//! Waiting in AWS: the one poll loop, status reads retried through transient failures, and
//! pauses that wake on Ctrl-C.

use std::time::{Duration, Instant};

use super::{done, Run};
use crate::apply::{Event, Outcome};
use crate::cloud::CloudError;

/// How a wait ended.
pub(super) enum Waited {
    Done(String),
    Interrupted(String),
    Failed(String),
}

/// What one look at an object being waited for decided.
pub(super) enum Look {
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

impl Run<'_> {
    /// Sleeps `d`, waking early when Ctrl-C asks to stop waiting.
    pub(super) fn pause(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end && !self.cancel.requested() {
            std::thread::sleep((end - Instant::now()).min(Duration::from_millis(100)));
        }
    }

    /// The one poll loop of every wait: reads `subject` (through transient failures, see
    /// [`Run::status`]) until `look` says the wait is over, pausing between reads. Ctrl-C ends
    /// the wait, saying what goes on in AWS (`ongoing`); an object gone is a failure.
    pub(super) fn poll<T>(
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
    pub(super) fn status<T>(&self, read: impl Fn() -> Result<T, CloudError>) -> Result<T, String> {
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
