//! Command-line arguments (clap derive); owns no behaviour beyond parsing.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cloud::AwsOptions;

/// The version and the git commit the binary was built from.
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SAGETUNE_COMMIT"),
    ")"
);

/// Plan/apply for domain-adaptation fine-tuning on Amazon SageMaker JumpStart.
#[derive(Debug, Parser)]
#[command(name = "sagetune", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// AWS settings, on the commands that call AWS; the rest comes from the standard chain.
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// AWS profile to use (default: the standard AWS configuration chain).
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// AWS region for a manifest without `region` (default: AWS_REGION, then the AWS configuration).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
}

impl Command {
    /// Whether the command was asked for JSON (`--format json`), errors included.
    pub fn wants_json(&self) -> bool {
        let plan = |f: &PlanFormat| *f == PlanFormat::Json;
        match self {
            Command::Validate(a) => a.format == Format::Json,
            Command::Init(a) => a.format == Format::Json,
            Command::Plan(a) => plan(&a.format),
            Command::Show { format, .. } => plan(format),
            Command::Status { format, .. } | Command::Models { format } => *format == Format::Json,
            Command::Metrics(a) => a.format == Format::Json,
            Command::Apply(a) => a.format == Format::Json,
            Command::Destroy(a) => a.format == Format::Json,
            Command::Invoke(a) => a.format == Format::Json,
            Command::Logs(a) => a.format == Format::Json,
            Command::Lock { format, .. } | Command::Unlock { format, .. } => {
                *format == Format::Json
            }
            _ => false,
        }
    }
}

impl AwsArgs {
    /// The options the cloud is configured with.
    pub fn options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
        }
    }
}

/// Arguments of `validate`: offline, so a region (to resolve images) but no profile.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Region for a manifest without `region`, to check images offline (default: AWS_REGION, then the AWS configuration).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Fail unless sagetune.lock lets every fine-tune be checked against its pinned spec (for CI).
    #[arg(long)]
    pub require_lock: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Arguments of `iam-policy`.
#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    /// Which commands the policy is for.
    #[arg(long = "for", value_enum, default_value_t = PolicyFor::Apply)]
    pub(crate) purpose: PolicyFor,
    /// The AWS account id (default: the role ARN's account, else `*`).
    #[arg(long, value_name = "ID", value_parser = account_id)]
    pub(crate) account: Option<String>,
    /// Region for a manifest without `region` (default: AWS_REGION, else `*`).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
}

/// The commands an IAM policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyFor {
    /// plan and the read-only commands (status, logs, metrics, requests, lock).
    Plan,
    /// apply (its plan included) and invoke.
    Apply,
    /// destroy.
    Destroy,
}

fn account_id(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err("an AWS account id is 12 digits".to_string())
    }
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The JumpStart model id (`sagetune models` lists them).
    #[arg(long, value_name = "ID")]
    pub(crate) model: String,
    /// An existing S3 bucket (and prefix) for datasets, outputs and the state lock.
    #[arg(long, value_name = "S3_URI")]
    pub(crate) artifacts: String,
    /// The domain text: a folder with `train/` (and `validation/`), or a folder or file used
    /// as train; relative to the manifest's folder.
    #[arg(long, value_name = "PATH", default_value = "data")]
    pub(crate) data: String,
    /// Path of the manifest to write.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        default_value = "sagetune.yaml"
    )]
    pub(crate) file: PathBuf,
    /// The stack name (default: from the manifest's folder name).
    #[arg(long, value_name = "NAME")]
    pub(crate) stack: Option<String>,
    /// An existing SageMaker execution role (default: a role sagetune creates and manages).
    #[arg(long, value_name = "ARN", conflicts_with = "permissions_boundary")]
    pub(crate) role_arn: Option<String>,
    /// The permissions boundary (a managed policy's ARN) of the role sagetune creates.
    #[arg(long, value_name = "ARN")]
    pub(crate) permissions_boundary: Option<String>,
    /// The stack's region (default: AWS_REGION, then the AWS configuration).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Accept the end-user license agreement of a gated model (Llama 2).
    #[arg(long)]
    pub(crate) accept_eula: bool,
    /// Replace an existing manifest.
    #[arg(long)]
    pub(crate) force: bool,
    /// The CSV column or JSON field that holds the text (default: `text`, else the first column).
    #[arg(long, value_name = "NAME")]
    pub(crate) text_column: Option<String>,
    /// Output format of the validation summary.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// A manifest and the AWS settings to read or change its stack with.
#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a new manifest from a data folder and a model id, and validate it (offline).
    Init(InitArgs),
    /// Check the manifest and every dataset offline: no network, no AWS call.
    Validate(ValidateArgs),
    /// Resolve every fine-tune's JumpStart model and pin it in sagetune.lock.
    Lock {
        #[command(flatten)]
        stack: StackArgs,
        /// Output format (`json`: the pins as one JSON document).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the exact SageMaker requests of a fine-tune and its endpoints, as JSON.
    Requests {
        #[command(flatten)]
        stack: StackArgs,
        /// Only this fine-tune (default: all).
        fine_tune: Option<String>,
        /// Fail unless sagetune.lock exists and matches the manifest (for CI).
        #[arg(long)]
        locked: bool,
    },
    /// Show what apply would change in AWS, why, and what it would cost. Reads AWS; changes nothing.
    Plan(PlanArgs),
    /// Plan (or load PLANFILE), ask for approval, then make AWS match the manifest.
    Apply(ApplyArgs),
    /// Delete the stack's endpoints, endpoint configs, models and managed role (jobs are kept).
    Destroy(DestroyArgs),
    /// What the stack has in AWS now: jobs with final metrics, models, configs, endpoints.
    Status {
        #[command(flatten)]
        stack: StackArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Send a prompt to an endpoint of the stack and print what the model generated.
    Invoke(InvokeArgs),
    /// Print a fine-tune's training log (its latest job, or --job), following it with --follow.
    Logs(LogsArgs),
    /// A fine-tune's metric curves, parsed from its training log with the job's own regexes.
    Metrics(MetricsArgs),
    /// Print the least-privilege IAM policy the caller needs to run plan, apply or destroy on this manifest (offline).
    IamPolicy(IamPolicyArgs),
    /// Remove a stuck state lock (after a crash or a second Ctrl-C), naming its id.
    Unlock {
        #[command(flatten)]
        stack: StackArgs,
        /// The lock id, as the "stack is locked by" message shows it.
        #[arg(value_name = "LOCK_ID")]
        lock_id: String,
        /// Output format (`json`: the lock removed, as one JSON document).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Render a plan saved with `plan --out`.
    Show {
        /// The plan file.
        #[arg(value_name = "PLANFILE")]
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
        /// Show long values (IAM policies, the spec's default hyperparameters) in full instead of folded.
        #[arg(long)]
        full: bool,
    },
    /// List the JumpStart models that support domain adaptation.
    Models {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the JSON Schema (draft-07) of the manifest, for editors.
    Schema,
    /// Print a shell completion script (e.g. `sagetune completions bash > /etc/bash_completion.d/sagetune`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with `--dir` write one page per command into a folder,
    /// e.g. `sagetune man --dir ~/.local/share/man/man1`.
    Man {
        /// Write sagetune.1 and a page per subcommand (sagetune-plan.1, …) into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Which manifest to read, and how strictly paths are confined.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// Path of the manifest.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        default_value = "sagetune.yaml"
    )]
    pub(crate) file: PathBuf,
    /// Allow dataset paths (and symlinks) that lead outside the manifest's folder.
    #[arg(long)]
    pub(crate) allow_outside: bool,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Also save the plan (JSON) to this file, for `show` and review.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub(crate) format: PlanFormat,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Fail unless sagetune.lock exists and matches the manifest (for CI).
    #[arg(long)]
    pub(crate) locked: bool,
    /// Stop running training jobs whose result no fine-tune wants any more.
    #[arg(long)]
    pub(crate) stop_orphaned_jobs: bool,
    /// Show long values (IAM policies, the spec's default hyperparameters) in full instead of folded.
    #[arg(long)]
    pub(crate) full: bool,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Apply this saved plan (refused if AWS, the manifest, the lock or the data changed since).
    #[arg(value_name = "PLANFILE")]
    pub(crate) plan_file: Option<PathBuf>,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Return once training jobs and endpoint changes have started; a later apply finishes.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Fail unless sagetune.lock exists and matches the manifest (for CI).
    #[arg(long)]
    pub(crate) locked: bool,
    /// Stop running training jobs whose result no fine-tune wants any more.
    #[arg(long)]
    pub(crate) stop_orphaned_jobs: bool,
    /// Do not stream training jobs' log lines (a failed job's last lines are still shown).
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Say at least this often how a running training job is doing (plain output only).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub(crate) heartbeat: Duration,
    /// Output format (`json`: the plan and what was done, as one JSON document; needs --auto-approve).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// Arguments of `invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The endpoint, by its name in the manifest.
    #[arg(value_name = "ENDPOINT")]
    pub(crate) endpoint: String,
    /// The prompt; `-` (or none, with stdin not a terminal) reads one prompt per line of stdin.
    #[arg(value_name = "PROMPT")]
    pub(crate) prompt: Option<String>,
    /// At most this many new tokens (default: the model's example payload, else 64).
    #[arg(long, value_name = "N")]
    pub(crate) max_new_tokens: Option<u32>,
    /// Print the model's whole answer (JSON) instead of the generated text.
    #[arg(long)]
    pub(crate) raw: bool,
    /// Output format (`json`: every prompt with its answer and latency, as one JSON document).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// Which training job of a fine-tune to read.
#[derive(Debug, Args)]
pub struct JobArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The fine-tune, by its name in the manifest.
    #[arg(value_name = "FINE_TUNE")]
    pub(crate) fine_tune: String,
    /// A given run of the fine-tune, by training job name (default: its latest job).
    #[arg(long, value_name = "NAME")]
    pub(crate) job: Option<String>,
}

/// Arguments of `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub which: JobArgs,
    /// Keep printing new lines until the job ends.
    #[arg(long)]
    pub(crate) follow: bool,
    /// Only lines from this long ago on (e.g. 10m, 2h).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) since: Option<Duration>,
    /// Output format (`json`: JSON Lines, one object per log line, as they are read).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// Arguments of `metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub which: JobArgs,
    /// Output format: a sparkline per metric (human), or the series as JSON.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Also write the curves as an SVG plot to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// Arguments of `destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Destroy without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Also delete protected endpoints.
    #[arg(long)]
    pub(crate) force: bool,
    /// Also delete the uploaded datasets under the artifacts prefix.
    #[arg(long)]
    pub(crate) purge_data: bool,
    /// Stop the stack's running training jobs (they are never deleted).
    #[arg(long)]
    pub(crate) stop_orphaned_jobs: bool,
    /// Output format (`json`: the plan and what was done, as one JSON document; needs --auto-approve).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-style text with a legend, reasons and field diffs.
    Human,
    /// The plan document itself (what `--out` saves).
    Json,
    /// For pull-request comments: a summary table, details folded.
    Markdown,
}

/// How a command prints its result; the same two words on every command (`plan` and `show`
/// add `markdown`). Under `json`, errors are JSON on stdout too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people (tables, charts, summaries).
    #[value(alias = "table")]
    Human,
    /// One JSON document on stdout, errors included.
    Json,
}
