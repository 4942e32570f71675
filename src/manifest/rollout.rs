//! An endpoint's `rollout:` as written — `all_at_once`, `{canary: {size: 10%, wait: 10m}}` or
//! `{linear: {size: 20%, wait: 5m}}`, optionally with `max_model_latency` — and its plain-data
//! form. Shape and schema only; the rules check sizes and durations.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::spanned::Sp;

/// How an endpoint update shifts traffic to the new model, guarded by alarms.
#[derive(Debug, Default)]
pub(crate) struct Rollout {
    pub(crate) canary: Option<Sp<Step>>,
    pub(crate) linear: Option<Sp<Step>>,
    /// `rollout: all_at_once` (or `{all_at_once: {wait: 5m}}`).
    pub(crate) all_at_once: Option<Sp<Bake>>,
    /// The model-latency alarm's threshold (default 5s).
    pub(crate) max_model_latency: Option<Sp<String>>,
}

/// A traffic step: the share of capacity moved at a time and the bake time after it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    /// Share of the capacity, e.g. `10%`.
    pub(crate) size: Sp<String>,
    /// Time to watch the alarms after each step, e.g. `10m` (at most 1h).
    pub(crate) wait: Sp<String>,
}

/// How long to watch the alarms once all traffic moved.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Bake {
    #[serde(default)]
    pub(crate) wait: Option<Sp<String>>,
}

impl<'de> Deserialize<'de> for Rollout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rollout;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`all_at_once`, or a map with `canary` or `linear`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rollout, E> {
                match v {
                    "all_at_once" => Ok(Rollout {
                        all_at_once: None,
                        ..Rollout::default()
                    }),
                    other => Err(E::custom(format!(
                        "unknown rollout `{other}`: write `all_at_once`, `canary: {{size: 10%, wait: 10m}}` or `linear: {{size: 20%, wait: 5m}}`"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rollout, A::Error> {
                let mut r = Rollout::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "canary" => r.canary = Some(map.next_value()?),
                        "linear" => r.linear = Some(map.next_value()?),
                        "all_at_once" => r.all_at_once = Some(map.next_value()?),
                        "max_model_latency" => r.max_model_latency = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["canary", "linear", "all_at_once", "max_model_latency"],
                            ))
                        }
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Rollout {
    fn schema_name() -> String {
        "Rollout".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let mut named = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(vec!["all_at_once".into()]),
            ..Default::default()
        };
        named.metadata().description = Some("Shift all traffic at once.".into());
        let mut map = SchemaObject {
            instance_type: Some(InstanceType::Object.into()),
            ..Default::default()
        };
        let obj = map.object();
        obj.properties
            .insert("canary".into(), gen.subschema_for::<Step>());
        obj.properties
            .insert("linear".into(), gen.subschema_for::<Step>());
        obj.properties
            .insert("all_at_once".into(), gen.subschema_for::<Bake>());
        obj.properties
            .insert("max_model_latency".into(), gen.subschema_for::<String>());
        obj.additional_properties = Some(Box::new(Schema::Bool(false)));
        let mut s = SchemaObject::default();
        s.metadata().description = Some("SageMaker blue/green deployment guardrails for updates of this endpoint, with alarms on its 5xx errors and model latency that roll an update back.".into());
        s.subschemas().one_of = Some(vec![named.into(), map.into()]);
        s.into()
    }
}

pub(crate) use crate::cloud::{RolloutPlan, Traffic};

/// The model-latency threshold when the manifest gives none.
pub(crate) const DEFAULT_MAX_MODEL_LATENCY_MS: u64 = 5_000;

/// `10%` → 10 (1–100), else `None`.
pub(crate) fn percent(s: &str) -> Option<u32> {
    let n: u32 = s.trim().strip_suffix('%')?.trim().parse().ok()?;
    (1..=100).contains(&n).then_some(n)
}

impl Rollout {
    /// The plain form; the rules must have accepted the sizes and durations.
    pub(crate) fn plan(&self) -> RolloutPlan {
        let secs =
            |w: &Sp<String>| humantime::parse_duration(w.get()).map_or(0, |d| d.as_secs() as u32);
        let (traffic, wait_seconds) = match (&self.canary, &self.linear) {
            (Some(c), _) => (
                Traffic::Canary {
                    percent: percent(c.size.get()).unwrap_or(10),
                },
                secs(&c.wait),
            ),
            (None, Some(l)) => (
                Traffic::Linear {
                    percent: percent(l.size.get()).unwrap_or(20),
                },
                secs(&l.wait),
            ),
            (None, None) => (
                Traffic::AllAtOnce,
                self.all_at_once
                    .as_ref()
                    .and_then(|b| b.wait.as_ref())
                    .map_or(0, secs),
            ),
        };
        RolloutPlan {
            traffic,
            wait_seconds,
            max_model_latency_ms: self
                .max_model_latency
                .as_ref()
                .and_then(|l| humantime::parse_duration(l.get()).ok())
                .map_or(DEFAULT_MAX_MODEL_LATENCY_MS, |d| d.as_millis() as u64),
        }
    }
}
