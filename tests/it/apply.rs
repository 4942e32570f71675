//! The executor and the apply command's logic against the in-memory fake: happy path, crash
//! and resume, training failure, endpoint rollback, Ctrl-C, stale saved plans, the state lock,
//! and the property that apply then plan is a no-op.

use std::time::Duration;

use proptest::prelude::*;
use sagetune::apply::progress::Recorder;
use sagetune::apply::state_lock as lock;
use sagetune::apply::{Cancel, Event, ExecOptions, Progress, Report};
use sagetune::cloud::{AwsOptions, Cloud, CloudRead, Kind, TrainingStatus};
use sagetune::observe::logs::LogTail;
use sagetune::plan::{ChangeId, Options, Plan};
use sagetune::prepare::prepare;
use sagetune::render::report as rendered;
use sagetune::stages::{self, Applied, Approval, Session};

use crate::plan::{Stack, BASE};

pub(crate) fn fast() -> ExecOptions {
    ExecOptions {
        wait: true,
        poll: Duration::ZERO,
        role_propagation: Duration::ZERO,
        parallel: 4,
        logs: true,
        heartbeat: Duration::from_secs(300),
    }
}

/// Runs the apply command's logic with auto-approval.
pub(crate) fn apply_with(
    s: &Stack,
    saved: Option<&Plan>,
    exec: ExecOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Applied, String> {
    let prepared = prepare(
        &s.manifest(),
        false,
        &AwsOptions::default(),
        false,
        Some(&crate::plan::FixtureStore),
    )
    .map_err(|d| format!("{d:?}"))?;
    let mut yes = |_: &Plan| Approval::Yes;
    let session = Session {
        cloud: &s.cloud,
        progress,
        cancel,
        exec,
        options: Options::default(),
        command: "sagetune apply".into(),
        approve: &mut yes,
    };
    stages::apply(&prepared, saved, session).map_err(|d| {
        // One line, without the report's wrapping, so messages can be searched.
        let text = s.redact(&sagetune::diagnostics::render(
            &d,
            sagetune::diagnostics::Style::Plain,
        ));
        text.split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ")
    })
}

pub(crate) fn apply(s: &Stack) -> Report {
    match apply_with(s, None, fast(), &Recorder::default(), &Cancel::default()) {
        Ok(Applied::Executed(_, report)) => report,
        other => panic!("{other:?}"),
    }
}

fn counts(s: &Stack) -> [usize; 4] {
    [
        s.cloud.names(Kind::TrainingJob).len(),
        s.cloud.names(Kind::Model).len(),
        s.cloud.names(Kind::EndpointConfig).len(),
        s.cloud.names(Kind::Endpoint).len(),
    ]
}

#[test]
fn a_fresh_stack_is_applied_completely_and_then_plans_clean() {
    let s = Stack::new(BASE);
    let recorder = Recorder::default();
    let report = match apply_with(&s, None, fast(), &recorder, &Cancel::default()).unwrap() {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert!(report.complete(), "{}", rendered(&report));
    assert_eq!(report.done.len(), 5);
    assert_eq!(counts(&s), [1, 1, 1, 1]);
    let events = recorder.events.lock().unwrap().clone();
    let training: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Training { secondary, .. } => secondary.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(
        training,
        [
            "Starting",
            "Downloading",
            "Training",
            "Uploading",
            "Completed"
        ]
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::Trained { metrics, .. } if metrics.contains_key("train_loss"))
    ));
    // The lock is released.
    assert!(!s
        .cloud
        .object_keys("fx-bucket")
        .iter()
        .any(|k| k.ends_with(".lock")));
    s.cloud.clear_calls();
    match apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()).unwrap() {
        Applied::NoChanges(plan) => assert!(!plan.has_changes()),
        other => panic!("{other:?}"),
    }
    let writes: Vec<String> = s
        .cloud
        .writes()
        .into_iter()
        .filter(|w| !w.contains(".sagetune/fx.lock"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[test]
fn a_crash_after_any_step_resumes_without_duplicates() {
    let total = {
        let s = Stack::new(BASE);
        apply(&s);
        s.cloud.writes().len()
    };
    for n in 0..total {
        let s = Stack::new(BASE);
        s.cloud.crash_after_writes(n);
        let first = apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default());
        if let Ok(Applied::Executed(_, r)) = &first {
            assert!(r.failed.is_some() || r.complete(), "crash after {n}");
        }
        s.cloud.recover();
        // A crash may leave the lock behind; the next run names it and unlock clears it.
        if let Err(e) = apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()) {
            assert!(e.contains("stack is locked by"), "crash after {n}: {e}");
            let (bucket, key) = lock::location("s3://fx-bucket/sagetune/", "fx");
            let held: lock::LockInfo =
                serde_json::from_slice(&s.cloud.get_object(&bucket, &key).unwrap().unwrap().body)
                    .unwrap();
            lock::unlock(&s.cloud, "s3://fx-bucket/sagetune/", "fx", &held.id).unwrap();
            match apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()) {
                Ok(Applied::Executed(_, r)) => assert!(r.complete(), "{}", rendered(&r)),
                Ok(Applied::NoChanges(_)) => {}
                other => panic!("crash after {n}: {other:?}"),
            }
        }
        assert_eq!(counts(&s), [1, 1, 1, 1], "crash after {n}");
        assert!(!s.plan().has_changes(), "crash after {n}");
    }
}

#[test]
fn a_failed_training_job_stops_apply_with_its_reason_and_leaves_the_endpoint_alone() {
    let s = Stack::new(BASE);
    s.cloud
        .fail_next_job("AlgorithmError: ExecuteUserScriptError: CUDA out of memory");
    let recorder = Recorder::default();
    let report = match apply_with(&s, None, fast(), &recorder, &Cancel::default()).unwrap() {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    let events = recorder.events.lock().unwrap().clone();
    let failed = events.iter().find_map(|e| match e {
        Event::TrainingFailed {
            last_lines,
            streams,
            ..
        } => Some((last_lines.clone(), streams.clone())),
        _ => None,
    });
    let (last_lines, streams) = failed.expect("a TrainingFailed event");
    assert_eq!(
        last_lines.last().map(String::as_str),
        Some("ERROR: AlgorithmError: ExecuteUserScriptError: CUDA out of memory")
    );
    assert_eq!(streams.len(), 1);
    let (id, why) = report.failed.clone().unwrap();
    assert_eq!(id, "fine_tune.llama");
    assert!(why.contains("CUDA out of memory"), "{why}");
    assert_eq!(report.not_done.len(), 3);
    assert!(!s
        .cloud
        .writes()
        .iter()
        .any(|w| w.starts_with("CreateEndpoint ")));
    // Fixing and re-applying starts run 2.
    let report = apply(&s);
    assert!(report.complete(), "{}", rendered(&report));
    assert_eq!(counts(&s), [2, 1, 1, 1]);
}

#[test]
fn an_endpoint_update_that_rolls_back_is_an_error_and_keeps_the_old_config() {
    let s = Stack::new(BASE);
    apply(&s);
    let old_config = s.cloud.names(Kind::EndpointConfig)[0].clone();
    let old_model = s.cloud.names(Kind::Model)[0].clone();
    s.edit("epoch: 1", "epoch: 2");
    s.cloud
        .roll_back_next_update("the primary container failed its ping health check");
    let report = apply(&s);
    let (id, why) = report.failed.clone().unwrap();
    assert_eq!(id, "endpoint.llama");
    assert!(why.contains("rolled back"), "{why}");
    assert!(why.contains("ping health check"), "{why}");
    assert!(s.cloud.names(Kind::EndpointConfig).contains(&old_config));
    assert!(s.cloud.names(Kind::Model).contains(&old_model));
    let e = s.cloud.describe_endpoint("fx-llama").unwrap().unwrap();
    assert_eq!(e.config_name, old_config);
    // The plan shows the update again; applying it now succeeds and rotates.
    let plan = s.plan();
    assert!(plan
        .changes
        .iter()
        .any(|c| c.id == "endpoint.llama" && c.action == sagetune::plan::Action::Update));
    assert!(apply(&s).complete());
    assert!(!s.cloud.names(Kind::EndpointConfig).contains(&old_config));
}

/// Requests Ctrl-C on the first training status it sees.
struct CtrlC<'a>(&'a Cancel);

impl Progress for CtrlC<'_> {
    fn event(&self, e: Event) {
        if matches!(e, Event::Training { .. }) {
            self.0.request();
        }
    }
}

#[test]
fn ctrl_c_during_training_stops_waiting_and_the_next_apply_finishes() {
    let s = Stack::new(BASE);
    s.cloud.set_pace(1000);
    let cancel = Cancel::default();
    let report = match apply_with(&s, None, fast(), &CtrlC(&cancel), &cancel).unwrap() {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert!(report.interrupted);
    assert!(report.failed.is_none());
    assert!(rendered(&report).contains("running jobs keep running"));
    let job = &s.cloud.names(Kind::TrainingJob)[0];
    assert_eq!(
        s.cloud.describe_training_job(job).unwrap().unwrap().status,
        TrainingStatus::InProgress
    );
    s.cloud.set_pace(1);
    let report = apply(&s);
    assert!(report.complete(), "{}", rendered(&report));
    assert_eq!(counts(&s), [1, 1, 1, 1]);
}

#[test]
fn no_wait_starts_training_and_a_later_apply_finishes_the_chain() {
    let s = Stack::new(BASE);
    s.cloud.set_pace(1000);
    let exec = ExecOptions {
        wait: false,
        ..fast()
    };
    let report = match apply_with(&s, None, exec, &Recorder::default(), &Cancel::default()).unwrap()
    {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(report.started.len(), 1);
    assert_eq!(report.not_done.len(), 3);
    assert!(report.failed.is_none());
    let plan = s.plan();
    assert!(plan
        .changes
        .iter()
        .any(|c| c.id == "fine_tune.llama" && c.action == sagetune::plan::Action::Wait));
    s.cloud.set_pace(1);
    assert!(apply(&s).complete());
}

#[test]
fn a_saved_plan_is_refused_once_aws_or_the_data_changed() {
    let s = Stack::new(BASE);
    let saved = s.plan();
    // Someone else creates the endpoint config out of band.
    let cfg = saved
        .changes
        .iter()
        .find_map(|c| match &c.request {
            Some(sagetune::plan::Request::CreateEndpointConfig(c)) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    s.cloud.create_endpoint_config(&cfg).unwrap();
    let err = apply_with(
        &s,
        Some(&saved),
        fast(),
        &Recorder::default(),
        &Cancel::default(),
    )
    .unwrap_err();
    assert!(err.contains("AWS changed since the plan was made"), "{err}");

    let s = Stack::new(BASE);
    let saved = s.plan();
    s.write("data/train.txt", "Different text.\n");
    let err = apply_with(
        &s,
        Some(&saved),
        fast(),
        &Recorder::default(),
        &Cancel::default(),
    )
    .unwrap_err();
    assert!(err.contains("dataset file"), "{err}");
    assert!(err.contains("changed since the plan was made"), "{err}");

    let s = Stack::new(BASE);
    let saved = s.plan();
    s.edit("epoch: 1", "epoch: 7");
    let err = apply_with(
        &s,
        Some(&saved),
        fast(),
        &Recorder::default(),
        &Cancel::default(),
    )
    .unwrap_err();
    assert!(err.contains("made from another manifest"), "{err}");
    assert!(
        s.cloud.writes().iter().all(|w| w.contains(".lock")),
        "{:?}",
        s.cloud.writes()
    );

    // A current saved plan applies.
    let s = Stack::new(BASE);
    let saved = s.plan();
    match apply_with(
        &s,
        Some(&saved),
        fast(),
        &Recorder::default(),
        &Cancel::default(),
    )
    .unwrap()
    {
        Applied::Executed(_, r) => assert!(r.complete()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_log_tail_reads_one_page_per_stream_per_poll_and_keeps_the_last_30_lines() {
    let s = Stack::new(BASE);
    apply(&s);
    let job = s.cloud.names(Kind::TrainingJob).pop().unwrap();
    let lines: Vec<String> = (1..=120).map(|i| format!("step {i}")).collect();
    s.cloud.write_log(&job, &lines);
    s.cloud.clear_calls();
    let mut tail = LogTail::new(&job, 1, None);
    let first = tail.poll(&s.cloud).unwrap();
    let calls = s.cloud.calls();
    assert_eq!(
        calls
            .iter()
            .map(|c| c.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["DescribeLogStreams", "GetLogEvents"]
    );
    // The stream is known now: the next poll is one read.
    s.cloud.clear_calls();
    let second = tail.poll(&s.cloud).unwrap();
    assert_eq!(s.cloud.calls().len(), 1);
    let rest = tail.drain(&s.cloud).unwrap();
    let read = [first, second, rest].concat();
    let all: Vec<String> = read.iter().cloned().map(|l| l.message).collect();
    // The job's own lines (start, each step, completion), then the 120 written here.
    assert_eq!(all[0], format!("Starting the training job {job}"));
    assert_eq!(&all[all.len() - 120..], &lines[..]);
    let recent: Vec<String> = tail.recent().into_iter().map(|l| l.message).collect();
    assert_eq!(recent, &lines[90..]);
    assert!(tail.poll(&s.cloud).unwrap().is_empty());
    // From a time on (`logs --since`): the positions of later pages count from there.
    let since = read
        .iter()
        .find(|l| l.message == "step 30")
        .unwrap()
        .timestamp_ms;
    let later: Vec<String> = LogTail::new(&job, 1, Some(since))
        .drain(&s.cloud)
        .unwrap()
        .into_iter()
        .map(|l| l.message)
        .collect();
    assert_eq!(later, &lines[29..]);
}

#[test]
fn a_second_apply_fails_at_once_naming_the_holder() {
    let s = Stack::new(BASE);
    let held = lock::acquire(
        &s.cloud,
        "s3://fx-bucket/sagetune/",
        "fx",
        "sagetune apply",
        "2026-11-30T09:00:00Z",
    )
    .unwrap();
    let err = apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()).unwrap_err();
    assert!(err.contains("stack is locked by"), "{err}");
    assert!(err.contains("since 2026-11-30T09:00:00Z"), "{err}");
    assert!(
        err.contains(&format!("sagetune unlock {}", held.id())),
        "{err}"
    );
    assert!(s.cloud.names(Kind::TrainingJob).is_empty());
    held.release().unwrap();
    assert!(apply(&s).complete());
}

#[test]
fn a_managed_role_is_created_and_its_arn_used_by_the_job() {
    let s = Stack::new(&crate::plan::managed());
    assert!(apply(&s).complete());
    let role = s.cloud.get_role("fx-sagemaker-execution").unwrap().unwrap();
    let policy = &role.inline_policies["sagetune-execution"];
    assert!(
        policy.contains("arn:aws:s3:::fx-bucket/sagetune/outputs/llama/fx-llama-*"),
        "{policy}"
    );
    assert!(!s.plan().has_changes());
}

#[test]
fn after_destroy_the_model_of_a_kept_job_waits_for_the_recreated_role() {
    let s = Stack::new(&crate::plan::managed());
    assert!(apply(&s).complete());
    for cycle in 0..3 {
        match destroy(&s, Options::default(), false) {
            Ok(Applied::Executed(_, r)) => assert!(r.complete(), "{}", rendered(&r)),
            other => panic!("cycle {cycle}: {other:?}"),
        }
        // The completed job is history and stays: the model is the first user of the role.
        let plan = s.plan();
        let model = plan.changes.iter().find(|c| c.id == "model.llama").unwrap();
        assert_eq!(model.depends_on, ["role"], "cycle {cycle}");
        let report = apply(&s);
        assert!(report.complete(), "cycle {cycle}: {}", rendered(&report));
    }
}

fn manifest(epoch: u32, count: u32, endpoint: bool, validation: bool) -> String {
    let mut m = BASE.replace("epoch: 1", &format!("epoch: {epoch}"));
    if validation {
        m = m.replace(
            "    train: data/train.txt\n",
            "    train: data/train.txt\n    validation: data/validation.txt\n",
        );
    }
    if endpoint {
        m.replace(
            "    instance_type: ml.g5.2xlarge\n",
            &format!("    instance_type: ml.g5.2xlarge\n    instance_count: {count}\n"),
        )
    } else {
        m[..m.find("endpoints:").unwrap()].to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Apply then plan is all noop, and a second apply sends nothing; across two manifests
    /// in a row, nothing is created twice.
    #[test]
    fn apply_converges_and_is_idempotent(
        a in (1u32..4, 1u32..3, any::<bool>(), any::<bool>()),
        b in (1u32..4, 1u32..3, any::<bool>(), any::<bool>()),
    ) {
        let s = Stack::new(&manifest(a.0, a.1, a.2, a.3));
        s.write("data/validation.txt", "Validation text about deposits.\n");
        prop_assert!(apply(&s).complete());
        prop_assert!(!s.plan().has_changes());
        s.write("sagetune.yaml", &manifest(b.0, b.1, b.2, b.3));
        let report = match apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()) {
            Ok(Applied::Executed(_, r)) => r,
            Ok(Applied::NoChanges(_)) => Report::default(),
            other => panic!("{other:?}"),
        };
        prop_assert!(report.failed.is_none(), "{}", rendered(&report));
        prop_assert!(!s.plan().has_changes());
        s.cloud.clear_calls();
        let again = apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default());
        prop_assert!(matches!(again, Ok(Applied::NoChanges(_))));
        let writes: Vec<String> = s.cloud.writes().into_iter().filter(|w| !w.contains(".lock")).collect();
        prop_assert!(writes.is_empty(), "{:?}", writes);
        // Every create in the log happened once per name.
        let mut creates: Vec<String> = s.cloud.calls().into_iter().filter(|c| c.starts_with("Create")).collect();
        let n = creates.len();
        creates.dedup();
        prop_assert_eq!(n, creates.len());
        let [_, models, configs, endpoints] = counts(&s);
        prop_assert!(models <= 1 && configs <= 1 && endpoints <= 1);
    }
}

pub(crate) fn destroy(s: &Stack, options: Options, purge: bool) -> Result<Applied, String> {
    let loaded = sagetune::manifest::load(&s.manifest()).unwrap();
    let mut yes = |_: &Plan| Approval::Yes;
    let recorder = Recorder::default();
    let cancel = Cancel::default();
    let session = Session {
        cloud: &s.cloud,
        progress: &recorder,
        cancel: &cancel,
        exec: fast(),
        options,
        command: "sagetune destroy".into(),
        approve: &mut yes,
    };
    stages::destroy(&loaded, "us-west-2", purge, session).map_err(|d| {
        sagetune::diagnostics::render(&d, sagetune::diagnostics::Style::Plain)
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ")
    })
}

#[test]
fn destroy_removes_serving_objects_keeps_jobs_and_data_and_honours_protect() {
    let s = Stack::new(&crate::plan::managed().replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    protect: true\n",
    ));
    assert!(apply(&s).complete());
    let err = destroy(&s, Options::default(), false).unwrap_err();
    assert!(err.contains("is protected"), "{err}");
    assert!(err.contains("pass --force"), "{err}");
    assert_eq!(counts(&s), [1, 1, 1, 1]);

    let forced = Options {
        delete_protected: true,
        ..Options::default()
    };
    match destroy(&s, forced.clone(), false).unwrap() {
        Applied::Executed(plan, report) => {
            assert!(report.complete(), "{}", rendered(&report));
            let ids: Vec<String> = plan.changes.iter().map(|c| c.id.to_string()).collect();
            assert!(ids.iter().any(|id| id == "role"), "{ids:?}");
            // destroy speaks of destroying, not of a manifest that did not change.
            for c in &plan.changes {
                assert!(
                    c.reason.starts_with("destroyed with the stack"),
                    "{}: {}",
                    c.id,
                    c.reason
                );
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(counts(&s), [1, 0, 0, 0], "training jobs are history");
    assert!(s
        .cloud
        .get_role("fx-sagemaker-execution")
        .unwrap()
        .is_none());
    let data = |s: &Stack| {
        s.cloud
            .object_keys("fx-bucket")
            .into_iter()
            .filter(|k| k.contains("/datasets/"))
            .count()
    };
    assert_eq!(data(&s), 1, "datasets are kept");
    // Another stack sharing the artifacts prefix, with a dataset of the same name.
    let other = "sagetune/datasets/fx2/sec/train/0000000000000000000000000000000000000000000000000000000000000000/train.txt";
    s.cloud.put_if("fx-bucket", other, b"theirs", None).unwrap();
    match destroy(&s, forced, true).unwrap() {
        Applied::Executed(_, report) => assert!(report.complete()),
        other => panic!("{other:?}"),
    }
    let left: Vec<String> = s
        .cloud
        .object_keys("fx-bucket")
        .into_iter()
        .filter(|k| k.contains("/datasets/"))
        .collect();
    assert_eq!(
        left,
        [other],
        "--purge-data deletes this stack's datasets and nothing of another stack's"
    );
    assert!(matches!(
        destroy(&s, Options::default(), true).unwrap(),
        Applied::NoChanges(_)
    ));
    assert_eq!(data(&s), 1);
}

#[test]
fn status_lists_the_stack_with_metrics_and_failures() {
    let s = Stack::new(BASE);
    s.cloud.fail_next_job("AlgorithmError: out of memory");
    apply(&s);
    apply(&s);
    let desired = sagetune::desired::Desired::empty("fx", "us-west-2", "s3://fx-bucket/sagetune/");
    let status = sagetune::observe::status(&s.cloud, &desired).unwrap();
    assert_eq!(status.training_jobs.len(), 2);
    insta::assert_snapshot!("status_table", sagetune::render::status_table(&status));
}

#[test]
fn script_mode_hosting_repacks_the_trained_model_with_its_inference_code() {
    let s = Stack::new(
        r#"stack: fx
region: us-west-2
artifacts: s3://fx-bucket/sagetune/
role:
  arn: arn:aws:iam::111122223333:role/SageMakerRole
datasets:
  sec:
    train: data/train.txt
fine_tunes:
  bloom:
    model: huggingface-textgeneration1-bloom-3b
    dataset: sec
endpoints:
  bloom:
    fine_tune: bloom
    instance_type: ml.g5.2xlarge
"#,
    );
    let code = sagetune::model_archive::archive(&[("inference.py", b"def model_fn(d): pass\n")]);
    s.cloud.seed_object(
        "jumpstart-cache-prod-us-west-2",
        "source-directory-tarballs/huggingface/inference/textgeneration/v1.1.0/sourcedir.tar.gz",
        &code,
        None,
    );
    let report = apply(&s);
    assert!(report.complete(), "{}", rendered(&report));
    let repacked: Vec<String> = s
        .cloud
        .object_keys("fx-bucket")
        .into_iter()
        .filter(|k| k.ends_with("/repacked/model.tar.gz"))
        .collect();
    assert_eq!(repacked.len(), 1);
    let local = s.dir.path().join("repacked.tar.gz");
    s.cloud.download("fx-bucket", &repacked[0], &local).unwrap();
    assert_eq!(
        sagetune::model_archive::names(&local).unwrap(),
        ["config.json", "code/inference.py"]
    );
    let model = &s.cloud.names(Kind::Model)[0];
    let described = s.cloud.describe_model(model).unwrap().unwrap();
    assert!(described
        .model_data
        .unwrap()
        .ends_with("/repacked/model.tar.gz"));
    assert!(!s.plan().has_changes());
}

#[test]
fn a_role_iam_has_not_propagated_yet_is_waited_for() {
    let s = Stack::new(&crate::plan::managed());
    s.cloud.refuse_role_for(1);
    let exec = ExecOptions {
        role_propagation: Duration::from_millis(300),
        ..fast()
    };
    let recorder = Recorder::default();
    let report = match apply_with(&s, None, exec, &recorder, &Cancel::default()).unwrap() {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert!(report.complete(), "{}", rendered(&report));
    let events = recorder.events.lock().unwrap().clone();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Note(n) if n.contains("assume the new role"))));
    // Without time to propagate, the error is reported as it is.
    let s = Stack::new(&crate::plan::managed());
    s.cloud.refuse_role_for(5);
    let report = apply(&s);
    assert!(report.failed.unwrap().1.contains("Could not assume role"));
}

#[test]
fn waits_read_again_through_transient_errors_and_give_up_only_on_persistent_ones() {
    let s = Stack::new(BASE);
    // A few failed status reads in the middle of training: apply carries on.
    s.cloud.fail_next_reads(3);
    let recorder = Recorder::default();
    let report = match apply_with(&s, None, fast(), &recorder, &Cancel::default()) {
        Ok(Applied::Executed(_, r)) => r,
        other => panic!("{other:?}"),
    };
    assert!(report.complete(), "{}", rendered(&report));
    let notes = recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Note(n) if n.contains("reading again")))
        .count();
    assert_eq!(notes, 3, "each transient failure is said");

    // A read that keeps failing ends the wait with the error, after a bounded number of tries.
    let s = Stack::new(BASE);
    s.cloud.fail_next_reads(1000);
    let report = match apply_with(&s, None, fast(), &Recorder::default(), &Cancel::default()) {
        Ok(Applied::Executed(_, r)) => r,
        other => panic!("{other:?}"),
    };
    let (id, why) = report.failed.clone().expect("the wait fails");
    assert_eq!(id, "fine_tune.llama");
    assert!(why.contains("failed 8 times in a row"), "{why}");
    let reads = s
        .cloud
        .calls()
        .iter()
        .filter(|c| c.starts_with("DescribeTrainingJob"))
        .count();
    assert!(reads <= 9, "bounded: {reads} reads");
}

#[test]
fn an_endpoint_update_already_under_way_is_waited_for_not_sent_again() {
    let s = Stack::new(BASE);
    assert!(apply(&s).complete());
    s.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
    );
    // The first run sends UpdateEndpoint and stops (interrupted, or --no-wait).
    s.cloud.set_pace(1000);
    let exec = ExecOptions {
        wait: false,
        ..fast()
    };
    let first = match apply_with(&s, None, exec, &Recorder::default(), &Cancel::default()).unwrap()
    {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(first.started.len(), 1, "{}", rendered(&first));
    let updates = |s: &Stack| {
        s.cloud
            .calls()
            .iter()
            .filter(|c| c.starts_with("UpdateEndpoint"))
            .count()
    };
    assert_eq!(updates(&s), 1);
    // The next run finds the endpoint Updating to the wanted config and waits for it.
    s.cloud.set_pace(3);
    let recorder = Recorder::default();
    let second = match apply_with(&s, None, fast(), &recorder, &Cancel::default()).unwrap() {
        Applied::Executed(_, r) => r,
        other => panic!("{other:?}"),
    };
    assert!(second.complete(), "{}", rendered(&second));
    assert_eq!(updates(&s), 1, "UpdateEndpoint is not sent a second time");
    assert!(recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| { matches!(e, Event::Note(n) if n.contains("already updating to")) }));
    assert!(!s.plan().has_changes());
}

#[test]
fn uploads_a_crash_left_behind_are_reported_then_aborted_by_apply() {
    let s = Stack::new(BASE);
    assert!(apply(&s).complete());
    let key = "sagetune/datasets/fx/sec/train/abc/train.txt";
    let id = s.cloud.seed_pending_upload("fx-bucket", key);
    // Another stack's upload under the same prefix is none of this stack's business.
    s.cloud
        .seed_pending_upload("fx-bucket", "sagetune/datasets/fx2/sec/train/abc/train.txt");
    let desired = sagetune::desired::Desired::empty("fx", "us-west-2", "s3://fx-bucket/sagetune/");
    let status = sagetune::observe::status(&s.cloud, &desired).unwrap();
    assert_eq!(status.interrupted_uploads.len(), 1);
    assert!(sagetune::render::status_table(&status).contains(&format!("upload {id}")));
    let plan = s.plan();
    let abort = plan
        .changes
        .iter()
        .find(|c| c.id == ChangeId::instance("upload", id.as_str()))
        .expect("the plan aborts it");
    assert!(abort.reason.contains("interrupted"), "{}", abort.reason);
    assert!(apply(&s).complete());
    let left = s
        .cloud
        .list_pending_uploads("fx-bucket", "sagetune/datasets/")
        .unwrap();
    assert_eq!(left.len(), 1, "only the other stack's remains: {left:?}");
    assert!(!s.plan().has_changes());
}

#[test]
fn a_store_without_multipart_upload_listing_plans_and_applies_with_a_note() {
    let s = Stack::new(BASE);
    // Some S3-compatible stores answer ListMultipartUploads with 501 NotImplemented.
    s.cloud.without_upload_listing();
    let plan = s.plan();
    assert!(
        plan.warnings.iter().any(|w| w
            .starts_with("the artifacts store cannot list multipart uploads")
            && w.contains("NotImplemented")),
        "{:?}",
        plan.warnings
    );
    assert!(apply(&s).complete());
    assert_eq!(counts(&s), [1, 1, 1, 1]);
    let again = s.plan();
    assert!(!again.has_changes());
    assert_eq!(again.warnings.len(), 1, "{:?}", again.warnings);
}
