//! Apply: runs exactly a plan's changes against a [`Cloud`], in dependency order, independent
//! steps concurrently, every step idempotent; waits for training and endpoints with progress;
//! stops at the first error with a report of what was done and what was not (as data:
//! `crate::render` words it). Also the state lock that allows one apply per stack.

pub mod progress;
pub mod state_lock;
mod steps;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::cloud::Cloud;
use crate::plan::{Action, Change, ChangeId, Plan};

pub use progress::{Event, Progress};

/// How apply behaves.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Wait for training jobs and endpoints (`--no-wait` turns it off).
    pub wait: bool,
    /// Pause between two status reads while waiting.
    pub poll: Duration,
    /// How long IAM may take to let SageMaker assume a new role.
    pub role_propagation: Duration,
    /// At most this many steps at once.
    pub parallel: usize,
    /// Stream training jobs' log lines while waiting (`--quiet` turns it off; a failed job's
    /// last lines are shown either way).
    pub logs: bool,
    /// At least this often a waiting training job reports its status, elapsed time and last
    /// metric (`--heartbeat`).
    pub heartbeat: Duration,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            wait: true,
            poll: Duration::from_secs(15),
            role_propagation: Duration::from_secs(60),
            parallel: 4,
            logs: true,
            heartbeat: Duration::from_secs(300),
        }
    }
}

/// `SAGETUNE_POLL_INTERVAL` (humantime, e.g. `30s`, `200ms`) when it is set and readable,
/// else `default`: how long waits pause between two status reads.
pub(crate) fn poll_interval(env: &impl Fn(&str) -> Option<String>, default: Duration) -> Duration {
    env("SAGETUNE_POLL_INTERVAL")
        .and_then(|v| humantime::parse_duration(&v).ok())
        .unwrap_or(default)
}

impl ExecOptions {
    /// The defaults, waiting or not, with the poll interval from `SAGETUNE_POLL_INTERVAL`
    /// (humantime, e.g. `30s`, `200ms`) when it is set and readable.
    pub(crate) fn from_env(wait: bool, env: &impl Fn(&str) -> Option<String>) -> Self {
        let default = Self::default();
        Self {
            wait,
            poll: poll_interval(env, default.poll),
            ..default
        }
    }
}

impl ExecOptions {
    /// These options with log lines off when `quiet`, and this heartbeat interval.
    pub(crate) fn reporting(self, quiet: bool, heartbeat: Duration) -> Self {
        Self {
            logs: !quiet,
            heartbeat,
            ..self
        }
    }
}

/// Set by Ctrl-C: waits end at their next poll, no new step starts; running jobs go on.
#[derive(Debug, Default)]
pub struct Cancel {
    stop: AtomicBool,
}

impl Cancel {
    pub fn request(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub(crate) fn requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// What a finished step did, as data; `crate::render` words it.
#[derive(Debug, Clone, PartialEq)]
pub enum Did {
    /// A data file went up to S3 (this many bytes).
    Uploaded { bytes: u64 },
    /// Anything else, already in words (`created`, `adopted`, `in service on …`).
    Said(String),
}

impl From<&str> for Did {
    fn from(text: &str) -> Self {
        Did::Said(text.to_string())
    }
}

impl From<String> for Did {
    fn from(text: String) -> Self {
        Did::Said(text)
    }
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done (created, adopted, deleted, waited for).
    Done(Did),
    /// Started but not waited for (`--no-wait`); what depends on it is left for later.
    Started(String),
    /// Ctrl-C ended the wait; the object goes on in AWS.
    Interrupted(String),
    /// The step failed.
    Failed(String),
    /// A gate held the step back: nothing was changed, what depends on it waits.
    Held(String),
}

/// What apply did, in plan order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// `(id, what happened)` for finished steps.
    pub done: Vec<(ChangeId, Did)>,
    /// Steps started and left running (`--no-wait`).
    pub started: Vec<(ChangeId, String)>,
    /// The step that failed, and why.
    pub failed: Option<(ChangeId, String)>,
    /// Whether Ctrl-C interrupted the run.
    pub interrupted: bool,
    /// Steps not run.
    pub not_done: Vec<ChangeId>,
    /// `(id, why)` for endpoint changes a gate held back (the endpoint serves what it did).
    pub held: Vec<(ChangeId, String)>,
}

impl Report {
    /// Whether every change of the plan was done.
    pub fn complete(&self) -> bool {
        self.failed.is_none()
            && !self.interrupted
            && self.not_done.is_empty()
            && self.held.is_empty()
    }
}

/// Runs `plan` against `cloud`. Never panics on AWS errors; every failure is in the report.
pub(crate) fn execute(
    plan: &Plan,
    cloud: &dyn Cloud,
    options: &ExecOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Report {
    let run = steps::Run::new(plan, cloud, options, progress, cancel);
    let todo: Vec<&Change> = (plan.changes.iter())
        .filter(|c| c.action != Action::Noop)
        .collect();
    let mut waves = Waves {
        finished: (plan.changes.iter())
            .filter(|c| c.action == Action::Noop)
            .map(|c| &c.id)
            .collect(),
        known: plan.changes.iter().map(|c| &c.id).collect(),
        pending: todo.clone(),
        blocked: BTreeSet::new(),
    };
    let results: Mutex<BTreeMap<ChangeId, Outcome>> = Mutex::new(BTreeMap::new());
    while !waves.pending.is_empty() && !cancel.requested() {
        let ready = waves.ready();
        if ready.is_empty() {
            break;
        }
        run_wave(&run, &ready, options.parallel, &results);
        let results_now = results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if waves.record(&ready, &results_now) {
            break;
        }
    }
    let results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    report(&todo, &results, cancel)
}

/// The steps of a run by state, wave by wave.
struct Waves<'p> {
    finished: BTreeSet<&'p ChangeId>,
    /// Every change of the plan; a dependency outside it does not hold a step back.
    known: BTreeSet<&'p ChangeId>,
    pending: Vec<&'p Change>,
    /// Steps left running or held, and whatever depends on them: for a later apply.
    blocked: BTreeSet<ChangeId>,
}

impl<'p> Waves<'p> {
    /// The pending steps whose dependencies are all done.
    fn ready(&self) -> Vec<&'p Change> {
        let done = |d: &ChangeId| self.finished.contains(d) || !self.known.contains(d);
        (self.pending.iter().copied())
            .filter(|c| c.depends_on.iter().all(done))
            .filter(|c| !c.depends_on.iter().any(|d| self.blocked.contains(d)))
            .collect()
    }

    /// Records how a wave's steps ended; `true` when the run stops (a failure, Ctrl-C).
    fn record(&mut self, ready: &[&'p Change], results: &BTreeMap<ChangeId, Outcome>) -> bool {
        let mut stop = false;
        for c in ready {
            match results.get(&c.id) {
                Some(Outcome::Done(_)) => {
                    self.finished.insert(&c.id);
                }
                Some(Outcome::Started(_)) | Some(Outcome::Held(_)) => {
                    self.blocked.insert(c.id.clone());
                }
                Some(Outcome::Interrupted(_)) | Some(Outcome::Failed(_)) | None => stop = true,
            }
        }
        self.pending.retain(|c| !ready.iter().any(|r| r.id == c.id));
        // Whatever depends on a step left running waits for a later apply.
        loop {
            let newly: Vec<ChangeId> = (self.pending.iter())
                .filter(|c| c.depends_on.iter().any(|d| self.blocked.contains(d)))
                .map(|c| c.id.clone())
                .filter(|id| !self.blocked.contains(id))
                .collect();
            if newly.is_empty() {
                return stop;
            }
            self.blocked.extend(newly);
        }
    }
}

/// Runs the ready steps, at most `parallel` at once, recording how each ended.
fn run_wave(
    run: &steps::Run<'_>,
    ready: &[&Change],
    parallel: usize,
    results: &Mutex<BTreeMap<ChangeId, Outcome>>,
) {
    for chunk in ready.chunks(parallel.max(1)) {
        std::thread::scope(|scope| {
            for c in chunk {
                scope.spawn(move || {
                    let outcome = run.step(c);
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(c.id.clone(), outcome);
                });
            }
        });
    }
}

/// The report of a run: each step to do with how it ended, in plan order.
fn report(todo: &[&Change], results: &BTreeMap<ChangeId, Outcome>, cancel: &Cancel) -> Report {
    let mut report = Report {
        interrupted: cancel.requested(),
        ..Report::default()
    };
    for c in todo {
        match results.get(&c.id) {
            Some(Outcome::Done(what)) => report.done.push((c.id.clone(), what.clone())),
            Some(Outcome::Started(what)) => report.started.push((c.id.clone(), what.clone())),
            Some(Outcome::Held(why)) => report.held.push((c.id.clone(), why.clone())),
            Some(Outcome::Failed(why)) if report.failed.is_none() => {
                report.failed = Some((c.id.clone(), why.clone()));
            }
            Some(Outcome::Interrupted(what)) => {
                report.interrupted = true;
                report.started.push((c.id.clone(), what.clone()));
            }
            _ => report.not_done.push(c.id.clone()),
        }
    }
    report
}
