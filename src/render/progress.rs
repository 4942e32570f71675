//! Apply's progress events shown two ways: an `indicatif` display on a terminal (bars for
//! uploads, spinners for waits) and plain lines elsewhere (CI logs). Both print to stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::apply::{Did, Event, Progress};
use crate::plan::ChangeId;

use super::units::size;

/// The view for stderr: bars and spinners on a terminal, plain lines otherwise (CI logs).
pub(crate) fn for_stderr() -> Box<dyn Progress> {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        Box::new(Bars::default())
    } else {
        Box::new(Lines::default())
    }
}

/// What a step did, in words.
pub(crate) fn did(what: &Did) -> String {
    match what {
        Did::Uploaded { bytes } => format!("uploaded {}", size(*bytes)),
        Did::Said(text) => text.clone(),
    }
}

fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Final metrics as `name=value, …` (or a note that there are none).
pub(crate) fn metrics(m: &BTreeMap<String, f64>) -> String {
    if m.is_empty() {
        return "no final metrics reported".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per event to stderr; uploads report at most every few seconds.
pub(crate) struct Lines {
    last_upload: Mutex<BTreeMap<ChangeId, Instant>>,
}

impl Default for Lines {
    fn default() -> Self {
        Self {
            last_upload: Mutex::new(BTreeMap::new()),
        }
    }
}

/// The text of an event as one line (outside text's control characters shown escaped), or
/// `None` for events this view skips.
pub(crate) fn line(e: &Event) -> Option<String> {
    unescaped(e).map(|l| crate::escape::controls(&l).into_owned())
}

fn unescaped(e: &Event) -> Option<String> {
    Some(match e {
        Event::Started { id, what } => format!("{id}: {what}…"),
        Event::Finished { id, what } => format!("{id}: {}", did(what)),
        Event::Uploaded { id, sent, total } => {
            format!("{id}: uploaded {} of {}", size(*sent), size(*total))
        }
        Event::Training {
            job,
            status,
            secondary,
            elapsed: t,
        } => format!(
            "training job {job}: {status}{} ({})",
            detail(secondary),
            elapsed(*t)
        ),
        Event::Trained { job, metrics: m } => {
            format!("training job {job} completed: {}", metrics(m))
        }
        Event::Endpoint {
            name,
            status,
            elapsed: t,
        } => format!("endpoint {name}: {status} ({})", elapsed(*t)),
        Event::Log {
            job,
            instance,
            message,
        } => log_line(job, instance, message),
        Event::LogUnreadable { job, error } => {
            format!("training job {job}: its log could not be read ({error}); sagetune tries again at each poll")
        }
        Event::Heartbeat {
            job,
            status,
            secondary,
            elapsed: t,
            last_metric,
        } => format!(
            "training job {job}: still {status}{} ({}){}",
            detail(secondary),
            elapsed(*t),
            last_metric
                .as_ref()
                .map(|(name, v)| format!(", last {name}={v}"))
                .unwrap_or_else(|| ", no metric logged yet".into())
        ),
        Event::TrainingFailed {
            job,
            reason,
            last_lines,
            log_group,
            streams,
            console_url,
        } => failure(job, reason, last_lines, log_group, streams, console_url),
        Event::Note(n) => n.clone(),
    })
}

/// A training job's secondary status, ` / <status>`, when it has one.
fn detail(secondary: &Option<String>) -> String {
    (secondary.as_deref())
        .map(|s| format!(" / {s}"))
        .unwrap_or_default()
}

/// A line of a training job's log; the instance is named on multi-instance jobs.
fn log_line(job: &str, instance: &str, message: &str) -> String {
    match instance {
        "algo-1" => format!("  {job} | {message}"),
        other => format!("  {job} [{other}] | {message}"),
    }
}

/// A failed training job's report: reason, last log lines, where the whole log is.
fn failure(
    job: &str,
    reason: &str,
    last_lines: &[String],
    group: &str,
    streams: &[String],
    console: &str,
) -> String {
    let mut out = format!("training job {job} failed: {reason}\n");
    if last_lines.is_empty() {
        out.push_str("  (the job wrote no log lines)\n");
    } else {
        out.push_str(&format!("  its last {} log lines:\n", last_lines.len()));
        for l in last_lines {
            out.push_str(&format!("  | {l}\n"));
        }
    }
    for s in streams {
        out.push_str(&format!("  log: {group} {s}\n"));
    }
    out.push_str(&format!("  console: {console}"));
    out
}

impl Progress for Lines {
    fn event(&self, e: Event) {
        if let Event::Uploaded { id, sent, total } = &e {
            let mut last = self
                .last_upload
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let due = last
                .get(id)
                .is_none_or(|t| now.duration_since(*t) >= Duration::from_secs(5));
            // The last figure is said by the step's closing line.
            if !due || sent >= total {
                return;
            }
            last.insert(id.clone(), now);
        }
        if let Some(l) = line(&e) {
            let _ = writeln!(std::io::stderr(), "{l}");
        }
    }
}

/// Bars for uploads (bytes, rate, ETA) and spinners for waits, on a terminal.
pub(crate) struct Bars {
    multi: MultiProgress,
    /// By change id (uploads) or job and endpoint name (waits).
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Default for Bars {
    fn default() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Bars {
    /// A bar of bytes sent, rate and time left for one upload.
    fn upload_bar(&self, id: &str, total: u64) -> ProgressBar {
        let b = self.multi.add(ProgressBar::new(total));
        b.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        b.set_message(id.to_string());
        b
    }
}

/// Whether a training job's or endpoint's status is final (its spinner ends).
fn settled(status: &str) -> bool {
    !matches!(
        status,
        "InProgress" | "Stopping" | "Creating" | "Updating" | "SystemUpdating" | "RollingBack"
    )
}

impl Progress for Bars {
    fn event(&self, e: Event) {
        let mut bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &e {
            Event::Uploaded { id, sent, total } => {
                let bar = (bars.entry(id.to_string()))
                    .or_insert_with(|| self.upload_bar(&id.to_string(), *total));
                bar.set_position(*sent);
                if sent >= total {
                    bar.finish();
                }
            }
            Event::Training { job, status, .. }
            | Event::Endpoint {
                name: job, status, ..
            } => {
                let bar = bars.entry(job.clone()).or_insert_with(|| {
                    let b = self.multi.add(ProgressBar::new_spinner());
                    b.enable_steady_tick(Duration::from_millis(200));
                    b
                });
                if let Some(l) = line(&e) {
                    bar.set_message(l);
                }
                // A final status ends the spinner and leaves its last line on screen.
                if settled(status) {
                    if let Some(b) = bars.remove(job) {
                        b.finish();
                    }
                }
            }
            // The spinner shows the heartbeat: elapsed time and the last metric.
            Event::Heartbeat { job, .. } => {
                if let (Some(bar), Some(l)) = (bars.get(job), line(&e)) {
                    bar.set_message(l);
                }
            }
            other => {
                if let Some(l) = line(other) {
                    let _ = self.multi.println(l);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_training_log_line_cannot_control_the_terminal() {
        let log = Event::Log {
            job: "j".into(),
            instance: "algo-1".into(),
            message: "\u{1b}]0;owned\u{7}step 3\u{1b}[2J".into(),
        };
        assert_eq!(
            line(&log).unwrap(),
            "  j | \\u{1b}]0;owned\\u{7}step 3\\u{1b}[2J"
        );
        let l = crate::observe::logs::LogLine {
            stream: "j/algo-1-1".into(),
            timestamp_ms: 0,
            message: "bell\u{7}".into(),
        };
        assert_eq!(crate::render::training::log_line(&l, false), "bell\\u{7}");
    }

    #[test]
    fn spinners_end_with_a_final_status_and_lines_read_well() {
        let bars = Bars {
            multi: MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden()),
            bars: Mutex::new(BTreeMap::new()),
        };
        let training = |status: &str| Event::Training {
            job: "j".into(),
            status: status.into(),
            secondary: Some("Training".into()),
            elapsed: Duration::from_secs(125),
        };
        bars.event(training("InProgress"));
        assert_eq!(bars.bars.lock().unwrap().len(), 1);
        bars.event(training("Completed"));
        assert!(bars.bars.lock().unwrap().is_empty());
        bars.event(Event::Endpoint {
            name: "e".into(),
            status: "Updating".into(),
            elapsed: Duration::ZERO,
        });
        bars.event(Event::Endpoint {
            name: "e".into(),
            status: "InService".into(),
            elapsed: Duration::ZERO,
        });
        assert!(bars.bars.lock().unwrap().is_empty());
        assert_eq!(
            line(&training("InProgress")).unwrap(),
            "training job j: InProgress / Training (2m05s)"
        );
        let done = Event::Trained {
            job: "j".into(),
            metrics: BTreeMap::from([("train_loss".to_string(), 1.25)]),
        };
        assert_eq!(
            line(&done).unwrap(),
            "training job j completed: train_loss=1.25"
        );
    }
}
