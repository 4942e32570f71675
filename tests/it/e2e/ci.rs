//! The CI recipe (`examples/ci/github-actions/`, docs/ci.md) run against the emulator: the
//! plan job's sticky comment (one comment per stack and pull request, updated in place, cut
//! to size), its plan artifact, and the apply job applying exactly that reviewed plan.

use serde_json::{json, Value};

use super::workflow::{Event, Runner, Workflow};
use super::World;

const MARKER: &str = "<!-- sagetune-plan:";

fn pull_request(pr: u64, head: &str) -> Event {
    Event {
        pr: Some(pr),
        head_sha: head.repeat(40 / head.len()),
        sha: "f".repeat(40),
    }
}

fn comments(runner: &Runner<'_>, pr: u64) -> Vec<Value> {
    runner.github()["comments"][pr.to_string()]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn body(comment: &Value) -> &str {
    comment["body"].as_str().unwrap()
}

#[test]
fn plan_comment_is_sticky_and_merge_applies_the_reviewed_plan() {
    let world = World::new("ci-recipe");
    world.expect(0, &["lock"]);
    let stack = [("STACK", "ci-recipe")];
    let runner = Runner::new(&world);
    let plan = Workflow::example("sagetune-plan.yml");

    let first = runner.run(&plan, "plan", &pull_request(7, "a"), &stack);
    assert!(first.ok, "{}", first.log);
    assert_eq!(first.outputs["plan"]["changes"], "true", "{}", first.log);
    let posted = comments(&runner, 7);
    assert_eq!(posted.len(), 1, "{posted:?}");
    let text = body(&posted[0]);
    assert!(
        text.starts_with("<!-- sagetune-plan:ci-recipe -->\n"),
        "{text}"
    );
    assert!(
        text.contains("fine_tune.gptj") && text.contains("aaaaaaaaaaaa"),
        "{text}"
    );
    assert!(
        first.summary.contains("fine_tune.gptj"),
        "{}",
        first.summary
    );
    let saved = first.artifact.clone().expect("the plan is uploaded");
    assert!(saved.join("plan.json").exists() && saved.join("plan.md").exists());

    // A new push: the same comment, updated in place.
    world.edit("epoch: 1", "epoch: 2");
    let second = runner.run(&plan, "plan", &pull_request(7, "b"), &stack);
    assert!(second.ok, "{}", second.log);
    let updated = comments(&runner, 7);
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["id"], posted[0]["id"]);
    assert!(body(&updated[0]).contains("bbbbbbbbbbbb"));
    assert!(second.log.contains("updated comment"), "{}", second.log);

    // A plan longer than a comment may be is cut at a line, with fences and folds closed.
    let cut = runner.run(
        &plan,
        "plan",
        &pull_request(8, "b"),
        &[("STACK", "ci-recipe"), ("COMMENT_LIMIT", "900")],
    );
    assert!(cut.ok, "{}", cut.log);
    let short = body(&comments(&runner, 8)[0]).to_string();
    assert!(short.len() <= 900, "{} bytes:\n{short}", short.len());
    assert!(short.contains("it is cut here"), "{short}");
    assert_eq!(short.matches("```").count() % 2, 0, "{short}");
    assert_eq!(
        short.matches("<details").count(),
        short.matches("</details>").count(),
        "{short}"
    );

    // Merge: the apply job finds pull request 7's last plan run and applies its artifact.
    let apply = Workflow::example("sagetune-apply.yml");
    let merge = Event {
        pr: None,
        head_sha: String::new(),
        sha: "c".repeat(40),
    };
    runner.set_github(json!({
        "pulls": {merge.sha.clone(): [{"number": 7, "head": {"sha": "b".repeat(40)}}]},
        "runs": [
            {"databaseId": 41, "workflow": "sagetune-plan.yml", "headSha": "a".repeat(40),
             "conclusion": "success", "artifacts": {"sagetune-plan": saved}},
            {"databaseId": 42, "workflow": "sagetune-plan.yml", "headSha": "b".repeat(40),
             "conclusion": "success", "artifacts": {"sagetune-plan": second.artifact.clone().unwrap()}},
        ],
    }));
    let applied = runner.run(&apply, "apply", &merge, &stack);
    assert!(applied.ok, "{}", applied.log);
    assert!(applied.log.contains("run 42"), "{}", applied.log);
    world.expect(0, &["plan", "--detailed-exitcode"]);

    // The first push's plan is stale now: sagetune refuses it, the job fails.
    runner.set_github(json!({
        "pulls": {merge.sha.clone(): [{"number": 7, "head": {"sha": "a".repeat(40)}}]},
        "runs": [{"databaseId": 41, "workflow": "sagetune-plan.yml", "headSha": "a".repeat(40),
                  "conclusion": "success", "artifacts": {"sagetune-plan": saved}}],
    }));
    let stale = runner.run(&apply, "apply", &merge, &stack);
    assert!(!stale.ok, "{}", stale.log);
    assert_eq!(stale.outcomes["apply"], "failure", "{}", stale.log);
    assert!(
        stale
            .log
            .contains("the plan was made from another manifest"),
        "{}",
        stale.log
    );
}

#[test]
fn a_failed_plan_is_shown_on_the_pull_request_and_fails_the_job() {
    let world = World::new("ci-failing");
    world.expect(0, &["lock"]);
    world.edit("instance_type: ml.g5.12xlarge", "instance_type: ml.g5.huge");
    let runner = Runner::new(&world);
    let plan = Workflow::example("sagetune-plan.yml");
    let run = runner.run(
        &plan,
        "plan",
        &pull_request(3, "d"),
        &[("STACK", "ci-failing")],
    );
    assert!(!run.ok, "{}", run.log);
    assert_eq!(run.outcomes["verdict"], "failure", "{}", run.log);
    assert!(run.artifact.is_none(), "a failed plan is not uploaded");
    let text = body(&comments(&runner, 3)[0]).to_string();
    assert!(text.starts_with(MARKER), "{text}");
    assert!(text.contains("sagetune plan failed (exit 1)"), "{text}");
    assert!(text.contains("ml.g5.huge"), "{text}");
}

#[test]
fn a_push_that_no_pull_request_reviewed_is_not_applied() {
    let world = World::new("ci-unreviewed");
    let runner = Runner::new(&world);
    let apply = Workflow::example("sagetune-apply.yml");
    let push = Event {
        pr: None,
        head_sha: String::new(),
        sha: "e".repeat(40),
    };
    let run = runner.run(&apply, "apply", &push, &[("STACK", "ci-unreviewed")]);
    assert!(!run.ok);
    assert_eq!(run.outcomes["reviewed"], "failure", "{}", run.log);
    assert_eq!(run.outcomes["apply"], "skipped");
    assert!(
        run.log.contains("did not come from a pull request"),
        "{}",
        run.log
    );
    assert!(world.requests().is_empty(), "{:?}", world.requests());
}
