//! Training you can watch: apply streams the job's log, heartbeats and a failed job's last
//! lines; `logs` and `metrics` read any run of a fine-tune.

use super::{control, World};

fn count(ops: &[String], needle: &str) -> usize {
    ops.iter().filter(|o| o.ends_with(needle)).count()
}

/// The position of `needle` in `text`, which must contain it.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
}

/// The messages of apply's streamed log lines (`  <job> | <message>`), in order.
fn streamed(stderr: &str, job: &str) -> Vec<String> {
    let prefix = format!("  {job} | ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

#[test]
fn apply_streams_the_log_in_order_with_heartbeats_then_logs_and_metrics_read_it_back() {
    let w = World::new("e2e-logs");
    w.pace(3);
    let apply = w.expect(0, &["apply", "--auto-approve", "--heartbeat", "10ms"]);
    let job = w.status()["training_jobs"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let err = &apply.stderr;
    let order = [
        format!("{job} | Starting the training job"),
        format!("{job} | Downloading input data"),
        format!("{job} | {{'loss': 2.1,"),
        format!("{job} | {{'eval_loss': 1.8,"),
        format!("{job} | {{'eval_loss': 1.5,"),
        format!("{job} | Training job completed"),
        format!("training job {job} completed: huggingface-textgeneration:eval-loss=1.5"),
    ];
    let positions: Vec<usize> = order.iter().map(|n| at(err, n)).collect();
    assert!(positions.is_sorted(), "out of order {positions:?}:\n{err}");
    // Heartbeats, the later ones with the last metric the log showed.
    assert!(
        err.contains(&format!("training job {job}: still InProgress")),
        "{err}"
    );
    assert!(err.contains(", last huggingface-textgeneration:"), "{err}");
    // At most one log read per poll per stream: one listing (the stream exists from the
    // start), GetLogEvents no more often than the job was described (+1 for the last page).
    let ops = w.requests();
    assert_eq!(count(&ops, "DescribeLogStreams"), 1, "{ops:?}");
    let reads = count(&ops, "GetLogEvents");
    let polls = count(&ops, "DescribeTrainingJob");
    assert!(
        reads >= 5 && reads <= polls + 1,
        "{reads} reads, {polls} polls"
    );

    // `logs` prints exactly the lines apply streamed, in the same order.
    let logs = w.expect(0, &["logs", "gptj"]);
    let lines: Vec<String> = logs.stdout.lines().map(str::to_string).collect();
    assert_eq!(lines, streamed(err, &job));
    assert!(logs.stderr.contains("is Completed"), "{}", logs.stderr);
    let recent = w.expect(0, &["logs", "gptj", "--since", "1h", "--job", &job]);
    assert_eq!(recent.stdout, logs.stdout);

    // The JSON series are the metric values the emulator wrote, in order.
    let written: serde_json::Value =
        serde_json::from_str(&control("GET", "/_sagetune/metrics-written", "")).unwrap();
    let json = w.expect(0, &["metrics", "gptj", "--format", "json"]);
    let m: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(m["job"], job.as_str());
    let values = |name: &str| -> serde_json::Value {
        let series = m["metrics"].as_array().unwrap();
        let s = series.iter().find(|s| s["name"] == name).unwrap();
        s["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].clone())
            .collect()
    };
    assert_eq!(
        values("huggingface-textgeneration:train-loss"),
        written[&job]["loss"]
    );
    assert_eq!(
        values("huggingface-textgeneration:eval-loss"),
        written[&job]["eval_loss"]
    );
    let chart = w.expect(0, &["metrics", "gptj"]);
    assert!(chart.stdout.contains("2.1 → 1.25"), "{}", chart.stdout);

    // The SVG: one 2-wide line per metric with one point per epoch, and a legend entry each.
    let svg_path = w.path().join("curve.svg");
    w.expect(0, &["metrics", "gptj", "--out", svg_path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let curves: Vec<&str> = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| p.contains(r#"stroke-width="2""#))
        .collect();
    assert_eq!(curves.len(), 2, "{svg}");
    for c in curves {
        let points = c
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split_whitespace().count(), 3, "{c}");
    }
    for name in ["train-loss", "eval-loss"] {
        assert!(
            svg.contains(&format!(">\nhuggingface-textgeneration:{name}\n</text>")),
            "{svg}"
        );
    }
}

#[test]
fn a_failed_job_shows_its_last_log_lines_and_where_the_rest_is_even_when_quiet() {
    let w = World::new("e2e-logfail");
    w.inject("fail-job", "AlgorithmError: CUDA out of memory");
    let run = w.expect(1, &["apply", "--auto-approve", "--quiet"]);
    let job = w.status()["training_jobs"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let err = &run.stderr;
    assert!(
        streamed(err, &job).is_empty(),
        "--quiet streams nothing:\n{err}"
    );
    assert!(
        err.contains(&format!("training job {job} failed: AlgorithmError")),
        "{err}"
    );
    let last = at(err, "  | ERROR: AlgorithmError: CUDA out of memory");
    assert!(at(err, "log lines:") < at(err, "  | {'loss': 2.1,"));
    assert!(at(err, "  | {'loss': 2.1,") < last);
    assert!(
        err.contains(&format!("log: /aws/sagemaker/TrainingJobs {job}/algo-1-")),
        "{err}"
    );
    assert!(err.contains(&format!(
        "console: https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/{job}"
    )));
    assert_eq!(count(&w.requests(), "CreateEndpoint"), 0);
}

#[test]
fn logs_follow_ends_when_the_job_ends_and_bad_requests_say_why() {
    let w = World::new("e2e-follow");
    let none = w.expect(1, &["logs", "gptj"]);
    assert!(
        none.stderr.contains("has no training job"),
        "{}",
        none.stderr
    );
    w.pace(2);
    w.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    let follow = w.expect(0, &["logs", "gptj", "--follow"]);
    let lines: Vec<&str> = follow.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"Starting the training job"));
    assert_eq!(lines.last(), Some(&"Training job completed"));
    assert!(follow.stderr.contains("is Completed"), "{}", follow.stderr);
    let unknown = w.expect(1, &["logs", "gtpj"]);
    assert!(
        unknown.stderr.contains("no fine-tune `gtpj`"),
        "{}",
        unknown.stderr
    );
    assert!(unknown.stderr.contains("fine-tunes in this manifest: gptj"));
    let other = w.expect(1, &["metrics", "gptj", "--job", "someone-elses-job"]);
    assert!(
        other.stderr.contains("is not a run of fine-tune gptj"),
        "{}",
        other.stderr
    );
}
