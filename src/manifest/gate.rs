//! An endpoint's `gate:` as written: bounds on the new training job's final metrics
//! (`eval_loss: {max: 1.8}`) and metrics that must beat the job served now
//! (`better_than_serving: eval_loss`). Shape and schema only; the metric names are checked
//! against the model's spec when the manifest is bound.

use indexmap::IndexMap;
use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SingleOrVec};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::spanned::Sp;

/// The key of the relative rule in a gate.
pub(crate) const BETTER_THAN_SERVING: &str = "better_than_serving";

/// Conditions on a new fine-tune's final metrics before an endpoint may serve it.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// Metric name → bounds its final value must lie within.
    pub(crate) bounds: IndexMap<Sp<String>, Sp<Bounds>>,
    /// Metrics whose final value must be lower than that of the job served now.
    pub(crate) better_than_serving: Vec<Sp<String>>,
}

/// Inclusive bounds on a metric's final value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Bounds {
    /// The value must be at most this.
    #[serde(default)]
    pub(crate) max: Option<Sp<f64>>,
    /// The value must be at least this.
    #[serde(default)]
    pub(crate) min: Option<Sp<f64>>,
}

/// One metric name or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Sp<String>),
    Many(Vec<Sp<String>>),
}

impl<'de> Deserialize<'de> for Gate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Gate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of metric names to {max, min}, and `better_than_serving`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Gate, A::Error> {
                let mut gate = Gate::default();
                while let Some(key) = map.next_key::<Sp<String>>()? {
                    if key.get() == BETTER_THAN_SERVING {
                        gate.better_than_serving = match map.next_value::<OneOrMany>()? {
                            OneOrMany::One(m) => vec![m],
                            OneOrMany::Many(ms) => ms,
                        };
                    } else {
                        let bounds = map.next_value::<Sp<Bounds>>()?;
                        if gate.bounds.insert(key.clone(), bounds).is_some() {
                            return Err(de::Error::custom(format!(
                                "metric `{}` appears twice in the gate",
                                key.get()
                            )));
                        }
                    }
                }
                Ok(gate)
            }
        }
        d.deserialize_map(V)
    }
}

impl JsonSchema for Gate {
    fn schema_name() -> String {
        "Gate".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let names = SchemaObject {
            instance_type: Some(SingleOrVec::Vec(vec![
                InstanceType::String,
                InstanceType::Array,
            ])),
            array: Some(Box::new(schemars::schema::ArrayValidation {
                items: Some(SingleOrVec::Single(Box::new(gen.subschema_for::<String>()))),
                ..Default::default()
            })),
            ..Default::default()
        };
        let mut s = SchemaObject {
            instance_type: Some(InstanceType::Object.into()),
            ..Default::default()
        };
        s.metadata().description = Some(
            "Conditions on the new training job's final metrics (e.g. `eval_loss: {max: 1.8}`); `better_than_serving: eval_loss` requires a lower value than the job served now. A failed gate keeps the endpoint on its current model.".into(),
        );
        let obj = s.object();
        obj.properties
            .insert(BETTER_THAN_SERVING.into(), names.into());
        obj.additional_properties = Some(Box::new(gen.subschema_for::<Bounds>()));
        s.into()
    }
}

/// One rule of a gate, as plain data (what the plan records and apply judges).
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub(crate) struct GateRule {
    /// The metric as written in the manifest (`eval_loss`); it matches a job's final metric
    /// of the same name, or one whose last `:`-part reads the same with `-` for `_`
    /// (`huggingface-textgeneration:eval-loss`).
    pub(crate) metric: String,
    pub(crate) test: GateTest,
}

/// What a gate rule asks of a metric's final value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GateTest {
    AtMost(f64),
    AtLeast(f64),
    /// Lower than the job served now (losses and perplexities: lower is better).
    BetterThanServing,
}

impl Gate {
    /// The rules in the order written: bounds first, then the relative rules.
    pub(crate) fn rules(&self) -> Vec<GateRule> {
        let mut out = Vec::new();
        for (metric, b) in &self.bounds {
            if let Some(max) = &b.max {
                out.push(GateRule {
                    metric: metric.get().clone(),
                    test: GateTest::AtMost(*max.get()),
                });
            }
            if let Some(min) = &b.min {
                out.push(GateRule {
                    metric: metric.get().clone(),
                    test: GateTest::AtLeast(*min.get()),
                });
            }
        }
        for m in &self.better_than_serving {
            out.push(GateRule {
                metric: m.get().clone(),
                test: GateTest::BetterThanServing,
            });
        }
        out
    }

    /// Every metric name with where it is written.
    pub(crate) fn metrics(&self) -> impl Iterator<Item = &Sp<String>> {
        self.bounds.keys().chain(&self.better_than_serving)
    }
}

/// The comparable form of a metric name: its last `:`-part, `-` read as `_`, lower case.
pub(crate) fn metric_key(name: &str) -> String {
    name.rsplit(':')
        .next()
        .unwrap_or(name)
        .replace('-', "_")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_match_the_specs_namespaced_ones() {
        assert_eq!(
            metric_key("huggingface-textgeneration:eval-loss"),
            "eval_loss"
        );
        assert_eq!(metric_key("eval_loss"), "eval_loss");
        assert_eq!(
            metric_key("huggingface-textgeneration:eval-ppl"),
            "eval_ppl"
        );
    }
}
