//! The manifest: YAML → typed structs with spans (`model`, `parse`) → semantic checks
//! (`rules`). Owns every manifest diagnostic; does no network or AWS access.

mod gate;
mod model;
mod parse;
mod rollout;
mod rules;
pub mod scaffold;
mod smoke;
mod spanned;

pub use gate::{metric_key, Bounds, Gate, GateRule, GateTest, BETTER_THAN_SERVING};
pub use model::{
    Dataset, Endpoint, FineTune, HyperValue, Manifest, Role, HYPERPARAMETER_NAME_PATTERN,
    INSTANCE_TYPE_PATTERN, MODEL_VERSION_PATTERN, NAME_PATTERN, STACK_PATTERN,
};
pub use parse::{load, LoadedManifest};
pub use rollout::{percent, Rollout, RolloutPlan, Traffic, DEFAULT_MAX_MODEL_LATENCY_MS};
pub use rules::{check, closest, parse_max_runtime, MAX_RUNTIME_LIMIT};
pub use smoke::{SmokeCase, SmokeTest, Texts};
pub use spanned::Sp;

/// The JSON Schema (draft-07) of the manifest, pretty-printed with a final newline, exactly
/// as committed in `schemas/sagetune.schema.json` (and as `init` writes it beside a manifest).
pub(crate) fn schema_text() -> String {
    let settings = schemars::gen::SchemaSettings::draft07();
    let schema = settings.into_generator().into_root_schema_for::<Manifest>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is always serializable");
    text.push('\n');
    text
}
