//! What `invoke` prints: the generated text on stdout (or the whole answer with `--raw`) and
//! the endpoint and latency on stderr.

use crate::inference::Answer;

/// (stdout, stderr) for one answer, the model's text with its control characters shown
/// escaped.
pub(crate) fn answered(a: &Answer, raw: bool) -> (String, String) {
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

/// What `invoke` prints, one answer at a time as it arrives. Human: the generated text on
/// stdout, the latency on stderr. `--format json`: one document streamed — `{"answers": [`,
/// each answer (`endpoint`, `prompt`, `text`, `error`, the whole `answer` as sent,
/// `latency_ms`) on its own line as it arrives, then `]}`; a failure after some answers keeps
/// them and closes the document with `"error"` and `"diagnostics"`.
pub(crate) struct AnswerStream {
    json: bool,
    raw: bool,
    sent: usize,
}

impl AnswerStream {
    pub(crate) fn new(json: bool, raw: bool) -> Self {
        Self { json, raw, sent: 0 }
    }

    /// Whether this stream writes one JSON document.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// (stdout, stderr) for the next answer.
    pub(crate) fn answer(&mut self, prompt: &str, a: &Answer) -> (String, String) {
        if !self.json {
            return answered(a, self.raw);
        }
        let raw = serde_json::from_str::<serde_json::Value>(&a.raw)
            .unwrap_or_else(|_| serde_json::Value::String(a.raw.clone()));
        let one = serde_json::json!({
            "endpoint": a.endpoint,
            "prompt": prompt,
            "text": a.text.as_ref().ok(),
            "error": a.text.as_ref().err(),
            "answer": raw,
            "latency_ms": a.latency.as_millis() as u64,
        });
        let lead = match self.sent {
            0 => "{\"answers\": [\n",
            _ => ",\n",
        };
        self.sent += 1;
        (format!("{lead}{one}"), String::new())
    }

    /// What closes the output: for JSON, the end of the document, with the failure that
    /// stopped it (its closing line and diagnostic) if any.
    pub(crate) fn end(&self, failure: Option<(&str, &crate::diagnostics::Diagnostic)>) -> String {
        if !self.json {
            return String::new();
        }
        let open = match self.sent {
            0 => "{\"answers\": [",
            _ => "\n",
        };
        match failure {
            None => format!("{open}]}}\n"),
            Some((closing, d)) => format!(
                "{open}], \"error\": {}, \"diagnostics\": {}}}\n",
                serde_json::Value::from(closing),
                crate::diagnostics::to_json(std::slice::from_ref(d))
            ),
        }
    }
}
