//! How a command ended: its text for stdout and stderr and its exit status, failures kept
//! as data so `--format json` can print them as one document.

use std::fmt::Write;

use crate::diagnostics::{self, Diagnostic, Style};

/// How a command ended, as the process exit code says it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit 0: done (and, with `--detailed-exitcode`, nothing to change).
    #[default]
    Success,
    /// Exit 2, only with `--detailed-exitcode`: done, and the plan has changes.
    Changes,
    /// Exit 1: an error, or the user declined.
    Failure,
    /// Exit 3: apply did everything else, but a gate held an endpoint on its current model.
    Held,
    /// Exit 64 (sysexits' EX_USAGE): an unknown command or flag; never 2, which `plan
    /// --detailed-exitcode` uses for "there are changes".
    Usage,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Held => 3,
            ExitStatus::Usage => 64,
        }
    }

    /// How an apply that ran ended.
    pub(crate) fn of(report: &crate::apply::Report) -> Self {
        match (
            report.failed.is_none() && !report.interrupted,
            report.held.is_empty(),
        ) {
            (false, _) => ExitStatus::Failure,
            (true, false) => ExitStatus::Held,
            (true, true) => ExitStatus::Success,
        }
    }
}

/// What a command produced: text for stdout, text for stderr, and how it ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
    /// A failure's diagnostics and closing line, kept as data for `--format json`.
    pub(super) failure: Option<(Vec<Diagnostic>, String)>,
}

impl Outcome {
    /// A successful command that prints `stdout`.
    pub(crate) fn printed(stdout: String) -> Self {
        Self {
            stdout,
            ..Self::default()
        }
    }

    /// A failed command: its diagnostics and a closing `error:` line on stderr.
    pub fn failed(diags: &[Diagnostic], closing: &str) -> Self {
        let mut stderr = diagnostics::render(diags, Style::for_stderr());
        let _ = writeln!(stderr, "error: {closing}");
        Self {
            stdout: String::new(),
            stderr,
            status: ExitStatus::Failure,
            failure: Some((diags.to_vec(), closing.to_string())),
        }
    }

    /// The outcome as a command run with `--format json` prints it: a failure becomes one
    /// JSON document on stdout (`{"error", "diagnostics"}`) and nothing on stderr.
    pub fn in_format(self, json: bool) -> Self {
        match (json, self.failure) {
            (true, Some((diags, closing))) => {
                let doc = serde_json::json!({
                    "error": closing,
                    "diagnostics": diagnostics::to_json(&diags),
                });
                Self {
                    stdout: format!(
                        "{}\n",
                        serde_json::to_string_pretty(&doc).unwrap_or_default()
                    ),
                    stderr: String::new(),
                    status: self.status,
                    failure: None,
                }
            }
            (_, failure) => Self { failure, ..self },
        }
    }
}
