//! `sagetune logs FINE_TUNE [--job NAME] [--follow] [--since 10m]`: a training job's log
//! lines on stdout as they are read; with `--follow`, until the job ends.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::LogsArgs;
use crate::cloud::{AwsOptions, CloudRead};
use crate::diagnostics::Diagnostic;
use crate::observe::logs::{LogLine, LogTail};
use crate::prepare::models::env;
use crate::render::training::log_line;

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
    let poll = env("SAGETUNE_POLL_INTERVAL")
        .and_then(|v| humantime::parse_duration(&v).ok())
        .unwrap_or(Duration::from_secs(5));
    let mut tail = LogTail::new(&job.name, job.instance_count, since_ms);
    let multi = job.instance_count > 1;
    let mut printed = 0usize;
    let mut show = |lines: Vec<LogLine>| {
        let mut out = std::io::stdout().lock();
        for l in &lines {
            let _ = writeln!(out, "{}", log_line(l, multi));
        }
        let _ = out.flush();
        printed += lines.len();
    };
    let mut running = job.status.is_running();
    loop {
        match tail.drain(&cloud) {
            Ok(lines) => show(lines),
            Err(e) => return Outcome::failed(&[Diagnostic::from(&e)], "the log could not be read"),
        }
        if !args.follow || !running {
            break;
        }
        std::thread::sleep(poll);
        running = match cloud.describe_training_job(&job.name) {
            Ok(Some(j)) => j.status.is_running(),
            Ok(None) => false,
            Err(e) => return Outcome::failed(&[Diagnostic::from(&e)], "the log could not be read"),
        };
    }
    let status = match cloud.describe_training_job(&job.name) {
        Ok(Some(j)) => j.status.as_str().to_string(),
        _ => job.status.as_str().to_string(),
    };
    Outcome {
        stderr: format!(
            "training job {} is {status}; {printed} log lines\n",
            job.name
        ),
        ..Outcome::default()
    }
}
