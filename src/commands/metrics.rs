//! `sagetune metrics FINE_TUNE [--job NAME] [--format json] [--out curve.svg]`: the metric
//! series in a training job's log, parsed with the job's own MetricDefinitions.

use crate::cli::{Format, MetricsArgs};
use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::files::write_atomic;
use crate::observe::logs::LogTail;
use crate::observe::metrics::MetricParser;
use crate::render;
use crate::render::chart::metrics_svg;
use crate::render::training::{metrics_chart, JobMetrics};

use super::Outcome;

pub fn run(args: &MetricsArgs, aws: &AwsOptions) -> Outcome {
    let (cloud, job) = match super::job::find(&args.which, aws) {
        Ok(found) => found,
        Err(d) => return Outcome::failed(&d, "no metrics were read"),
    };
    // Page by page: only the parsed points are kept, never the log's lines.
    let parser = MetricParser::new(&job.metric_definitions);
    let mut series = parser.empty();
    let mut tail = LogTail::new(&job.name, job.instance_count, None);
    if let Err(e) = tail.pages(&cloud, &mut |lines| parser.add(&mut series, &lines)) {
        return Outcome::failed(&[Diagnostic::from(&e)], "no metrics were read");
    }
    let m = JobMetrics {
        job: &job.name,
        status: job.status.as_str(),
        metrics: &series,
    };
    let mut stderr = String::new();
    if let Some(path) = &args.out {
        let written = metrics_svg(&m)
            .and_then(|svg| write_atomic(path, svg.as_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            let d = Diagnostic::new(
                "metrics::svg",
                format!("cannot write {}: {e}", path.display()),
            );
            return Outcome::failed(&[d], "no plot was written");
        }
        stderr = format!("Wrote {}.\n", path.display());
    }
    Outcome {
        stdout: match args.format {
            Format::Human => metrics_chart(&m),
            Format::Json => render::json_value(&m),
        },
        stderr,
        ..Default::default()
    }
}
