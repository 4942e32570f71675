//! What apply and destroy share with the user's terminal: approval (asked, or
//! `--auto-approve`), the progress display (bars on a terminal, lines in CI), Ctrl-C, and
//! turning how the run ended into the command's outcome.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::apply::{Cancel, ExecOptions};
use crate::cloud::Cloud;
use crate::diagnostics::Diagnostic;
use crate::plan::{Options, Plan};
use crate::render;
use crate::stages::{Applied, Approval, Session};

use super::{ExitStatus, Outcome};

/// The choices apply and destroy share.
pub struct Flags {
    pub auto_approve: bool,
    /// How to wait and report (`--no-wait`, `--quiet`, `--heartbeat`).
    pub exec: ExecOptions,
    pub options: Options,
    pub command: &'static str,
}

/// Refuses to run unapproved without a terminal to ask on.
pub(crate) fn approval_possible(auto_approve: bool, command: &str) -> Result<(), Diagnostic> {
    if auto_approve || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(Diagnostic::new(
        "apply::approval",
        format!("{command} needs approval and stdin is not a terminal"),
    )
    .help(format!(
        "review the plan first, then run `{command} --auto-approve` (e.g. in CI)"
    )))
}

/// Shows the plan on stdout and asks on the terminal; anything but `yes` declines.
fn ask(plan: &Plan) -> Approval {
    let mut out = std::io::stdout();
    let question = render::human_for_stdout(plan) + &render::approval_question(plan);
    let _ = out
        .write_all(question.as_bytes())
        .and_then(|()| out.flush());
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Approval::Yes
    } else {
        Approval::No
    }
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
    let auto = flags.auto_approve;
    let destroying = flags.command == "sagetune destroy";
    let mut approve = |plan: &Plan| {
        if auto {
            let _ = std::io::stdout().write_all(render::human_for_stdout(plan).as_bytes());
            Approval::Yes
        } else {
            ask(plan)
        }
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
        Ok(Applied::NoChanges(plan)) if destroying => {
            Outcome::printed(render::nothing_to_destroy(&plan))
        }
        Ok(Applied::NoChanges(plan)) => Outcome::printed(render::human_for_stdout(&plan)),
        Ok(Applied::Declined) => Outcome {
            stderr: "Cancelled; nothing was changed.\n".into(),
            status: ExitStatus::Failure,
            ..Outcome::default()
        },
        Ok(Applied::Executed(plan, report)) => Outcome {
            stderr: render::report(&report) + &render::try_it(&plan, &report),
            status: ExitStatus::of(&report),
            ..Outcome::default()
        },
    }
}
