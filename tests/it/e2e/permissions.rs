//! `sagetune iam-policy` against an emulator that enforces IAM (`--enforce-iam`,
//! tests/emulator/iam_enforcement.py): each command runs as an IAM user holding exactly the
//! printed policy, and fails (or, for the log, says so) when one statement it uses is removed.

use std::sync::OnceLock;

use serde_json::Value;

use super::{manifest, Emulator, CONTENT_BUCKET, GATED_BUCKET};
use crate::{sagetune_in, Run};

/// One emulator that enforces IAM, shared by these tests (each uses its own stacks and users).
fn enforcing() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| Emulator::start(&["--enforce-iam"]))
}

/// A stack's folder (the scenario manifest, `edit`ed) and its bucket.
struct Stack {
    dir: tempfile::TempDir,
}

impl Stack {
    fn new(name: &str, edit: &dyn Fn(String) -> String) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        for file in ["train.txt", "validation.txt", "extra.txt"] {
            std::fs::write(dir.path().join("data").join(file), "Deposits fell.\n").unwrap();
        }
        std::fs::write(dir.path().join("sagetune.yaml"), edit(manifest(name))).unwrap();
        enforcing().control(
            "POST",
            "/_sagetune/bucket",
            &format!(r#"{{"name": "{name}"}}"#),
        );
        Stack { dir }
    }

    fn policy(&self, purpose: &str) -> Value {
        let run = self.run(("nobody", ""), &["iam-policy", "--for", purpose]);
        assert_eq!(run.code, 0, "{}", run.snapshot());
        serde_json::from_str(&run.stdout).unwrap()
    }

    /// `sagetune args…` as the user with these keys, against the enforcing emulator.
    fn run(&self, keys: (&str, &str), args: &[&str]) -> Run {
        let url = enforcing().url.clone();
        let env = [
            ("AWS_ENDPOINT_URL", url.as_str()),
            ("AWS_ACCESS_KEY_ID", keys.0),
            ("AWS_SECRET_ACCESS_KEY", keys.1),
            ("AWS_REGION", "us-east-1"),
            ("AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE", CONTENT_BUCKET),
            ("AWS_JUMPSTART_GATED_CONTENT_BUCKET_OVERRIDE", GATED_BUCKET),
            ("SAGETUNE_POLL_INTERVAL", "20ms"),
        ];
        sagetune_in(self.dir.path(), &env, args)
    }

    fn edit(&self, from: &str, to: &str) {
        let path = self.dir.path().join("sagetune.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }
}

/// An IAM user holding exactly `policy`; its access keys.
fn user(name: &str, policy: &Value) -> (String, String) {
    let body = serde_json::json!({"name": name, "policy": policy}).to_string();
    let keys: Value =
        serde_json::from_str(&enforcing().control("POST", "/_sagetune/iam-user", &body)).unwrap();
    (
        keys["access_key_id"].as_str().unwrap().to_string(),
        keys["secret_access_key"].as_str().unwrap().to_string(),
    )
}

fn without(policy: &Value, sid: &str) -> Value {
    let mut p = policy.clone();
    let statements = p["Statement"].as_array_mut().unwrap();
    let before = statements.len();
    statements.retain(|s| s["Sid"] != sid);
    assert_eq!(statements.len() + 1, before, "no statement {sid}");
    p
}

fn sids(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap().to_string())
        .collect()
}

fn keys(k: &(String, String)) -> (&str, &str) {
    (k.0.as_str(), k.1.as_str())
}

#[test]
fn each_command_runs_with_exactly_its_printed_policy() {
    let stack = Stack::new("iam-exact", &|m| m);
    let applier = user("iam-exact-apply", &stack.policy("apply"));
    let planner = user("iam-exact-plan", &stack.policy("plan"));
    let destroyer = user("iam-exact-destroy", &stack.policy("destroy"));

    // Denied at once for a user without a policy: enforcement is on.
    let nobody = user(
        "iam-exact-nobody",
        &serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
        ]}),
    );
    let run = stack.run(keys(&nobody), &["plan"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.to_lowercase().contains("access denied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("iam-policy"), "{}", run.stderr);

    let run = stack.run(keys(&applier), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(!run.stderr.contains("could not be read"), "{}", run.stderr);
    let run = stack.run(keys(&planner), &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    for read in [&["status"][..], &["logs", "gptj"], &["metrics", "gptj"]] {
        let run = stack.run(keys(&planner), read);
        assert_eq!(run.code, 0, "{read:?}: {}", run.snapshot());
    }
    // An update: a new job, the endpoint moves, the superseded config and model go.
    stack.edit("epoch: 1", "epoch: 2");
    let run = stack.run(keys(&applier), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = stack.run(
        keys(&destroyer),
        &["destroy", "--auto-approve", "--purge-data"],
    );
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = stack.run(keys(&planner), &["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["endpoints"], serde_json::json!([]), "{status}");
}

#[test]
fn apply_fails_without_any_one_statement_it_uses() {
    let policy = Stack::new("iam-probe", &|m| m).policy("apply");
    let all = sids(&policy);
    // A first apply uses every statement but three: the log (below), the alarms (deleted on
    // an update without rollout, tested below) and deleting a managed role it no longer uses.
    let unused = ["TrainingLogs", "EndpointAlarms", "ManagedRoleWrite"];
    assert_eq!(all.len(), 11, "{all:?}");
    for (i, sid) in all.iter().enumerate() {
        if unused.contains(&sid.as_str()) {
            continue;
        }
        let name = format!("iam-no-{i}");
        let stack = Stack::new(&name, &|m| m);
        let k = user(&name, &without(&stack.policy("apply"), sid));
        let run = stack.run(keys(&k), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 1, "without {sid}: {}", run.snapshot());
        assert!(
            run.stderr.to_lowercase().contains("access denied"),
            "without {sid}: {}",
            run.stderr
        );
    }

    // Without the log statement, training goes on and apply says why it shows no log.
    let stack = Stack::new("iam-no-logs", &|m| m);
    let k = user(
        "iam-no-logs",
        &without(&stack.policy("apply"), "TrainingLogs"),
    );
    let run = stack.run(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stderr.contains("its log could not be read"),
        "{}",
        run.stderr
    );

    // Without the alarm statement, the first apply works and the update fails.
    let stack = Stack::new("iam-no-alarms", &|m| m);
    let k = user(
        "iam-no-alarms",
        &without(&stack.policy("apply"), "EndpointAlarms"),
    );
    assert_eq!(stack.run(keys(&k), &["apply", "--auto-approve"]).code, 0);
    stack.edit("epoch: 1", "epoch: 2");
    let run = stack.run(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("DeleteAlarms: access denied"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_managed_role_needs_its_write_statement() {
    let managed = |m: String| {
        m.replace(
            "  arn: arn:aws:iam::123456789012:role/SageMakerExecution",
            "  create: true",
        )
    };
    let stack = Stack::new("iam-role", &managed);
    let policy = stack.policy("apply");
    let k = user("iam-role-short", &without(&policy, "ManagedRoleWrite"));
    let run = stack.run(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("CreateRole: access denied"),
        "{}",
        run.stderr
    );
    let k = user("iam-role-exact", &policy);
    let run = stack.run(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());

    // destroy deletes the role it made, and needs its statement for that.
    let policy = stack.policy("destroy");
    let k = user("iam-role-keep", &without(&policy, "ManagedRoleDelete"));
    let run = stack.run(keys(&k), &["destroy", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("access denied"), "{}", run.stderr);
    let k = user("iam-role-destroy", &policy);
    let run = stack.run(keys(&k), &["destroy", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
}
