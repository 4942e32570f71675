//! `sagetune completions SHELL` and `sagetune man`: generated from the CLI's own definition,
//! so they always match the commands and flags of this binary.

use clap::CommandFactory;

use std::path::Path;

use crate::cli::Cli;
use crate::diagnostics::Diagnostic;

use super::Outcome;

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sagetune", &mut out);
    Outcome::printed(String::from_utf8_lossy(&out).into_owned())
}

/// The main page on stdout, or every page (`sagetune.1`, `sagetune-plan.1`, …) into `dir`,
/// so that each `sagetune-…(1)` the main page refers to exists there.
pub fn man(dir: Option<&Path>) -> Outcome {
    let failed = |e: std::io::Error| {
        let d = Diagnostic::new("man::render", format!("cannot write the man pages: {e}"))
            .help("check that the folder can be created and written");
        Outcome::failed(&[d], "no man page was written")
    };
    let Some(dir) = dir else {
        let mut out = Vec::new();
        return match clap_mangen::Man::new(Cli::command()).render(&mut out) {
            Ok(()) => Outcome::printed(String::from_utf8_lossy(&out).into_owned()),
            Err(e) => failed(e),
        };
    };
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
        .and_then(|()| std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>());
    match written {
        Ok(entries) => {
            let pages = entries
                .iter()
                .filter(|e| e.file_name().to_string_lossy().starts_with("sagetune"))
                .count();
            Outcome {
                stderr: format!("Wrote {pages} man pages to {}.\n", dir.display()),
                ..Outcome::default()
            }
        }
        Err(e) => failed(e),
    }
}
