//! What must hold where real teams live, against the fake: an endpoint on a config whose
//! smoke test or gate never passed is verified by the next run before anything it superseded
//! goes, a failed check rolls back to the config that last passed, gates fail closed, alarms
//! are converged, outside text reaches the terminal escaped, a data file swapped before its
//! upload is refused, logs are read page by page, and invoke refuses another stack's endpoint.

use sagetune::apply::progress::Recorder;
use sagetune::apply::{Cancel, Event, ExecOptions, Progress, Report};
use sagetune::cloud::{Cloud, CloudRead, Kind};
use sagetune::plan::{Action, ChangeId, Plan, TAG_PASSED};
use sagetune::render::report as rendered;
use sagetune::stages::Applied;

use crate::apply::{apply, apply_with, destroy, fast};
use crate::plan::{Stack, BASE};

fn smoke_tested() -> String {
    BASE.replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    smoke_test:\n      - prompt: Revenue grew\n        min_chars: 10\n        not_contains: error\n",
    )
}

/// Requests Ctrl-C as soon as an endpoint reports a status (right after UpdateEndpoint).
struct CtrlCOnEndpoint<'a>(&'a Cancel);

impl Progress for CtrlCOnEndpoint<'_> {
    fn event(&self, e: Event) {
        if matches!(e, Event::Endpoint { .. }) {
            self.0.request();
        }
    }
}

fn executed(r: Result<Applied, String>) -> Report {
    match r {
        Ok(Applied::Executed(_, report)) => report,
        other => panic!("{other:?}"),
    }
}

fn change<'p>(plan: &'p Plan, id: &str) -> &'p sagetune::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no change {id}"))
}

fn invocations(s: &Stack) -> usize {
    s.cloud
        .calls()
        .iter()
        .filter(|c| c.starts_with("InvokeEndpoint"))
        .count()
}

fn passed(s: &Stack) -> Option<String> {
    let e = s.cloud.describe_endpoint("fx-llama").unwrap().unwrap();
    e.tags.get(TAG_PASSED).cloned()
}

/// A stack serving v1 (its smoke test passed), edited so that v2 is wanted, and an apply of
/// v2 interrupted right after UpdateEndpoint, then left to finish in AWS. Returns v1.
fn interrupted_update(s: &Stack, how: &str) -> String {
    assert!(apply(s).complete());
    let v1 = s.cloud.names(Kind::EndpointConfig)[0].clone();
    assert_eq!(passed(s).as_deref(), Some(v1.as_str()));
    s.edit("epoch: 1", "epoch: 2");
    s.cloud.set_pace(1000);
    let report = match how {
        "ctrl-c" => {
            let cancel = Cancel::default();
            executed(apply_with(
                s,
                None,
                fast(),
                &CtrlCOnEndpoint(&cancel),
                &cancel,
            ))
        }
        _ => {
            let exec = ExecOptions {
                wait: false,
                ..fast()
            };
            // Training first (it must complete before the endpoint changes), then --no-wait.
            s.cloud.set_pace(1);
            let plan = s.plan();
            assert!(plan.changes.iter().any(|c| c.action == Action::Create));
            let _ = executed(apply_with(
                s,
                None,
                exec.clone(),
                &Recorder::default(),
                &Cancel::default(),
            ));
            s.cloud.settle();
            s.cloud.set_pace(1000);
            executed(apply_with(
                s,
                None,
                exec,
                &Recorder::default(),
                &Cancel::default(),
            ))
        }
    };
    assert!(!report.complete(), "{}", rendered(&report));
    assert!(s
        .cloud
        .calls()
        .iter()
        .any(|c| c.starts_with("UpdateEndpoint")));
    s.cloud.set_pace(1);
    s.cloud.settle();
    v1
}

#[test]
fn an_update_interrupted_after_it_was_sent_is_smoke_tested_before_the_old_config_goes() {
    for how in ["ctrl-c", "no-wait"] {
        let s = Stack::new(&smoke_tested());
        let v1 = interrupted_update(&s, how);
        let e = s.cloud.describe_endpoint("fx-llama").unwrap().unwrap();
        assert_ne!(e.config_name, v1, "{how}: the update finished in AWS");
        let plan = s.plan();
        let verify = change(&plan, "endpoint.llama");
        assert_eq!(verify.action, Action::Verify, "{how}");
        assert_eq!(verify.supersedes.as_deref(), Some(v1.as_str()), "{how}");
        assert!(
            verify.reason.contains("smoke test has not passed"),
            "{how}: {}",
            verify.reason
        );
        // The old config waits for the verification.
        let old = change(&plan, &format!("endpoint_config.llama[{v1}]"));
        assert_eq!(old.action, Action::Delete);
        assert!(
            old.depends_on.contains(&ChangeId::at("endpoint.llama")),
            "{how}"
        );
        assert!(sagetune::render::human(&plan).contains("1 to verify"));

        s.cloud.clear_calls();
        let report = apply(&s);
        assert!(report.complete(), "{how}: {}", rendered(&report));
        assert_eq!(
            invocations(&s),
            1,
            "{how}: the smoke test ran once for the new config"
        );
        assert_eq!(passed(&s), Some(e.config_name.clone()), "{how}");
        assert!(!s.cloud.names(Kind::EndpointConfig).contains(&v1), "{how}");
        assert!(!s.plan().has_changes(), "{how}");
    }
}

#[test]
fn a_failing_smoke_test_found_after_an_interruption_rolls_back_and_keeps_the_old_config() {
    let s = Stack::new(&smoke_tested());
    let v1 = interrupted_update(&s, "ctrl-c");
    let old_model = s
        .cloud
        .describe_endpoint_config(&v1)
        .unwrap()
        .unwrap()
        .variants[0]
        .model_name
        .clone();
    s.cloud.answer_with_error(Some("CUDA error: out of memory"));
    let report = apply(&s);
    let (id, why) = report.failed.clone().expect("the verification fails");
    assert_eq!(id, "endpoint.llama");
    assert!(
        why.contains(&format!("rolled back: fx-llama serves {v1} again")),
        "{why}"
    );
    assert!(why.contains("CUDA error"), "{why}");
    assert!(s.cloud.names(Kind::EndpointConfig).contains(&v1));
    assert!(s.cloud.names(Kind::Model).contains(&old_model));
    assert_eq!(passed(&s).as_deref(), Some(v1.as_str()));
    // A fixed model goes through as an ordinary update and then rotates v1 out.
    s.cloud.answer_with_error(None);
    assert_eq!(change(&s.plan(), "endpoint.llama").action, Action::Update);
    assert!(apply(&s).complete());
    assert!(!s.cloud.names(Kind::EndpointConfig).contains(&v1));
    assert!(!s.plan().has_changes());
}

#[test]
fn a_smoke_test_that_failed_after_a_create_is_shown_by_every_later_plan() {
    let s = Stack::new(&smoke_tested());
    s.cloud.answer_with_error(Some("model not loaded"));
    let first = apply(&s);
    assert!(first.failed.is_some(), "{}", rendered(&first));
    for _ in 0..2 {
        let plan = s.plan();
        assert!(plan.has_changes(), "not \"No changes\"");
        let c = change(&plan, "endpoint.llama");
        assert_eq!(c.action, Action::Verify);
        assert_eq!(c.supersedes, None);
        let again = apply(&s);
        let (_, why) = again.failed.clone().expect("still failing");
        assert!(why.contains("left as it is for inspection"), "{why}");
    }
    s.cloud.answer_with_error(None);
    assert!(apply(&s).complete());
    assert!(!s.plan().has_changes());
}

#[test]
fn a_relative_gate_holds_when_the_served_model_cannot_be_read() {
    let gated = BASE.replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    gate:\n      better_than_serving: eval_loss\n",
    );
    let s = Stack::new(&gated);
    assert!(apply(&s).complete());
    let v1 = s.cloud.names(Kind::EndpointConfig)[0].clone();
    let model = s.cloud.names(Kind::Model)[0].clone();
    // Deleted out of band: what the endpoint serves can no longer be compared with.
    s.cloud.delete_model(&model).unwrap();
    s.edit("epoch: 1", "epoch: 2");
    let report = apply(&s);
    let (id, why) = report.held.first().cloned().expect("held");
    assert_eq!(id, "endpoint.llama");
    assert!(
        why.contains(&format!("its model {model} cannot be read")),
        "{why}"
    );
    let e = s.cloud.describe_endpoint("fx-llama").unwrap().unwrap();
    assert_eq!(e.config_name, v1);
}

#[test]
fn a_destroy_stopped_right_after_delete_endpoint_deletes_the_alarms_when_run_again() {
    let guarded = BASE.replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    rollout: all_at_once\n",
    );
    let s = Stack::new(&guarded);
    assert!(apply(&s).complete());
    s.edit("epoch: 1", "epoch: 2");
    assert!(apply(&s).complete());
    let alarms = || s.cloud.list_alarms("fx-").unwrap();
    assert_eq!(alarms().len(), 2, "the guarded update put its alarms");
    // The writes of a whole destroy, up to and including DeleteEndpoint, then a crash.
    s.cloud.clear_calls();
    let writes_before = s.cloud.writes().len();
    assert_eq!(writes_before, 0);
    // The state lock, then DeleteEndpoint: the alarms go only after their endpoint.
    s.cloud.crash_after_writes(2);
    let _ = destroy(&s, sagetune::plan::Options::default(), false);
    s.cloud.recover();
    assert!(
        s.cloud.names(Kind::Endpoint).is_empty(),
        "{:?}",
        s.cloud.writes()
    );
    assert_eq!(alarms().len(), 2, "the crash left the alarms");
    let (bucket, key) = sagetune::apply::state_lock::location("s3://fx-bucket/sagetune/", "fx");
    if let Some(held) = s.cloud.get_object(&bucket, &key).unwrap() {
        let held: sagetune::apply::state_lock::LockInfo =
            serde_json::from_slice(&held.body).unwrap();
        sagetune::apply::state_lock::unlock(&s.cloud, "s3://fx-bucket/sagetune/", "fx", &held.id)
            .unwrap();
    }
    match destroy(&s, sagetune::plan::Options::default(), false) {
        Ok(Applied::Executed(_, r)) => assert!(r.complete(), "{}", rendered(&r)),
        other => panic!("{other:?}"),
    }
    assert!(alarms().is_empty());
}

#[test]
fn outside_text_reaches_human_and_markdown_output_escaped_and_json_exact() {
    let hostile = "\u{1b}]0;owned\u{7}disk full\u{1b}[2J\r";
    let shown = "\\u{1b}]0;owned\\u{7}disk full\\u{1b}[2J\\u{d}";
    let s = Stack::new(BASE);
    s.cloud.fail_next_job(hostile);
    let report = apply(&s);
    let text = rendered(&report);
    assert!(text.contains(shown), "{text}");
    let plan = s.plan();
    for (format, out) in [
        ("human", sagetune::render::human(&plan)),
        ("markdown", sagetune::render::markdown(&plan)),
    ] {
        assert!(out.contains(shown), "{format}: {out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{format}: {out:?}"
        );
    }
    let json = sagetune::render::json(&plan);
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        back.to_string().contains("\\u001b]0;owned\\u0007disk full"),
        "JSON stays exact"
    );
    let desired = sagetune::desired::Desired::empty("fx", "us-west-2", "s3://fx-bucket/sagetune/");
    let status = sagetune::observe::status(&s.cloud, &desired).unwrap();
    let table = sagetune::render::status_table(&status);
    assert!(
        table.contains(shown) && !table.contains('\u{1b}'),
        "{table}"
    );
}

/// Swaps the train file for a symlink to `/dev/zero` as soon as its upload starts.
struct SwapForDevice(std::path::PathBuf);

impl Progress for SwapForDevice {
    fn event(&self, e: Event) {
        if matches!(&e, Event::Started { id, .. } if id.address().starts_with("dataset.")) {
            let _ = std::fs::remove_file(&self.0);
            std::os::unix::fs::symlink("/dev/zero", &self.0).unwrap();
        }
    }
}

#[test]
fn a_data_file_swapped_for_a_device_before_its_upload_fails_at_once() {
    let s = Stack::new(BASE);
    let train = s.dir.path().join("data/train.txt");
    let start = std::time::Instant::now();
    let report = executed(apply_with(
        &s,
        None,
        fast(),
        &SwapForDevice(train),
        &Cancel::default(),
    ));
    let (id, why) = report.failed.clone().expect("the upload fails");
    assert!(id.address().starts_with("dataset."), "{id}");
    assert!(why.contains("no longer a regular file"), "{why}");
    assert!(start.elapsed().as_secs() < 10, "it did not read the device");
    assert!(s
        .cloud
        .object_keys("fx-bucket")
        .iter()
        .all(|k| !k.contains("/datasets/")));
}

#[test]
fn invoke_refuses_an_endpoint_of_another_stack_with_the_same_aws_name() {
    // Stack `rt-c`'s endpoint `x-gptj` and stack `rt-c-x`'s `gptj` are both `rt-c-x-gptj`.
    let cloud = sagetune::cloud::fake::FakeCloud::new();
    let endpoint = |stack: &str| sagetune::cloud::Endpoint {
        name: "rt-c-x-gptj".into(),
        tags: [("sagetune:stack".to_string(), stack.to_string())].into(),
        status: sagetune::cloud::EndpointStatus::InService,
        config_name: "rt-c-x-gptj-0123456789".into(),
        failure_reason: None,
        pending_config: None,
    };
    cloud.seed_endpoint(endpoint("rt-c-x"));
    let refused = sagetune::stages::check_invoke_owner(&cloud, "rt-c", "rt-c-x-gptj").unwrap_err();
    assert_eq!(refused[0].code, "invoke::not-owned");
    assert!(refused[0]
        .message
        .contains("belongs to sagetune stack `rt-c-x`, not `rt-c`"));
    assert!(sagetune::stages::check_invoke_owner(&cloud, "rt-c-x", "rt-c-x-gptj").is_ok());
    let missing = sagetune::stages::check_invoke_owner(&cloud, "rt-c", "rt-c-gone").unwrap_err();
    assert_eq!(missing[0].code, "invoke::no-endpoint");
}

#[test]
fn logs_and_metrics_read_a_long_log_page_by_page() {
    let s = Stack::new(BASE);
    assert!(apply(&s).complete());
    let job_name = s.cloud.names(Kind::TrainingJob).pop().unwrap();
    let lines: Vec<String> = (1..=500)
        .map(|i| format!("epoch={i}: train_epoch_loss={}.5", i % 3))
        .collect();
    s.cloud.write_log(&job_name, &lines);
    let job = s.cloud.describe_training_job(&job_name).unwrap().unwrap();
    // `logs`: each page is handed on as it is read; none holds the whole log.
    let mut batches = Vec::new();
    sagetune::observe::logs::read(&s.cloud, &job, None, None, &mut |page| {
        batches.push(page.len());
    })
    .unwrap();
    assert!(batches.len() >= 10, "{batches:?}");
    assert!(
        batches.iter().all(|n| *n <= 50),
        "one page at a time: {batches:?}"
    );
    assert!(batches.iter().sum::<usize>() >= 500);
    // `metrics`: the parser keeps points only, added page by page.
    let parser = sagetune::observe::metrics::MetricParser::new(&job.metric_definitions);
    let mut series = parser.empty();
    let mut tail = sagetune::observe::logs::LogTail::new(&job_name, 1, None);
    tail.pages(&s.cloud, &mut |page| parser.add(&mut series, &page))
        .unwrap();
    let loss = series
        .iter()
        .find(|m| m.name.ends_with("train-loss"))
        .map(|m| m.points.len())
        .unwrap_or_default();
    assert!(loss >= 500, "{series:?}");
}

#[test]
fn a_plan_whose_only_work_is_a_held_promotion_has_no_unheld_changes() {
    let gated = BASE.replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    gate:\n      better_than_serving: eval_loss\n",
    );
    let s = Stack::new(&gated);
    assert!(apply(&s).complete());
    let model = s.cloud.names(Kind::Model)[0].clone();
    s.cloud.delete_model(&model).unwrap();
    s.edit("epoch: 1", "epoch: 2");
    assert!(!apply(&s).held.is_empty());
    // Nothing changed since: the update (and the deletion waiting for it) would be held again.
    let plan = s.plan();
    assert!(plan.has_changes());
    assert!(!plan.has_unheld_changes());
    let held: Vec<String> = plan.held().iter().map(ToString::to_string).collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0], "endpoint.llama");
    assert!(held[1].starts_with("endpoint_config.llama["), "{held:?}");
    // A new input is a change again.
    s.edit("epoch: 2", "epoch: 3");
    assert!(s.plan().has_unheld_changes());
}
