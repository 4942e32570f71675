//! Hyperparameters of a domain-adaptation job: spec defaults overlaid by the manifest's
//! values, checked against the spec as the SDK's validator does, forced to domain adaptation,
//! and JSON-quoted for the wire. Pure.

use indexmap::IndexMap;

use super::spec::{python_float, python_str, HyperparameterSpec, HyperparameterType};

/// The hyperparameters sagetune forces to `False` for domain adaptation.
pub(crate) const DOMAIN_ADAPTATION_FLAGS: [&str; 2] = ["instruction_tuned", "chat_dataset"];

/// A value from the manifest, with its exact source text for numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UserValue {
    Bool(bool),
    /// A number as written (`0.0001`, `1e-5`, `3`), never re-formatted.
    Number {
        text: String,
        is_integer: bool,
    },
    Text(String),
}

impl UserValue {
    /// The string the SDK would hold for this value (`str()` of the Python value).
    pub(crate) fn as_sdk_string(&self) -> String {
        match self {
            UserValue::Bool(true) => "True".into(),
            UserValue::Bool(false) => "False".into(),
            UserValue::Number { text, .. } => text.clone(),
            UserValue::Text(t) => t.clone(),
        }
    }
}

/// A hyperparameter the spec rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HyperparameterError {
    /// The spec has no such hyperparameter.
    #[error("the model has no hyperparameter `{name}`")]
    Unknown {
        name: String,
        closest: Option<String>,
    },
    /// The value breaks the spec's type, range or options.
    #[error("hyperparameter `{name}`: {reason}")]
    Invalid { name: String, reason: String },
}

impl HyperparameterError {
    /// The manifest key the error is about.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Unknown { name, .. } | Self::Invalid { name, .. } => name,
        }
    }

    /// How the user fixes it.
    pub(crate) fn help(&self, specs: &[HyperparameterSpec]) -> String {
        match self {
            Self::Unknown {
                closest: Some(c), ..
            } => format!(
                "did you mean `{c}`? the model's hyperparameters: {}",
                names(specs)
            ),
            Self::Unknown { .. } => format!("the model's hyperparameters: {}", names(specs)),
            Self::Invalid { .. } => "change the value to one the model spec allows".into(),
        }
    }
}

fn names(specs: &[HyperparameterSpec]) -> String {
    specs
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The final hyperparameters (unquoted, SDK order) and the notes a plan shows about them.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Merged {
    /// User keys in manifest order, then spec defaults in spec order.
    pub(crate) values: IndexMap<String, String>,
    /// e.g. "chat_dataset: the spec's default True is sent as False (domain adaptation)".
    pub(crate) notes: Vec<String>,
    /// The names the manifest sets, in its order (the rest are the spec's defaults).
    pub(crate) set: Vec<String>,
}

/// Checks `user` against `specs` and overlays it on the defaults; all errors at once.
pub(crate) fn merge(
    specs: &[HyperparameterSpec],
    user: &[(String, UserValue)],
) -> Result<Merged, Vec<HyperparameterError>> {
    let mut errors = Vec::new();
    let mut merged = Merged::default();
    for (name, value) in user {
        match specs.iter().find(|s| &s.name == name) {
            None => errors.push(HyperparameterError::Unknown {
                name: name.clone(),
                closest: closest(name, specs),
            }),
            Some(spec) => match validate(spec, value) {
                Ok(()) => {
                    merged.values.insert(name.clone(), value.as_sdk_string());
                    merged.set.push(name.clone());
                }
                Err(reason) => errors.push(HyperparameterError::Invalid {
                    name: name.clone(),
                    reason,
                }),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for spec in specs {
        if !merged.values.contains_key(&spec.name) {
            let default = spec
                .default
                .as_ref()
                .map(python_str)
                .unwrap_or_else(|| "None".into());
            merged.values.insert(spec.name.clone(), default);
        }
    }
    for flag in DOMAIN_ADAPTATION_FLAGS {
        if let Some(v) = merged.values.get_mut(flag) {
            if !v.eq_ignore_ascii_case("false") {
                merged.notes.push(format!(
                    "{flag}: the spec's default {v} is sent as False (domain adaptation)"
                ));
                *v = "False".into();
            }
        }
    }
    Ok(merged)
}

/// The SDK validator's rules for one value (`sagemaker.jumpstart.validators`).
fn validate(spec: &HyperparameterSpec, value: &UserValue) -> Result<(), String> {
    let text = value.as_sdk_string();
    match spec.kind {
        HyperparameterType::Bool => {
            if matches!(value, UserValue::Bool(_))
                || text.eq_ignore_ascii_case("true")
                || text.eq_ignore_ascii_case("false")
            {
                Ok(())
            } else {
                Err(format!("expected true or false, got `{text}`"))
            }
        }
        HyperparameterType::Text => {
            if matches!(value, UserValue::Number { .. }) {
                return Err(format!(
                    "expected text, got the number {text}; quote it if you mean the text"
                ));
            }
            if let Some(options) = &spec.options {
                let allowed: Vec<String> = options.iter().map(python_str).collect();
                if !allowed.contains(&text) {
                    return Err(format!(
                        "must be one of {}, got `{text}`",
                        allowed.join(", ")
                    ));
                }
            }
            let len = text.chars().count() as f64;
            bounds(spec, len, "length ")
        }
        HyperparameterType::Int | HyperparameterType::Float => {
            let number: f64 = match value {
                UserValue::Bool(_) => return Err(format!("expected a number, got `{text}`")),
                _ => text
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected a number, got `{text}`"))?,
            };
            if spec.kind == HyperparameterType::Int {
                let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("expected a whole number, got `{text}`"));
                }
            }
            bounds(spec, number, "")
        }
    }
}

fn bounds(spec: &HyperparameterSpec, x: f64, what: &str) -> Result<(), String> {
    let show = |b: f64| {
        if b.fract() == 0.0 && b.abs() < 1e15 {
            format!("{}", b as i64)
        } else {
            python_float(b)
        }
    };
    if let Some(min) = spec.min.filter(|m| x < *m) {
        return Err(format!("{what}must be at least {}", show(min)));
    }
    if let Some(max) = spec.max.filter(|m| x > *m) {
        return Err(format!("{what}must be at most {}", show(max)));
    }
    if let Some(min) = spec.exclusive_min.filter(|m| x <= *m) {
        return Err(format!("{what}must be greater than {}", show(min)));
    }
    if let Some(max) = spec.exclusive_max.filter(|m| x >= *m) {
        return Err(format!("{what}must be less than {}", show(max)));
    }
    Ok(())
}

fn closest(name: &str, specs: &[HyperparameterSpec]) -> Option<String> {
    specs
        .iter()
        .map(|s| (strsim::jaro_winkler(name, &s.name), &s.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone())
}

/// The script-mode keys the SDK adds, with the code location for `network_isolation`.
pub(crate) fn script_mode(
    script_uri: &str,
    network_isolation: bool,
    job_name: &str,
    region: &str,
) -> IndexMap<String, String> {
    let submit = if network_isolation {
        "/opt/ml/input/data/code/sourcedir.tar.gz".to_string()
    } else {
        script_uri.to_string()
    };
    let mut out = IndexMap::new();
    out.insert("sagemaker_submit_directory".into(), quote(&submit));
    out.insert(
        "sagemaker_program".into(),
        quote(super::settings::TRAINING_ENTRY_POINT),
    );
    // logging.INFO, an int in the SDK, so json.dumps leaves it unquoted.
    out.insert("sagemaker_container_log_level".into(), "20".into());
    out.insert("sagemaker_job_name".into(), quote(job_name));
    out.insert("sagemaker_region".into(), quote(region));
    out
}

/// `json.dumps` of a string, as the SDK encodes every JumpStart hyperparameter.
pub(crate) fn quote(value: &str) -> String {
    serde_json::to_string(value).expect("strings serialize")
}

/// The inverse of [`quote`] for display: `"\"3\""` → `3`; a value that is not a JSON string
/// is returned as it is.
pub(crate) fn unquote(value: &str) -> String {
    serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> HyperparameterSpec {
        serde_json::from_value(v).unwrap()
    }

    fn specs() -> Vec<HyperparameterSpec> {
        vec![
            spec(
                json!({"name": "epoch", "type": "int", "default": 5, "min": 1, "max": 1000, "scope": "algorithm"}),
            ),
            spec(
                json!({"name": "learning_rate", "type": "float", "default": 0.0001, "min": 1e-08, "max": 1, "scope": "algorithm"}),
            ),
            spec(
                json!({"name": "lora_dropout", "type": "float", "default": 0.05, "exclusive_min": 0, "exclusive_max": 1}),
            ),
            spec(
                json!({"name": "enable_fsdp", "type": "text", "default": "True", "options": ["True", "False"]}),
            ),
            spec(
                json!({"name": "chat_dataset", "type": "text", "default": "True", "options": ["True", "False"]}),
            ),
            spec(
                json!({"name": "instruction_tuned", "type": "text", "default": "False", "options": ["True", "False"]}),
            ),
            spec(
                json!({"name": "target_modules", "type": "text", "default": "q_proj,v_proj", "min": 1, "max": 64}),
            ),
            spec(json!({"name": "use_cache", "type": "bool", "default": true})),
        ]
    }

    fn num(t: &str) -> UserValue {
        UserValue::Number {
            text: t.into(),
            is_integer: !t.contains(['.', 'e']),
        }
    }

    #[test]
    fn defaults_overlaid_in_sdk_order_and_forced_to_domain_adaptation() {
        let m = merge(
            &specs(),
            &[
                ("learning_rate".into(), num("1.10e-5")),
                ("epoch".into(), num("3")),
            ],
        )
        .unwrap();
        let keys: Vec<&str> = m.values.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "learning_rate",
                "epoch",
                "lora_dropout",
                "enable_fsdp",
                "chat_dataset",
                "instruction_tuned",
                "target_modules",
                "use_cache"
            ]
        );
        assert_eq!(m.values["learning_rate"], "1.10e-5");
        assert_eq!(m.values["epoch"], "3");
        assert_eq!(m.values["lora_dropout"], "0.05");
        assert_eq!(m.values["chat_dataset"], "False");
        assert_eq!(m.values["use_cache"], "True");
        assert_eq!(
            m.notes,
            ["chat_dataset: the spec's default True is sent as False (domain adaptation)"]
        );
    }

    #[test]
    fn validation_table() {
        let cases: Vec<(&str, UserValue, &str)> = vec![
            ("epoch", num("0"), "must be at least 1"),
            ("epoch", num("1001"), "must be at most 1000"),
            ("epoch", num("2.5"), "expected a whole number"),
            (
                "epoch",
                UserValue::Text("three".into()),
                "expected a number",
            ),
            ("epoch", UserValue::Bool(true), "expected a number"),
            ("learning_rate", num("2"), "must be at most 1"),
            ("learning_rate", num("1e-9"), "must be at least 1e-08"),
            ("lora_dropout", num("0"), "must be greater than 0"),
            ("lora_dropout", num("1"), "must be less than 1"),
            (
                "enable_fsdp",
                UserValue::Text("yes".into()),
                "must be one of True, False",
            ),
            ("enable_fsdp", num("1"), "expected text"),
            (
                "target_modules",
                UserValue::Text("".into()),
                "length must be at least 1",
            ),
            (
                "use_cache",
                UserValue::Text("maybe".into()),
                "expected true or false",
            ),
        ];
        for (name, value, want) in cases {
            match merge(&specs(), &[(name.into(), value.clone())]) {
                Err(errs) => {
                    assert_eq!(errs.len(), 1);
                    assert!(
                        errs[0].to_string().contains(want),
                        "{name}={value:?}: {}",
                        errs[0]
                    );
                }
                Ok(_) => panic!("{name}={value:?} should fail with {want}"),
            }
        }
        for (name, value) in [
            ("epoch", num("+3")),
            ("enable_fsdp", UserValue::Bool(false)),
            ("use_cache", UserValue::Text("FALSE".into())),
            ("lora_dropout", num("0.5")),
        ] {
            assert!(
                merge(&specs(), &[(name.into(), value.clone())]).is_ok(),
                "{name}={value:?}"
            );
        }
    }

    #[test]
    fn unknown_names_suggest_the_closest_and_all_errors_come_at_once() {
        let errs = merge(
            &specs(),
            &[
                ("epochs".into(), num("3")),
                ("lr".into(), num("1")),
                ("epoch".into(), num("0")),
            ],
        )
        .unwrap_err();
        assert_eq!(errs.len(), 3);
        assert_eq!(
            errs[0],
            HyperparameterError::Unknown {
                name: "epochs".into(),
                closest: Some("epoch".into())
            }
        );
        assert!(matches!(
            &errs[1],
            HyperparameterError::Unknown { closest: None, .. }
        ));
        assert!(errs[0].help(&specs()).starts_with("did you mean `epoch`?"));
    }

    #[test]
    fn wire_quoting_matches_json_dumps() {
        assert_eq!(quote("5"), "\"5\"");
        assert_eq!(quote("q_proj,v_proj"), "\"q_proj,v_proj\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        let sm = script_mode("s3://b/k.tar.gz", false, "job", "us-east-1");
        assert_eq!(sm["sagemaker_submit_directory"], "\"s3://b/k.tar.gz\"");
        assert_eq!(sm["sagemaker_container_log_level"], "20");
        let sm = script_mode("s3://b/k.tar.gz", true, "job", "us-east-1");
        assert_eq!(
            sm["sagemaker_submit_directory"],
            "\"/opt/ml/input/data/code/sourcedir.tar.gz\""
        );
    }
}
