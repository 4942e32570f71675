//! An endpoint's `smoke_test:` as written: prompts sent to it after every create or update,
//! each with what its answer must satisfy. Shape and schema here; the plain-data form apply
//! runs is [`SmokeCase`].

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::spanned::Sp;

/// One prompt and the expectations on its answer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmokeTest {
    /// The prompt sent to the endpoint.
    #[schemars(length(min = 1))]
    pub(crate) prompt: Sp<String>,
    /// The generated text has at least this many characters.
    #[serde(default)]
    pub(crate) min_chars: Option<Sp<u32>>,
    /// Text (or texts) the generated text must contain.
    #[serde(default)]
    pub(crate) contains: Option<Sp<Texts>>,
    /// Text (or texts) the generated text must not contain.
    #[serde(default)]
    pub(crate) not_contains: Option<Sp<Texts>>,
    /// The answer comes within this time (e.g. `2s`, `500ms`).
    #[serde(default)]
    pub(crate) max_latency: Option<Sp<String>>,
    /// At most this many new tokens (default: the model's usual request).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) max_new_tokens: Option<Sp<u32>>,
}

/// One text or several.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Texts {
    One(String),
    Many(Vec<String>),
}

impl Texts {
    fn list(&self) -> Vec<String> {
        match self {
            Texts::One(t) => vec![t.clone()],
            Texts::Many(ts) => ts.clone(),
        }
    }
}

/// A smoke test as plain data: what the plan records and apply runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SmokeCase {
    pub(crate) prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_chars: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_contains: Vec<String>,
    /// Milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_new_tokens: Option<u32>,
}

impl SmokeTest {
    /// The plain form; `max_latency` must already have passed the rules' check.
    pub(crate) fn case(&self) -> SmokeCase {
        SmokeCase {
            prompt: self.prompt.get().clone(),
            min_chars: self.min_chars.as_ref().map(|m| *m.get()),
            contains: self.contains.as_ref().map(|t| t.list()).unwrap_or_default(),
            not_contains: self
                .not_contains
                .as_ref()
                .map(|t| t.list())
                .unwrap_or_default(),
            max_latency_ms: self
                .max_latency
                .as_ref()
                .and_then(|l| humantime::parse_duration(l.get()).ok())
                .map(|d: Duration| d.as_millis() as u64),
            max_new_tokens: self.max_new_tokens.as_ref().map(|m| *m.get()),
        }
    }
}
