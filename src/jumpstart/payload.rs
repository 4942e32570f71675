//! How to talk to a deployed JumpStart model: the request body for a prompt and where the
//! generated text is in the answer. From the spec's `default_payloads` (with `prompt_key` and
//! the generated-text key) when it has them, else from the serving container's kind (TGI, or
//! JumpStart's own text-generation script). Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::spec::ModelSpec;

/// The request and answer shapes of one deployed model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PayloadFormat {
    pub(crate) content_type: String,
    pub(crate) accept: String,
    /// The request body with the prompt and the token limit left to fill in.
    pub(crate) template: Value,
    /// Where the prompt goes in the body (`inputs`, `text_inputs`).
    pub(crate) prompt_path: String,
    /// Where the new-token limit goes (`parameters.max_new_tokens`).
    pub(crate) max_tokens_path: String,
    /// Where the generated text is in the answer (`[0].generated_text`).
    pub(crate) output_path: String,
    /// `CustomAttributes` to send (`accept_eula=true` for models behind a EULA).
    pub(crate) custom_attributes: Option<String>,
    /// Where the format came from, for people.
    pub(crate) source: String,
}

impl PayloadFormat {
    /// The format of a model of `spec` served by the container `image`.
    pub(crate) fn of(spec: &ModelSpec, image: &str, script_mode: bool) -> Result<Self, String> {
        let content_type = spec
            .predictor_specs
            .as_ref()
            .and_then(|p| p.default_content_type.clone())
            .unwrap_or_else(|| "application/json".into());
        let accept = spec
            .predictor_specs
            .as_ref()
            .and_then(|p| p.default_accept_type.clone())
            .unwrap_or_else(|| "application/json".into());
        let custom_attributes = spec
            .hosting_eula_key
            .as_ref()
            .map(|_| "accept_eula=true".to_string());
        if let Some(example) = spec.default_payloads.as_ref().and_then(first_text_payload) {
            return Ok(Self {
                custom_attributes,
                ..example
            });
        }
        let (template, prompt_path, max_tokens_path, output_path, source) = if image
            .contains("tgi-inference")
        {
            (
                json!({"inputs": "", "parameters": {"max_new_tokens": 64, "top_p": 0.9, "temperature": 0.6}}),
                "inputs",
                "parameters.max_new_tokens",
                "[0].generated_text",
                "the TGI container's API",
            )
        } else if script_mode {
            (
                json!({"text_inputs": "", "max_new_tokens": 64}),
                "text_inputs",
                "max_new_tokens",
                "generated_texts[0]",
                "JumpStart's text-generation script",
            )
        } else {
            return Err(format!(
                "the spec of {} has no example payload and its container ({image}) is not one sagetune knows how to prompt",
                spec.model_id
            ));
        };
        Ok(Self {
            content_type,
            accept,
            template,
            prompt_path: prompt_path.into(),
            max_tokens_path: max_tokens_path.into(),
            output_path: output_path.into(),
            custom_attributes,
            source: source.into(),
        })
    }

    /// The request body for `prompt`, with `max_new_tokens` when given.
    pub(crate) fn body(&self, prompt: &str, max_new_tokens: Option<u32>) -> Vec<u8> {
        let mut body = self.template.clone();
        set(&mut body, &self.prompt_path, Value::String(prompt.into()));
        if let Some(n) = max_new_tokens {
            set(&mut body, &self.max_tokens_path, json!(n));
        }
        serde_json::to_vec(&body).expect("JSON values serialize")
    }

    /// The generated text in an answer, or why it is not there.
    pub(crate) fn generated_text(&self, answer: &[u8]) -> Result<String, String> {
        let value: Value =
            serde_json::from_slice(answer).map_err(|e| format!("the answer is not JSON ({e})"))?;
        let mut at = &value;
        for seg in segments(&self.output_path) {
            let next = match seg {
                Seg::Key(k) => at.get(k),
                Seg::Index(i) => at.get(i),
            };
            at = next.ok_or_else(|| format!("the answer has no {}", self.output_path))?;
        }
        match at {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("{} is {other}, not text", self.output_path)),
        }
    }
}

/// The first example with a JSON body and a prompt key.
fn first_text_payload(payloads: &serde_json::Map<String, Value>) -> Option<PayloadFormat> {
    payloads.values().find_map(|p| {
        let content_type = p.get("content_type")?.as_str()?;
        if !content_type.starts_with("application/json") {
            return None;
        }
        let prompt_path = p.get("prompt_key")?.as_str()?.to_string();
        let output_path = p
            .get("output_keys")
            .and_then(|o| o.get("generated_text"))
            .or_else(|| p.get("generated_text_response_key"))?
            .as_str()?
            .to_string();
        let template = p.get("body")?.clone();
        let max_tokens_path = if template.get("parameters").is_some() {
            "parameters.max_new_tokens"
        } else {
            "max_new_tokens"
        };
        Some(PayloadFormat {
            content_type: content_type.to_string(),
            accept: p
                .get("accept")
                .and_then(Value::as_str)
                .unwrap_or("application/json")
                .to_string(),
            template,
            prompt_path,
            max_tokens_path: max_tokens_path.into(),
            output_path,
            custom_attributes: None,
            source: "the spec's default_payloads".into(),
        })
    })
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// `[0].generated_text`, `generated_texts[0]`, `parameters.max_new_tokens`, `0.text`.
fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(match key.parse() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(key),
            });
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

/// Sets `path` (keys only) in `body`, creating objects on the way.
fn set(body: &mut Value, path: &str, value: Value) {
    let keys: Vec<&str> = path.split('.').collect();
    let mut at = body;
    for key in &keys[..keys.len() - 1] {
        if !at.get(*key).is_some_and(Value::is_object) {
            at[*key] = json!({});
        }
        at = &mut at[*key];
    }
    at[keys[keys.len() - 1]] = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: Value) -> ModelSpec {
        let mut base = json!({"model_id": "m", "version": "1.0.0"});
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    const TGI: &str = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1.1-tgi1.4.0-gpu-py310-cu121-ubuntu20.04";

    #[test]
    fn tgi_models_take_inputs_and_answer_a_list_of_generated_texts() {
        let f = PayloadFormat::of(&spec(json!({})), TGI, false).unwrap();
        let body: Value = serde_json::from_slice(&f.body("Revenue grew", Some(20))).unwrap();
        assert_eq!(body["inputs"], "Revenue grew");
        assert_eq!(body["parameters"]["max_new_tokens"], 20);
        assert_eq!(body["parameters"]["top_p"], 0.9);
        let text = f.generated_text(br#"[{"generated_text": " on higher income."}]"#);
        assert_eq!(text.unwrap(), " on higher income.");
        assert!(f.generated_text(br#"{"error": "x"}"#).is_err());
        assert_eq!(f.custom_attributes, None);
    }

    #[test]
    fn eula_models_send_the_custom_attribute_and_script_mode_has_its_own_shape() {
        let gated = spec(json!({"hosting_eula_key": "fmhMetadata/eula/llamaEula.txt"}));
        let f = PayloadFormat::of(&gated, TGI, false).unwrap();
        assert_eq!(f.custom_attributes.as_deref(), Some("accept_eula=true"));
        let script =
            PayloadFormat::of(&spec(json!({})), "huggingface-pytorch-inference:1.13", true);
        let script = script.unwrap();
        let body: Value = serde_json::from_slice(&script.body("Hi", None)).unwrap();
        assert_eq!(body, json!({"text_inputs": "Hi", "max_new_tokens": 64}));
        let text = script.generated_text(br#"{"generated_texts": ["Hi there"]}"#);
        assert_eq!(text.unwrap(), "Hi there");
        assert!(PayloadFormat::of(&spec(json!({})), "some-other-image", false).is_err());
    }

    #[test]
    fn the_specs_example_payload_wins() {
        let s = spec(json!({"default_payloads": {"Mayo": {
            "content_type": "application/json",
            "prompt_key": "inputs",
            "output_keys": {"generated_text": "[0].generated_text"},
            "body": {"inputs": "Example", "parameters": {"max_new_tokens": 32, "decoder_input_details": true}}
        }}}));
        let f = PayloadFormat::of(&s, "any", false).unwrap();
        assert_eq!(f.source, "the spec's default_payloads");
        let body: Value = serde_json::from_slice(&f.body("Mine", Some(8))).unwrap();
        assert_eq!(
            body,
            json!({"inputs": "Mine", "parameters": {"max_new_tokens": 8, "decoder_input_details": true}})
        );
    }
}
