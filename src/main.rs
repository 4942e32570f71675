//! The `sagetune` binary: parse arguments, run the command, print, exit. Nothing else.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use sagetune::cli::{Cli, Command};
use sagetune::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Models { format } => commands::models::run(*format),
        Command::Schema => commands::schema::run(),
    };
    // A closed pipe (e.g. `sagetune schema | head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    if outcome.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
