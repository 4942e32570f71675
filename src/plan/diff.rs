//! Field-level differences between what the manifest asks for and what AWS runs: a new
//! training job against the job behind the endpoint, a new endpoint config against the one
//! served. Pure; values are shown as people read them (hyperparameters unquoted, dataset
//! URIs as their content hash).

use std::collections::{BTreeMap, BTreeSet};

use super::FieldDiff;
use crate::cloud::requests::{CreateEndpointConfig, CreateTrainingJob};
use crate::cloud::{EndpointConfig, TrainingJob};
use crate::desired::naming::{TAG_JS_MODEL_ID, TAG_JS_MODEL_VERSION};
use crate::jumpstart::hyperparameters::unquote;

fn field(name: impl Into<String>, before: Option<String>, after: Option<String>) -> FieldDiff {
    FieldDiff {
        field: name.into(),
        before,
        after,
    }
}

fn push_if(out: &mut Vec<FieldDiff>, name: &str, before: String, after: String) {
    if before != after {
        out.push(field(name, Some(before), Some(after)));
    }
}

/// `s3://…/datasets/<stack>/<d>/<channel>/<sha256>/` (or the layout before the stack was in
/// the key, `…/datasets/<d>/<channel>/<sha256>/`) → (`dataset.<d>.<channel>`, sha256).
fn dataset_of(uri: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = uri.trim_end_matches('/').split('/').collect();
    let at = parts.iter().rposition(|p| *p == "datasets")?;
    match &parts[at + 1..] {
        [_, d, channel, sha] | [d, channel, sha] if sha.len() == 64 => {
            Some((format!("dataset.{d}.{channel}"), sha.to_string()))
        }
        _ => None,
    }
}

/// Differences between a desired training request and a described job, in a stable order:
/// model, data, hyperparameters, instances, the rest.
pub(crate) fn training(
    want: &CreateTrainingJob,
    model_id: &str,
    model_version: &str,
    have: &TrainingJob,
) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let tag = |k: &str| have.tags.get(k).cloned().unwrap_or_default();
    push_if(&mut out, "model_id", tag(TAG_JS_MODEL_ID), model_id.into());
    push_if(
        &mut out,
        "model_version",
        tag(TAG_JS_MODEL_VERSION),
        model_version.into(),
    );

    data_channels(&mut out, want, have);
    hyperparameters(&mut out, want, have);
    resources(&mut out, want, have);
    out
}

/// Data: dataset channels by content hash, other channels by URI.
fn data_channels(out: &mut Vec<FieldDiff>, want: &CreateTrainingJob, have: &TrainingJob) {
    let want_channels: BTreeMap<String, String> = want
        .input_data_config
        .iter()
        .map(|c| {
            (
                c.channel_name.clone(),
                c.data_source.s3_data_source.s3_uri.clone(),
            )
        })
        .collect();
    let names: BTreeSet<&String> = want_channels.keys().chain(have.channels.keys()).collect();
    for name in names {
        let (w, h) = (want_channels.get(name), have.channels.get(name));
        if w == h {
            continue;
        }
        let label = |u: &String| dataset_of(u).map_or_else(|| u.clone(), |(_, sha)| sha);
        let address = w
            .or(h)
            .and_then(|u| dataset_of(u))
            .map_or_else(|| format!("channel.{name}"), |(a, _)| a);
        out.push(field(address, h.map(label), w.map(label)));
    }
}

/// Hyperparameters as the user wrote them (unquoted), the job name left out.
fn hyperparameters(out: &mut Vec<FieldDiff>, want: &CreateTrainingJob, have: &TrainingJob) {
    let hp_want: BTreeMap<&String, String> = want
        .hyper_parameters
        .iter()
        .filter(|(k, _)| k.as_str() != "sagemaker_job_name")
        .map(|(k, v)| (k, unquote(v)))
        .collect();
    let hp_have: BTreeMap<&String, String> = have
        .hyper_parameters
        .iter()
        .filter(|(k, _)| k.as_str() != "sagemaker_job_name")
        .map(|(k, v)| (k, unquote(v)))
        .collect();
    let keys: BTreeSet<&&String> = hp_want.keys().chain(hp_have.keys()).collect();
    for k in keys {
        let (w, h) = (hp_want.get(*k), hp_have.get(*k));
        if w != h {
            out.push(field(format!("hyperparameter {k}"), h.cloned(), w.cloned()));
        }
    }
}

/// Instances, volume, runtime, image and environment.
fn resources(out: &mut Vec<FieldDiff>, want: &CreateTrainingJob, have: &TrainingJob) {
    let r = &want.resource_config;
    push_if(
        out,
        "instance_type",
        have.instance_type.clone(),
        r.instance_type.clone(),
    );
    push_if(
        out,
        "instance_count",
        have.instance_count.to_string(),
        r.instance_count.to_string(),
    );
    push_if(
        out,
        "volume_size_gb",
        have.volume_size_gb.to_string(),
        r.volume_size_in_gb.to_string(),
    );
    push_if(
        out,
        "max_runtime",
        runtime(have.max_runtime_seconds),
        runtime(want.stopping_condition.max_runtime_in_seconds),
    );
    push_if(
        out,
        "training_image",
        have.training_image.clone(),
        want.algorithm_specification.training_image.clone(),
    );
    let env_keys: BTreeSet<&String> = want
        .environment
        .keys()
        .chain(have.environment.keys())
        .collect();
    for k in env_keys {
        let (w, h) = (want.environment.get(k), have.environment.get(k));
        if w != h {
            out.push(field(format!("environment {k}"), h.cloned(), w.cloned()));
        }
    }
}

fn runtime(seconds: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(seconds)).to_string()
}

/// Differences between a desired endpoint config and the one an endpoint serves now.
pub(crate) fn endpoint_config(
    want: &CreateEndpointConfig,
    have: &EndpointConfig,
) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let w = want.production_variants.first();
    let h = have.variants.first();
    push_if(
        &mut out,
        "model",
        h.map(|v| v.model_name.clone()).unwrap_or_default(),
        w.map(|v| v.model_name.clone()).unwrap_or_default(),
    );
    push_if(
        &mut out,
        "instance_type",
        h.map(|v| v.instance_type.clone()).unwrap_or_default(),
        w.map(|v| v.instance_type.clone()).unwrap_or_default(),
    );
    push_if(
        &mut out,
        "instance_count",
        h.map(|v| v.instance_count.to_string()).unwrap_or_default(),
        w.map(|v| v.initial_instance_count.to_string())
            .unwrap_or_default(),
    );
    out
}

/// One line for a change's reason: the first differences, then how many more.
pub(crate) fn summarize(diffs: &[FieldDiff]) -> String {
    let shown: Vec<String> = diffs
        .iter()
        .take(3)
        .map(|d| {
            format!(
                "{}: {} → {}",
                d.field,
                short(d.before.as_deref()),
                short(d.after.as_deref())
            )
        })
        .collect();
    let mut s = shown.join("; ");
    if diffs.len() > 3 {
        s.push_str(&format!(" (+{} more)", diffs.len() - 3));
    }
    s
}

/// A value short enough for a one-line reason: hashes to 12 characters, long text cut.
pub(crate) fn short(v: Option<&str>) -> String {
    match v {
        None => "(none)".into(),
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => s[..12].to_string(),
        Some(s) if s.chars().count() > 48 || s.contains('\n') => {
            let one_line: String = s.lines().next().unwrap_or("").chars().take(45).collect();
            format!("{one_line}…")
        }
        Some(s) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_uris_become_addresses_and_hashes() {
        let sha = "a".repeat(64);
        let uri = format!("s3://b/p/datasets/fx/sec/train/{sha}/");
        assert_eq!(
            dataset_of(&uri),
            Some(("dataset.sec.train".to_string(), sha))
        );
        assert_eq!(dataset_of("s3://b/models/x/"), None);
    }

    #[test]
    fn reasons_are_short() {
        let d = |f: &str, b: &str, a: &str| field(f, Some(b.into()), Some(a.into()));
        let diffs = vec![
            d("hyperparameter epoch", "3", "5"),
            d("dataset.sec.train", &"a".repeat(64), &"b".repeat(64)),
            d("instance_type", "ml.g5.2xlarge", "ml.g5.12xlarge"),
            d("max_runtime", "10h", "12h"),
        ];
        assert_eq!(
            summarize(&diffs),
            "hyperparameter epoch: 3 → 5; dataset.sec.train: aaaaaaaaaaaa → bbbbbbbbbbbb; instance_type: ml.g5.2xlarge → ml.g5.12xlarge (+1 more)"
        );
        assert_eq!(unquote("\"3\""), "3");
        assert_eq!(unquote("3"), "3");
    }
}
