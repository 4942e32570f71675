//! A training job's metric series, parsed from its log lines with the job's own
//! `MetricDefinitions` regexes (what SageMaker does to publish them). Pure: no I/O.

use regex::Regex;
use serde::Serialize;

use crate::cloud::MetricDefinition;

use super::logs::LogLine;

/// One value of a metric, when its log line was written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub(crate) timestamp_ms: i64,
    pub(crate) value: f64,
}

/// The values of one metric in log order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub(crate) regex: String,
    pub points: Vec<Point>,
    /// Why the regex cannot be used here (SageMaker's regexes are Python's; the few features
    /// Rust's engine lacks, such as look-around, leave the series empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unusable: Option<String>,
}

/// Compiled metric definitions.
#[derive(Debug)]
pub struct MetricParser {
    defs: Vec<(MetricDefinition, Result<Regex, String>)>,
}

impl MetricParser {
    pub fn new(defs: &[MetricDefinition]) -> Self {
        Self {
            defs: defs
                .iter()
                .map(|d| (d.clone(), Regex::new(&d.regex).map_err(|e| e.to_string())))
                .collect(),
        }
    }

    /// The metrics a line reports, as (definition index, value): the first capture group of
    /// each regex that matches (the whole match when it has no group).
    pub(crate) fn values<'a>(&'a self, line: &'a str) -> impl Iterator<Item = (usize, f64)> + 'a {
        self.defs
            .iter()
            .enumerate()
            .filter_map(move |(i, (_, re))| {
                let caps = re.as_ref().ok()?.captures(line)?;
                let text = caps.get(1).or_else(|| caps.get(0))?.as_str();
                Some((i, text.trim().parse::<f64>().ok()?))
            })
    }

    /// The name of definition `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.defs[i].0.name
    }

    /// Every definition's series over `lines`, in definition order.
    #[cfg(test)]
    pub(crate) fn series(&self, lines: &[LogLine]) -> Vec<Series> {
        let mut out = self.empty();
        self.add(&mut out, lines);
        out
    }

    /// Every definition's series with no point yet, in definition order.
    pub fn empty(&self) -> Vec<Series> {
        self.defs
            .iter()
            .map(|(d, re)| Series {
                name: d.name.clone(),
                regex: d.regex.clone(),
                points: Vec::new(),
                unusable: re.as_ref().err().cloned(),
            })
            .collect()
    }

    /// Adds the points `lines` carry to `series` (made by [`MetricParser::empty`]); the
    /// lines themselves are not kept.
    pub fn add(&self, series: &mut [Series], lines: &[LogLine]) {
        for l in lines {
            for (i, value) in self.values(&l.message) {
                series[i].points.push(Point {
                    timestamp_ms: l.timestamp_ms,
                    value,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, regex: &str) -> MetricDefinition {
        MetricDefinition {
            name: name.into(),
            regex: regex.into(),
        }
    }

    fn line(t: i64, message: &str) -> LogLine {
        LogLine {
            stream: "j/algo-1-1".into(),
            timestamp_ms: t,
            message: message.into(),
        }
    }

    #[test]
    fn regexes_of_both_script_families_extract_their_values() {
        let parser = MetricParser::new(&[
            def("hf:train-loss", r"'loss': ([0-9]+\.[0-9]+)"),
            def("hf:eval-loss", r"'eval_loss': ([0-9]+\.[0-9]+)"),
            def("llama:eval-ppl", r"eval_ppl=tensor\(([0-9\.]+)"),
            def("broken", r"(?<=x)y"),
        ]);
        let lines = [
            line(1, "{'loss': 2.1, 'learning_rate': 6e-06, 'epoch': 1.0}"),
            line(2, "{'eval_loss': 2.4, 'eval_runtime': 12.5, 'epoch': 1.0}"),
            line(3, "Epoch 1: eval_ppl=tensor(11.02, device='cuda:0')"),
            line(4, "{'loss': 1.6, 'learning_rate': 6e-06, 'epoch': 2.0}"),
            line(5, "nothing here"),
        ];
        let series = parser.series(&lines);
        let values = |i: usize| -> Vec<f64> { series[i].points.iter().map(|p| p.value).collect() };
        assert_eq!(values(0), [2.1, 1.6]);
        assert_eq!(values(1), [2.4]);
        assert_eq!(values(2), [11.02]);
        assert_eq!(series[0].points[1].timestamp_ms, 4);
        assert!(series[3].points.is_empty());
        assert!(series[3].unusable.is_some());
    }
}
