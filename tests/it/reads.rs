//! What a plan reads, against the fake: a no-op plan's requests do not grow with the stack
//! (listings, one Search; no read per resource), and without Search it reads endpoints one
//! by one and plans the same.

use sagetune::cloud::{CloudRead, Endpoint};

use crate::plan::Stack;

/// A stack of `n` fine-tunes, each with its own dataset file and endpoint.
fn stack_of(n: usize) -> Stack {
    let mut m = String::from(
        "stack: fx\nregion: us-west-2\nartifacts: s3://fx-bucket/sagetune/\nrole:\n  arn: arn:aws:iam::111122223333:role/SageMakerRole\ndatasets:\n",
    );
    for i in 0..n {
        m += &format!("  d{i}:\n    train: data/d{i}.txt\n");
    }
    m += "fine_tunes:\n";
    for i in 0..n {
        m += &format!("  f{i}:\n    model: meta-textgeneration-llama-2-7b\n    model_version: \"3.*\"\n    dataset: d{i}\n    accept_eula: true\n    max_runtime: 10h\n");
    }
    m += "endpoints:\n";
    for i in 0..n {
        m += &format!("  e{i}:\n    fine_tune: f{i}\n    instance_type: ml.g5.2xlarge\n");
    }
    let s = Stack::new(&m);
    for i in 0..n {
        let text = format!("Quarter {i}: net interest income rose on higher rates.\n");
        std::fs::write(s.dir.path().join(format!("data/d{i}.txt")), text).unwrap();
    }
    s
}

/// The plan's changes that are not `Noop`, as `Action id`.
fn changed(plan: &sagetune::plan::Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action != sagetune::plan::Action::Noop)
        .map(|c| format!("{:?} {}", c.action, c.id))
        .collect()
}

/// Asserts the plan described fx-e1 and not fx-e0 (whose Search record settled it).
fn described_e1_alone(s: &Stack) {
    let calls = s.cloud.calls();
    let described = |name: &str| calls.contains(&format!("DescribeEndpoint {name}"));
    assert!(described("fx-e1"), "{calls:?}");
    assert!(!described("fx-e0"), "{calls:?}");
}

fn applied(n: usize) -> Stack {
    let s = stack_of(n);
    let first = s.plan();
    s.apply(&first);
    s.cloud.clear_calls();
    s
}

#[test]
fn a_no_op_plan_sends_the_same_requests_for_six_fine_tunes_as_for_one() {
    let mut sent = Vec::new();
    for n in [1, 6] {
        let s = applied(n);
        let plan = s.plan();
        assert!(!plan.has_changes(), "n = {n}");
        assert_eq!(plan.changes.len(), 5 * n, "n = {n}");
        let mut calls = s.cloud.calls();
        calls.sort();
        sent.push(calls);
    }
    assert_eq!(sent[0], sent[1]);
    assert_eq!(sent[0].len(), 8, "{:?}", sent[0]);
}

#[test]
fn a_first_plan_sends_the_same_requests_for_six_fine_tunes_as_for_one() {
    let mut sent = Vec::new();
    for n in [1, 6] {
        let s = stack_of(n);
        let plan = s.plan();
        assert_eq!(plan.changes.len(), 5 * n, "n = {n}");
        let mut calls = s.cloud.calls();
        calls.sort();
        sent.push(calls);
    }
    // Search shows no endpoint, so the listing is read to learn none exists.
    assert_eq!(sent[0], sent[1]);
    assert!(
        sent[0].contains(&"ListEndpoints fx-".to_string()),
        "{:?}",
        sent[0]
    );
}

#[test]
fn without_search_a_plan_reads_each_endpoint_and_plans_the_same() {
    let s = applied(3);
    let with = s.plan();
    s.cloud.without_search();
    s.cloud.clear_calls();
    let without = s.plan();
    assert!(!without.has_changes());
    assert_eq!(with.changes, without.changes);
    let calls = s.cloud.calls();
    let described = calls
        .iter()
        .filter(|c| c.starts_with("DescribeEndpoint "))
        .count();
    assert_eq!(described, 3, "{calls:?}");
    assert!(
        calls.contains(&"ListEndpoints fx-".to_string()),
        "{calls:?}"
    );
}

#[test]
fn a_search_index_that_lags_behind_an_update_costs_a_describe_not_a_wrong_plan() {
    let s = applied(2);
    // Search keeps showing the endpoints as they were before the update below.
    s.cloud.lag_search();
    let edited = std::fs::read_to_string(s.manifest()).unwrap().replace(
        "  f1:\n    model: meta-textgeneration-llama-2-7b\n    model_version: \"3.*\"\n    dataset: d1\n",
        "  f1:\n    model: meta-textgeneration-llama-2-7b\n    model_version: \"3.*\"\n    dataset: d1\n    hyperparameters:\n      epoch: 2\n",
    );
    std::fs::write(s.manifest(), edited).unwrap();
    let update = s.plan();
    assert!(update.has_changes());
    s.apply(&update);
    s.cloud.settle();
    s.cloud.clear_calls();
    let after = s.plan();
    assert_eq!(
        changed(&after),
        Vec::<String>::new(),
        "the updated stack plans clean"
    );
    // The stale record of e1 (old config) settles nothing: e1 is described; e0's record is
    // still exact and settles it.
    described_e1_alone(&s);
}

#[test]
fn an_endpoint_moved_to_another_config_is_read_and_planned_back() {
    let s = applied(2);
    // Someone points e1 at another config of the stack's: Search shows it, it is not as
    // desired, so it is described and updated back.
    let e0 = s.cloud.describe_endpoint("fx-e0").unwrap().unwrap();
    let e1 = s.cloud.describe_endpoint("fx-e1").unwrap().unwrap();
    s.cloud.seed_endpoint(Endpoint {
        config_name: e0.config_name,
        ..e1
    });
    s.cloud.clear_calls();
    let plan = s.plan();
    described_e1_alone(&s);
    assert_eq!(changed(&plan), ["Update endpoint.e1"]);
}
