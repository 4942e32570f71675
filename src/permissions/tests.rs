//! The policies' shape: reads only for plan, everything scoped to the stack, what the
//! manifest uses adds its statements.

use super::*;

fn scope(manifest: &str) -> Scope {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sagetune.yaml");
    std::fs::write(&path, manifest).unwrap();
    let loaded = crate::manifest::load(&path).unwrap();
    Scope::of(
        &loaded.manifest,
        Some("eu-west-1"),
        None,
        "jumpstart-cache-prod-eu-west-1",
        "jumpstart-private-cache-prod-eu-west-1",
    )
}

const BASE: &str = "stack: bank\nartifacts: s3://ml-bucket/runs/\nrole:\n  arn: arn:aws:iam::111122223333:role/Exec\ndatasets:\n  d: {train: data/}\nfine_tunes:\n  f: {model: huggingface-textgeneration1-gpt-j-6b, dataset: d}\nendpoints:\n  e: {fine_tune: f}\n";

fn actions(statements: &[Statement]) -> Vec<&'static str> {
    statements.iter().flat_map(|s| s.actions.clone()).collect()
}

#[test]
fn plan_reads_only_and_everything_is_scoped_to_the_stack() {
    let s = scope(BASE);
    let plan = statements(&s, Purpose::Plan);
    for a in actions(&plan) {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["List", "Describe", "Get", "Search"]
                .iter()
                .any(|v| verb.starts_with(v)),
            "{a} is not a read"
        );
    }
    for st in &plan {
        for r in &st.resources {
            let scoped = r == "*"
                && ["SageMakerListings", "AlarmListing", "StackSearch"].contains(&st.sid)
                || r.contains("bank-")
                || r.contains("ml-bucket")
                || r.contains("jumpstart-cache-prod-eu-west-1")
                || r.ends_with("/aws/sagemaker/TrainingJobs");
            assert!(scoped, "{} has an unscoped resource {r}", st.sid);
        }
    }
    let doc = document(&plan).to_string();
    assert!(doc.contains("arn:aws:sagemaker:eu-west-1:111122223333:endpoint/bank-*"));
    assert!(doc.contains("arn:aws:s3:::ml-bucket/runs/datasets/bank/*"));
    assert!(
        !doc.contains("arn:aws:s3:::ml-bucket/runs/*"),
        "not the whole prefix"
    );
}

#[test]
fn objects_are_the_stacks_own_not_those_of_a_stack_whose_name_starts_with_it() {
    let s = scope(BASE);
    let apply = document(&statements(&s, Purpose::Apply)).to_string();
    for own in [
        "arn:aws:s3:::ml-bucket/runs/.sagetune/bank.lock",
        "arn:aws:s3:::ml-bucket/runs/datasets/bank/*",
        "arn:aws:s3:::ml-bucket/runs/outputs/f/bank-f-*",
    ] {
        assert!(apply.contains(own), "{own}: {apply}");
    }
    // Stack `bank-x`'s keys match none of stack `bank`'s patterns.
    let patterns: Vec<String> = statements(&s, Purpose::Apply)
        .iter()
        .flat_map(|st| st.resources.clone())
        .filter(|r| r.starts_with("arn:aws:s3:::ml-bucket/"))
        .collect();
    let matches = |key: &str| {
        patterns.iter().any(|p| {
            let re = format!("^{}$", regex::escape(p).replace("\\*", ".*"));
            regex::Regex::new(&re).unwrap().is_match(key)
        })
    };
    for theirs in [
        "arn:aws:s3:::ml-bucket/runs/.sagetune/bank-x.lock",
        "arn:aws:s3:::ml-bucket/runs/datasets/bank-x/d/train/ab/notes.txt",
        "arn:aws:s3:::ml-bucket/runs/outputs/f/bank-x-f-0123456789/output/model.tar.gz",
        "arn:aws:s3:::ml-bucket/runs/outputs/g/bank-x-g-0123456789/output/model.tar.gz",
    ] {
        assert!(!matches(theirs), "{theirs} is another stack's");
    }
    assert!(matches(
        "arn:aws:s3:::ml-bucket/runs/outputs/f/bank-f-0123456789/output/model.tar.gz"
    ));
}

#[test]
fn apply_passes_only_the_role_only_to_sagemaker() {
    let s = scope(BASE);
    let apply = statements(&s, Purpose::Apply);
    let pass = apply
        .iter()
        .find(|st| st.sid == "PassExecutionRole")
        .unwrap();
    assert_eq!(pass.resources, ["arn:aws:iam::111122223333:role/Exec"]);
    assert!(pass
        .condition
        .as_ref()
        .unwrap()
        .to_string()
        .contains("sagemaker.amazonaws.com"));
    // No rollout, smoke test or gated model: no alarms put, no invoke, no gated bucket.
    let all = actions(&apply);
    assert!(!all.contains(&"cloudwatch:PutMetricAlarm"));
    assert!(all.contains(&"cloudwatch:DeleteAlarms"));
    assert!(!all.contains(&"sagemaker:InvokeEndpoint"));
    assert!(!document(&apply).to_string().contains("private-cache"));
}

#[test]
fn what_the_manifest_uses_adds_its_statements() {
    let managed = BASE
        .replace(
            "  arn: arn:aws:iam::111122223333:role/Exec",
            "  create: true\n  permissions_boundary: arn:aws:iam::111122223333:policy/Bound",
        )
        .replace(
            "e: {fine_tune: f}",
            "e: {fine_tune: f, rollout: all_at_once, smoke_test: [{prompt: hi}]}",
        )
        .replace(
            "huggingface-textgeneration1-gpt-j-6b",
            "meta-textgeneration-llama-2-7b",
        )
        .replace("dataset: d}", "dataset: d, accept_eula: true}");
    let s = scope(&managed);
    assert_eq!(s.account, "*", "no role ARN, no account");
    let apply = statements(&s, Purpose::Apply);
    let all = actions(&apply);
    for a in [
        "iam:CreateRole",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
        "sagemaker:InvokeEndpoint",
    ] {
        assert!(all.contains(&a), "{a}");
    }
    assert!(document(&apply)
        .to_string()
        .contains("jumpstart-private-cache-prod-eu-west-1/*"));
    let destroy = actions(&statements(&s, Purpose::Destroy));
    assert!(destroy.contains(&"iam:DeleteRole") && !destroy.contains(&"sagemaker:CreateModel"));
    assert_eq!(unbounded_role(&s, Purpose::Apply), None);
}

#[test]
fn a_managed_role_without_a_boundary_gets_no_apply_policy() {
    let managed = BASE.replace(
        "  arn: arn:aws:iam::111122223333:role/Exec",
        "  create: true",
    );
    let s = scope(&managed);
    assert!(unbounded_role(&s, Purpose::Apply).is_some());
    assert_eq!(unbounded_role(&s, Purpose::Plan), None);
    let apply = actions(&statements(&s, Purpose::Apply));
    assert!(!apply.contains(&"iam:PutRolePolicy") && !apply.contains(&"iam:CreateRole"));
}
