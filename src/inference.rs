//! Talking to a deployed model: one prompt in the request shape its spec or container wants,
//! sent with InvokeEndpoint, the generated text taken out of the answer, and the time it took.
//! Reads nothing else and changes nothing in AWS (it costs one inference).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cloud::{Cloud, CloudError, Invocation};
use crate::jumpstart::payload::PayloadFormat;

/// What a deployed model answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub endpoint: String,
    /// The answer's body as sent (UTF-8, lossy).
    pub raw: String,
    /// The generated text, or why it could not be found in the answer.
    pub text: Result<String, String>,
    /// From sending the request to the whole answer.
    #[serde(serialize_with = "millis")]
    pub latency: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

/// Sends `prompt` to `endpoint`, shaped by `format`, with at most `max_new_tokens` new tokens.
pub fn ask(
    cloud: &dyn Cloud,
    endpoint: &str,
    format: &PayloadFormat,
    prompt: &str,
    max_new_tokens: Option<u32>,
) -> Result<Answer, CloudError> {
    let request = Invocation {
        endpoint: endpoint.to_string(),
        content_type: format.content_type.clone(),
        accept: format.accept.clone(),
        custom_attributes: format.custom_attributes.clone(),
        body: format.body(prompt, max_new_tokens),
    };
    let start = Instant::now();
    let body = cloud.invoke(&request)?;
    let latency = start.elapsed();
    Ok(Answer {
        endpoint: endpoint.to_string(),
        text: format.generated_text(&body),
        raw: String::from_utf8_lossy(&body).into_owned(),
        latency,
    })
}
