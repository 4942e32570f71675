//! The commands: each takes parsed arguments, does its work and returns what to print and
//! the exit status. Rendering of diagnostics is delegated to `diagnostics`.

pub mod models;
pub mod schema;
pub mod validate;

/// What a command produced: text for stdout, text for stderr, and success or failure.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
}
