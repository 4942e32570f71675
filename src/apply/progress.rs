//! What apply reports while it works, as events (plain data). Showing them is
//! `crate::render::progress`'s job; this module never prints.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::Did;
use crate::plan::ChangeId;

/// One thing that happened during apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step began (`id` is the plan change's id).
    Started { id: ChangeId, what: String },
    /// A step finished (or was left running, or failed: `what` says).
    Finished { id: ChangeId, what: Did },
    /// Bytes of an upload sent so far.
    Uploaded { id: ChangeId, sent: u64, total: u64 },
    /// A training job's status or secondary status changed.
    Training {
        job: String,
        status: String,
        secondary: Option<String>,
        elapsed: Duration,
    },
    /// A training job completed with these final metrics.
    Trained {
        job: String,
        metrics: BTreeMap<String, f64>,
    },
    /// A line of a training job's log (`instance`: `algo-1`, …).
    Log {
        job: String,
        instance: String,
        message: String,
    },
    /// A training job's log could not be read (said once per job; the wait goes on).
    LogUnreadable { job: String, error: String },
    /// A training job is still running: said at least every heartbeat interval.
    Heartbeat {
        job: String,
        status: String,
        secondary: Option<String>,
        elapsed: Duration,
        /// The latest metric value in its log, by its definition's name.
        last_metric: Option<(String, f64)>,
    },
    /// A training job failed: its reason, last log lines and where to read the rest.
    TrainingFailed {
        job: String,
        reason: String,
        last_lines: Vec<String>,
        log_group: String,
        streams: Vec<String>,
        console_url: String,
    },
    /// An endpoint's status changed.
    Endpoint {
        name: String,
        status: String,
        elapsed: Duration,
    },
    /// Anything else worth a line.
    Note(String),
}

/// Receives events; implementations must be cheap and thread-safe.
pub trait Progress: Send + Sync {
    fn event(&self, e: Event);
}

/// Collects events (tests).
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Mutex<Vec<Event>>,
}

impl Progress for Recorder {
    fn event(&self, e: Event) {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(e);
    }
}
