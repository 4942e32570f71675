//! Everything sagetune prints besides diagnostics. Plans: human (Terraform's style), JSON
//! (the plan file itself) and Markdown (pull-request comments), each from the `Plan` document
//! alone so the three can never disagree. Also `validate`'s summary, apply's progress and
//! closing report, `status` tables, training logs and metric charts, each from the data its
//! stage returned. Renders only: no AWS, no decisions.

mod catalog;
pub(crate) mod chart;
mod colour;
mod data;
mod gate;
mod human;
pub(crate) mod invoke;
mod markdown;
mod pins;
pub mod progress;
mod report;
mod requests;
mod status;
pub(crate) mod training;
pub(crate) mod units;
mod validate;

pub(crate) use catalog::catalog_table;
pub(crate) use colour::human_for_stdout;
pub(crate) use data::data_lines;
pub(crate) use gate::promotion_lines;
pub use human::{human, human_with};
pub use markdown::{markdown, MARKDOWN_LIMIT};
pub(crate) use pins::{relocked, relocked_json};
pub use report::report;
pub(crate) use report::{destroy_report, report_json, try_it};
pub(crate) use requests::requests;
pub use status::status_table;
pub(crate) use validate::{validated, validated_json};

use units::{money, plural, size};

use std::time::Duration;

use crate::cloud::requests::CreateTrainingJob;
use crate::desired::naming::{TAG_JS_MODEL_ID, TAG_JS_MODEL_VERSION};
use crate::jumpstart::hyperparameters::unquote;
use crate::plan::{cost::Cost, Change, FieldDiff, Plan, Request, Summary};

/// The plan file's JSON.
pub fn json(plan: &Plan) -> String {
    plan.to_json()
}

/// What apply asks after showing the plan, up to the prompt.
pub(crate) fn approval_question(plan: &Plan) -> String {
    format!(
        "\nDo you want to perform these actions on stack {}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        plan.stack
    )
}

/// What destroy says when the stack holds nothing it would delete.
pub(crate) fn nothing_to_destroy(plan: &Plan) -> String {
    format!(
        "Nothing to destroy: stack {} has no endpoint, endpoint config, model or managed role left (training jobs are kept as history).\n",
        plan.stack
    )
}

/// Any serializable value as pretty JSON with a final newline (`--format json` outputs).
pub(crate) fn json_value(value: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("sagetune's own data serializes");
    s.push('\n');
    s
}

/// `Plan: 2 to add, 1 to change, 0 to destroy.` plus waits and stops when there are any.
pub(crate) fn totals(s: &Summary) -> String {
    let mut line = format!(
        "Plan: {} to add, {} to change, {} to destroy",
        s.add, s.change, s.destroy
    );
    if s.wait > 0 {
        line.push_str(&format!(", {} to wait for", s.wait));
    }
    if s.stop > 0 {
        line.push_str(&format!(", {} to stop", s.stop));
    }
    if s.verify > 0 {
        line.push_str(&format!(", {} to verify", s.verify));
    }
    line.push('.');
    line
}

/// `1 training job to run, 415 KiB to upload.`, or empty.
pub(crate) fn work(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.jobs_to_run > 0 {
        parts.push(format!(
            "{} training job{} to run",
            s.jobs_to_run,
            plural(s.jobs_to_run)
        ));
    }
    if s.upload_bytes > 0 {
        parts.push(format!("{} to upload", size(s.upload_bytes)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}.", parts.join(", "))
    }
}

/// The cost lines: training upper bound and endpoint run rate, with the table's date.
pub(crate) fn cost_lines(c: &Cost) -> Vec<String> {
    let mut lines = Vec::new();
    if !c.training.is_empty() {
        let parts: Vec<String> = c
            .training
            .iter()
            .map(|t| {
                format!(
                    "{} {} × {} × {}h",
                    t.address,
                    t.instance_type,
                    t.instance_count,
                    trim_float(t.max_runtime_hours)
                )
            })
            .collect();
        lines.push(format!(
            "Training: at most {} ({}).",
            money(c.training_upper_bound),
            parts.join("; ")
        ));
    }
    if !c.endpoints.is_empty() || !c.endpoints_now.is_empty() {
        lines.push(format!(
            "Endpoints after apply: {}/hour, {} per 30 days{}.",
            money(c.endpoints_per_hour),
            money(c.endpoints_per_30_days),
            cost_delta(c)
        ));
    }
    if !lines.is_empty() {
        let mut note = format!("On-demand {} prices as of {}", c.currency, c.prices_as_of);
        if !c.unknown_prices.is_empty() {
            note.push_str(&format!(
                "; no price known for {}",
                c.unknown_prices.join(", ")
            ));
        }
        note.push('.');
        lines.push(note);
    }
    lines
}

/// The attributes worth reading in a new object's request: model, instances, runtime and
/// hyperparameters of a training job; instances and model of an endpoint config; the image
/// of a model.
/// ` (now $X/hour: +$Y/hour)` against what the stack's endpoints cost now, or nothing when
/// a price is unknown.
fn cost_delta(c: &crate::plan::cost::Cost) -> String {
    match (c.endpoints_now_per_hour, c.endpoints_per_hour) {
        (Some(now), Some(after)) if (after - now).abs() < 0.005 => " (as now)".to_string(),
        (Some(now), Some(after)) => {
            let delta = ((after - now) * 100.0).round() / 100.0;
            let sign = if delta < 0.0 { "-" } else { "+" };
            format!(
                " (now {}/hour: {sign}{}/hour)",
                money(Some(now)),
                money(Some(delta.abs()))
            )
        }
        _ => String::new(),
    }
}

/// How much of long values a plan shows: folded for review (the default), or in full
/// (`plan --full`, `show --full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Folded,
    Full,
}

/// A new multi-line value (an IAM policy) longer than this is folded in a reviewed plan.
const FOLD_LINES: usize = 12;

/// The one-line stand-in of a new value too long to review inline (an IAM policy), or `None`
/// when it is shown as it is.
pub(crate) fn folded_field(d: &FieldDiff) -> Option<String> {
    let lines = d.after.as_deref()?.lines().count();
    (d.before.is_none() && lines > FOLD_LINES).then(|| format!("{lines} lines"))
}

/// The one-line stand-in of a long attribute (the spec's defaults), or `None`.
pub(crate) fn folded_attribute(key: &str, value: &str) -> Option<String> {
    (key == "spec defaults").then(|| format!("{} values", value.split(", ").count()))
}

/// The lines under a change that say what its request holds, for reviewers.
pub(crate) fn attributes(c: &Change) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match &c.request {
        Some(Request::CreateTrainingJob(j)) => out = job_attributes(c, j),
        Some(Request::CreateEndpointConfig(cfg)) => {
            if let Some(v) = cfg.production_variants.first() {
                out.push((
                    "instances".into(),
                    format!("{} × {}", v.instance_type, v.initial_instance_count),
                ));
                out.push(("model".into(), v.model_name.clone()));
            }
        }
        Some(Request::CreateModel(m)) => {
            out.push(("image".into(), m.primary_container.image.clone()));
        }
        _ => {}
    }
    out
}

/// A new training job's model, instances, runtime bound and hyperparameters (the manifest's
/// apart from the spec's defaults).
fn job_attributes(c: &Change, j: &CreateTrainingJob) -> Vec<(String, String)> {
    let tag = |k: &str| {
        (j.tags.iter().find(|t| t.key == k))
            .map(|t| t.value.clone())
            .unwrap_or_default()
    };
    let r = &j.resource_config;
    let runtime = Duration::from_secs(j.stopping_condition.max_runtime_in_seconds);
    let mut out = vec![
        (
            "model".into(),
            format!("{} {}", tag(TAG_JS_MODEL_ID), tag(TAG_JS_MODEL_VERSION)),
        ),
        (
            "instances".into(),
            format!("{} × {}", r.instance_type, r.instance_count),
        ),
        (
            "max_runtime".into(),
            humantime::format_duration(runtime).to_string(),
        ),
    ];
    let (mut set, mut defaults) = (Vec::new(), Vec::new());
    for (k, v) in &j.hyper_parameters {
        if k.starts_with("sagemaker_") {
            continue;
        }
        let item = format!("{k}={}", unquote(v));
        if c.hyperparameters_set.contains(k) {
            set.push(item);
        } else {
            defaults.push(item);
        }
    }
    let set = if set.is_empty() {
        "none set in the manifest".to_string()
    } else {
        set.join(", ")
    };
    out.push(("hyperparameters".into(), set));
    if !defaults.is_empty() {
        out.push(("spec defaults".into(), defaults.join(", ")));
    }
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_lose_trailing_zeros() {
        assert_eq!(trim_float(10.0), "10");
        assert_eq!(trim_float(2.5), "2.5");
    }
}
