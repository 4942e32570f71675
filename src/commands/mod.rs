//! The commands: each parses nothing itself (clap did), calls its stage function and renders
//! the result into an [`Outcome`]: text for stdout and stderr and an exit status. `terminal`
//! holds what apply and destroy share with the user's terminal (approval, progress, Ctrl-C).

pub mod apply;
mod approval;
pub mod destroy;
pub mod iam_policy;
pub mod init;
pub mod invoke;
mod job;
pub mod lock;
pub mod logs;
pub mod metrics;
pub mod models;
mod outcome;
pub mod plan;
mod prompts;
pub mod requests;
pub mod schema;
pub mod shell;
pub mod status;
mod terminal;
pub mod validate;

pub use outcome::{ExitStatus, Outcome};
