//! The manifest: YAML → typed structs with spans (`model`, `parse`) → semantic checks
//! (`rules`). Owns every manifest diagnostic; does no network or AWS access.

mod gate;
mod model;
mod parse;
mod rollout;
mod rules;
pub(crate) mod scaffold;
mod smoke;
mod spanned;

pub(crate) use gate::{metric_key, Gate, GateRule, GateTest};
pub(crate) use model::{Endpoint, FineTune, HyperValue, Manifest};
pub use parse::{load, LoadedManifest};
pub(crate) use rollout::{RolloutPlan, Traffic};
pub(crate) use rules::{check, closest, parse_max_runtime};
pub(crate) use smoke::SmokeCase;
pub(crate) use spanned::Sp;

/// The JSON Schema (draft-07) of the manifest, pretty-printed with a final newline, exactly
/// as committed in `schemas/sagetune.schema.json` (and as `init` writes it beside a manifest).
pub(crate) fn schema_text() -> String {
    let settings = schemars::gen::SchemaSettings::draft07();
    let schema = settings.into_generator().into_root_schema_for::<Manifest>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is always serializable");
    text.push('\n');
    text
}
