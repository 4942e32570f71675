//! `sagetune logs FINE_TUNE [--job NAME] [--follow] [--since 10m]`: a training job's log
//! lines on stdout as they are read; with `--follow`, until the job ends.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::apply::poll_interval;
use crate::cli::{Format, LogsArgs};
use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::observe::logs::{read, LogLine};
use crate::prepare::models::env;
use crate::render::training::{log_line, log_line_json};

use super::Outcome;

pub fn run(args: &LogsArgs, aws: &AwsOptions) -> Outcome {
    let (cloud, job) = match super::job::find(&args.which, aws) {
        Ok(found) => found,
        Err(d) => return Outcome::failed(&d, "no log was read"),
    };
    let since_ms = args.since.map(|d| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        now.saturating_sub(d).as_millis() as i64
    });
    let follow = args
        .follow
        .then(|| poll_interval(&env, Duration::from_secs(5)));
    let multi = job.instance_count > 1;
    let json = args.format == Format::Json;
    let mut printed = 0usize;
    let mut show = |lines: Vec<LogLine>| {
        let mut out = std::io::stdout().lock();
        for l in &lines {
            let line = if json {
                log_line_json(&job.name, l)
            } else {
                log_line(l, multi)
            };
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        printed += lines.len();
    };
    let status = match read(&cloud, &job, since_ms, follow, &mut show) {
        Ok(status) => status.as_str(),
        Err(e) => return Outcome::failed(&[Diagnostic::from(&e)], "the log could not be read"),
    };
    Outcome {
        stderr: format!(
            "training job {} is {status}; {printed} log lines\n",
            job.name
        ),
        ..Outcome::default()
    }
}
