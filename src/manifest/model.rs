//! The manifest v1 as typed data with source spans; owns the shape and the JSON Schema, not the
//! meaning (semantic rules live in `rules.rs`).

use indexmap::IndexMap;
use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SingleOrVec};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::gate::Gate;
use super::rollout::Rollout;
use super::smoke::SmokeTest;
use super::spanned::Sp;

/// Pattern of `stack`; it prefixes every AWS name and tags ownership.
pub(crate) const STACK_PATTERN: &str = "^[a-z][a-z0-9-]{0,23}$";
/// Pattern of dataset, fine-tune and endpoint names (`<stack>-<name>` must fit in 63 characters).
pub(crate) const NAME_PATTERN: &str = "^[a-z]([a-z0-9-]{0,36}[a-z0-9])?$";
/// Pattern of `instance_type`.
pub(crate) const INSTANCE_TYPE_PATTERN: &str = r"^ml\.[a-z0-9-]+\.[a-z0-9-]+$";
/// Pattern of `model_version`: `*`, a prefix such as `3.*`, or an exact version.
pub(crate) const MODEL_VERSION_PATTERN: &str = r"^(\*|[0-9]+(\.[0-9]+)*(\.\*)?)$";
/// Pattern of a hyperparameter name.
pub(crate) const HYPERPARAMETER_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// An AWS region name (`us-east-1`).
pub(crate) const REGION_PATTERN: &str = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$";
/// An IAM role ARN, in any partition.
pub(crate) const ROLE_ARN_PATTERN: &str =
    r"^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$";
/// A managed IAM policy's ARN (a permissions boundary), the account's or AWS's.
pub(crate) const POLICY_ARN_PATTERN: &str = r"^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::([0-9]{12}|aws):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$";

/// A sagetune manifest (v1): the datasets, fine-tunes and endpoints of one stack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sagetune manifest v1")]
pub(crate) struct Manifest {
    /// Name of the stack: prefixes every AWS name sagetune creates and tags ownership.
    #[schemars(regex = "STACK_PATTERN")]
    pub(crate) stack: Sp<String>,
    /// AWS region, e.g. `us-east-1`. Default: from the AWS configuration chain.
    #[serde(default)]
    #[schemars(regex = "REGION_PATTERN")]
    pub(crate) region: Option<Sp<String>>,
    /// S3 prefix for datasets, outputs and the state lock: `s3://bucket/prefix/`. The bucket must already exist.
    #[schemars(regex(pattern = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^/]+/)*$"))]
    pub(crate) artifacts: Sp<String>,
    /// Execution role for SageMaker: exactly one of `arn` or `create: true`.
    pub(crate) role: Sp<Role>,
    /// Tags added to every resource sagetune creates.
    #[serde(default)]
    pub(crate) tags: IndexMap<Sp<String>, Sp<String>>,
    /// Domain text datasets, by name.
    #[serde(default)]
    #[schemars(schema_with = "named_map::<Dataset>")]
    pub(crate) datasets: IndexMap<Sp<String>, Sp<Dataset>>,
    /// Fine-tuning jobs, by name.
    #[serde(default)]
    #[schemars(schema_with = "named_map::<FineTune>")]
    pub(crate) fine_tunes: IndexMap<Sp<String>, Sp<FineTune>>,
    /// Endpoints serving fine-tuned models, by name.
    #[serde(default)]
    #[schemars(schema_with = "named_map::<Endpoint>")]
    pub(crate) endpoints: IndexMap<Sp<String>, Sp<Endpoint>>,
}

/// The SageMaker execution role: an existing role (`arn`) or one sagetune manages (`create: true`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Role {
    /// ARN of an existing IAM role that SageMaker can assume.
    #[serde(default)]
    #[schemars(regex = "ROLE_ARN_PATTERN")]
    pub(crate) arn: Option<Sp<String>>,
    /// `true`: sagetune manages the role `<stack>-sagemaker-execution` with least privilege.
    #[serde(default)]
    #[schemars(schema_with = "const_true")]
    pub(crate) create: Option<Sp<bool>>,
    /// With `create: true`: the ARN of the IAM policy that bounds the managed role (its
    /// permissions boundary). `sagetune iam-policy` then lets the caller create and change
    /// the role only with this boundary, so the apply credentials cannot grant themselves more.
    #[serde(default)]
    #[schemars(regex = "POLICY_ARN_PATTERN")]
    pub(crate) permissions_boundary: Option<Sp<String>>,
}

/// A dataset: one training file (and optionally one validation file) of domain text.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dataset {
    /// A `.csv`, `.json`, `.jsonl` or `.txt` file, or a folder holding exactly one such file; relative to the manifest.
    pub(crate) train: Sp<String>,
    /// Optional validation data, same rules as `train`.
    #[serde(default)]
    pub(crate) validation: Option<Sp<String>>,
    /// Column (CSV) or field (JSON) holding the text. Default: `text` if present, else the first column.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) text_column: Option<Sp<String>>,
}

/// A domain-adaptation fine-tune of a JumpStart model on one dataset.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FineTune {
    /// JumpStart model id, e.g. `huggingface-textgeneration1-gpt-j-6b` (see `sagetune models`).
    pub(crate) model: Sp<String>,
    /// Model version: `*` (latest), a prefix such as `3.*`, or an exact version. Pinned in `sagetune.lock`.
    #[serde(default)]
    #[schemars(regex = "MODEL_VERSION_PATTERN")]
    pub(crate) model_version: Option<Sp<String>>,
    /// Name of a dataset of this manifest.
    pub(crate) dataset: Sp<String>,
    /// Training instance type. Default: the model spec's default; must be supported by the model.
    #[serde(default)]
    #[schemars(regex = "INSTANCE_TYPE_PATTERN")]
    pub(crate) instance_type: Option<Sp<String>>,
    /// Number of training instances. Default: 1.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) instance_count: Option<Sp<u32>>,
    /// Hyperparameters; names, types and ranges are checked against the model spec.
    #[serde(default)]
    pub(crate) hyperparameters: IndexMap<Sp<String>, Sp<HyperValue>>,
    /// Maximum training time (e.g. `10h`, `2days`), at most 28 days. Default: from the model spec, else 24h.
    #[serde(default)]
    pub(crate) max_runtime: Option<Sp<String>>,
    /// Must be `true` for gated models (Llama 2): you accept the model's end-user license agreement.
    #[serde(default)]
    pub(crate) accept_eula: Option<Sp<bool>>,
    /// Bump to force a new training run with identical inputs. Default: 0.
    #[serde(default)]
    pub(crate) retrain: Option<Sp<u32>>,
}

/// A real-time SageMaker endpoint serving a fine-tuned model.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Endpoint {
    /// Name of a fine-tune of this manifest.
    pub(crate) fine_tune: Sp<String>,
    /// Hosting instance type. Default: the model spec's default; must be supported by the model.
    #[serde(default)]
    #[schemars(regex = "INSTANCE_TYPE_PATTERN")]
    pub(crate) instance_type: Option<Sp<String>>,
    /// Number of hosting instances. Default: 1.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) instance_count: Option<Sp<u32>>,
    /// Refuse to delete this endpoint; also stored as a tag in AWS.
    #[serde(default)]
    pub(crate) protect: Option<Sp<bool>>,
    /// Conditions the new fine-tune's final metrics must meet before this endpoint serves it.
    #[serde(default)]
    pub(crate) gate: Option<Sp<Gate>>,
    /// Prompts sent after every create or update, with expectations on the answers; a
    /// failure after an update rolls the endpoint back to the config it served before.
    #[serde(default)]
    pub(crate) smoke_test: Vec<Sp<SmokeTest>>,
    /// Blue/green guardrails for updates: `all_at_once`, `canary` or `linear`, rolled back by
    /// alarms on the endpoint's 5xx errors and model latency that sagetune manages.
    #[serde(default)]
    pub(crate) rollout: Option<Sp<Rollout>>,
}

/// A hyperparameter value as written: scalars only. The exact text of numbers is recovered
/// from the source span, so `1.10` stays `1.10`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HyperValue {
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    /// A list, a map or null, which SageMaker cannot take; kept so the error can be located.
    NotScalar(&'static str),
}

impl<'de> Deserialize<'de> for HyperValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HyperValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<HyperValue, E> {
                Ok(HyperValue::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<HyperValue, E> {
                Ok(HyperValue::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<HyperValue, E> {
                Ok(HyperValue::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<HyperValue, E> {
                Ok(HyperValue::Int(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<HyperValue, E> {
                i128::try_from(v)
                    .map(HyperValue::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<HyperValue, E> {
                Ok(HyperValue::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<HyperValue, E> {
                Ok(HyperValue::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<HyperValue, E> {
                Ok(HyperValue::Text(v))
            }
            fn visit_unit<E>(self) -> Result<HyperValue, E> {
                Ok(HyperValue::NotScalar("null"))
            }
            fn visit_none<E>(self) -> Result<HyperValue, E> {
                Ok(HyperValue::NotScalar("null"))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<HyperValue, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(HyperValue::NotScalar("a list"))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<HyperValue, A::Error> {
                while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(HyperValue::NotScalar("a map"))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for HyperValue {
    fn schema_name() -> String {
        "HyperparameterValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = SchemaObject {
            instance_type: Some(SingleOrVec::Vec(vec![
                InstanceType::String,
                InstanceType::Number,
                InstanceType::Integer,
                InstanceType::Boolean,
            ])),
            ..Default::default()
        };
        s.metadata().description = Some("A scalar: string, number or boolean.".into());
        s.into()
    }
}

/// Schema of a map keyed by names that follow [`NAME_PATTERN`].
fn named_map<V: JsonSchema>(gen: &mut SchemaGenerator) -> Schema {
    let mut s = SchemaObject {
        instance_type: Some(InstanceType::Object.into()),
        ..Default::default()
    };
    let obj = s.object();
    obj.additional_properties = Some(Box::new(gen.subschema_for::<V>()));
    let names = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        string: Some(Box::new(schemars::schema::StringValidation {
            pattern: Some(NAME_PATTERN.into()),
            ..Default::default()
        })),
        ..Default::default()
    };
    obj.property_names = Some(Box::new(names.into()));
    s.into()
}

fn const_true(_: &mut SchemaGenerator) -> Schema {
    SchemaObject {
        const_value: Some(serde_json::Value::Bool(true)),
        ..Default::default()
    }
    .into()
}
