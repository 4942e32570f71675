//! What apply and destroy share with the user's terminal: approval (asked, or
//! `--auto-approve`), the progress display (bars on a terminal, lines in CI), Ctrl-C, and
//! turning how the run ended into the command's outcome.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::apply::{Cancel, ExecOptions, Progress};
use crate::cloud::Cloud;
use crate::diagnostics::Diagnostic;
use crate::plan::{Options, Plan};
use crate::prepare::models::env;
use crate::render;
use crate::render::progress::{Bars, Lines};
use crate::stages::{Applied, Approval, Session};

use super::{ExitStatus, Outcome};

/// The choices apply and destroy share.
pub struct Flags {
    pub auto_approve: bool,
    pub no_wait: bool,
    pub options: Options,
    pub command: &'static str,
}

/// Refuses to run unapproved without a terminal to ask on.
pub fn approval_possible(auto_approve: bool, command: &str) -> Result<(), Diagnostic> {
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

/// `SAGETUNE_POLL_INTERVAL` (humantime, e.g. `30s`, `200ms`): how often waits read the
/// status; the default is 15 s.
pub fn poll_interval(env: &impl Fn(&str) -> Option<String>) -> Option<Duration> {
    env("SAGETUNE_POLL_INTERVAL").and_then(|v| humantime::parse_duration(&v).ok())
}

/// Shows the plan on stdout and asks on the terminal; anything but `yes` declines.
#[allow(clippy::print_stdout)]
fn ask(plan: &Plan) -> Approval {
    let mut out = std::io::stdout();
    let _ = out.write_all(render::human(plan).as_bytes());
    let _ = write!(
        out,
        "\nDo you want to perform these actions on stack {}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        plan.stack
    );
    let _ = out.flush();
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
pub fn drive(
    cloud: &dyn Cloud,
    flags: Flags,
    work: impl FnOnce(Session<'_>) -> Result<Applied, Vec<Diagnostic>>,
) -> Outcome {
    let cancel: &'static Cancel = Box::leak(Box::default());
    install_interrupt(cancel);
    let progress: Box<dyn Progress> = if std::io::stderr().is_terminal() {
        Box::new(Bars::default())
    } else {
        Box::new(Lines::default())
    };
    let auto = flags.auto_approve;
    let destroying = flags.command == "sagetune destroy";
    let mut approve = |plan: &Plan| {
        if auto {
            let _ = std::io::stdout().write_all(render::human(plan).as_bytes());
            Approval::Yes
        } else {
            ask(plan)
        }
    };
    let session = Session {
        cloud,
        progress: progress.as_ref(),
        cancel,
        exec: ExecOptions {
            wait: !flags.no_wait,
            poll: poll_interval(&env).unwrap_or(ExecOptions::default().poll),
            ..ExecOptions::default()
        },
        options: flags.options,
        command: flags.command.to_string(),
        approve: &mut approve,
    };
    match work(session) {
        Err(d) => Outcome::failed(&d, "nothing was changed"),
        Ok(Applied::NoChanges(plan)) => Outcome::printed(if destroying {
            format!(
                "Nothing to destroy: stack {} has no endpoint, endpoint config, model or managed role left (training jobs are kept as history).\n",
                plan.stack
            )
        } else {
            render::human(&plan)
        }),
        Ok(Applied::Declined) => Outcome {
            stderr: "Cancelled; nothing was changed.\n".into(),
            status: ExitStatus::Failure,
            ..Outcome::default()
        },
        Ok(Applied::Executed(_, report)) => Outcome {
            stdout: String::new(),
            stderr: render::report(&report),
            status: if report.failed.is_none() && !report.interrupted {
                ExitStatus::Success
            } else {
                ExitStatus::Failure
            },
        },
    }
}
