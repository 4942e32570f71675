//! What `invoke` prints: the generated text on stdout (or the whole answer with `--raw`) and
//! the endpoint and latency on stderr.

use crate::inference::Answer;

/// (stdout, stderr) for one answer.
pub fn answered(a: &Answer, raw: bool) -> (String, String) {
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
