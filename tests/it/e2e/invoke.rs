//! A model you can try: `invoke` after apply, in the request shape of each model's container.

use super::{control, World};

/// The emulator's record of this scenario's InvokeEndpoint requests.
fn invocations(w: &World) -> Vec<serde_json::Value> {
    let all: serde_json::Value =
        serde_json::from_str(&control("GET", "/_sagetune/invocations", "")).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .filter(|i| i["key"] == w.name.as_str())
        .cloned()
        .collect()
}

#[test]
fn invoke_after_apply_speaks_tgi_to_gpt_j_and_reads_prompts_from_stdin() {
    let w = World::new("e2e-invoke");
    let apply = w.expect(0, &["apply", "--auto-approve"]);
    assert!(
        apply
            .stderr
            .contains("Try it: sagetune invoke gptj \"your prompt\""),
        "{}",
        apply.stderr
    );
    let run = w.expect(
        0,
        &["invoke", "gptj", "Revenue grew", "--max-new-tokens", "5"],
    );
    assert_eq!(run.stdout.split_whitespace().count(), 5, "{}", run.stdout);
    assert!(
        run.stderr.contains("e2e-invoke-gptj answered in"),
        "{}",
        run.stderr
    );
    // Deterministic per model and prompt, as the emulator's container is.
    let again = w.expect(
        0,
        &["invoke", "gptj", "Revenue grew", "--max-new-tokens", "5"],
    );
    assert_eq!(again.stdout, run.stdout);
    let sent = invocations(&w);
    let body: serde_json::Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["inputs"], "Revenue grew");
    assert_eq!(body["parameters"]["max_new_tokens"], 5);
    assert_eq!(sent[0]["content_type"], "application/json");
    assert_eq!(sent[0]["custom_attributes"], serde_json::Value::Null);
    let raw = w.expect(0, &["invoke", "gptj", "Deposits fell", "--raw"]);
    let answer: serde_json::Value = serde_json::from_str(&raw.stdout).unwrap();
    assert!(answer[0]["generated_text"].is_string(), "{answer}");
    // One prompt per line of stdin, answers in order.
    let mut cmd = w.command(&["invoke", "gptj", "-"]);
    let piped = crate::run_with_stdin(&mut cmd, "first prompt\n\nsecond prompt\n");
    assert_eq!(piped.code, 0, "{}", piped.snapshot());
    assert_eq!(piped.stdout.lines().count(), 2, "{}", piped.stdout);
    assert_eq!(invocations(&w).len(), 5);
    let unknown = w.expect(1, &["invoke", "gtpj", "x"]);
    assert!(
        unknown.stderr.contains("endpoints in this manifest: gptj"),
        "{}",
        unknown.stderr
    );
    control(
        "POST",
        "/_sagetune/invoke",
        r#"{"prefix": "e2e-invoke-gptj", "fail": "CUDA error: out of memory"}"#,
    );
    let failed = w.expect(1, &["invoke", "gptj", "x"]);
    assert!(failed.stderr.contains("CUDA error"), "{}", failed.stderr);
}

#[test]
fn invoke_sends_llama_2_its_eula_attribute() {
    let name = "e2e-invoke-llama";
    // The scenario manifest with Llama 2 (gated: its EULA accepted) in GPT-J's place.
    let manifest = super::manifest(name)
        .replace(
            "    model: huggingface-textgeneration1-gpt-j-6b\n    model_version: \"3.*\"\n",
            "    model: meta-textgeneration-llama-2-7b\n    accept_eula: true\n",
        )
        .replace("gptj", "llama");
    let w = World::with_manifest(name, &manifest);
    w.expect(0, &["apply", "--auto-approve"]);
    let run = w.expect(0, &["invoke", "llama", "Summarise the quarter"]);
    assert!(!run.stdout.trim().is_empty(), "{}", run.snapshot());
    let sent = invocations(&w);
    assert_eq!(sent[0]["custom_attributes"], "accept_eula=true");
    let body: serde_json::Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["inputs"], "Summarise the quarter");
    assert_eq!(body["parameters"]["max_new_tokens"], 64);
}

#[test]
fn invoke_streams_answers_and_keeps_them_when_a_later_prompt_fails() {
    let w = World::new("e2e-invoke-stream");
    w.expect(0, &["apply", "--auto-approve"]);
    control(
        "POST",
        "/_sagetune/invoke",
        r#"{"prefix": "e2e-invoke-stream-gptj", "fail": "CUDA error: out of memory", "fail_on": "boom"}"#,
    );
    let prompts = "first prompt\nsecond prompt\nboom goes the third\nfourth\n";
    let mut cmd = w.command(&["invoke", "gptj", "-", "--format", "json"]);
    let run = crate::run_with_stdin(&mut cmd, prompts);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("one JSON document ({e}):\n{}", run.stdout));
    let answers = doc["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 2, "{doc}");
    assert_eq!(answers[1]["prompt"], "second prompt");
    assert!(answers[0]["text"].is_string(), "{doc}");
    assert!(
        doc["error"].as_str().unwrap().contains("did not answer"),
        "{doc}"
    );
    assert!(
        doc["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CUDA error"),
        "{doc}"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // Human output: the answers received are printed before the error.
    let mut cmd = w.command(&["invoke", "gptj", "-"]);
    let run = crate::run_with_stdin(&mut cmd, prompts);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(run.stderr.contains("CUDA error"), "{}", run.stderr);
    // A prompt line over 1 MiB is an error naming the line, after the lines before it.
    let long = format!("short one\n{}\n", "x".repeat((1 << 20) + 10));
    let mut cmd = w.command(&["invoke", "gptj", "-"]);
    let run = crate::run_with_stdin(&mut cmd, &long);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("line 2 of stdin is longer than 1 MiB"),
        "{}",
        run.stderr
    );
}
