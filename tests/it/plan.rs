//! Planner scenarios against the in-memory fake cloud: a manifest in a temporary folder,
//! JumpStart specs from the fixtures, and AWS as the fake holds it. Each case checks the
//! actions and reasons; the main ones snapshot all three renderings.

use std::path::PathBuf;

use sagetune::cloud::fake::FakeCloud;
use sagetune::cloud::{
    AwsOptions, Cloud, CloudRead, Endpoint, EndpointStatus, Kind, TrainingStatus,
};
use sagetune::diagnostics::{render, Style};
use sagetune::jumpstart::source::ContentStore;
use sagetune::plan::{passed_tag, Action, ChangeId, Options, Plan, Request};
use sagetune::prepare::prepare;
use sagetune::render;
use sagetune::stages;

const CREATED_AT: &str = "2026-11-30T12:00:00Z";

/// JumpStart content served from the fixture folders, as the content bucket would.
pub struct FixtureStore;

impl ContentStore for FixtureStore {
    fn get(&self, _bucket: &str, key: &str) -> Result<Vec<u8>, sagetune::cloud::CloudError> {
        let base = crate::root().join("tests/fixtures/jumpstart");
        let path = if key == "models_manifest.json" {
            base.join("manifest").join(key)
        } else {
            base.join("specs").join(key)
        };
        std::fs::read(&path).map_err(|e| sagetune::cloud::CloudError::Transport {
            operation: "GetObject".into(),
            message: format!("{}: {e}", path.display()),
        })
    }
}

pub const BASE: &str = r#"stack: fx
region: us-west-2
artifacts: s3://fx-bucket/sagetune/
role:
  arn: arn:aws:iam::111122223333:role/SageMakerRole
datasets:
  sec:
    train: data/train.txt
fine_tunes:
  llama:
    model: meta-textgeneration-llama-2-7b
    model_version: "3.*"
    dataset: sec
    accept_eula: true
    hyperparameters:
      epoch: 1
    max_runtime: 10h
endpoints:
  llama:
    fine_tune: llama
    instance_type: ml.g5.2xlarge
"#;

/// [`BASE`] with a role sagetune manages (`role: {create: true}`).
pub fn managed() -> String {
    BASE.replace(
        "  arn: arn:aws:iam::111122223333:role/SageMakerRole\n",
        "  create: true\n",
    )
}

/// A manifest folder and the fake account it plans against.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub cloud: FakeCloud,
}

impl Stack {
    pub fn new(manifest: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(
            dir.path().join("data/train.txt"),
            "Net interest income rose on higher rates.\nDeposits fell 3% in the quarter.\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("sagetune.yaml"), manifest).unwrap();
        let cloud = FakeCloud::new();
        cloud.add_bucket("fx-bucket");
        Stack { dir, cloud }
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.path().join("sagetune.yaml")
    }

    /// Replaces `from` by `to` in the manifest (which must contain it).
    pub fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.manifest()).unwrap();
        assert!(text.contains(from), "the manifest has no {from:?}");
        std::fs::write(self.manifest(), text.replacen(from, to, 1)).unwrap();
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join(rel), text).unwrap();
    }

    pub fn plan_with(&self, options: &Options) -> Result<Plan, String> {
        let aws = AwsOptions::default();
        let prepared = prepare(&self.manifest(), false, &aws, false, Some(&FixtureStore))
            .map_err(|d| self.rendered(&d))?;
        stages::plan(&prepared, &self.cloud, options, CREATED_AT).map_err(|d| self.rendered(&d))
    }

    pub fn plan(&self) -> Plan {
        match self.plan_with(&Options::default()) {
            Ok(p) => p,
            Err(e) => panic!("planning failed:\n{e}"),
        }
    }

    pub fn plan_error(&self) -> String {
        match self.plan_with(&Options::default()) {
            Ok(p) => panic!("planning succeeded:\n{}", render::human(&p)),
            Err(e) => e,
        }
    }

    fn rendered(&self, d: &[sagetune::diagnostics::Diagnostic]) -> String {
        self.redact(&render(d, Style::Plain))
    }

    /// Text with the temporary folder replaced by `[DIR]`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.dir.path().display().to_string(), "[DIR]")
    }

    /// Sends every request of `plan` to the fake, in order, and lets SageMaker finish.
    pub fn apply(&self, plan: &Plan) {
        execute(&self.cloud, plan);
        self.cloud.settle();
    }
}

/// A minimal sequential executor for seeding the fake (the real one is `apply`).
pub fn execute(cloud: &FakeCloud, plan: &Plan) {
    for c in &plan.changes {
        let Some(r) = &c.request else { continue };
        let result = match r {
            Request::PutObject(u) => cloud.upload(u, &|_| {}),
            Request::CreateRole(r) => cloud.create_role(r).map(|_| ()),
            Request::PutRolePolicy(r) => cloud.put_role_policy(r),
            Request::DeleteRole { role_name } => cloud.delete_role(role_name),
            Request::CreateTrainingJob(j) => cloud.create_training_job(j),
            Request::StopTrainingJob { training_job_name } => {
                cloud.stop_training_job(training_job_name)
            }
            Request::CreateModel(m) => cloud.create_model(m),
            Request::DeleteModel { model_name } => cloud.delete_model(model_name),
            Request::CreateEndpointConfig(c) => cloud.create_endpoint_config(c),
            Request::DeleteEndpointConfig {
                endpoint_config_name,
            } => cloud.delete_endpoint_config(endpoint_config_name),
            Request::CreateEndpoint(e) => cloud.create_endpoint(e),
            Request::UpdateEndpoint {
                endpoint_name,
                endpoint_config_name,
            } => {
                cloud.settle();
                cloud.update_endpoint(endpoint_name, endpoint_config_name, None)
            }
            Request::DeleteEndpoint { endpoint_name } => cloud.delete_endpoint(endpoint_name),
            Request::AddTags {
                endpoint_name,
                tags,
            } => cloud.tag_endpoint(endpoint_name, tags),
            Request::DeleteAlarms { alarm_names } => {
                alarm_names.iter().try_for_each(|a| cloud.delete_alarm(a))
            }
            Request::DeleteObject { bucket, key } => cloud.delete_object(bucket, key),
            Request::AbortMultipartUpload {
                bucket,
                key,
                upload_id,
            } => cloud.abort_upload(bucket, key, upload_id),
        };
        if let Err(e) = result {
            panic!("{}: {e}", c.id);
        }
        if matches!(r, Request::UpdateEndpoint { .. }) {
            cloud.settle();
        }
        // As apply does once an endpoint's checks pass (seeding assumes they do).
        let serves = match r {
            Request::CreateEndpoint(e) => Some((&e.endpoint_name, &e.endpoint_config_name)),
            Request::UpdateEndpoint {
                endpoint_name,
                endpoint_config_name,
            } => Some((endpoint_name, endpoint_config_name)),
            _ => None,
        };
        if let (Some((name, config)), true) = (serves, c.gate.is_some() || c.smoke.is_some()) {
            cloud.settle();
            if let Err(e) = cloud.tag_endpoint(name, &[passed_tag(config)]) {
                panic!("{}: {e}", c.id);
            }
        }
    }
}

/// `action id` for every change that does something, in plan order.
fn actions(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::Noop)
        .map(|c| format!("{:?} {}", c.action, c.id))
        .collect()
}

fn reason<'p>(plan: &'p Plan, id: &str) -> &'p str {
    &plan
        .changes
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no change {id}"))
        .reason
}

/// The three renderings, redacted, for one snapshot per format.
fn snapshot_all(stack: &Stack, name: &str, plan: &Plan) {
    let human = stack.redact(&render::human(plan));
    let markdown = stack.redact(&render::markdown(plan));
    let json = stack.redact(&render::json(plan));
    insta::assert_snapshot!(format!("plan_{name}_human"), human);
    insta::assert_snapshot!(format!("plan_{name}_markdown"), markdown);
    insta::assert_snapshot!(format!("plan_{name}_json"), json);
    // The JSON round-trips: the renderings of the re-read plan are identical.
    let back = sagetune::plan::file::parse(&render::json(plan)).expect("the plan reads back");
    assert_eq!(&back, plan);
    assert_eq!(render::human(&back), render::human(plan));
    assert_eq!(render::markdown(&back), render::markdown(plan));
}

fn applied(manifest: &str) -> Stack {
    let s = Stack::new(manifest);
    let first = s.plan();
    s.apply(&first);
    s.cloud.clear_calls();
    s
}

#[test]
fn fresh_stack_creates_everything_in_dependency_order() {
    let s = Stack::new(BASE);
    let plan = s.plan();
    assert_eq!(
        actions(&plan),
        [
            "Create dataset.sec.train",
            "Create fine_tune.llama",
            "Create model.llama",
            "Create endpoint_config.llama",
            "Create endpoint.llama",
        ]
    );
    let ids: Vec<&ChangeId> = plan.changes.iter().map(|c| &c.id).collect();
    for c in &plan.changes {
        for d in &c.depends_on {
            let (at, dep) = (
                ids.iter().position(|i| **i == c.id).unwrap(),
                ids.iter().position(|i| *i == d).unwrap(),
            );
            assert!(dep < at, "{} depends on the later {d}", c.id);
        }
    }
    assert_eq!(plan.summary.jobs_to_run, 1);
    // The listings show nothing, so nothing is described (DescribeAlarms is a listing).
    let calls = s.cloud.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("Describe") && !c.starts_with("DescribeAlarms ")),
        "{calls:?}"
    );
    assert_eq!(plan.cost.training_upper_bound, Some(70.9)); // ml.g5.12xlarge × 1 × 10h
    assert_eq!(plan.cost.endpoints_per_hour, Some(1.52));
    assert!(plan.has_changes());
    snapshot_all(&s, "fresh", &plan);
}

#[test]
fn an_applied_stack_plans_only_noops_and_reads_nothing_it_should_not() {
    let s = applied(BASE);
    let plan = s.plan();
    assert_eq!(actions(&plan), Vec::<String>::new());
    assert!(!plan.has_changes());
    assert_eq!(plan.changes.len(), 5);
    assert!(s.cloud.writes().is_empty(), "{:?}", s.cloud.writes());
    // An unchanged stack costs one listing per kind and nothing per resource: the endpoint
    // comes from Search by the stack's tag, the dataset from the datasets prefix's listing;
    // config, model and job are known from the listings (DescribeAlarms is the alarms').
    let mut calls = s.cloud.calls();
    calls.sort();
    assert_eq!(
        calls,
        [
            "DescribeAlarms fx-",
            "GetRole fx-sagemaker-execution",
            "ListEndpointConfigs fx-",
            "ListModels fx-",
            "ListMultipartUploads s3://fx-bucket/sagetune/datasets/fx/",
            "ListObjectsV2 s3://fx-bucket/sagetune/datasets/fx/",
            "ListTrainingJobs fx-",
            "Search Endpoint Tags.sagetune:stack=fx",
        ]
    );
    snapshot_all(&s, "unchanged", &plan);
}

#[test]
fn a_hyperparameter_change_trains_anew_and_rotates_config_and_model_after_the_update() {
    let s = applied(BASE);
    let old_job = s.cloud.names(Kind::TrainingJob)[0].clone();
    s.edit("epoch: 1", "epoch: 3");
    let plan = s.plan();
    assert_eq!(
        actions(&plan),
        [
            "Create fine_tune.llama",
            "Create model.llama",
            "Create endpoint_config.llama",
            "Update endpoint.llama",
            &format!(
                "Delete endpoint_config.llama[{}]",
                s.cloud.names(Kind::EndpointConfig)[0]
            ),
            &format!("Delete model.llama[{}]", s.cloud.names(Kind::Model)[0]),
        ]
    );
    assert_eq!(
        reason(&plan, "fine_tune.llama"),
        "hyperparameter epoch: 1 → 3"
    );
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.supersedes.as_deref(), Some(old_job.as_str()));
    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        assert_eq!(c.depends_on, ["endpoint.llama"], "{}", c.id);
    }
    snapshot_all(&s, "hyperparameter", &plan);
    // Applying it leaves the old job (history) and nothing else to do.
    s.apply(&plan);
    assert_eq!(s.cloud.names(Kind::TrainingJob).len(), 2);
    assert_eq!(s.cloud.names(Kind::Model).len(), 1);
    assert_eq!(s.cloud.names(Kind::EndpointConfig).len(), 1);
    assert!(!s.plan().has_changes());
}

#[test]
fn a_dataset_edit_uploads_the_new_content_and_trains_anew() {
    let s = applied(BASE);
    s.write("data/train.txt", "Loan losses were flat.\n");
    let plan = s.plan();
    let acts = actions(&plan);
    assert_eq!(acts[0], "Create dataset.sec.train");
    assert_eq!(acts[1], "Create fine_tune.llama");
    let why = reason(&plan, "fine_tune.llama");
    assert!(why.starts_with("dataset.sec.train: "), "{why}");
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.depends_on, ["dataset.sec.train"]);
    // Reviewers see how the data changed against the upload the serving job read.
    let upload = plan
        .changes
        .iter()
        .find(|c| c.id == "dataset.sec.train")
        .unwrap();
    let data = upload.data.as_ref().expect("the upload is compared");
    assert_eq!((data.rows_before, data.rows_after), (Some(2), 1));
    assert_eq!((data.bytes_before, data.bytes_after), (75, 23));
    let served = &job.supersedes.as_deref().unwrap();
    let read = s.cloud.describe_training_job(served).unwrap().unwrap();
    assert_eq!(
        Some(&data.previous[..data.previous.rfind('/').unwrap() + 1]),
        read.channels.get("training").map(String::as_str)
    );
    assert!(render::human(&plan).contains("rows: 2 → 1 (-1, -50.0%)"));
    snapshot_all(&s, "dataset", &plan);
    // Only a plan with new data reads the upload it follows (one listing serves both).
    s.apply(&plan);
    s.cloud.clear_calls();
    assert!(!s.plan().has_changes());
    assert!(
        !s.cloud.calls().iter().any(|c| c.starts_with("HeadObject")),
        "{:?}",
        s.cloud.calls()
    );
}

#[test]
fn a_model_version_change_shows_the_version_and_image() {
    let s = applied(BASE);
    s.edit(r#"model_version: "3.*""#, r#"model_version: "4.*""#);
    let plan = s.plan();
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.action, Action::Create);
    assert_eq!(job.diff[0].field, "model_version");
    assert_eq!(job.diff[0].before.as_deref(), Some("3.0.0"));
    assert_eq!(job.diff[0].after.as_deref(), Some("4.18.0"));
    assert!(
        job.reason.starts_with("model_version: 3.0.0 → 4.18.0"),
        "{}",
        job.reason
    );
    snapshot_all(&s, "model_version", &plan);
}

#[test]
fn an_endpoint_instance_change_makes_a_new_config_for_the_same_model() {
    let s = applied(BASE);
    s.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
    );
    let plan = s.plan();
    let old_config = s.cloud.names(Kind::EndpointConfig)[0].clone();
    assert_eq!(
        actions(&plan),
        [
            "Create endpoint_config.llama".to_string(),
            "Update endpoint.llama".to_string(),
            format!("Delete endpoint_config.llama[{old_config}]"),
        ]
    );
    assert_eq!(
        reason(&plan, "endpoint_config.llama"),
        "instance_count: 1 → 2"
    );
    assert_eq!(plan.summary.jobs_to_run, 0);
    snapshot_all(&s, "endpoint_instance", &plan);
}

#[test]
fn a_removed_fine_tune_deletes_its_endpoint_config_and_model_but_keeps_the_job() {
    let s = applied(BASE);
    let fine_tunes = BASE.find("fine_tunes:").unwrap();
    s.write("sagetune.yaml", &BASE[..fine_tunes]);
    let plan = s.plan();
    let acts = actions(&plan);
    assert_eq!(acts.len(), 3, "{acts:?}");
    assert_eq!(acts[0], "Delete endpoint.llama");
    assert!(acts[1].starts_with("Delete endpoint_config.llama["));
    assert!(acts[2].starts_with("Delete model.llama["));
    snapshot_all(&s, "orphans", &plan);
    s.apply(&plan);
    assert_eq!(
        s.cloud.names(Kind::TrainingJob).len(),
        1,
        "jobs are history"
    );
    assert!(s.cloud.names(Kind::Endpoint).is_empty());
}

#[test]
fn a_protected_endpoint_removed_from_the_manifest_is_an_error() {
    let s = applied(&BASE.replace(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    protect: true\n",
    ));
    let endpoints = BASE.find("endpoints:").unwrap();
    s.write("sagetune.yaml", &BASE[..endpoints]);
    let err = s.plan_error();
    assert!(
        err.contains("endpoint `fx-llama` (endpoint.llama) is protected"),
        "{err}"
    );
    insta::assert_snapshot!("plan_protected_error", err);
}

#[test]
fn training_in_progress_is_waited_for_and_downstream_follows() {
    let s = Stack::new(BASE);
    s.cloud.set_pace(100);
    execute(&s.cloud, &s.plan());
    let plan = s.plan();
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.action, Action::Wait);
    assert!(
        job.reason.starts_with("training is InProgress"),
        "{}",
        job.reason
    );
    snapshot_all(&s, "wait", &plan);
}

#[test]
fn training_in_progress_before_the_model_exists_is_waited_for() {
    // Apply stopped after starting the job (`--no-wait`): model and endpoint follow the wait.
    let s = Stack::new(BASE);
    s.cloud.set_pace(100);
    let first = s.plan();
    for c in &first.changes {
        match &c.request {
            Some(Request::PutObject(u)) => s.cloud.upload(u, &|_| {}).unwrap(),
            Some(Request::CreateTrainingJob(j)) => s.cloud.create_training_job(j).unwrap(),
            _ => {}
        }
    }
    let plan = s.plan();
    assert_eq!(
        actions(&plan),
        [
            "Wait fine_tune.llama",
            "Create model.llama",
            "Create endpoint_config.llama",
            "Create endpoint.llama",
        ]
    );
    let model = plan.changes.iter().find(|c| c.id == "model.llama").unwrap();
    assert_eq!(model.depends_on, ["fine_tune.llama"]);
    assert!(
        model.reason.ends_with("once it completes"),
        "{}",
        model.reason
    );
}

#[test]
fn a_failed_run_is_retried_under_a_new_name_and_the_reason_says_why() {
    let s = Stack::new(BASE);
    s.cloud.fail_next_job("AlgorithmError: CUDA out of memory");
    let first = s.plan();
    let first_job = match &first.changes[1].request {
        Some(Request::CreateTrainingJob(j)) => j.training_job_name.clone(),
        other => panic!("{other:?}"),
    };
    execute(&s.cloud, &first);
    s.cloud.settle();
    assert_eq!(
        s.cloud
            .describe_training_job(&first_job)
            .unwrap()
            .unwrap()
            .status,
        TrainingStatus::Failed
    );
    let plan = s.plan();
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.action, Action::Create);
    assert_eq!(job.name, format!("{first_job}-2"));
    assert_eq!(
        job.reason,
        format!("the previous run {first_job} Failed: AlgorithmError: CUDA out of memory; starting run 2 with the same inputs")
    );
    snapshot_all(&s, "retry", &plan);
}

#[test]
fn a_name_clash_with_an_object_sagetune_does_not_own_is_an_error() {
    let s = Stack::new(BASE);
    s.cloud.seed_endpoint(Endpoint {
        name: "fx-llama".into(),
        tags: Default::default(),
        status: EndpointStatus::InService,
        config_name: "someone-elses-config".into(),
        failure_reason: None,
        pending_config: None,
    });
    let err = s.plan_error();
    assert!(
        err.contains("endpoint `fx-llama` already exists and it lacks the tag sagetune:stack=fx"),
        "{err}"
    );
    insta::assert_snapshot!("plan_clash_error", err);
    assert!(s.cloud.writes().is_empty());
}

#[test]
fn bumping_retrain_runs_the_same_inputs_again() {
    let s = applied(BASE);
    s.edit(
        "    max_runtime: 10h\n",
        "    max_runtime: 10h\n    retrain: 1\n",
    );
    let plan = s.plan();
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert_eq!(job.action, Action::Create);
    assert_eq!(job.reason, "retrain = 1: a new run with the same inputs");
    assert_eq!(job.diff[0].field, "retrain");
    snapshot_all(&s, "retrain", &plan);
}

#[test]
fn a_missing_bucket_is_a_plan_error() {
    let s = Stack::new(&BASE.replace("fx-bucket", "no-such-bucket"));
    let err = s.plan_error();
    assert!(
        err.contains("the artifacts bucket `no-such-bucket` does not exist"),
        "{err}"
    );
}

#[test]
fn a_running_orphaned_job_is_kept_with_a_warning_or_stopped_on_request() {
    let s = Stack::new(BASE);
    s.cloud.set_pace(100);
    execute(&s.cloud, &s.plan());
    s.edit("epoch: 1", "epoch: 2");
    let plan = s.plan();
    assert!(plan.warnings[0].contains("is still running but no fine-tune wants its result"));
    let stopping = s
        .plan_with(&Options {
            stop_orphaned_jobs: true,
            ..Options::default()
        })
        .unwrap();
    assert!(actions(&stopping)
        .iter()
        .any(|a| a.starts_with("Stop fine_tune.llama[")));
}

#[test]
fn the_same_inputs_give_the_same_plan_byte_for_byte() {
    let s = applied(BASE);
    s.edit("epoch: 1", "epoch: 4");
    let a = render::json(&s.plan());
    let b = render::json(&s.plan());
    assert_eq!(a, b);
}

#[test]
fn a_managed_role_is_created_first_and_its_arn_is_used_once_it_exists() {
    let managed = managed();
    let s = Stack::new(&managed);
    let plan = s.plan();
    assert_eq!(actions(&plan)[1], "Create role");
    let job = plan
        .changes
        .iter()
        .find(|c| c.id == "fine_tune.llama")
        .unwrap();
    assert!(job.depends_on.contains(&ChangeId::at("role")));
    s.apply(&plan);
    let again = s.plan();
    assert!(!again.has_changes(), "{:?}", actions(&again));
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let mut plan = Stack::new(BASE).plan();
    let template = plan.changes[1].clone();
    for i in 0..2000 {
        let mut c = template.clone();
        c.id = ChangeId::at(format!("fine_tune.f{i}"));
        c.reason = "x".repeat(60);
        plan.changes.push(c);
    }
    let md = render::markdown(&plan);
    assert!(md.chars().count() < render::MARKDOWN_LIMIT, "{}", md.len());
    assert!(md.contains("sagetune plan --out plan.json"));
}

#[test]
fn show_renders_a_saved_plan_exactly_as_plan_did() {
    let s = applied(BASE);
    s.edit("epoch: 1", "epoch: 2");
    let plan = s.plan();
    let file = s.dir.path().join("plan.json");
    std::fs::write(&file, render::json(&plan)).unwrap();
    let file = file.display().to_string();
    for (format, want) in [
        ("human", render::human(&plan)),
        ("json", render::json(&plan)),
        ("markdown", render::markdown(&plan)),
    ] {
        let run = crate::sagetune(&["show", &file, "--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, want, "{format}");
    }
}

#[test]
fn show_refuses_files_that_are_not_plans_of_this_version() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, r#"{"format_version": 99}"#).unwrap();
    let run = crate::sagetune_in(dir.path(), &[], &["show", "newer.json"]);
    insta::assert_snapshot!("show_newer_version", run.snapshot());
    let run = crate::sagetune_in(dir.path(), &[], &["show", "missing.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read missing.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn plan_with_aws_unreachable_fails_cleanly_after_checking_everything_offline() {
    let s = Stack::new(BASE);
    let run = crate::jumpstart::offline(s.dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("aws::call"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
}

#[test]
fn a_role_policy_changed_out_of_band_is_put_back_with_a_line_diff() {
    let managed = managed();
    let s = applied(&managed);
    let role = s.cloud.get_role("fx-sagemaker-execution").unwrap().unwrap();
    let wider = role.inline_policies["sagetune-execution"].replace(
        "arn:aws:s3:::fx-bucket/sagetune/outputs/llama/fx-llama-*",
        "arn:aws:s3:::fx-bucket/*",
    );
    s.cloud
        .put_role_policy(&sagetune::cloud::RoleRequest {
            role_name: role.name.clone(),
            trust_policy: role.trust_policy.clone(),
            policy_name: "sagetune-execution".into(),
            policy_document: wider,
            tags: vec![],
            permissions_boundary: None,
        })
        .unwrap();
    let plan = s.plan();
    assert_eq!(actions(&plan), ["Update role"]);
    let human = render::human(&plan);
    assert!(human.contains("~ policy sagetune-execution:"), "{human}");
    let lines: Vec<&str> = human.lines().map(str::trim).collect();
    let has = |sign: char, text: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(sign) && l[1..].trim() == text)
    };
    assert!(has('-', r#""arn:aws:s3:::fx-bucket/*""#), "{human}");
    assert!(
        has(
            '+',
            r#""arn:aws:s3:::fx-bucket/sagetune/outputs/llama/fx-llama-*""#
        ),
        "{human}"
    );
    assert!(
        lines.len() < 40,
        "only the changed lines and their context: {human}"
    );
}

#[test]
fn a_squatted_training_job_name_says_what_helps_since_jobs_cannot_be_deleted() {
    let s = Stack::new(BASE);
    let plan = s.plan();
    let job = plan
        .changes
        .iter()
        .find_map(|c| match &c.request {
            Some(Request::CreateTrainingJob(j)) => Some(j.clone()),
            _ => None,
        })
        .unwrap();
    let mut squatter = job.clone();
    squatter.tags.clear();
    s.cloud.seed_job(&squatter, TrainingStatus::Completed, None);
    let err = s.plan_error();
    assert!(
        err.contains(&format!(
            "training job `{}` already exists",
            job.training_job_name
        )),
        "{err}"
    );
    assert!(err.contains("bump `retrain`"), "{err}");
    assert!(!err.contains("remove that object yourself"), "{err}");
}

#[test]
fn a_validation_warning_is_part_of_the_plan_and_its_pull_request_comment() {
    let s = Stack::new(&BASE.replace("data/train.txt", "data/claims.csv"));
    s.write(
        "data/claims.csv",
        "id,title,body\n1,Storm,The policy covers storm damage to the roof.\n",
    );
    let plan = s.plan();
    let warning = plan
        .warnings
        .iter()
        .find(|w| w.contains("(data::first-column)"))
        .unwrap_or_else(|| panic!("{:?}", plan.warnings));
    assert!(warning.contains("sagetune.yaml:8:12: "), "{warning}");
    assert!(
        warning.contains("data/claims.csv has no `text` column"),
        "{warning}"
    );
    assert!(
        warning.contains("training reads its first column, `id`"),
        "{warning}"
    );
    let markdown = render::markdown(&plan);
    // Near the top: before the table of changes.
    let warned = markdown.find("> **Warning:** ").expect("a warning");
    assert!(warned < markdown.find("| | Address").unwrap(), "{markdown}");
    assert!(
        markdown[warned..].contains("sagetune.yaml:8:12:"),
        "{markdown}"
    );
    let json = serde_json::to_value(&plan).unwrap();
    assert!(json["warnings"][0]
        .as_str()
        .unwrap()
        .contains("data::first-column"));
}

#[test]
fn long_values_are_folded_for_review_and_shown_in_full_on_request() {
    let s = Stack::new(&managed());
    let plan = s.plan();
    let folded = render::human(&plan);
    let full = render::human_with(&plan, render::Detail::Full);
    // The managed role's policy: one line folded, every statement in full.
    assert!(folded.contains("lines (`--full` shows them)"), "{folded}");
    assert!(!folded.contains("\"Statement\""), "{folded}");
    assert!(full.contains("\"Statement\""), "{full}");
    assert!(full.contains("preprocessing_num_workers=None"), "{full}");
    assert!(
        folded.len() * 2 < full.len(),
        "{} vs {}",
        folded.len(),
        full.len()
    );
    // The pull request comment folds each long value on its own, below the changes.
    let markdown = render::markdown(&plan);
    assert!(
        markdown.contains("<details><summary>role policy "),
        "{markdown}"
    );
    assert!(markdown.contains("\"Statement\""), "{markdown}");
    // `show --full` of the saved plan prints it whole.
    let file = s.dir.path().join("plan.json");
    std::fs::write(&file, render::json(&plan)).unwrap();
    let shown = crate::sagetune_in(s.dir.path(), &[], &["show", "plan.json", "--full"]);
    assert_eq!(shown.code, 0, "{}", shown.snapshot());
    assert!(shown.stdout.contains("\"Statement\""), "{}", shown.stdout);
    let short = crate::sagetune_in(s.dir.path(), &[], &["show", "plan.json"]);
    assert!(!short.stdout.contains("\"Statement\""), "{}", short.stdout);
}
