//! `sagetune completions SHELL` and `sagetune man`: generated from the CLI's own definition,
//! so they always match the commands and flags of this binary.

use clap::CommandFactory;

use crate::cli::Cli;

use super::Outcome;

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sagetune", &mut out);
    Outcome::printed(String::from_utf8_lossy(&out).into_owned())
}

pub fn man() -> Outcome {
    let mut out = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut out) {
        Ok(()) => Outcome::printed(String::from_utf8_lossy(&out).into_owned()),
        Err(e) => Outcome::failed(
            &[crate::diagnostics::Diagnostic::new(
                "man::render",
                format!("cannot render the man page: {e}"),
            )],
            "no man page was written",
        ),
    }
}
