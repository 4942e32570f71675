//! `sagetune schema`: the manifest's JSON Schema, exactly as committed in `schemas/`.

use super::Outcome;

/// The pretty-printed schema followed by a newline.
pub fn render() -> String {
    crate::manifest::schema_text()
}

pub fn run() -> Outcome {
    Outcome::printed(render())
}
