//! The commands: each takes parsed arguments, does its work and returns what to print and
//! the exit status. Rendering of diagnostics is delegated to `diagnostics`.

pub mod apply;
pub mod context;
pub mod destroy;
pub mod lock;
pub mod models;
pub mod plan;
pub mod requests;
pub mod schema;
pub mod stack;
pub mod status;
pub mod validate;

/// What a command produced: text for stdout, text for stderr, and success or failure.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
    /// Exit 2 instead of 0 (`--detailed-exitcode` with changes present).
    pub changes_present: bool,
}

impl Outcome {
    /// A failed command: its diagnostics and a closing `error:` line on stderr.
    pub fn failed(diags: &[crate::diagnostics::Diagnostic], closing: &str) -> Self {
        Self {
            stdout: String::new(),
            stderr: lock::render_failure(diags, closing),
            success: false,
            changes_present: false,
        }
    }
}
