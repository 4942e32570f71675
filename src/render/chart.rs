//! The metrics chart (`metrics --out FILE.svg`): time from each value's log timestamp in real
//! units (seconds, minutes or hours), values logged under one timestamp spread in log order,
//! and series of different magnitudes (losses near 2, perplexities near 11) on panels of
//! their own, each with its own y axis. Pure: SVG text in, nothing written.

use plotters::prelude::*;

use super::training::JobMetrics;
use crate::observe::metrics::{Point, Series};

/// A panel holds series whose typical values are within this factor of each other.
const SCALE_FACTOR: f64 = 3.0;
/// At most this many panels; series beyond share the last one.
const MAX_PANELS: usize = 3;

/// The series as an SVG chart: one panel per magnitude, one coloured line per metric with
/// values, a legend per panel.
pub(crate) fn metrics_svg(m: &JobMetrics<'_>) -> Result<String, String> {
    let drawn: Vec<(usize, &Series)> = (m.metrics.iter().enumerate())
        .filter(|(_, s)| !s.points.is_empty())
        .collect();
    let axis = TimeAxis::of(drawn.iter().map(|(_, s)| *s));
    let panels = panels(&drawn);
    plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| "the embedded DejaVu Sans font cannot be read".to_string())?;
    let mut svg = String::new();
    {
        let height = 80 + 300 * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = (root.titled(&format!("training job {}", m.job), ("sans-serif", 18)))
            .map_err(|e| e.to_string())?;
        let areas = root.split_evenly((panels.len().max(1), 1));
        for (area, panel) in areas.iter().zip(&panels) {
            draw_panel(area, panel, &axis)?;
        }
        if panels.is_empty() {
            draw_panel(&areas[0], &[], &axis)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One panel: its series' lines on a y axis of their own, and their legend.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &[(usize, &Series)],
    axis: &TimeAxis,
) -> Result<(), String> {
    let values: Vec<f64> = (panel.iter())
        .flat_map(|(_, s)| s.points.iter().map(|p| p.value))
        .collect();
    let (lo, hi) = bounds(&values);
    // The axis names the metrics briefly (`train-loss` for `huggingface-textgeneration:train-loss`);
    // the legend has their whole names.
    let names: Vec<&str> = (panel.iter())
        .map(|(_, s)| s.name.rsplit(':').next().unwrap_or(&s.name))
        .collect();
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..axis.max, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(axis.label())
        .y_desc(names.join(", "))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, s) in panel {
        let colour = colour(*i);
        let xs = axis.xs(s);
        chart
            .draw_series(LineSeries::new(
                xs.into_iter().zip(s.points.iter().map(|p| p.value)),
                colour.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    if !panel.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Distinct colours that read on white, by the series' place in the job's definitions.
fn colour(i: usize) -> RGBAColor {
    const COLOURS: [(u8, u8, u8); 8] = [
        (31, 119, 180),
        (214, 39, 40),
        (44, 160, 44),
        (148, 103, 189),
        (255, 127, 14),
        (140, 86, 75),
        (227, 119, 194),
        (23, 190, 207),
    ];
    let (r, g, b) = COLOURS[i % COLOURS.len()];
    RGBColor(r, g, b).to_rgba()
}

/// The y range of `values`, padded; `0..1` when there are none.
fn bounds(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1.0) * 0.01);
    (lo - pad, hi + pad)
}

/// Series grouped by magnitude: sorted by their median, a panel takes series within
/// [`SCALE_FACTOR`] of its first one's median; at most [`MAX_PANELS`].
fn panels<'a>(drawn: &[(usize, &'a Series)]) -> Vec<Vec<(usize, &'a Series)>> {
    let median = |s: &Series| {
        let mut v: Vec<f64> = s.points.iter().map(|p| p.value.abs()).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut sorted: Vec<(f64, (usize, &Series))> =
        drawn.iter().map(|(i, s)| (median(s), (*i, *s))).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, Vec<(usize, &Series)>)> = Vec::new();
    for (m, entry) in sorted {
        let full = out.len() == MAX_PANELS;
        match out.last_mut() {
            Some((first, panel)) if m <= first.max(1e-9) * SCALE_FACTOR || full => {
                panel.push(entry);
            }
            _ => out.push((m, vec![entry])),
        }
    }
    out.into_iter()
        .map(|(_, mut p)| {
            p.sort_by_key(|(i, _)| *i);
            p
        })
        .collect()
}

/// The x axis: time since the first value in a unit that suits the span, or the values' log
/// order when every value carries the same timestamp.
struct TimeAxis {
    /// The first timestamp (ms).
    t0: i64,
    /// Milliseconds per unit; `None`: log order.
    per_unit: Option<f64>,
    unit: &'static str,
    max: f64,
}

impl TimeAxis {
    fn of<'a>(series: impl Iterator<Item = &'a Series> + Clone) -> Self {
        let stamps = || {
            series
                .clone()
                .flat_map(|s| s.points.iter().map(|p| p.timestamp_ms))
        };
        let (t0, t1) = (stamps().min().unwrap_or(0), stamps().max().unwrap_or(0));
        let most = series.clone().map(|s| s.points.len()).max().unwrap_or(0);
        let span = (t1 - t0) as f64;
        let (per_unit, unit) = match span {
            s if s <= 0.0 => (None, "values in log order (all logged at one timestamp)"),
            s if s < 120_000.0 => (Some(1_000.0), "seconds since the first value"),
            s if s < 7_200_000.0 => (Some(60_000.0), "minutes since the first value"),
            _ => (Some(3_600_000.0), "hours since the first value"),
        };
        let max = match per_unit {
            Some(u) => span / u,
            None => most.saturating_sub(1).max(1) as f64,
        };
        TimeAxis {
            t0,
            per_unit,
            unit,
            max: max.max(f64::EPSILON),
        }
    }

    fn label(&self) -> &'static str {
        self.unit
    }

    /// Each point's x: its time in the axis unit, points that share a timestamp spread evenly
    /// (in log order) towards the series' next timestamp; or its position in log order.
    fn xs(&self, s: &Series) -> Vec<f64> {
        let Some(per_unit) = self.per_unit else {
            return (0..s.points.len()).map(|i| i as f64).collect();
        };
        spread(&s.points)
            .into_iter()
            .map(|t| (t - self.t0 as f64) / per_unit)
            .collect()
    }
}

/// The points' times (ms), those logged under one timestamp spread evenly between it and the
/// next distinct timestamp (the last group over the series' typical gap), in log order.
fn spread(points: &[Point]) -> Vec<f64> {
    let gaps: Vec<i64> = (points.windows(2))
        .map(|w| w[1].timestamp_ms - w[0].timestamp_ms)
        .filter(|g| *g > 0)
        .collect();
    let typical = if gaps.is_empty() {
        1_000
    } else {
        gaps.iter().sum::<i64>() / gaps.len() as i64
    };
    let mut out = Vec::with_capacity(points.len());
    let mut start = 0;
    while start < points.len() {
        let t = points[start].timestamp_ms;
        let end = (start..points.len())
            .find(|&k| points[k].timestamp_ms != t)
            .unwrap_or(points.len());
        let next = points.get(end).map_or(t + typical, |p| p.timestamp_ms);
        let n = (end - start) as f64;
        for k in 0..end - start {
            out.push(t as f64 + (next - t) as f64 * k as f64 / n);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, points: &[(i64, f64)]) -> Series {
        Series {
            name: name.into(),
            regex: String::new(),
            points: (points.iter())
                .map(|&(timestamp_ms, value)| Point {
                    timestamp_ms,
                    value,
                })
                .collect(),
            unusable: None,
        }
    }

    #[test]
    fn values_logged_under_one_timestamp_are_spread_in_log_order() {
        let s = series(
            "loss",
            &[(0, 3.0), (0, 2.9), (0, 2.8), (60_000, 2.5), (60_000, 2.4)],
        );
        assert_eq!(
            spread(&s.points),
            [0.0, 20_000.0, 40_000.0, 60_000.0, 90_000.0]
        );
    }

    #[test]
    fn the_time_axis_takes_a_unit_that_suits_the_span() {
        let axis = |span: i64| {
            let s = series("loss", &[(1_000, 2.0), (1_000 + span, 1.0)]);
            let a = TimeAxis::of([&s].into_iter());
            (a.label(), a.max, a.xs(&s))
        };
        assert_eq!(axis(30_000).0, "seconds since the first value");
        assert_eq!(axis(45 * 60_000).0, "minutes since the first value");
        let (label, max, xs) = axis(3 * 3_600_000);
        assert_eq!(
            (label, max, xs),
            ("hours since the first value", 3.0, vec![0.0, 3.0])
        );
        let (label, _, xs) = axis(0);
        assert!(label.starts_with("values in log order"), "{label}");
        assert_eq!(xs, [0.0, 1.0]);
    }

    #[test]
    fn losses_and_perplexities_get_panels_of_their_own() {
        let metrics = [
            series("train_loss", &[(0, 2.4), (60_000, 1.9)]),
            series("eval_loss", &[(60_000, 2.2), (120_000, 1.8)]),
            series("eval_ppl", &[(60_000, 12.1), (120_000, 10.4)]),
        ];
        let drawn: Vec<(usize, &Series)> = metrics.iter().enumerate().collect();
        let names =
            |p: &Vec<(usize, &Series)>| p.iter().map(|(_, s)| s.name.clone()).collect::<Vec<_>>();
        let panels = panels(&drawn);
        assert_eq!(
            panels.iter().map(names).collect::<Vec<_>>(),
            [vec!["train_loss", "eval_loss"], vec!["eval_ppl"]]
        );
        let m = JobMetrics {
            job: "j",
            status: "Completed",
            metrics: &metrics,
        };
        let svg = metrics_svg(&m).unwrap();
        assert_eq!(
            svg.matches("minutes since the first value").count(),
            2,
            "{svg}"
        );
        // JumpStart's metric names are long: the axis says them briefly, the legend whole.
        let long = [series(
            "huggingface-textgeneration:eval-ppl",
            &[(0, 11.0), (60_000, 10.4)],
        )];
        let m = JobMetrics {
            job: "j",
            status: "Completed",
            metrics: &long,
        };
        let svg = metrics_svg(&m).unwrap();
        assert!(svg.contains(">\neval-ppl\n</text>"), "{svg}");
        assert!(
            svg.contains(">\nhuggingface-textgeneration:eval-ppl\n</text>"),
            "{svg}"
        );
    }
}
