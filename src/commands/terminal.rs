//! What apply and destroy share with the user's terminal: approval (asked, or
//! `--auto-approve`), the progress display (bars on a terminal, lines in CI), Ctrl-C, and
//! turning how the run ended into the command's outcome.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::apply::{Cancel, ExecOptions};
use crate::cloud::Cloud;
use crate::diagnostics::Diagnostic;
use crate::plan::{Options, Plan};
use crate::render::{self, Detail};
use crate::stages::{Applied, Approval, Session};

use super::approval::ask;
use super::{ExitStatus, Outcome};

/// The choices apply and destroy share.
pub(crate) struct Flags {
    pub(crate) auto_approve: bool,
    /// How to wait and report (`--no-wait`, `--quiet`, `--heartbeat`).
    pub(crate) exec: ExecOptions,
    pub(crate) options: Options,
    pub(crate) command: &'static str,
    /// `--format json`: no plan text; one JSON document of the plan and the run on stdout.
    pub(crate) json: bool,
}

/// Ctrl-C once: stop waiting and exit cleanly; twice: abort at once.
#[allow(clippy::print_stderr)]
fn install_interrupt(cancel: &'static Cancel) {
    static PRESSES: AtomicUsize = AtomicUsize::new(0);
    let _ = ctrlc::set_handler(move || {
        if PRESSES.fetch_add(1, Ordering::SeqCst) == 0 {
            cancel.request();
            eprintln!("\nInterrupted: finishing the current calls and stopping the waits; running jobs keep running. Press Ctrl-C again to abort now (the state lock then stays: `sagetune unlock`).");
        } else {
            eprintln!("\nAborted.");
            std::process::exit(130);
        }
    });
}

/// Runs `work` with the terminal's approval, progress display and Ctrl-C handling against
/// AWS, and turns the result into the command's outcome.
pub(crate) fn drive(
    cloud: &dyn Cloud,
    flags: Flags,
    work: impl FnOnce(Session<'_>) -> Result<Applied, Vec<Diagnostic>>,
) -> Outcome {
    let cancel: &'static Cancel = Box::leak(Box::default());
    install_interrupt(cancel);
    let progress = render::progress::for_stderr();
    let (auto, json) = (flags.auto_approve, flags.json);
    let destroying = flags.command == "sagetune destroy";
    let shown = |plan: &Plan| render::human_for_stdout(plan, Detail::Folded);
    let mut approve = |plan: &Plan| {
        if auto && !json {
            let _ = std::io::stdout().write_all(shown(plan).as_bytes());
        }
        if json || auto {
            return Approval::Yes;
        }
        ask(plan)
    };
    let session = Session {
        cloud,
        progress: progress.as_ref(),
        cancel,
        exec: flags.exec,
        options: flags.options,
        command: flags.command.to_string(),
        approve: &mut approve,
    };
    match work(session) {
        Err(d) => Outcome::failed(&d, "nothing was changed"),
        Ok(Applied::NoChanges(plan)) if json => Outcome::printed(render::report_json(&plan, None)),
        Ok(Applied::Executed(plan, report)) if json => Outcome {
            stdout: render::report_json(&plan, Some(&report)),
            status: ExitStatus::of(&report),
            ..Outcome::default()
        },
        Ok(Applied::NoChanges(plan)) if destroying => {
            Outcome::printed(render::nothing_to_destroy(&plan))
        }
        Ok(Applied::NoChanges(plan)) => Outcome::printed(shown(&plan)),
        Ok(Applied::Declined) => Outcome {
            stderr: "Cancelled; nothing was changed.\n".into(),
            status: ExitStatus::Failure,
            ..Outcome::default()
        },
        Ok(Applied::Executed(_, report)) if destroying => Outcome {
            stderr: render::destroy_report(&report),
            status: ExitStatus::of(&report),
            ..Outcome::default()
        },
        Ok(Applied::Executed(plan, report)) => Outcome {
            stderr: render::report(&report) + &render::try_it(&plan, &report),
            status: ExitStatus::of(&report),
            ..Outcome::default()
        },
    }
}
