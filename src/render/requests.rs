//! `sagetune requests`: the exact SageMaker requests of fine-tunes and their endpoints, as
//! JSON, to compare with what the SageMaker Python SDK sends.

use serde_json::{json, Value};

use crate::desired::{Desired, FineTuneResources};

/// The requests of the fine-tune named `only` (one object), or of all of them (an array).
pub(crate) fn requests(d: &Desired, only: Option<&str>) -> String {
    let all: Vec<Value> = d
        .fine_tunes
        .iter()
        .filter(|f| only.is_none_or(|o| o == f.name))
        .map(|f| fine_tune(d, f))
        .collect();
    let value = match only {
        Some(_) => all.into_iter().next().unwrap_or(Value::Null),
        None => Value::Array(all),
    };
    super::json_value(&value)
}

fn fine_tune(d: &Desired, f: &FineTuneResources) -> Value {
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
