//! The `sagetune` binary: parse arguments, run the command, print, exit. Nothing else.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use sagetune::cli::{Cli, Command};
use sagetune::cloud::AwsOptions;
use sagetune::commands::{self, ExitStatus};

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
            return ExitCode::from(ExitStatus::Usage.code());
        }
    };
    let json = cli.command.wants_json();
    let outcome = run(&cli.command).in_format(json);
    // A closed pipe (e.g. `sagetune schema | head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.status.code())
}

/// Runs one command.
fn run(command: &Command) -> commands::Outcome {
    match command {
        Command::Init(args) => commands::init::run(args),
        Command::Validate(args) => {
            let offline = AwsOptions {
                profile: None,
                region: args.region.clone(),
            };
            commands::validate::run(&args.manifest, args.format, args.require_lock, &offline)
        }
        Command::Lock { stack, format } => {
            commands::lock::run(&stack.manifest, &stack.aws.options(), *format)
        }
        Command::Requests {
            stack,
            fine_tune,
            locked,
        } => commands::requests::run(
            &stack.manifest,
            fine_tune.as_deref(),
            *locked,
            &stack.aws.options(),
        ),
        Command::Plan(args) => commands::plan::run(args, &args.aws.options()),
        Command::Apply(args) => commands::apply::run(args, &args.aws.options()),
        Command::Destroy(args) => commands::destroy::run(args, &args.aws.options()),
        Command::Status { stack, format } => {
            commands::status::run(&stack.manifest, *format, &stack.aws.options())
        }
        Command::Invoke(args) => commands::invoke::run(args, &args.aws.options()),
        Command::Logs(args) => commands::logs::run(args, &args.which.aws.options()),
        Command::Metrics(args) => commands::metrics::run(args, &args.which.aws.options()),
        Command::IamPolicy(args) => commands::iam_policy::run(args),
        Command::Unlock {
            stack,
            lock_id,
            format,
        } => commands::apply::unlock(&stack.manifest, lock_id, &stack.aws.options(), *format),
        Command::Show { file, format, full } => commands::plan::show(file, *format, *full),
        Command::Models { format } => commands::models::run(*format),
        Command::Schema => commands::schema::run(),
        Command::Completions { shell } => commands::shell::completions(*shell),
        Command::Man { dir } => commands::shell::man(dir.as_deref()),
    }
}
