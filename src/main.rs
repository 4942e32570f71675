//! The `sagetune` binary: parse arguments, run the command, print, exit. Nothing else.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use sagetune::cli::{Cli, Command};
use sagetune::cloud::AwsOptions;
use sagetune::commands;

/// The exit code of a usage error (sysexits' EX_USAGE): never 2, which `plan
/// --detailed-exitcode` uses for "there are changes".
const USAGE_ERROR: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and succeed; anything else is a usage error.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let aws = AwsOptions {
        profile: cli.profile.clone(),
        region: cli.region.clone(),
    };
    let outcome = match &cli.command {
        Command::Validate(args) => commands::validate::run(args, &aws),
        Command::Lock(args) => commands::lock::run(args, &aws),
        Command::Requests {
            manifest,
            fine_tune,
            locked,
        } => commands::requests::run(manifest, fine_tune.as_deref(), *locked, &aws),
        Command::Plan(args) => commands::plan::run(args, &aws),
        Command::Apply(args) => commands::apply::run(args, &aws),
        Command::Destroy(args) => commands::destroy::run(args, &aws),
        Command::Status { manifest, format } => commands::status::run(manifest, *format, &aws),
        Command::Invoke(args) => commands::invoke::run(args, &aws),
        Command::Logs(args) => commands::logs::run(args, &aws),
        Command::Metrics(args) => commands::metrics::run(args, &aws),
        Command::Unlock { manifest, lock_id } => commands::apply::unlock(manifest, lock_id, &aws),
        Command::Show { file, format } => commands::plan::show(file, *format),
        Command::Models { format } => commands::models::run(*format),
        Command::Schema => commands::schema::run(),
        Command::Completions { shell } => commands::shell::completions(*shell),
        Command::Man => commands::shell::man(),
    };
    // A closed pipe (e.g. `sagetune schema | head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.status.code())
}
