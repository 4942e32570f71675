//! Command-line arguments (clap derive); owns no behaviour beyond parsing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plan/apply for domain-adaptation fine-tuning on Amazon SageMaker JumpStart.
#[derive(Debug, Parser)]
#[command(name = "sagetune", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the manifest and every dataset offline: no network, no AWS call.
    Validate(ManifestArgs),
    /// List the JumpStart models that support domain adaptation.
    Models {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print the JSON Schema (draft-07) of the manifest, for editors.
    Schema,
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
    pub file: PathBuf,
    /// Allow dataset paths (and symlinks) that lead outside the manifest's folder.
    #[arg(long)]
    pub allow_outside: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}
