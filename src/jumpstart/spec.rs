//! The JumpStart model spec (`specs_v<version>.json`) as typed data. Unknown fields are
//! ignored (the specs grow); nothing here reads files or the network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use super::variants::{instance_family, InstanceTypeVariants};

/// The fields of a model spec that training and deployment use.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct ModelSpec {
    pub(crate) model_id: String,
    pub(crate) version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_sdk_version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deprecated_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deprecate_warn_message: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) training_supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) validation_supported: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_script_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_prepacked_script_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_artifact_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_instance_type_variants: Option<InstanceTypeVariants>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_model_package_artifact_uris: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) hyperparameters: Vec<HyperparameterSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) metrics: Vec<MetricDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_training_instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) supported_training_instance_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) estimator_kwargs: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) training_volume_size: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) training_enable_network_isolation: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) gated_bucket: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_eula_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_instance_type_variants: Option<InstanceTypeVariants>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_artifact_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_script_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_prepacked_artifact_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hosting_use_script_uri: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) inference_environment_variables: Vec<EnvironmentVariableSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_inference_instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) supported_inference_instance_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) deploy_kwargs: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inference_volume_size: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) inference_enable_network_isolation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resource_name_base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_training_dataset_key: Option<String>,
    /// Example requests of the deployed model, by name (the SDK's `default_payloads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_payloads: Option<Map<String, Value>>,
    /// The content types the deployed model takes and answers with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) predictor_specs: Option<PredictorSpecs>,
}

/// The content and accept types of a deployed model.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct PredictorSpecs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_accept_type: Option<String>,
}

impl ModelSpec {
    /// The spec as sagetune reads it, with only `region`'s image aliases and model package:
    /// what `sagetune.lock` carries so offline checks need neither the cache nor the network.
    pub(crate) fn for_region(&self, region: &str) -> ModelSpec {
        let mut s = self.clone();
        for variants in [
            &mut s.training_instance_type_variants,
            &mut s.hosting_instance_type_variants,
        ]
        .into_iter()
        .flatten()
        {
            variants.regional_aliases.retain(|r, _| r == region);
        }
        if let Some(uris) = &mut s.training_model_package_artifact_uris {
            uris.retain(|r, _| r == region);
        }
        s
    }

    /// Parses spec JSON, first merging the top-ranked inference config over the base fields
    /// as the SDK does for newer specs.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let mut value: Value = serde_json::from_slice(bytes)?;
        merge_top_inference_config(&mut value);
        serde_json::from_value(value)
    }

    /// `gated_bucket` or a hosting EULA: the model's license must be accepted.
    pub(crate) fn is_gated(&self) -> bool {
        self.gated_bucket || self.hosting_eula_key.is_some()
    }

    /// A numeric `estimator_kwargs` entry, e.g. `max_run`.
    pub(crate) fn estimator_u64(&self, key: &str) -> Option<u64> {
        self.estimator_kwargs.get(key).and_then(Value::as_u64)
    }

    /// A boolean `estimator_kwargs` entry, e.g. `encrypt_inter_container_traffic`.
    pub(crate) fn estimator_bool(&self, key: &str) -> Option<bool> {
        self.estimator_kwargs.get(key).and_then(Value::as_bool)
    }

    /// A numeric `deploy_kwargs` entry, e.g. `model_data_download_timeout`.
    pub(crate) fn deploy_u64(&self, key: &str) -> Option<u64> {
        self.deploy_kwargs.get(key).and_then(Value::as_u64)
    }
}

fn merge_top_inference_config(spec: &mut Value) {
    let Some(obj) = spec.as_object() else { return };
    let top = obj
        .get("inference_config_rankings")
        .and_then(|r| r.get("overall"))
        .and_then(|o| o.get("rankings"))
        .and_then(|r| r.get(0))
        .and_then(Value::as_str);
    let Some(top) = top else { return };
    let components: Vec<String> = obj
        .get("inference_configs")
        .and_then(|c| c.get(top))
        .and_then(|c| c.get("component_names"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let overlays: Vec<Map<String, Value>> = components
        .iter()
        .filter_map(|c| {
            obj.get("inference_config_components")
                .and_then(|all| all.get(c))
                .and_then(Value::as_object)
                .cloned()
        })
        .collect();
    if let Some(obj) = spec.as_object_mut() {
        for overlay in overlays {
            for (k, v) in overlay {
                obj.insert(k, v);
            }
        }
    }
}

/// One hyperparameter of a spec.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct HyperparameterSpec {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: HyperparameterType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default: Option<Value>,
    #[serde(default = "algorithm_scope")]
    pub(crate) scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) options: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exclusive_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exclusive_max: Option<f64>,
}

fn algorithm_scope() -> String {
    "algorithm".into()
}

impl HyperparameterSpec {
    /// Only algorithm-scope hyperparameters are sent from the spec; container-scope ones are
    /// the script-mode keys the SDK regenerates.
    pub(crate) fn is_algorithm(&self) -> bool {
        self.scope == "algorithm"
    }
}

/// The value types a spec declares.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HyperparameterType {
    Int,
    Float,
    Text,
    Bool,
}

pub(crate) use crate::cloud::MetricDefinition;

/// An inference environment variable of a spec.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct EnvironmentVariableSpec {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) required_for_model_class: bool,
}

/// A spec default as the SDK renders it with Python's `str()`: `5`, `0.0001`, `1e-05`, `True`.
pub(crate) fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => python_float(n.as_f64().unwrap_or(0.0)),
        other => other.to_string(),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16.
pub(crate) fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if (-4..16).contains(&exp) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_str_matches_python() {
        let cases = [
            (json!(5), "5"),
            (json!(-1), "-1"),
            (json!(0.0001), "0.0001"),
            (json!(1e-05), "1e-05"),
            (json!(1e-08), "1e-08"),
            (json!(6e-06), "6e-06"),
            (json!(0.05), "0.05"),
            (json!(5.0), "5.0"),
            (json!(1e16), "1e+16"),
            (json!(123456.5), "123456.5"),
            (json!(true), "True"),
            (json!("False"), "False"),
        ];
        for (v, want) in cases {
            assert_eq!(python_str(&v), want, "{v}");
        }
    }

    #[test]
    fn the_spec_a_lock_carries_reads_back_the_same_for_its_region() {
        let path = "tests/fixtures/jumpstart/specs/community_models/meta-textgeneration-llama-2-7b/specs_v3.0.0.json";
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + path).unwrap();
        let spec = ModelSpec::from_json(&bytes).unwrap();
        let carried = spec.for_region("us-west-2");
        let text = serde_json::to_vec(&carried).unwrap();
        let back = ModelSpec::from_json(&text).unwrap();
        assert_eq!(back, carried);
        let aliases = |s: &ModelSpec| {
            let v = s.training_instance_type_variants.as_ref().unwrap();
            v.regional_aliases.keys().cloned().collect::<Vec<_>>()
        };
        assert!(aliases(&spec).len() > 1, "the fixture has several regions");
        assert_eq!(aliases(&back), ["us-west-2"]);
        // What the checks read is unchanged: hyperparameters, types, metrics, payloads.
        assert_eq!(back.hyperparameters, spec.hyperparameters);
        assert_eq!(
            back.supported_training_instance_types,
            spec.supported_training_instance_types
        );
        assert_eq!(back.metrics, spec.metrics);
        assert_eq!(back.default_payloads, spec.default_payloads);
    }

    #[test]
    fn families_follow_the_sdk_regex() {
        assert_eq!(instance_family("ml.g5.12xlarge"), Some("g5"));
        assert_eq!(instance_family("ml.p4de.24xlarge"), Some("p4de"));
        assert_eq!(instance_family("ml.trn1n.32xlarge"), Some("trn1n"));
        assert_eq!(instance_family("g5.12xlarge"), None);
    }

    #[test]
    fn variant_lookup_prefers_the_instance_and_merges_maps() {
        let v: InstanceTypeVariants = serde_json::from_value(json!({
            "regional_aliases": {"us-west-2": {"gpu": "img-gpu", "special": "img-special"}},
            "variants": {
                "g5": {"regional_properties": {"image_uri": "$gpu"},
                       "properties": {"environment_variables": {"A": "1", "B": "family"},
                                      "gated_model_key_env_var_value": "g5/key"}},
                "ml.g5.48xlarge": {"regional_properties": {"image_uri": "$special"},
                                   "properties": {"environment_variables": {"B": "instance"}}}
            }
        }))
        .unwrap();
        assert_eq!(
            v.regional("ml.g5.12xlarge", "us-west-2", "image_uri")
                .as_deref(),
            Some("img-gpu")
        );
        assert_eq!(
            v.regional("ml.g5.48xlarge", "us-west-2", "image_uri")
                .as_deref(),
            Some("img-special")
        );
        assert_eq!(v.regional("ml.g5.12xlarge", "eu-west-1", "image_uri"), None);
        assert_eq!(v.regional("ml.p3.2xlarge", "us-west-2", "image_uri"), None);
        let env = v.merged_map("ml.g5.48xlarge", "environment_variables");
        assert_eq!(env["A"], "1");
        assert_eq!(env["B"], "instance");
        assert_eq!(
            v.property("ml.g5.48xlarge", "gated_model_key_env_var_value")
                .and_then(Value::as_str),
            Some("g5/key")
        );
    }

    #[test]
    fn top_ranked_inference_config_overrides_base_fields() {
        let spec = json!({
            "model_id": "m", "version": "1.0.0",
            "default_inference_instance_type": "ml.g5.2xlarge",
            "inference_configs": {"tgi": {"component_names": ["tgi"]}},
            "inference_config_components": {"tgi": {"default_inference_instance_type": "ml.g5.12xlarge"}},
            "inference_config_rankings": {"overall": {"rankings": ["tgi"]}}
        });
        let parsed = ModelSpec::from_json(spec.to_string().as_bytes()).unwrap();
        assert_eq!(
            parsed.default_inference_instance_type.as_deref(),
            Some("ml.g5.12xlarge")
        );
    }
}
