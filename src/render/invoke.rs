//! What `invoke` prints: the generated text on stdout (or the whole answer with `--raw`) and
//! the endpoint and latency on stderr.

use crate::inference::Answer;

/// (stdout, stderr) for one answer, the model's text with its control characters shown
/// escaped.
pub fn answered(a: &Answer, raw: bool) -> (String, String) {
    let (out, err) = unescaped(a, raw);
    let shown = |s: String| crate::escape::controls(&s).into_owned();
    (shown(out), shown(err))
}

fn unescaped(a: &Answer, raw: bool) -> (String, String) {
    let took = format!("{} answered in {} ms", a.endpoint, a.latency.as_millis());
    match (&a.text, raw) {
        (_, true) => (format!("{}\n", a.raw.trim_end()), format!("{took}\n")),
        (Ok(text), false) => (format!("{}\n", text.trim_end()), format!("{took}\n")),
        (Err(why), false) => (
            String::new(),
            format!(
                "{took}, but {why}; the answer was:\n{}\n(`--raw` prints it as it is)\n",
                a.raw
            ),
        ),
    }
}

/// `invoke --format json`: every prompt with the generated text (or why none was found), the
/// whole answer as sent and the latency.
pub fn answers_json(asked: &[(&str, Answer)]) -> String {
    let answers: Vec<serde_json::Value> = asked
        .iter()
        .map(|(prompt, a)| {
            let raw = serde_json::from_str::<serde_json::Value>(&a.raw)
                .unwrap_or_else(|_| serde_json::Value::String(a.raw.clone()));
            serde_json::json!({
                "endpoint": a.endpoint,
                "prompt": prompt,
                "text": a.text.as_ref().ok(),
                "error": a.text.as_ref().err(),
                "answer": raw,
                "latency_ms": a.latency.as_millis() as u64,
            })
        })
        .collect();
    super::json_value(&serde_json::json!({ "answers": answers }))
}
