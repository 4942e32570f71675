//! Talking to a deployed model: one prompt in the request shape its spec or container wants,
//! sent with InvokeEndpoint, the generated text taken out of the answer, and the time it took.
//! Also judges an answer against a smoke test's expectations. Reads nothing else and changes
//! nothing in AWS (it costs one inference).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cloud::{Cloud, CloudError, Invocation};
use crate::jumpstart::payload::PayloadFormat;
use crate::manifest::SmokeCase;

/// What a deployed model answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Answer {
    pub(crate) endpoint: String,
    /// The answer's body as sent (UTF-8, lossy).
    pub(crate) raw: String,
    /// The generated text, or why it could not be found in the answer.
    pub(crate) text: Result<String, String>,
    /// From sending the request to the whole answer.
    #[serde(serialize_with = "millis")]
    pub(crate) latency: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

/// Sends `prompt` to `endpoint`, shaped by `format`, with at most `max_new_tokens` new tokens.
pub(crate) fn ask(
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

/// Whether `answer` meets `case`: `Ok` with a summary, or `Err` with every expectation missed.
pub(crate) fn check(case: &SmokeCase, answer: &Answer) -> Result<String, String> {
    let text = match &answer.text {
        Ok(t) => t,
        Err(why) => return Err(format!("{why} (answer: {})", clip(&answer.raw))),
    };
    let mut missed = Vec::new();
    let chars = text.chars().count();
    if let Some(min) = case.min_chars {
        if chars < min as usize {
            missed.push(format!("{chars} characters, fewer than {min}"));
        }
    }
    for want in &case.contains {
        if !text.contains(want.as_str()) {
            missed.push(format!("no {want:?}"));
        }
    }
    for unwanted in &case.not_contains {
        if text.contains(unwanted.as_str()) {
            missed.push(format!("contains {unwanted:?}"));
        }
    }
    let ms = answer.latency.as_millis();
    if let Some(max) = case.max_latency_ms {
        if ms > u128::from(max) {
            missed.push(format!("answered in {ms} ms, over {max} ms"));
        }
    }
    match missed.is_empty() {
        true => Ok(format!("{chars} characters in {ms} ms")),
        false => Err(format!("{} (generated: {})", missed.join(", "), clip(text))),
    }
}

/// At most 120 characters of `s`, for messages.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, ms: u64) -> Answer {
        Answer {
            endpoint: "e".into(),
            raw: String::new(),
            text: Ok(text.into()),
            latency: Duration::from_millis(ms),
        }
    }

    #[test]
    fn every_missed_expectation_is_named() {
        let case = SmokeCase {
            prompt: "p".into(),
            min_chars: Some(10),
            contains: vec!["revenue".into()],
            not_contains: vec!["error".into()],
            max_latency_ms: Some(500),
            max_new_tokens: None,
        };
        assert!(check(&case, &answer("revenue grew strongly", 20)).is_ok());
        let why = check(&case, &answer("error", 900)).unwrap_err();
        assert_eq!(
            why,
            "5 characters, fewer than 10, no \"revenue\", contains \"error\", answered in 900 ms, over 500 ms (generated: \"error\")"
        );
    }
}
