//! Binds each fine-tune and endpoint of a validated manifest to its resolved JumpStart spec:
//! instance types, the EULA, hyperparameters and channels are checked against the spec, and
//! every problem becomes a diagnostic located at the manifest node it is about. Pure.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use crate::diagnostics::Diagnostic;
use crate::jumpstart::catalog;
use crate::jumpstart::fetch::ResolvedModel;
use crate::jumpstart::hyperparameters::{self, HyperparameterError, Merged, UserValue};
use crate::jumpstart::settings::{self, Hosting, Training, DEFAULT_MAX_RUNTIME_SECONDS};
use crate::jumpstart::ResolveError;
use crate::manifest::{self, HyperValue, LoadedManifest};

use super::Context;

/// A fine-tune with everything its training job needs from the spec.
#[derive(Debug, Clone)]
pub struct BoundFineTune {
    pub name: String,
    pub model: ResolvedModel,
    pub dataset: String,
    pub training: Training,
    pub hyperparameters: Merged,
    pub training_channel: String,
    pub instance_count: u32,
    pub max_runtime_seconds: u64,
    pub retrain: u32,
    pub accept_eula: bool,
}

/// An endpoint with the hosting settings of its fine-tune's model.
#[derive(Debug, Clone)]
pub struct BoundEndpoint {
    pub name: String,
    pub fine_tune: String,
    pub hosting: Hosting,
    pub instance_count: u32,
    pub protect: bool,
}

/// Every fine-tune and endpoint of the manifest, bound to specs.
#[derive(Debug, Clone, Default)]
pub struct Bound {
    pub fine_tunes: Vec<BoundFineTune>,
    pub endpoints: Vec<BoundEndpoint>,
}

/// Binds the manifest to `models` (by fine-tune name); all problems at once.
pub fn bind(
    loaded: &LoadedManifest,
    models: &BTreeMap<String, ResolvedModel>,
    ctx: &Context,
) -> Result<Bound, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let mut errors = Vec::new();
    let mut bound = Bound::default();
    let error = |e: &ResolveError, span: Range<usize>, label: &str| {
        Diagnostic::new("jumpstart::spec", e.to_string())
            .at(&loaded.source, span, label)
            .help(e.help())
    };
    for (name, ft) in &m.fine_tunes {
        let Some(model) = models.get(name.get().as_str()) else {
            continue;
        };
        let spec = &model.spec;
        if spec.is_gated() && !ft.accept_eula.as_ref().is_some_and(|a| *a.get()) {
            errors.push(
                Diagnostic::new(
                    "jumpstart::eula-required",
                    format!("`{}` {} is gated: its license must be accepted", spec.model_id, spec.version),
                )
                .at(&loaded.source, ft.model.span(), "gated model")
                .help("read the model's license; if you accept it, add `accept_eula: true` to this fine-tune"),
            );
        }
        let training = match settings::training(
            spec,
            &ctx.region,
            &ctx.buckets,
            ft.instance_type.as_ref().map(|i| i.get().as_str()),
        ) {
            Ok(t) => t,
            Err(e) => {
                let (span, label) = match (&e, &ft.instance_type) {
                    (
                        ResolveError::UnsupportedInstance { .. } | ResolveError::NoImage { .. },
                        Some(it),
                    ) => (it.span(), "instance type"),
                    _ => (ft.model.span(), "this model"),
                };
                errors.push(error(&e, span, label));
                continue;
            }
        };
        let has_validation = m
            .datasets
            .get(ft.dataset.get().as_str())
            .is_some_and(|d| d.validation.is_some());
        if has_validation && !training.validation_supported {
            errors.push(
                Diagnostic::new(
                    "jumpstart::no-validation-channel",
                    format!("`{}` {} takes no validation data, but dataset `{}` has a validation file", spec.model_id, spec.version, ft.dataset.get()),
                )
                .at(&loaded.source, ft.dataset.span(), "has validation")
                .help("remove `validation` from the dataset, or use a dataset without one for this model"),
            );
        }
        let user: Vec<(String, UserValue)> = ft
            .hyperparameters
            .iter()
            .filter_map(|(k, v)| {
                user_value(v.get(), loaded.text_of(v.span())).map(|u| (k.get().clone(), u))
            })
            .collect();
        let merged = match hyperparameters::merge(&training.hyperparameters, &user) {
            Ok(m) => m,
            Err(errs) => {
                for e in errs {
                    let Some((key, value)) = ft.hyperparameters.get_key_value(e.name()) else {
                        continue;
                    };
                    let (span, label) = match e {
                        HyperparameterError::Unknown { .. } => {
                            (key.span(), "unknown hyperparameter")
                        }
                        HyperparameterError::Invalid { .. } => (value.span(), "invalid value"),
                    };
                    errors.push(
                        Diagnostic::new(
                            "jumpstart::hyperparameter",
                            format!("{e} ({} {})", spec.model_id, spec.version),
                        )
                        .at(&loaded.source, span, label)
                        .help(e.help(&training.hyperparameters)),
                    );
                }
                continue;
            }
        };
        let max_runtime_seconds = ft
            .max_runtime
            .as_ref()
            .and_then(|r| manifest::parse_max_runtime(r).ok())
            .map(|d: Duration| d.as_secs())
            .or(training.max_run_seconds)
            .unwrap_or(DEFAULT_MAX_RUNTIME_SECONDS);
        bound.fine_tunes.push(BoundFineTune {
            name: name.get().clone(),
            model: model.clone(),
            dataset: ft.dataset.get().clone(),
            hyperparameters: merged,
            training_channel: catalog::find(&spec.model_id)
                .map(|c| c.training_channel)
                .unwrap_or("training")
                .to_string(),
            instance_count: ft.instance_count.as_ref().map(|c| *c.get()).unwrap_or(1),
            max_runtime_seconds,
            retrain: ft.retrain.as_ref().map(|r| *r.get()).unwrap_or(0),
            accept_eula: ft.accept_eula.as_ref().is_some_and(|a| *a.get()),
            training,
        });
    }
    for (name, ep) in &m.endpoints {
        let Some(ft) = bound
            .fine_tunes
            .iter()
            .find(|f| &f.name == ep.fine_tune.get())
        else {
            continue;
        };
        match settings::hosting(
            &ft.model.spec,
            &ctx.region,
            &ctx.buckets,
            ep.instance_type.as_ref().map(|i| i.get().as_str()),
            &ft.training.instance_type,
        ) {
            Ok(hosting) => {
                let clash = bound.endpoints.iter().find(|other| {
                    other.fine_tune == ft.name
                        && (other.hosting.image != hosting.image
                            || other.hosting.environment != hosting.environment)
                });
                if let Some(other) = clash {
                    errors.push(
                        Diagnostic::new(
                            "jumpstart::hosting-mismatch",
                            format!("endpoints `{}` and `{}` serve fine-tune `{}` with different containers", other.name, name.get(), ft.name),
                        )
                        .at(&loaded.source, name.span(), "second endpoint")
                        .help("a fine-tune has one model: host it on instance types of the same family, or add a second fine-tune"),
                    );
                    continue;
                }
                bound.endpoints.push(BoundEndpoint {
                    name: name.get().clone(),
                    fine_tune: ft.name.clone(),
                    hosting,
                    instance_count: ep.instance_count.as_ref().map(|c| *c.get()).unwrap_or(1),
                    protect: ep.protect.as_ref().is_some_and(|p| *p.get()),
                });
            }
            Err(e) => {
                let (span, label) = match &ep.instance_type {
                    Some(it) => (it.span(), "instance type"),
                    None => (ep.fine_tune.span(), "served model"),
                };
                errors.push(error(&e, span, label));
            }
        }
    }
    if errors.is_empty() {
        Ok(bound)
    } else {
        Err(errors)
    }
}

/// A manifest hyperparameter as the SDK would hold it; numbers keep their source text.
fn user_value(v: &HyperValue, source_text: &str) -> Option<UserValue> {
    Some(match v {
        HyperValue::Bool(b) => UserValue::Bool(*b),
        HyperValue::Int(i) => UserValue::Number {
            text: exact_number(source_text).unwrap_or_else(|| i.to_string()),
            is_integer: true,
        },
        HyperValue::Float(f) => UserValue::Number {
            text: exact_number(source_text).unwrap_or_else(|| f.to_string()),
            is_integer: false,
        },
        HyperValue::Text(t) => UserValue::Text(t.clone()),
        HyperValue::NotScalar(_) => return None,
    })
}

fn exact_number(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE_".contains(&b)))
    .then(|| t.replace('_', ""))
}
