//! Names, ownership tags and content hashes of every object sagetune creates: one home for
//! the rules that make names deterministic (`<stack>-<key>-<hash10>`) and mark what a stack
//! owns. Pure; it builds no request and reads nothing.

use indexmap::IndexMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};

/// SageMaker's limit on resource names.
pub(crate) const MAX_NAME_LEN: usize = 63;
/// On every object: the stack that owns it.
pub(crate) const TAG_STACK: &str = "sagetune:stack";
/// On every object: its address in the manifest (`fine_tune.x`, `endpoint.y`, …).
pub(crate) const TAG_ADDRESS: &str = "sagetune:address";
/// On an endpoint: destroy and replacement refuse it while `true`.
pub(crate) const TAG_PROTECT: &str = "sagetune:protect";
/// On an endpoint: the endpoint config that last passed the endpoint's gate and smoke test
/// while this endpoint served it. Written by apply only after they pass, so an interrupted
/// promotion is found and finished by the next run.
pub const TAG_PASSED: &str = "sagetune:passed";
/// The JumpStart model id tag the SageMaker Python SDK adds.
pub(crate) const TAG_JS_MODEL_ID: &str = "sagemaker-sdk:jumpstart-model-id";
/// The JumpStart model version tag the SageMaker Python SDK adds.
pub(crate) const TAG_JS_MODEL_VERSION: &str = "sagemaker-sdk:jumpstart-model-version";

/// Who owns an object and what it is; becomes the first tags of every request.
#[derive(Debug, Clone)]
pub(crate) struct Ownership<'a> {
    pub(crate) stack: &'a str,
    pub(crate) model_id: &'a str,
    pub(crate) model_version: &'a str,
    pub(crate) user_tags: &'a IndexMap<String, String>,
}

impl Ownership<'_> {
    /// Stack and address tags, the user's tags, then the JumpStart tags.
    pub(crate) fn tags(&self, address: &str) -> Vec<Tag> {
        let tag = |k: &str, v: &str| Tag {
            key: k.to_string(),
            value: v.to_string(),
        };
        let mut tags = vec![tag(TAG_STACK, self.stack), tag(TAG_ADDRESS, address)];
        tags.extend(self.user_tags.iter().map(|(k, v)| tag(k, v)));
        tags.push(tag(TAG_JS_MODEL_ID, self.model_id));
        tags.push(tag(TAG_JS_MODEL_VERSION, self.model_version));
        tags
    }
}

/// Names and tags an unnamed training job as the `attempt`-th run of its content; returns
/// the job's identity (see [`training_identity`]).
pub(crate) fn name_training_job(
    job: &mut CreateTrainingJob,
    owner: &Ownership<'_>,
    fine_tune: &str,
    retrain: u32,
    attempt: u32,
) -> String {
    let identity = training_identity(job, retrain);
    let name = job_name(owner.stack, fine_tune, &identity, attempt);
    crate::jumpstart::requests::set_job_name(job, &name);
    job.tags = owner.tags(&format!("fine_tune.{fine_tune}"));
    identity
}

/// Names a model after its container and isolation (`<stack>-<fine_tune>-<hash10>`) and tags it.
pub(crate) fn name_model(model: &mut CreateModel, owner: &Ownership<'_>, fine_tune: &str) {
    let identity = hash_of(
        &model.primary_container,
        &format!("network_isolation={}", model.enable_network_isolation),
    );
    model.model_name = resource_name(owner.stack, fine_tune, &identity);
    model.tags = owner.tags(&format!("model.{fine_tune}"));
}

/// Names an endpoint config after its variants and tags it.
pub(crate) fn name_endpoint_config(
    config: &mut CreateEndpointConfig,
    owner: &Ownership<'_>,
    endpoint: &str,
) {
    let identity = hash_of(&config.production_variants, "");
    config.endpoint_config_name = resource_name(owner.stack, endpoint, &identity);
    config.tags = owner.tags(&format!("endpoint_config.{endpoint}"));
}

/// The CreateEndpoint request; the endpoint's name is stable (`<stack>-<endpoint>`).
pub(crate) fn endpoint(
    config: &CreateEndpointConfig,
    endpoint: &str,
    protect: bool,
    owner: &Ownership<'_>,
) -> CreateEndpoint {
    let mut tags = owner.tags(&format!("endpoint.{endpoint}"));
    if protect {
        let protect = Tag {
            key: TAG_PROTECT.into(),
            value: "true".into(),
        };
        tags.insert(2, protect);
    }
    CreateEndpoint {
        endpoint_name: format!("{}-{endpoint}", owner.stack),
        endpoint_config_name: config.endpoint_config_name.clone(),
        tags,
    }
}

/// The identity of a training job: the hash of its canonical request without the name,
/// role and tags (which do not change what is trained), plus the `retrain` counter.
pub(crate) fn training_identity(job: &CreateTrainingJob, retrain: u32) -> String {
    let mut j = job.clone();
    j.training_job_name.clear();
    j.role_arn.clear();
    j.tags.clear();
    j.hyper_parameters.shift_remove("sagemaker_job_name");
    hash_of(&j, &format!("retrain={retrain}"))
}

/// `<stack>-<key>-<hash10>`, with `key` shortened (never the hash) to fit 63 characters.
pub(crate) fn resource_name(stack: &str, key: &str, identity: &str) -> String {
    name_with_tail(stack, key, &identity[..10.min(identity.len())])
}

/// The name of a training job's `attempt`-th run: the first is [`resource_name`], later
/// ones end `-<attempt>` (a failed job's name cannot be reused).
pub(crate) fn job_name(stack: &str, key: &str, identity: &str, attempt: u32) -> String {
    if attempt <= 1 {
        return resource_name(stack, key, identity);
    }
    let hash = &identity[..10.min(identity.len())];
    name_with_tail(stack, key, &format!("{hash}-{attempt}"))
}

/// What every run's name of fine-tune `key` starts with, before `-<hash>`: `<stack>-<key>`,
/// truncated as [`job_name`] does. Least-privilege patterns match `<base>-*` under the
/// fine-tune's own output folder.
pub(crate) fn job_name_base(stack: &str, key: &str) -> String {
    let named = name_with_tail(stack, key, "0123456789");
    named[..named.len() - 11].to_string()
}

/// `<stack>-<key>-<tail>`, the key truncated so the whole fits in 63 characters.
fn name_with_tail(stack: &str, key: &str, hash: &str) -> String {
    let room = MAX_NAME_LEN - hash.len() - 1;
    let mut base = format!("{stack}-{key}");
    if base.len() > room {
        base.truncate(room);
    }
    let base = base.trim_end_matches('-');
    format!("{base}-{hash}")
}

/// SHA-256 (hex) of a value's canonical JSON (object keys sorted) and an extra string.
fn hash_of<T: Serialize>(value: &T, extra: &str) -> String {
    let v = serde_json::to_value(value).expect("requests serialize");
    let mut h = Sha256::new();
    h.update(canonical_json(&v).as_bytes());
    h.update(b"\n");
    h.update(extra.as_bytes());
    crate::data::hex(&h.finalize())
}

/// JSON with object keys sorted at every level, no whitespace: the input of identity hashes.
pub(crate) fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let join = |parts: Vec<String>| parts.join(",");
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let key = |k: &String| serde_json::to_string(k).expect("keys serialize");
            let inner = keys
                .into_iter()
                .map(|k| format!("{}:{}", key(k), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", join(inner))
        }
        Value::Array(items) => format!("[{}]", join(items.iter().map(canonical_json).collect())),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_keep_the_hash() {
        let id = "0123456789abcdef";
        assert_eq!(
            resource_name("finance", "gptj", id),
            "finance-gptj-0123456789"
        );
        let long = resource_name(&"s".repeat(24), &"f".repeat(38), id);
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("-0123456789"));
        let re = regex::Regex::new(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$").unwrap();
        assert!(re.is_match(&long));
        // Truncation never leaves a hyphen before the hash separator.
        let name = resource_name("abc", &format!("{}-{}", "x".repeat(47), "y"), id);
        assert!(!name.contains("--"), "{name}");
        assert!(re.is_match(&name));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": "x"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}"#
        );
    }
}
