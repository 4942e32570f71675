//! Promotion that is safe: an endpoint's gate on the new job's final metrics lets a better
//! model through and holds a worse one back, with its own exit code, and the plan shows why.

use super::{manifest, World};

fn gated(name: &str) -> String {
    manifest(name).replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    gate:\n      eval_loss: {max: 1.8}\n      better_than_serving: eval_loss\n",
    )
}

/// The config the scenario's endpoint serves now.
pub(super) fn serving(w: &World) -> String {
    w.status()["endpoints"][0]["config_name"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_gate_lets_a_better_model_through_and_holds_a_worse_one_on_the_old_config() {
    let name = "e2e-gate";
    let w = World::with_manifest(name, &gated(name));
    // The first job logs eval_loss 1.8: within `max: 1.8`, and nothing serves yet.
    w.inject("worse-job", "1.2");
    let first = w.expect(0, &["apply", "--auto-approve"]);
    assert!(
        first
            .stderr
            .contains("gate: eval_loss 1.8 ≤ 1.8; eval_loss 1.8; nothing is served yet"),
        "{}",
        first.stderr
    );
    let v1 = serving(&w);

    // A retrain with the usual 1.5 beats the serving 1.8: the endpoint moves.
    w.edit("epoch: 1", "epoch: 2");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout.contains("has not finished training"),
        "{}",
        plan.stdout
    );
    let better = w.expect(0, &["apply", "--auto-approve"]);
    assert!(
        better.stderr.contains("eval_loss 1.5 < serving 1.8"),
        "{}",
        better.stderr
    );
    let v2 = serving(&w);
    assert_ne!(v2, v1);

    // A worse retrain (1.65) is held: exit 3, the endpoint keeps v2, the old objects stay.
    w.inject("worse-job", "1.1");
    w.edit("epoch: 2", "epoch: 3");
    let held = w.expect(3, &["apply", "--auto-approve"]);
    assert!(
        held.stderr.contains(
            "held by gate: eval_loss 1.65 ≥ serving 1.5; it keeps serving its current model"
        ),
        "{}",
        held.stderr
    );
    assert!(held.stderr.contains("Held by a gate"), "{}", held.stderr);
    assert_eq!(serving(&w), v2);
    // The next plan still shows the update, with the gate's verdict; with nothing else to
    // do, a drift check stays green (exit 0) and says why.
    let plan = w.expect(0, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout
            .contains("✗ eval_loss 1.65 ≥ serving 1.5: holds the endpoint on its current model"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stderr
            .contains("Only changes a gate holds back are pending (endpoint.gptj, "),
        "{}",
        plan.stderr
    );
    let markdown = w.expect(0, &["plan", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("✗ eval_loss 1.65 ≥ serving 1.5"),
        "{}",
        markdown.stdout
    );
    // Applying again trains nothing new and holds again.
    let jobs = w.status()["training_jobs"].as_array().unwrap().len();
    w.expect(3, &["apply", "--auto-approve"]);
    assert_eq!(w.status()["training_jobs"].as_array().unwrap().len(), jobs);
    assert_eq!(serving(&w), v2);
}

#[test]
fn a_gate_on_a_metric_the_model_does_not_report_fails_before_any_sagemaker_call() {
    let name = "e2e-gate-bad";
    let text = gated(name).replace(
        "better_than_serving: eval_loss",
        "better_than_serving: eval_ppl",
    );
    let w = World::with_manifest(name, &text);
    let run = w.expect(1, &["plan"]);
    assert!(
        run.stderr
            .contains("fine-tune `gptj` reports no metric `eval_ppl`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("sagetune.yaml:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("its training job reports: eval_loss, train_loss"),
        "{}",
        run.stderr
    );
    assert!(!w.requests().iter().any(|r| r.starts_with("SageMaker.")));
}

fn smoke_tested(name: &str) -> String {
    manifest(name).replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    smoke_test:\n      - prompt: Revenue grew\n        min_chars: 10\n        not_contains: error\n        max_latency: 30s\n",
    )
}

fn fail_invocations(prefix: &str) {
    super::control(
        "POST",
        "/_sagetune/invoke",
        &format!(r#"{{"prefix": "{prefix}", "fail": "CUDA error: out of memory"}}"#),
    );
}

#[test]
fn a_failed_smoke_test_after_an_update_rolls_back_to_the_old_config() {
    let name = "e2e-smoke";
    let w = World::with_manifest(name, &smoke_tested(name));
    let first = w.expect(0, &["apply", "--auto-approve"]);
    assert!(
        first
            .stderr
            .contains("smoke test 1/1 on e2e-smoke-gptj: passed"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("smoke test passed (1 prompts)"),
        "{}",
        first.stderr
    );
    let v1 = serving(&w);
    w.edit("epoch: 1", "epoch: 2");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout.contains("smoke test after the change: \"Revenue grew\" (a failure rolls back to the config served now)"),
        "{}",
        plan.stdout
    );
    fail_invocations("e2e-smoke-gptj");
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(
        run.stderr
            .contains(&format!("rolled back: e2e-smoke-gptj serves {v1} again")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("CUDA error"), "{}", run.stderr);
    let s = w.status();
    assert_eq!(s["endpoints"][0]["config_name"], v1.as_str());
    assert_eq!(s["endpoints"][0]["status"], "InService");
    // The old config and model were not cleaned up: they serve again.
    assert!(s["endpoint_configs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == v1.as_str()));
}

#[test]
fn a_failed_smoke_test_after_a_create_is_an_error_that_leaves_the_endpoint() {
    let name = "e2e-smoke-new";
    let w = World::with_manifest(name, &smoke_tested(name));
    fail_invocations("e2e-smoke-new-gptj");
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(
        run.stderr.contains("is left as it is for inspection"),
        "{}",
        run.stderr
    );
    assert_eq!(w.status()["endpoints"][0]["status"], "InService");
}

fn alarms() -> serde_json::Value {
    serde_json::from_str(&super::control("GET", "/_sagetune/alarms", "")).unwrap()
}

#[test]
fn a_canary_rollout_is_rolled_back_by_its_alarm_and_destroy_removes_the_alarms() {
    let name = "e2e-roll";
    let text = manifest(name).replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    rollout:\n      canary: {size: 10%, wait: 10m}\n      max_model_latency: 3s\n",
    );
    let w = World::with_manifest(name, &text);
    w.expect(0, &["apply", "--auto-approve"]);
    let v1 = serving(&w);
    w.edit("epoch: 1", "epoch: 2");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout.contains(
            "rollout (blue/green): canary: 10% of capacity, 10m of watching, then the rest"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("rolled back by alarms e2e-roll-gptj-5xx-errors (any 5xx error) and e2e-roll-gptj-model-latency (model latency over 3000 ms)"),
        "{}",
        plan.stdout
    );
    w.inject("alarm-on-update", "5xx");
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(
        run.stderr
            .contains(&format!("rolled back: it is InService on {v1} instead of")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the CloudWatch alarm e2e-roll-gptj-5xx-errors went into ALARM"),
        "{}",
        run.stderr
    );
    assert_eq!(serving(&w), v1);
    let a = alarms();
    assert_eq!(a["e2e-roll-gptj-5xx-errors"], "ALARM", "{a}");
    assert!(a.get("e2e-roll-gptj-model-latency").is_some(), "{a}");
    // A calm retry goes through the canary and lands.
    super::control(
        "POST",
        "/_sagetune/alarm",
        r#"{"name": "e2e-roll-gptj-5xx-errors", "state": "OK"}"#,
    );
    w.expect(0, &["apply", "--auto-approve"]);
    assert_ne!(serving(&w), v1);
    // Without a rollout, the next update removes the alarms the earlier ones left.
    w.edit(
        "    rollout:\n      canary: {size: 10%, wait: 10m}\n      max_model_latency: 3s\n",
        "",
    );
    w.edit("epoch: 2", "epoch: 3");
    w.expect(0, &["apply", "--auto-approve"]);
    assert!(alarms().get("e2e-roll-gptj-5xx-errors").is_none());
    // Destroy removes them too (put back by another guarded update first).
    w.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    rollout: all_at_once\n",
    );
    w.edit("epoch: 3", "epoch: 4");
    w.expect(0, &["apply", "--auto-approve"]);
    assert!(alarms().get("e2e-roll-gptj-5xx-errors").is_some());
    w.expect(0, &["destroy", "--auto-approve"]);
    let a = alarms();
    assert!(a.get("e2e-roll-gptj-5xx-errors").is_none(), "{a}");
    assert!(a.get("e2e-roll-gptj-model-latency").is_none(), "{a}");
}

#[test]
fn alarms_are_the_stacks_own_listed_by_status_and_removed_by_destroy() {
    let name = "e2e-alarms";
    let text = manifest(name).replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    rollout: all_at_once\n",
    );
    let w = World::with_manifest(name, &text);
    w.expect(0, &["apply", "--auto-approve"]);
    w.edit("epoch: 1", "epoch: 2");
    w.expect(0, &["apply", "--auto-approve"]);
    let listed: Vec<String> = w.status()["alarms"]
        .as_array()
        .expect("status lists the alarms")
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        listed,
        [
            "e2e-alarms-gptj-5xx-errors",
            "e2e-alarms-gptj-model-latency"
        ]
    );
    let table = w.expect(0, &["status"]);
    assert!(
        table.stdout.contains("e2e-alarms-gptj-5xx-errors"),
        "{}",
        table.stdout
    );
    // Destroy deletes them after the endpoint (a run stopped in between is the fake's test).
    let plan = w.run(&["destroy", "--auto-approve"]);
    assert_eq!(plan.code, 0, "{}", plan.snapshot());
    let a = alarms();
    assert!(a.get("e2e-alarms-gptj-5xx-errors").is_none(), "{a}");
    assert!(a.get("e2e-alarms-gptj-model-latency").is_none(), "{a}");
}
