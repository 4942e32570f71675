//! `sagetune requests [FINE_TUNE]`: the exact SageMaker requests a fine-tune and its
//! endpoints would send, as JSON, to compare with what the SageMaker Python SDK sends.

use serde_json::{json, Value};

use crate::cli::ManifestArgs;
use crate::cloud::AwsOptions;
use crate::desired::{self, Desired};
use crate::diagnostics::{self, Diagnostic, Style};

use super::stack::prepare;
use super::Outcome;

pub fn run(
    args: &ManifestArgs,
    fine_tune: Option<&str>,
    locked: bool,
    aws: &AwsOptions,
) -> Outcome {
    match requests(args, fine_tune, locked, aws) {
        Ok((value, notes)) => Outcome {
            stdout: format!(
                "{}\n",
                serde_json::to_string_pretty(&value).expect("JSON serializes")
            ),
            stderr: notes,
            success: true,
            ..Outcome::default()
        },
        Err(diags) => Outcome::failed(&diags, "no requests were built"),
    }
}

fn requests(
    args: &ManifestArgs,
    only: Option<&str>,
    locked: bool,
    aws: &AwsOptions,
) -> Result<(Value, String), Vec<Diagnostic>> {
    let prepared = prepare(args, aws, locked, None)?;
    let validated = &prepared.validated;
    let m = &validated.loaded.manifest;
    if let Some(name) = only {
        if !m.fine_tunes.contains_key(name) {
            let known: Vec<&str> = m.fine_tunes.keys().map(|k| k.get().as_str()).collect();
            return Err(vec![Diagnostic::new(
                "requests::unknown-fine-tune",
                format!("the manifest has no fine-tune `{name}`"),
            )
            .help(format!("fine-tunes: {}", known.join(", ")))]);
        }
    }
    let used_lock = prepared.used_lock;
    let desired = prepared.desired(&Default::default());
    let mut notes = diagnostics::render(&validated.warnings, Style::for_stderr());
    if !used_lock && !m.fine_tunes.is_empty() {
        notes.push_str("note: sagetune.lock is missing or does not match the manifest; models were resolved afresh (run `sagetune lock` to pin them)\n");
    }
    if m.role.create.is_some() {
        notes.push_str(&format!(
            "note: the managed role's ARN shows {}; the account is known only when sagetune talks to AWS\n",
            desired::ACCOUNT_PLACEHOLDER
        ));
    }
    let all: Vec<Value> = desired
        .fine_tunes
        .iter()
        .filter(|f| only.is_none_or(|o| o == f.name))
        .map(|f| render(&desired, f))
        .collect();
    let value = match only {
        Some(_) => all.into_iter().next().unwrap_or(Value::Null),
        None => Value::Array(all),
    };
    Ok((value, notes))
}

fn render(d: &Desired, f: &desired::FineTuneResources) -> Value {
    let endpoints: Vec<Value> = d
        .endpoints
        .iter()
        .filter(|e| e.fine_tune == f.name)
        .map(|e| {
            json!({
                "endpoint": e.name,
                "CreateEndpointConfig": e.endpoint_config,
                "CreateEndpoint": e.endpoint,
            })
        })
        .collect();
    let mut v = json!({
        "fine_tune": f.name,
        "model_id": f.model_id,
        "model_version": f.model_version,
        "notes": f.notes,
        "CreateTrainingJob": f.training_job,
    });
    let obj = v.as_object_mut().expect("an object");
    if let Some(model) = &f.model {
        obj.insert("CreateModel".into(), json!(model));
    }
    if let Some(repack) = &f.repack {
        obj.insert("repack".into(), json!(repack));
    }
    obj.insert("endpoints".into(), Value::Array(endpoints));
    v
}
