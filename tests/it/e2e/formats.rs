//! `--format json` on the commands that change or read a running stack (issue 14): apply,
//! destroy, invoke, logs and unlock each print one JSON document (logs: JSON Lines) and
//! nothing else on stdout.

use super::{control, World};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn apply_invoke_logs_unlock_and_destroy_speak_json() {
    let w = World::new("e2e-formats");
    // JSON cannot ask a question: it needs --auto-approve, and says so as JSON.
    let refused = w.expect(1, &["apply", "--format", "json"]);
    assert_eq!(refused.stderr, "");
    let doc = json(&refused.stdout);
    assert_eq!(doc["diagnostics"][0]["code"], "apply::approval", "{doc}");
    assert!(w.requests().is_empty(), "{:?}", w.requests());

    let applied = w.expect(0, &["apply", "--auto-approve", "--format", "json"]);
    let doc = json(&applied.stdout);
    assert_eq!(doc["outcome"], "complete", "{doc}");
    let done = ids(&doc["done"]);
    let planned: Vec<String> = ids(&doc["plan"]["changes"])
        .into_iter()
        .filter(|id| done.contains(id))
        .collect();
    assert_eq!(done, planned, "done in plan order");
    assert!(done.contains(&"endpoint.gptj".to_string()), "{done:?}");
    let upload = &doc["done"].as_array().unwrap()[0];
    assert_eq!(upload["id"], "dataset.extra.train");
    assert_eq!(upload["bytes"], 23, "{upload}");
    assert_eq!(doc["failed"], serde_json::Value::Null);
    // The progress display stays on stderr.
    assert!(!applied.stderr.is_empty());

    let again = w.expect(0, &["apply", "--auto-approve", "--format", "json"]);
    assert_eq!(json(&again.stdout)["outcome"], "no_changes");

    let answers = w.expect(0, &["invoke", "gptj", "Revenue grew", "--format", "json"]);
    let doc = json(&answers.stdout);
    let first = &doc["answers"][0];
    assert_eq!(first["prompt"], "Revenue grew", "{doc}");
    assert!(first["text"].is_string(), "{doc}");
    assert_eq!(first["answer"][0]["generated_text"], first["text"]);
    assert!(first["latency_ms"].is_u64(), "{doc}");
    assert_eq!(answers.stderr, "");

    let logs = w.expect(0, &["logs", "gptj", "--format", "json"]);
    let lines: Vec<serde_json::Value> = logs.stdout.lines().map(json).collect();
    assert!(!lines.is_empty(), "{}", logs.snapshot());
    for l in &lines {
        assert!(
            l["job"].as_str().unwrap().starts_with("e2e-formats-gptj-"),
            "{l}"
        );
        assert_eq!(l["instance"], "algo-1", "{l}");
        assert!(
            l["timestamp_ms"].is_i64() && l["message"].is_string(),
            "{l}"
        );
    }

    // A lock a killed run left: unlock names what it removed.
    let held = serde_json::json!({
        "id": "k1ll3d", "holder": "ci@runner-7", "command": "sagetune apply",
        "created_at": "2026-12-02T10:00:00Z", "refreshed_at": "2026-12-02T10:00:30Z",
        "ci_run": null, "sagetune_version": "0.1.0",
    });
    control(
        "PUT",
        "/e2e-formats/sagetune/.sagetune/e2e-formats.lock",
        &held.to_string(),
    );
    let wrong = w.expect(1, &["unlock", "nope", "--format", "json"]);
    assert!(json(&wrong.stdout)["error"].is_string());
    let unlocked = w.expect(0, &["unlock", "k1ll3d", "--format", "json"]);
    assert_eq!(json(&unlocked.stdout)["removed"], held);

    let destroyed = w.expect(0, &["destroy", "--auto-approve", "--format", "json"]);
    let doc = json(&destroyed.stdout);
    assert_eq!(doc["outcome"], "complete", "{doc}");
    assert!(ids(&doc["done"]).contains(&"endpoint.gptj".to_string()));
    let nothing = w.expect(0, &["destroy", "--auto-approve", "--format", "json"]);
    assert_eq!(json(&nothing.stdout)["outcome"], "no_changes");
}
