//! The fault suite: a full apply killed with SIGKILL at every step (each AWS request), and
//! mid-multipart-upload and mid-endpoint-update; and full applies with a quarter of all AWS
//! requests (S3, SageMaker, IAM) refused or answered into the void by the emulator's fault
//! injection. Each must converge, by re-running apply (and
//! `sagetune unlock` after a kill, as the message says), to exactly one training job, model,
//! endpoint config and endpoint, no multipart upload left behind, and every stored dataset
//! object holding the content its key names.

use std::time::{Duration, Instant};

use super::promotion::serving;
use super::{control, World};

/// The lock id a failed apply names ("stack is locked by …, lock id ID)").
fn lock_id(stderr: &str) -> Option<String> {
    let (_, rest) = stderr.split_once("lock id ")?;
    let id: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Re-runs apply until AWS matches the manifest (plan exit 0), releasing a lock a killed run
/// left; at most `tries` rounds.
fn converge(w: &World, tries: usize) {
    let mut last = String::new();
    for _ in 0..tries {
        let run = w.run(&["apply", "--auto-approve"]);
        if run.code != 0 {
            if let Some(id) = lock_id(&run.stderr) {
                w.run(&["unlock", &id]);
            }
            last = run.snapshot();
            continue;
        }
        let plan = w.run(&["plan", "--detailed-exitcode"]);
        if plan.code == 0 {
            return;
        }
        last = plan.snapshot();
    }
    panic!(
        "{} did not converge in {tries} rounds; last:\n{last}",
        w.name
    );
}

fn faults(w: &World, rate: f64, seed: u64) {
    control(
        "POST",
        "/_sagetune/faults",
        &serde_json::json!({"key": w.name, "rate": rate, "seed": seed}).to_string(),
    );
}

/// Exactly one of each object, nothing half-uploaded, every dataset object's content hash
/// equal to the hash in its key.
fn assert_converged(w: &World) {
    assert_converged_with(w, 1);
}

/// As [`assert_converged`], with `jobs` training jobs (history: an update trains again).
fn assert_converged_with(w: &World, jobs: usize) {
    let s = w.status();
    for (kind, n) in [
        ("training_jobs", jobs),
        ("models", 1),
        ("endpoint_configs", 1),
        ("endpoints", 1),
    ] {
        assert_eq!(s[kind].as_array().unwrap().len(), n, "{kind}: {s}");
    }
    assert_eq!(s["endpoints"][0]["status"], "InService", "{s}");
    let left = w.pending_uploads();
    assert!(left.is_empty(), "uploads left behind: {left:?}");
    let keys = w.keys("sagetune/datasets/");
    assert!(!keys.is_empty(), "no dataset objects");
    for key in keys {
        w.dataset_object(&key); // asserts the content's SHA-256 is the one the key names
    }
}

/// A dataset above the multipart threshold (64 MiB), so uploads go up in parts.
fn with_large_dataset(w: &World) {
    let line = "Net interest income rose on higher rates while deposits fell slightly.\n";
    let big: String = line.repeat((70 << 20) / line.len() + 1);
    std::fs::write(w.path().join("data/extra.txt"), big).unwrap();
    w.edit("    dataset: notes\n", "    dataset: extra\n");
}

#[test]
fn a_quarter_of_requests_failing_or_losing_their_answer_still_converges() {
    for seed in [11u64, 29] {
        let name = format!("e2e-faults-{seed}");
        let w = if seed == 11 {
            World::new(&name)
        } else {
            // A managed role, so IAM's calls meet the faults too.
            World::with_manifest(
                &name,
                &super::manifest(&name).replace(
                    "  arn: arn:aws:iam::123456789012:role/SageMakerExecution\n",
                    "  create: true\n",
                ),
            )
        };
        if seed == 11 {
            with_large_dataset(&w);
        }
        faults(&w, 0.25, seed);
        converge(&w, 12);
        let injected: serde_json::Value =
            serde_json::from_str(&control("GET", "/_sagetune/faults", "")).unwrap();
        let mine = &injected[name.as_str()];
        // Both kinds, several times each (the small stack of seed 29 sends few requests: a
        // no-op plan lists, it does not read resource by resource).
        assert!(
            mine["refused"].as_u64().unwrap() >= 3 && mine["lost"].as_u64().unwrap() >= 3,
            "faults were injected: {mine}"
        );
        faults(&w, 0.0, 0);
        assert_converged(&w);
        // Then an endpoint update through the same faults.
        w.edit(
            "    instance_type: ml.g5.2xlarge\n",
            "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
        );
        faults(&w, 0.25, seed + 1);
        converge(&w, 12);
        faults(&w, 0.0, 0);
        assert_converged(&w);
    }
}

/// Starts `apply`, kills it with SIGKILL once `until` says so (given the requests it sent),
/// and returns how many requests it had sent then (`None`: it finished first).
fn kill_during_apply(w: &World, until: impl Fn(&[String]) -> bool) -> Option<usize> {
    kill_during(w, &["apply", "--auto-approve"], until)
}

/// Starts `sagetune args…`, kills it with SIGKILL once `until` says so (given the requests
/// it sent), and returns how many requests it had sent then (`None`: it finished first).
fn kill_during(w: &World, args: &[&str], until: impl Fn(&[String]) -> bool) -> Option<usize> {
    let before = w.requests().len();
    let mut child = w
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break None;
        }
        let sent: Vec<String> = w.requests().split_off(before);
        if until(&sent) {
            child.kill().unwrap();
            break Some(sent.len());
        }
        assert!(Instant::now() < deadline, "{args:?} hung");
        std::thread::sleep(Duration::from_millis(2));
    };
    child.wait().unwrap();
    killed
}

/// Kills an apply of a fresh stack when `until` holds, then recovers and checks the result.
fn kill_and_recover(name: &str, large: bool, until: impl Fn(&[String]) -> bool) -> Option<usize> {
    let w = World::new(name);
    if large {
        with_large_dataset(&w);
    }
    let killed = kill_during_apply(&w, until);
    converge(&w, 6);
    assert_converged(&w);
    killed
}

#[test]
fn a_full_apply_killed_at_every_step_recovers_with_unlock_and_apply() {
    // How many requests a whole apply sends, measured on a twin stack.
    let twin = World::new("e2e-kill-twin");
    twin.expect(0, &["apply", "--auto-approve"]);
    let total = twin.requests().len();
    assert!(total > 20, "{total}");
    let mut reached = 0;
    for step in 1..total {
        if kill_and_recover(&format!("e2e-kill-{step}"), false, |sent| {
            sent.len() >= step
        })
        .is_some()
        {
            reached += 1;
        }
    }
    assert!(reached + 3 >= total, "killed at {reached} of {total} steps");
}

#[test]
fn killed_mid_multipart_upload_or_mid_update_it_recovers_too() {
    let part = |o: &String| o.starts_with("S3 PUT") && o.contains("/datasets/");
    type Until = Box<dyn Fn(&[String]) -> bool>;
    let points: [(&str, Until); 3] = [
        (
            "e2e-kill-mpu-created",
            Box::new(|sent: &[String]| {
                sent.iter()
                    .any(|o| o.starts_with("S3 POST") && o.contains("/datasets/"))
            }),
        ),
        (
            "e2e-kill-mpu-parts",
            Box::new(move |sent: &[String]| sent.iter().filter(|o| part(o)).count() >= 3),
        ),
        (
            "e2e-kill-mpu-last",
            Box::new(move |sent: &[String]| sent.iter().filter(|o| part(o)).count() >= 9),
        ),
    ];
    for (name, until) in points {
        assert!(
            kill_and_recover(name, true, until).is_some(),
            "{name}: killed"
        );
    }
    // Mid-update: killed right after UpdateEndpoint was sent.
    let w = World::new("e2e-kill-update");
    w.expect(0, &["apply", "--auto-approve"]);
    w.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
    );
    w.pace(3);
    let at = kill_during_apply(&w, |sent| {
        sent.iter().any(|o| o == "SageMaker.UpdateEndpoint")
    });
    assert!(at.is_some(), "the update apply was killed");
    converge(&w, 6);
    assert_converged(&w);
    let updates = w
        .requests()
        .iter()
        .filter(|o| o.as_str() == "SageMaker.UpdateEndpoint")
        .count();
    assert_eq!(
        updates, 1,
        "the update is adopted after the kill, not sent twice"
    );
}

/// A manifest whose endpoint has a smoke test and a canary rollout (a guarded update).
fn guarded(name: &str) -> String {
    super::manifest(name).replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    rollout:\n      canary: {size: 50%, wait: 1m}\n    smoke_test:\n      - prompt: Revenue grew\n        min_chars: 10\n        not_contains: error\n",
    )
}

/// Lets the endpoint finish whatever it is doing in AWS (reads advance the emulator), as it
/// does while nobody runs sagetune after an interrupted run.
fn settle_endpoint(w: &World) {
    for _ in 0..40 {
        if w.status()["endpoints"][0]["status"] == "InService" {
            return;
        }
    }
    panic!("the endpoint never settled: {}", w.status()["endpoints"]);
}

/// After an interrupted promotion has converged: the smoke test ran exactly once after the
/// update was sent, and the superseded config was deleted only after it.
fn assert_promoted_once(w: &World, name: &str, from: usize) {
    let sent: Vec<String> = w.requests().split_off(from);
    let update = sent
        .iter()
        .position(|o| o == "SageMaker.UpdateEndpoint")
        .unwrap_or_else(|| panic!("{name}: no UpdateEndpoint in {sent:?}"));
    let invokes: Vec<usize> = sent
        .iter()
        .enumerate()
        .filter(|(i, o)| *i > update && o.as_str() == "SageMakerRuntime.InvokeEndpoint")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        invokes.len(),
        1,
        "{name}: the smoke test ran once: {sent:?}"
    );
    let deleted = sent
        .iter()
        .position(|o| o == "SageMaker.DeleteEndpointConfig")
        .unwrap_or_else(|| panic!("{name}: the old config was not rotated: {sent:?}"));
    assert!(
        deleted > invokes[0],
        "{name}: the superseded config went before its successor passed: {sent:?}"
    );
}

#[test]
fn a_guarded_smoke_tested_update_killed_or_not_waited_for_is_tested_before_rotation() {
    type Until = Box<dyn Fn(&[String]) -> bool>;
    let after_update = |n: usize| -> Until {
        Box::new(move |sent: &[String]| {
            let Some(at) = sent.iter().position(|o| o == "SageMaker.UpdateEndpoint") else {
                return false;
            };
            sent[at..]
                .iter()
                .filter(|o| o.as_str() == "SageMaker.DescribeEndpoint")
                .count()
                >= n
        })
    };
    let points: [(&str, Until); 3] = [
        ("e2e-kill-guard-sent", after_update(0)),
        ("e2e-kill-guard-bake", after_update(2)),
        (
            "e2e-kill-guard-passed",
            Box::new(|sent: &[String]| {
                sent.iter().any(|o| o == "SageMaker.AddTags")
                    && sent.iter().any(|o| o == "SageMaker.UpdateEndpoint")
            }),
        ),
    ];
    for (name, until) in points {
        let w = World::with_manifest(name, &guarded(name));
        w.expect(0, &["apply", "--auto-approve"]);
        let v1 = serving(&w);
        w.edit("epoch: 1", "epoch: 2");
        w.pace(3);
        let from = w.requests().len();
        let killed = kill_during_apply(&w, |sent| until(sent));
        assert!(killed.is_some(), "{name}: killed");
        settle_endpoint(&w);
        converge(&w, 6);
        assert_converged_with(&w, 2);
        assert_ne!(serving(&w), v1, "{name}");
        assert_promoted_once(&w, name, from);
    }
    // --no-wait, then a plain apply.
    let name = "e2e-nowait-guard";
    let w = World::with_manifest(name, &guarded(name));
    w.expect(0, &["apply", "--auto-approve"]);
    let v1 = serving(&w);
    w.edit("epoch: 1", "epoch: 2");
    let from = w.requests().len();
    // Training must complete before the endpoint moves: the first --no-wait run starts it.
    w.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    w.pace(3);
    let mut rounds = 0;
    while !w.requests()[from..]
        .iter()
        .any(|o| o == "SageMaker.UpdateEndpoint")
    {
        rounds += 1;
        assert!(rounds < 20, "the update was never sent");
        w.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    }
    settle_endpoint(&w);
    let plan = w.run(&["plan"]);
    assert!(
        plan.stdout.contains("whose smoke test has not passed"),
        "{}",
        plan.stdout
    );
    assert!(
        w.status()["endpoint_configs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == v1.as_str()),
        "the superseded config is kept while the update is unproven"
    );
    w.expect(0, &["apply", "--auto-approve"]);
    assert_converged_with(&w, 2);
    assert_promoted_once(&w, name, from);
}
