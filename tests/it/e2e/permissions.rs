//! `sagetune iam-policy` against an emulator that enforces IAM (`--enforce-iam`,
//! tests/emulator/iam_enforcement.py): each command runs as an IAM user holding exactly the
//! printed policy, and fails (or, for the log, says so) when one statement it uses is removed.

use std::sync::OnceLock;

use serde_json::Value;

use super::{manifest, Emulator, World};

/// One emulator that enforces IAM, shared by these tests (each uses its own stacks and users).
fn enforcing() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| Emulator::start(&["--enforce-iam"]))
}

/// The scenario stack `name` (its manifest `edit`ed) on the enforcing emulator.
fn enforced(name: &str, edit: &dyn Fn(String) -> String) -> World {
    World::on(enforcing(), name, &edit(manifest(name)))
}

/// What `sagetune iam-policy --for purpose` prints for the world's manifest (offline).
fn policy(world: &World, purpose: &str) -> Value {
    let run = world.expect(0, &["iam-policy", "--for", purpose]);
    serde_json::from_str(&run.stdout).unwrap()
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
    let stack = enforced("iam-exact", &|m| m);
    let applier = user("iam-exact-apply", &policy(&stack, "apply"));
    let planner = user("iam-exact-plan", &policy(&stack, "plan"));
    let destroyer = user("iam-exact-destroy", &policy(&stack, "destroy"));

    // Denied at once for a user without a policy: enforcement is on.
    let nobody = user(
        "iam-exact-nobody",
        &serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
        ]}),
    );
    let run = stack.run_as(keys(&nobody), &["plan"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.to_lowercase().contains("access denied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("iam-policy"), "{}", run.stderr);

    let run = stack.run_as(keys(&applier), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(!run.stderr.contains("could not be read"), "{}", run.stderr);
    let run = stack.run_as(keys(&planner), &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    for read in [&["status"][..], &["logs", "gptj"], &["metrics", "gptj"]] {
        let run = stack.run_as(keys(&planner), read);
        assert_eq!(run.code, 0, "{read:?}: {}", run.snapshot());
    }
    // An update: a new job, the endpoint moves, the superseded config and model go.
    stack.edit("epoch: 1", "epoch: 2");
    let run = stack.run_as(keys(&applier), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = stack.run_as(
        keys(&destroyer),
        &["destroy", "--auto-approve", "--purge-data"],
    );
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = stack.run_as(keys(&planner), &["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["endpoints"], serde_json::json!([]), "{status}");
}

#[test]
fn apply_fails_without_any_one_statement_it_uses() {
    let all = sids(&policy(&enforced("iam-probe", &|m| m), "apply"));
    // A first apply uses every statement but five: the log (below), the alarms (their tags
    // read and their deletion once an earlier guarded update left some, tested below),
    // changing what exists (an update, below) and deleting a managed role it no longer uses.
    // Search is a shortcut apply can go without (below).
    let unused = [
        "StackSearch",
        "TrainingLogs",
        "EndpointAlarms",
        "AlarmTags",
        "StackWrite",
        "ManagedRoleWrite",
    ];
    assert_eq!(all.len(), 17, "{all:?}");
    for (i, sid) in all.iter().enumerate() {
        if unused.contains(&sid.as_str()) {
            continue;
        }
        let name = format!("iam-no-{i}");
        let stack = enforced(&name, &|m| m);
        let k = user(&name, &without(&policy(&stack, "apply"), sid));
        let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 1, "without {sid}: {}", run.snapshot());
        assert!(
            run.stderr.to_lowercase().contains("access denied"),
            "without {sid}: {}",
            run.stderr
        );
    }

    // Without Search, apply and the no-op plan after it read endpoints one by one instead.
    let stack = enforced("iam-no-search", &|m| m);
    let k = user(
        "iam-no-search",
        &without(&policy(&stack, "apply"), "StackSearch"),
    );
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = stack.run_as(keys(&k), &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());

    // Without the log statement, training goes on and apply says why it shows no log.
    let stack = enforced("iam-no-logs", &|m| m);
    let k = user(
        "iam-no-logs",
        &without(&policy(&stack, "apply"), "TrainingLogs"),
    );
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stderr.contains("its log could not be read"),
        "{}",
        run.stderr
    );

    // Without the statement that changes what exists, an update is refused.
    let stack = enforced("iam-no-write", &|m| m);
    let k = user(
        "iam-no-write",
        &without(&policy(&stack, "apply"), "StackWrite"),
    );
    assert_eq!(stack.run_as(keys(&k), &["apply", "--auto-approve"]).code, 0);
    stack.edit("epoch: 1", "epoch: 2");
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("UpdateEndpoint: access denied"),
        "{}",
        run.stderr
    );

    // Without the alarm statement, the alarms an earlier guarded update left cannot go.
    let guarded = |m: String| {
        m.replace(
            "    instance_type: ml.g5.2xlarge\n",
            "    instance_type: ml.g5.2xlarge\n    rollout: all_at_once\n",
        )
    };
    let stack = enforced("iam-no-alarms", &guarded);
    let k = user("iam-alarms-all", &policy(&stack, "apply"));
    assert_eq!(stack.run_as(keys(&k), &["apply", "--auto-approve"]).code, 0);
    stack.edit("epoch: 1", "epoch: 2");
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    stack.edit("    rollout: all_at_once\n", "");
    stack.edit("epoch: 2", "epoch: 3");
    let k = user(
        "iam-no-alarms",
        &without(&policy(&stack, "apply"), "EndpointAlarms"),
    );
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("DeleteAlarms: access denied"),
        "{}",
        run.stderr
    );
}

/// The boundary the managed-role scenarios set.
const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/SageMakerBoundary";

#[test]
fn a_managed_role_needs_its_write_statement() {
    let managed = |m: String| {
        m.replace(
            "  arn: arn:aws:iam::123456789012:role/SageMakerExecution",
            &format!("  create: true\n  permissions_boundary: {BOUNDARY}"),
        )
    };
    let stack = enforced("iam-role", &managed);
    let granted = policy(&stack, "apply");
    let k = user("iam-role-short", &without(&granted, "ManagedRoleWrite"));
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("CreateRole: access denied"),
        "{}",
        run.stderr
    );
    let k = user("iam-role-exact", &granted);
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());

    // destroy deletes the role it made, and needs its statement for that.
    let granted = policy(&stack, "destroy");
    let k = user("iam-role-keep", &without(&granted, "ManagedRoleDelete"));
    let run = stack.run_as(keys(&k), &["destroy", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("access denied"), "{}", run.stderr);
    let k = user("iam-role-destroy", &granted);
    let run = stack.run_as(keys(&k), &["destroy", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
}

#[test]
fn two_stacks_whose_names_share_a_prefix_are_out_of_each_others_reach() {
    // Stacks `iamp` and `iamp-y` share one bucket and artifacts prefix.
    let x = enforced("iamp", &|m| m);
    let xy = World::on(
        enforcing(),
        "iamp-y",
        &manifest("iamp-y").replace("s3://iamp-y/sagetune/", "s3://iamp/sagetune/"),
    );
    let kx = user("iamp-apply", &policy(&x, "apply"));
    let kxy = user("iamp-y-apply", &policy(&xy, "apply"));
    // Each applies and plans clean under its own policy, the other's objects in sight.
    for (w, k) in [(&x, &kx), (&xy, &kxy), (&x, &kx)] {
        let run = w.run_as(keys(k), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 0, "{}: {}", w.name, run.snapshot());
        let run = w.run_as(keys(k), &["plan", "--detailed-exitcode"]);
        assert_eq!(run.code, 0, "{}: {}", w.name, run.snapshot());
    }
    // Each stack's policy, used on the other's manifest: its lock, data and endpoints are out
    // of reach.
    for (w, k, other) in [(&xy, &kx, "iamp-y"), (&x, &kxy, "iamp")] {
        let run = w.run_as(keys(k), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(
            run.stderr.contains(&format!("{other}.lock"))
                && run.stderr.to_lowercase().contains("denied"),
            "the other's state lock: {}",
            run.stderr
        );
        let run = w.run_as(keys(k), &["plan"]);
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(
            run.stderr.to_lowercase().contains("denied"),
            "the other's datasets: {}",
            run.stderr
        );
    }
    // An endpoint of `iamp` whose AWS name is `iamp-y`'s endpoint: not readable, so a clash.
    x.edit("endpoints:\n  gptj:", "endpoints:\n  y-gptj:");
    let run = x.run_as(keys(&user("iamp-clash", &policy(&x, "apply"))), &["plan"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains(
            "endpoint `iamp-y-gptj` already exists and these credentials may not read it"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_managed_role_is_written_only_under_its_permissions_boundary() {
    let unbounded = |m: String| {
        m.replace(
            "  arn: arn:aws:iam::123456789012:role/SageMakerExecution",
            "  create: true",
        )
    };
    // Without a boundary, no apply policy: it would be a way to any permission.
    let stack = enforced("iam-unbounded", &unbounded);
    let run = stack.expect(1, &["iam-policy", "--for", "apply"]);
    let said: String = run
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(said.contains("without `permissions_boundary`"), "{said}");
    assert!(said.contains("set `role.permissions_boundary`"), "{said}");
    let plan = stack.expect(0, &["iam-policy", "--for", "plan"]);
    assert!(
        !plan.stdout.contains("iam:PutRolePolicy"),
        "{}",
        plan.stdout
    );

    // With one, the role is created under it, and the policy allows no role without it.
    let bounded = |m: String| {
        unbounded(m).replace(
            "  create: true",
            &format!("  create: true\n  permissions_boundary: {BOUNDARY}"),
        )
    };
    let stack = enforced("iam-bounded", &bounded);
    let granted = policy(&stack, "apply");
    let text = granted.to_string();
    assert!(
        text.contains(
            r#""iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/SageMakerBoundary""#
        ),
        "{text}"
    );
    let k = user("iam-bounded", &granted);
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let status = stack.run_as(keys(&k), &["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["role"]["permissions_boundary"], BOUNDARY, "{status}");
    // The same credentials cannot make the role without the boundary (or with another).
    let other = bounded(manifest("iam-bounded")).replace("SageMakerBoundary", "Wide");
    std::fs::write(stack.path().join("sagetune.yaml"), other).unwrap();
    let run = stack.run_as(keys(&k), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("PutRolePermissionsBoundary: access denied"),
        "{}",
        run.stderr
    );
}
