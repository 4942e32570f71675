//! Approval for apply and destroy: asked on the terminal, given with `--auto-approve`, and
//! refused up front where it cannot be asked (no terminal, `--format json`).

use std::io::{BufRead, IsTerminal, Write};

use crate::diagnostics::Diagnostic;
use crate::plan::Plan;
use crate::render;
use crate::stages::Approval;

/// Refuses to run unapproved without a terminal to ask on, or under `--format json` (whose
/// stdout is for the one document, not a question).
pub(crate) fn approval_possible(
    auto_approve: bool,
    json: bool,
    command: &str,
) -> Result<(), Diagnostic> {
    if json && !auto_approve {
        return Err(Diagnostic::new(
            "apply::approval",
            format!("{command} --format json cannot ask for approval"),
        )
        .help(format!(
            "review the plan with `sagetune plan --format json`, then run `{command} --auto-approve --format json`"
        )));
    }
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
pub(super) fn ask(plan: &Plan) -> Approval {
    let mut out = std::io::stdout();
    let question =
        render::human_for_stdout(plan, render::Detail::Folded) + &render::approval_question(plan);
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
