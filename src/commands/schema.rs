//! `sagetune schema`: the manifest's JSON Schema, exactly as committed in `schemas/`.

use super::Outcome;

/// The pretty-printed schema followed by a newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&crate::manifest::json_schema())
        .expect("a schema is always serializable");
    s.push('\n');
    s
}

pub fn run() -> Outcome {
    Outcome::printed(render())
}
