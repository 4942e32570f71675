//! Binds each fine-tune and endpoint of a validated manifest to its resolved JumpStart spec:
//! instance types, the EULA, hyperparameters and channels are checked against the spec, and
//! every problem becomes a diagnostic located at the manifest node it is about. Pure.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use crate::diagnostics::Diagnostic;
use crate::jumpstart::catalog;
use crate::jumpstart::fetch::ResolvedModel;
use crate::jumpstart::hyperparameters::{self, HyperparameterError, Merged, UserValue};
use crate::jumpstart::payload::PayloadFormat;
use crate::jumpstart::settings::{self, Hosting, Training, DEFAULT_MAX_RUNTIME_SECONDS};
use crate::jumpstart::ResolveError;
use crate::manifest::SmokeCase;
use crate::manifest::{
    self, metric_key, Endpoint, FineTune, Gate, GateRule, HyperValue, LoadedManifest, RolloutPlan,
    Sp,
};

use super::Context;

/// An endpoint's smoke test: its prompts and expectations, in the request shape its model
/// wants. Plain data the plan records and apply runs after every create or update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Smoke {
    pub(crate) format: PayloadFormat,
    pub(crate) cases: Vec<SmokeCase>,
}

/// A fine-tune with everything its training job needs from the spec.
#[derive(Debug, Clone)]
pub(crate) struct BoundFineTune {
    pub(crate) name: String,
    pub(crate) model: ResolvedModel,
    pub(crate) dataset: String,
    pub(crate) training: Training,
    pub(crate) hyperparameters: Merged,
    pub(crate) training_channel: String,
    pub(crate) instance_count: u32,
    pub(crate) max_runtime_seconds: u64,
    pub(crate) retrain: u32,
    pub(crate) accept_eula: bool,
}

/// An endpoint with the hosting settings of its fine-tune's model.
#[derive(Debug, Clone)]
pub(crate) struct BoundEndpoint {
    pub(crate) name: String,
    pub(crate) fine_tune: String,
    pub(crate) hosting: Hosting,
    pub(crate) instance_count: u32,
    pub(crate) protect: bool,
    /// The conditions on the fine-tune's final metrics before this endpoint serves it.
    pub(crate) gate: Vec<GateRule>,
    /// The prompts to check it with after every create or update.
    pub(crate) smoke: Option<Smoke>,
    /// How updates shift traffic (blue/green guardrails).
    pub(crate) rollout: Option<RolloutPlan>,
}

/// Every fine-tune and endpoint of the manifest, bound to specs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bound {
    pub(crate) fine_tunes: Vec<BoundFineTune>,
    pub(crate) endpoints: Vec<BoundEndpoint>,
}

/// Binds the manifest to `models` (by fine-tune name); all problems at once.
pub(crate) fn bind(
    loaded: &LoadedManifest,
    models: &BTreeMap<String, ResolvedModel>,
    ctx: &Context,
) -> Result<Bound, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let mut errors = Vec::new();
    let mut bound = Bound::default();
    for (name, ft) in &m.fine_tunes {
        if let Some(model) = models.get(name.get().as_str()) {
            if let Some(b) = fine_tune(loaded, ctx, name, ft, model, &mut errors) {
                bound.fine_tunes.push(b);
            }
        }
    }
    for (name, ep) in &m.endpoints {
        let served = bound
            .fine_tunes
            .iter()
            .find(|f| &f.name == ep.fine_tune.get());
        if let Some(ft) = served {
            if let Some(b) = endpoint(loaded, ctx, name, ep, ft, &bound.endpoints, &mut errors) {
                bound.endpoints.push(b);
            }
        }
    }
    if errors.is_empty() {
        Ok(bound)
    } else {
        Err(errors)
    }
}

/// A spec problem located at `span`.
fn spec_error(
    loaded: &LoadedManifest,
    e: &ResolveError,
    span: Range<usize>,
    label: &str,
) -> Diagnostic {
    Diagnostic::from(e)
        .at(&loaded.source, span, label)
        .with_code("jumpstart::spec")
}

/// One fine-tune bound to its model's spec, or `None` with its problems pushed to `errors`.
fn fine_tune(
    loaded: &LoadedManifest,
    ctx: &Context,
    name: &Sp<String>,
    ft: &FineTune,
    model: &ResolvedModel,
    errors: &mut Vec<Diagnostic>,
) -> Option<BoundFineTune> {
    let spec = &model.spec;
    let accept_eula = ft.accept_eula.as_ref().is_some_and(|a| *a.get());
    if spec.is_gated() && !accept_eula {
        errors.push(
            Diagnostic::new(
                "jumpstart::eula-required",
                format!("`{}` {} is gated: its license must be accepted", spec.model_id, spec.version),
            )
            .at(&loaded.source, ft.model.span(), "gated model")
            .help("read the model's license; if you accept it, add `accept_eula: true` to this fine-tune"),
        );
    }
    let training = training(loaded, ctx, ft, model, errors)?;
    // Bad hyperparameters are pushed to `errors` (so binding fails), but the fine-tune stays
    // bound so that its endpoints are checked too: every problem at once.
    let merged = merged_hyperparameters(loaded, ft, model, &training, errors).unwrap_or_default();
    let max_runtime_seconds = ft
        .max_runtime
        .as_ref()
        .and_then(|r| manifest::parse_max_runtime(r).ok())
        .map(|d: Duration| d.as_secs())
        .or(training.max_run_seconds)
        .unwrap_or(DEFAULT_MAX_RUNTIME_SECONDS);
    Some(BoundFineTune {
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
        accept_eula,
        training,
    })
}

/// The training settings of a fine-tune's spec on its instance type, with a validation file
/// refused when the spec takes none.
fn training(
    loaded: &LoadedManifest,
    ctx: &Context,
    ft: &FineTune,
    model: &ResolvedModel,
    errors: &mut Vec<Diagnostic>,
) -> Option<Training> {
    let spec = &model.spec;
    let instance = ft.instance_type.as_ref().map(|i| i.get().as_str());
    let training = match settings::training(spec, &ctx.region, &ctx.buckets, instance) {
        Ok(t) => t,
        Err(e) => {
            let (span, label) = match (&e, &ft.instance_type) {
                (
                    ResolveError::UnsupportedInstance { .. } | ResolveError::NoImage { .. },
                    Some(it),
                ) => (it.span(), "instance type"),
                _ => (ft.model.span(), "this model"),
            };
            errors.push(spec_error(loaded, &e, span, label));
            return None;
        }
    };
    let datasets = &loaded.manifest.datasets;
    let has_validation =
        (datasets.get(ft.dataset.get().as_str())).is_some_and(|d| d.validation.is_some());
    if has_validation && !training.validation_supported {
        errors.push(
            Diagnostic::new(
                "jumpstart::no-validation-channel",
                format!(
                    "`{}` {} takes no validation data, but dataset `{}` has a validation file",
                    spec.model_id,
                    spec.version,
                    ft.dataset.get()
                ),
            )
            .at(&loaded.source, ft.dataset.span(), "has validation")
            .help(
                "remove `validation` from the dataset, or use a dataset without one for this model",
            ),
        );
    }
    Some(training)
}

/// The spec's defaults overlaid with the fine-tune's hyperparameters, each problem located at
/// the key (unknown name) or the value (invalid).
fn merged_hyperparameters(
    loaded: &LoadedManifest,
    ft: &FineTune,
    model: &ResolvedModel,
    training: &Training,
    errors: &mut Vec<Diagnostic>,
) -> Option<Merged> {
    let user: Vec<(String, UserValue)> = ft
        .hyperparameters
        .iter()
        .filter_map(|(k, v)| {
            user_value(v.get(), loaded.text_of(v.span())).map(|u| (k.get().clone(), u))
        })
        .collect();
    let problems = match hyperparameters::merge(&training.hyperparameters, &user) {
        Ok(merged) => return Some(merged),
        Err(problems) => problems,
    };
    for e in problems {
        let Some((key, value)) = ft.hyperparameters.get_key_value(e.name()) else {
            continue;
        };
        let (span, label) = match e {
            HyperparameterError::Unknown { .. } => (key.span(), "unknown hyperparameter"),
            HyperparameterError::Invalid { .. } => (value.span(), "invalid value"),
        };
        errors.push(
            Diagnostic::new(
                "jumpstart::hyperparameter",
                format!("{e} ({} {})", model.spec.model_id, model.spec.version),
            )
            .at(&loaded.source, span, label)
            .help(e.help(&training.hyperparameters)),
        );
    }
    None
}

/// An endpoint's smoke test in the request shape its model wants, or `None` with the
/// problem pushed when sagetune cannot prompt that model.
fn smoke(
    loaded: &LoadedManifest,
    ep: &Endpoint,
    ft: &BoundFineTune,
    hosting: &Hosting,
    errors: &mut Vec<Diagnostic>,
) -> Option<Smoke> {
    let first = ep.smoke_test.first()?;
    let script_mode = hosting.inference_script_uri.is_some();
    match PayloadFormat::of(&ft.model.spec, &hosting.image, script_mode) {
        Ok(format) => Some(Smoke {
            format,
            cases: ep.smoke_test.iter().map(|t| t.case()).collect(),
        }),
        Err(why) => {
            errors.push(
                Diagnostic::new("manifest::smoke-test-unsupported", why)
                    .at(&loaded.source, first.span(), "smoke test")
                    .help("remove `smoke_test:` for this endpoint; `sagetune invoke --raw` shows what it answers"),
            );
            None
        }
    }
}

/// A fine-tune has one model: an earlier endpoint of it on another container is a problem.
fn container_clash(
    loaded: &LoadedManifest,
    name: &Sp<String>,
    ft: &BoundFineTune,
    hosting: &Hosting,
    earlier: &[BoundEndpoint],
) -> Option<Diagnostic> {
    let other = earlier.iter().find(|other| {
        other.fine_tune == ft.name
            && (other.hosting.image != hosting.image
                || other.hosting.environment != hosting.environment)
    })?;
    Some(
        Diagnostic::new(
            "jumpstart::hosting-mismatch",
            format!("endpoints `{}` and `{}` serve fine-tune `{}` with different containers", other.name, name.get(), ft.name),
        )
        .at(&loaded.source, name.span(), "second endpoint")
        .help("a fine-tune has one model: host it on instance types of the same family, or add a second fine-tune"),
    )
}

/// One endpoint bound to the hosting settings of the fine-tune it serves, or `None` with its
/// problem pushed to `errors` (a fine-tune has one model, so every endpoint of it must agree
/// on the container).
fn endpoint(
    loaded: &LoadedManifest,
    ctx: &Context,
    name: &Sp<String>,
    ep: &Endpoint,
    ft: &BoundFineTune,
    earlier: &[BoundEndpoint],
    errors: &mut Vec<Diagnostic>,
) -> Option<BoundEndpoint> {
    // The gate is judged on the training job's metrics: checked whatever the hosting says.
    let gate = match &ep.gate {
        Some(g) => gate(loaded, g, ft, errors),
        None => Some(Vec::new()),
    };
    let instance = ep.instance_type.as_ref().map(|i| i.get().as_str());
    let hosting = match settings::hosting(
        &ft.model.spec,
        &ctx.region,
        &ctx.buckets,
        instance,
        &ft.training.instance_type,
    ) {
        Ok(h) => h,
        Err(e) => {
            let (span, label) = match &ep.instance_type {
                Some(it) => (it.span(), "instance type"),
                None => (ep.fine_tune.span(), "served model"),
            };
            errors.push(spec_error(loaded, &e, span, label));
            return None;
        }
    };
    if let Some(clash) = container_clash(loaded, name, ft, &hosting, earlier) {
        errors.push(clash);
        return None;
    }
    let smoke = match ep.smoke_test.first() {
        None => None,
        Some(_) => Some(smoke(loaded, ep, ft, &hosting, errors)?),
    };
    let gate = gate?;
    Some(BoundEndpoint {
        name: name.get().clone(),
        fine_tune: ft.name.clone(),
        hosting,
        instance_count: ep.instance_count.as_ref().map(|c| *c.get()).unwrap_or(1),
        protect: ep.protect.as_ref().is_some_and(|p| *p.get()),
        gate,
        smoke,
        rollout: ep.rollout.as_ref().map(|r| r.plan()),
    })
}

/// A gate's rules, each metric one the fine-tune's job reports (its spec's metric
/// definitions); `None` with the problems pushed to `errors` otherwise.
fn gate(
    loaded: &LoadedManifest,
    g: &Sp<Gate>,
    ft: &BoundFineTune,
    errors: &mut Vec<Diagnostic>,
) -> Option<Vec<GateRule>> {
    let reported: Vec<&str> = ft
        .training
        .metrics
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    let mut ok = true;
    for metric in g.metrics() {
        if reported
            .iter()
            .any(|r| metric_key(r) == metric_key(metric.get()))
        {
            continue;
        }
        ok = false;
        let names: Vec<String> = reported.iter().map(|r| metric_key(r)).collect();
        errors.push(
            Diagnostic::new(
                "manifest::unknown-gate-metric",
                format!("fine-tune `{}` reports no metric `{}`", ft.name, metric.get()),
            )
            .at(&loaded.source, metric.span(), "unknown metric")
            .help(match names.is_empty() {
                true => format!("the spec of {} defines no metrics, so no gate can judge its jobs; remove `gate:`", ft.model.spec.model_id),
                false => format!("its training job reports: {} (from the spec of {})", names.join(", "), ft.model.spec.model_id),
            }),
        );
    }
    ok.then(|| g.rules())
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
