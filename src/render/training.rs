//! Training jobs for the terminal: log lines, and metric series three ways (a Unicode
//! sparkline per metric, the series as JSON, and the SVG chart of `chart`).

use serde::Serialize;

use crate::observe::logs::LogLine;
use crate::observe::metrics::{Point, Series};

/// A log line as `logs` prints it: the text, after its instance when the job has several.
pub(crate) fn log_line(l: &LogLine, several_instances: bool) -> String {
    let message = crate::escape::controls(&l.message);
    if several_instances {
        format!("[{}] {message}", l.instance())
    } else {
        message.into_owned()
    }
}

/// `logs --format json`: one log line as one compact JSON object (JSON Lines), with the
/// instance that wrote it and CloudWatch's timestamp in milliseconds.
pub(crate) fn log_line_json(job: &str, l: &LogLine) -> String {
    serde_json::json!({
        "job": job,
        "instance": l.instance(),
        "stream": l.stream,
        "timestamp_ms": l.timestamp_ms,
        "message": l.message,
    })
    .to_string()
}

/// What `metrics` reports about one job.
#[derive(Debug, Serialize)]
pub(crate) struct JobMetrics<'a> {
    pub(crate) job: &'a str,
    pub(crate) status: &'a str,
    pub(crate) metrics: &'a [Series],
}

/// The widest a sparkline gets; longer series are averaged into this many columns.
const SPARK_WIDTH: usize = 60;
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The values as a sparkline: one block per point (averaged down to [`SPARK_WIDTH`]),
/// lowest value `▁`, highest `█`.
pub(crate) fn sparkline(points: &[Point]) -> String {
    let values: Vec<f64> = if points.len() <= SPARK_WIDTH {
        points.iter().map(|p| p.value).collect()
    } else {
        (0..SPARK_WIDTH)
            .map(|c| {
                let a = c * points.len() / SPARK_WIDTH;
                let b = ((c + 1) * points.len() / SPARK_WIDTH).max(a + 1);
                points[a..b].iter().map(|p| p.value).sum::<f64>() / (b - a) as f64
            })
            .collect()
    };
    let (lo, hi) = range(&values);
    values
        .iter()
        .map(|v| {
            let level = if hi > lo {
                ((v - lo) / (hi - lo) * 7.0).round() as usize
            } else {
                3
            };
            BLOCKS[level.min(7)]
        })
        .collect()
}

fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// The terminal view: per metric its sparkline, first → last value and minimum.
pub(crate) fn metrics_chart(m: &JobMetrics<'_>) -> String {
    let width = m.metrics.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = format!("Metrics of training job {} ({})\n\n", m.job, m.status);
    for s in m.metrics {
        let values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
        let line = match (values.first(), values.last(), &s.unusable) {
            (_, _, Some(why)) => format!("(its regex cannot be used here: {why})"),
            (Some(first), Some(last), None) => {
                let (lo, _) = range(&values);
                format!(
                    "{}  {first} → {last}  min {lo}  ({} points)",
                    sparkline(&s.points),
                    values.len()
                )
            }
            _ => "(no values in the log yet)".to_string(),
        };
        out.push_str(&format!("  {:<width$}  {line}\n", s.name));
    }
    if m.metrics.is_empty() {
        out.push_str("  the job has no metric definitions\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::chart::metrics_svg;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.into(),
            regex: String::new(),
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| Point {
                    timestamp_ms: i as i64 * 60_000,
                    value: *v,
                })
                .collect(),
            unusable: None,
        }
    }

    #[test]
    fn sparklines_go_from_lowest_to_highest_block() {
        let s = series("loss", &[2.4, 1.8, 1.5]);
        assert_eq!(sparkline(&s.points), "█▃▁");
        let long = series("loss", &(0..600).map(f64::from).collect::<Vec<_>>());
        let line = sparkline(&long.points);
        assert_eq!(line.chars().count(), SPARK_WIDTH);
        assert!(line.starts_with('▁') && line.ends_with('█'));
    }

    #[test]
    fn the_svg_has_one_line_and_one_legend_entry_per_metric_with_values() {
        let metrics = [
            series("train-loss", &[2.1, 1.6, 1.25]),
            series("eval-loss", &[2.4, 1.8, 1.5]),
            series("empty", &[]),
        ];
        let m = JobMetrics {
            job: "j",
            status: "Completed",
            metrics: &metrics,
        };
        let svg = metrics_svg(&m).unwrap();
        assert!(svg.starts_with("<svg"));
        // Axes and ticks are 1-wide polylines; the metrics' lines are 2 wide, a point each.
        let lines: Vec<&str> = svg
            .split("<polyline")
            .skip(1)
            .filter(|p| p.contains("stroke-width=\"2\""))
            .collect();
        assert_eq!(lines.len(), 2, "{svg}");
        assert!(lines.iter().all(|l| l
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split(' ')
            .filter(|p| p.contains(','))
            .count()
            == 3));
        let label = |name: &str| format!(">\n{name}\n</text>");
        assert!(svg.contains(&label("train-loss")) && svg.contains(&label("eval-loss")));
        assert!(!svg.contains(&label("empty")));
    }
}
