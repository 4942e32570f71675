//! The scenarios of a user's life with sagetune, each on its own stack.

use super::{manifest, World};

fn count(ops: &[String], needle: &str) -> usize {
    ops.iter().filter(|o| o.contains(needle)).count()
}

#[test]
fn quickstart_validate_plan_apply_plan_status() {
    let w = World::new("e2e-quick");
    // The real quickstart example, with this scenario's stack and bucket.
    let example = crate::root().join("examples/quickstart");
    let text = std::fs::read_to_string(example.join("sagetune.yaml"))
        .unwrap()
        .replace("stack: factbook-llm", "stack: e2e-quick")
        .replace("s3://sagetune-quickstart/", "s3://e2e-quick/");
    std::fs::write(w.path().join("sagetune.yaml"), text).unwrap();
    for part in ["train", "validation"] {
        let from = example.join("data").join(part);
        let to = w.path().join("data").join(part);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    w.expect(0, &["validate"]);
    assert!(w.requests().is_empty(), "validate makes no AWS call");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout
            .contains("Plan: 6 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    // A fresh stack: the listings show nothing, so nothing is described (DescribeAlarms is
    // the alarms' listing).
    let ops = w.requests();
    assert_eq!(
        count(&ops, "Describe") - count(&ops, "DescribeAlarms"),
        0,
        "{ops:?}"
    );
    let before = ops.len();
    let apply = w.expect(0, &["apply", "--auto-approve"]);
    // Tags are read once per object per run: job, model, endpoint config, endpoint.
    let ops = w.requests().split_off(before);
    assert!(count(&ops, "SageMaker.ListTags") <= 4, "{ops:?}");
    for step in [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ] {
        assert!(
            apply.stderr.contains(step),
            "no {step} in:\n{}",
            apply.stderr
        );
    }
    assert!(
        apply
            .stderr
            .contains("huggingface-textgeneration:train-loss=1.25"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("Apply complete."), "{}", apply.stderr);
    // The unchanged stack costs its listings and one Search (after the JumpStart specs):
    // no Describe, no HEAD.
    let before = w.requests().len();
    w.expect(0, &["plan", "--detailed-exitcode"]);
    let ops = w.requests().split_off(before);
    assert_eq!(count(&ops, "SageMaker.ListTags"), 0, "{ops:?}");
    assert_eq!(count(&ops, "SageMaker.Describe"), 0, "{ops:?}");
    assert_eq!(count(&ops, "SageMaker.Search"), 1, "{ops:?}");
    assert_eq!(count(&ops, "S3 HEAD"), 0, "{ops:?}");
    let s = w.status();
    assert_eq!(s["training_jobs"][0]["status"], "Completed");
    assert_eq!(s["endpoints"][0]["status"], "InService");
    // The emulator bills 600 s on ml.g5.12xlarge ($7.09/h in us-east-1): $1.18.
    let cost = &s["training_costs"][0];
    assert_eq!(cost["billable_seconds"], 600, "{cost}");
    assert!(
        (cost["usd"].as_f64().unwrap() - 1.1817).abs() < 0.001,
        "{cost}"
    );
    assert!(s["training_jobs"][0]["started_at"].is_string(), "{s}");
    assert_eq!(s["models"].as_array().unwrap().len(), 1);
    let table = w.expect(0, &["status"]);
    assert!(table.stdout.contains("InService"), "{}", table.stdout);
}

#[test]
fn a_hyperparameter_change_retrains_updates_the_endpoint_and_rotates() {
    let w = World::new("e2e-hyper");
    w.expect(0, &["apply", "--auto-approve"]);
    let before = w.status();
    let old_config = before["endpoints"][0]["config_name"].clone();
    let old_model = before["models"][0]["name"].clone();
    w.edit("epoch: 1", "epoch: 2");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout.contains("hyperparameter epoch: \"1\" → \"2\""),
        "{}",
        plan.stdout
    );
    w.expect(0, &["apply", "--auto-approve"]);
    let after = w.status();
    assert_eq!(
        after["training_jobs"].as_array().unwrap().len(),
        2,
        "the old job is kept"
    );
    assert_ne!(after["endpoints"][0]["config_name"], old_config);
    let configs = after["endpoint_configs"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "the old config is rotated out");
    let models = after["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_ne!(models[0]["name"], old_model);
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn a_dataset_edit_reuploads_only_that_file_and_retrains() {
    let w = World::new("e2e-data");
    w.expect(0, &["apply", "--auto-approve"]);
    std::fs::write(w.path().join("data/validation.txt"), "Deposits rose.\n").unwrap();
    // The plan compares the new file with the upload the serving job read (S3 metadata).
    let plan = w.expect(2, &["plan", "--detailed-exitcode", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let upload = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dataset.notes.validation")
        .unwrap();
    let data = &upload["data"];
    assert_eq!(data["rows_before"], 1, "{upload}");
    assert_eq!(data["rows_after"], 1, "{upload}");
    assert_eq!(data["bytes_before"], 29, "{upload}");
    assert_eq!(data["bytes_after"], 15, "{upload}");
    assert!(
        data["previous"]
            .as_str()
            .unwrap()
            .contains("/datasets/e2e-data/notes/validation/"),
        "{upload}"
    );
    let first = w.requests().len();
    w.expect(0, &["apply", "--auto-approve"]);
    let ops: Vec<String> = w.requests().split_off(first);
    let puts: Vec<&String> = ops
        .iter()
        .filter(|o| o.starts_with("S3 PUT /e2e-data/sagetune/datasets/e2e-data/"))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(
        puts[0].contains("/datasets/e2e-data/notes/validation/"),
        "{puts:?}"
    );
    assert_eq!(count(&ops, "SageMaker.CreateTrainingJob"), 1);
}

#[test]
fn an_endpoint_instance_change_only_makes_a_new_config() {
    let w = World::new("e2e-instances");
    w.expect(0, &["apply", "--auto-approve"]);
    let first = w.requests().len();
    w.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
    );
    w.expect(0, &["apply", "--auto-approve"]);
    let ops: Vec<String> = w.requests().split_off(first);
    assert_eq!(count(&ops, "SageMaker.CreateTrainingJob"), 0, "{ops:?}");
    assert_eq!(count(&ops, "SageMaker.CreateModel"), 0, "{ops:?}");
    assert_eq!(count(&ops, "SageMaker.CreateEndpointConfig"), 1, "{ops:?}");
    assert_eq!(count(&ops, "SageMaker.UpdateEndpoint"), 1, "{ops:?}");
    let s = w.status();
    assert_eq!(s["endpoint_configs"][0]["variants"][0]["instance_count"], 2);
}

#[test]
fn a_failed_training_job_fails_apply_and_leaves_the_endpoint_untouched() {
    let w = World::new("e2e-fail");
    w.inject(
        "fail-job",
        "AlgorithmError: ExecuteUserScriptError: CUDA out of memory",
    );
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(run.stderr.contains("CUDA out of memory"), "{}", run.stderr);
    assert_eq!(count(&w.requests(), "SageMaker.CreateEndpoint"), 0);
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(plan.stdout.contains("starting run 2"), "{}", plan.stdout);
    w.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(w.status()["endpoints"][0]["status"], "InService");
}

#[test]
fn an_endpoint_rollback_fails_apply_and_the_old_config_keeps_serving() {
    let w = World::new("e2e-rollback");
    w.expect(0, &["apply", "--auto-approve"]);
    let old_config = w.status()["endpoints"][0]["config_name"].clone();
    w.edit("epoch: 1", "epoch: 3");
    w.inject(
        "rollback-update",
        "The primary container failed the ping health check",
    );
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
    assert!(run.stderr.contains("ping health check"), "{}", run.stderr);
    let s = w.status();
    assert_eq!(s["endpoints"][0]["config_name"], old_config);
    assert_eq!(s["endpoints"][0]["status"], "InService");
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout
            .contains("endpoint.gptj will be updated in place"),
        "{}",
        plan.stdout
    );
}

#[test]
fn no_wait_then_plan_shows_wait_and_a_later_apply_finishes() {
    let w = World::new("e2e-nowait");
    w.pace(40);
    let run = w.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    assert!(run.stderr.contains("--no-wait"), "{}", run.stderr);
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout.contains("fine_tune.gptj will be waited for"),
        "{}",
        plan.stdout
    );
    w.pace(1);
    w.expect(0, &["apply", "--auto-approve"]);
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn a_saved_plan_is_refused_when_stale_and_a_fresh_one_applies() {
    let w = World::new("e2e-saved");
    w.expect(0, &["apply", "--auto-approve"]);
    w.edit("epoch: 1", "epoch: 2");
    w.expect(0, &["plan", "--out", "plan.json"]);
    // Out of band: someone removes the endpoint.
    let destroyed = w.expect(0, &["destroy", "--auto-approve"]);
    assert!(
        destroyed.stderr.contains("Destroy complete."),
        "{}",
        destroyed.stderr
    );
    assert!(!destroyed.stderr.contains("Apply"), "{}", destroyed.stderr);
    let run = w.expect(1, &["apply", "--auto-approve", "plan.json"]);
    assert!(
        run.stderr.contains("AWS changed since the plan was made"),
        "{}",
        run.stderr
    );
    w.expect(0, &["plan", "--out", "fresh.json"]);
    w.expect(0, &["apply", "--auto-approve", "fresh.json"]);
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn two_concurrent_applies_one_runs_the_other_names_the_holder() {
    let w = World::new("e2e-lock");
    w.pace(25);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| w.run(&["apply", "--auto-approve"]));
        let b = s.spawn(|| w.run(&["apply", "--auto-approve"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let codes = [a.code, b.code];
    assert!(
        codes.contains(&0) && codes.contains(&1),
        "{}\n{}",
        a.snapshot(),
        b.snapshot()
    );
    let loser = if a.code == 1 { &a } else { &b };
    assert!(
        loser.stderr.contains("stack is locked by"),
        "{}",
        loser.stderr
    );
    assert!(loser.stderr.contains("sagetune apply"), "{}", loser.stderr);
    assert_eq!(count(&w.requests(), "SageMaker.CreateTrainingJob"), 1);
}

#[test]
fn destroy_removes_serving_objects_keeps_jobs_and_honours_protect() {
    let w = World::with_manifest(
        "e2e-destroy",
        &manifest("e2e-destroy").replace(
            "    instance_type: ml.g5.2xlarge\n",
            "    instance_type: ml.g5.2xlarge\n    protect: true\n",
        ),
    );
    w.expect(0, &["apply", "--auto-approve"]);
    let run = w.expect(1, &["destroy", "--auto-approve"]);
    assert!(run.stderr.contains("is protected"), "{}", run.stderr);
    assert_eq!(w.status()["endpoints"].as_array().unwrap().len(), 1);
    w.expect(0, &["destroy", "--auto-approve", "--force"]);
    let s = w.status();
    assert!(s["endpoints"].as_array().unwrap().is_empty());
    assert!(s["endpoint_configs"].as_array().unwrap().is_empty());
    assert!(s["models"].as_array().unwrap().is_empty());
    assert_eq!(s["training_jobs"].as_array().unwrap().len(), 1);
    let again = w.expect(0, &["destroy", "--auto-approve"]);
    assert!(
        again.stdout.starts_with("Nothing to destroy"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_object_with_a_clashing_name_and_no_stack_tag_is_never_modified() {
    // Stack `e2e-clash-x` endpoint `y` and stack `e2e-clash` endpoint `x-y` share the name
    // `e2e-clash-x-y`.
    let other = World::with_manifest(
        "e2e-clash-x",
        &manifest("e2e-clash-x").replace("endpoints:\n  gptj:", "endpoints:\n  y:"),
    );
    other.expect(0, &["apply", "--auto-approve"]);
    let before = other.status();
    let w = World::with_manifest(
        "e2e-clash",
        &manifest("e2e-clash").replace("endpoints:\n  gptj:", "endpoints:\n  x-y:"),
    );
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(
        run.stderr
            .contains("endpoint `e2e-clash-x-y` already exists"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("belongs to sagetune stack `e2e-clash-x`"),
        "{}",
        run.stderr
    );
    let writes: Vec<String> = w
        .requests()
        .into_iter()
        .filter(|o| o.contains("Create") || o.contains("Update") || o.contains("Delete"))
        .filter(|o| !o.contains(".sagetune/"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(other.status()["endpoints"], before["endpoints"]);
}

#[test]
fn a_managed_role_is_scoped_to_the_artifacts_prefix() {
    let w = World::with_manifest(
        "e2e-role",
        &manifest("e2e-role").replace(
            "  arn: arn:aws:iam::123456789012:role/SageMakerExecution\n",
            "  create: true\n",
        ),
    );
    w.expect(0, &["apply", "--auto-approve"]);
    let s = w.status();
    let role = &s["role"];
    assert_eq!(role["name"], "e2e-role-sagemaker-execution");
    let policy = role["inline_policies"]["sagetune-execution"]
        .as_str()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap();
    let statement = |sid: &str| {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
            .unwrap_or_else(|| panic!("no {sid} in {policy}"))
    };
    assert_eq!(
        statement("DatasetsRead")["Resource"][0],
        "arn:aws:s3:::e2e-role/sagetune/datasets/e2e-role/*"
    );
    assert_eq!(
        statement("DatasetsRead")["Action"],
        serde_json::json!(["s3:GetObject"])
    );
    assert_eq!(
        statement("OutputsReadWrite")["Resource"][0],
        "arn:aws:s3:::e2e-role/sagetune/outputs/gptj/e2e-role-gptj-*"
    );
    assert!(!policy.contains("arn:aws:s3:::*"), "{policy}");
    assert!(
        !policy.contains(".sagetune"),
        "the role cannot touch state locks: {policy}"
    );
    assert!(
        !policy.contains("sagetune/*\""),
        "nothing on the whole prefix: {policy}"
    );
    // The training job wrote its output where the role may write.
    let output = s["training_jobs"][0]["model_artifacts"]
        .as_str()
        .unwrap_or_default();
    assert!(
        output.starts_with("s3://e2e-role/sagetune/outputs/gptj/e2e-role-"),
        "{output}"
    );
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn bad_manifests_and_bad_data_fail_before_any_aws_request() {
    let w = World::new("e2e-bad");
    w.edit("max_runtime: 2h", "max_runtime: forever");
    let run = w.expect(1, &["apply", "--auto-approve"]);
    assert!(run.stderr.contains("sagetune.yaml:"), "{}", run.stderr);
    w.edit("max_runtime: forever", "max_runtime: 2h");
    std::fs::write(w.path().join("data/validation.txt"), "  \n").unwrap();
    let run = w.expect(1, &["plan"]);
    assert!(run.stderr.contains("validation.txt"), "{}", run.stderr);
    std::fs::write(w.path().join("data/validation.txt"), "Deposits fell.\n").unwrap();
    for (from, to, says) in [
        (
            "region: us-east-1",
            "region: us-east-9",
            "did you mean `us-east-1`?",
        ),
        (
            "instance_type: ml.g5.2xlarge",
            "instance_type: ml.g5.2xlage",
            "did you mean `ml.g5.2xlarge`?",
        ),
        (
            "artifacts: s3://e2e-bad/sagetune/",
            "artifacts: s3://e2e-bad/../",
            "`..` path segment",
        ),
    ] {
        w.edit(from, to);
        let run = w.expect(1, &["apply", "--auto-approve"]);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(
            run.stderr.contains("sagetune.yaml:"),
            "located: {}",
            run.stderr
        );
        w.edit(to, from);
    }
    w.edit("region: us-east-1\n", "");
    let run = w.expect(1, &["status", "--region", "us-east-9"]);
    assert!(run.stderr.contains("region `us-east-9`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `us-east-1`?"),
        "{}",
        run.stderr
    );
    assert!(w.requests().is_empty(), "{:?}", w.requests());
}

#[test]
fn a_large_dataset_goes_up_in_checksummed_parts_once() {
    let w = World::new("e2e-big");
    // 70 MiB of text lines: above the 64 MiB multipart threshold, 9 parts of 8 MiB.
    let line = "Net interest income rose on higher rates while deposits fell slightly.\n";
    let big: String = line.repeat((70 << 20) / line.len() + 1);
    std::fs::write(w.path().join("data/extra.txt"), &big).unwrap();
    w.edit("    dataset: notes\n", "    dataset: extra\n");
    w.expect(0, &["apply", "--auto-approve"]);
    let ops = w.requests();
    let parts = ops
        .iter()
        .filter(|o| o.starts_with("S3 PUT /e2e-big/sagetune/datasets/e2e-big/extra/train/"))
        .count();
    assert_eq!(parts, 9, "{ops:?}");
    assert_eq!(
        ops.iter()
            .filter(|o| o.starts_with("S3 POST /e2e-big/sagetune/datasets/e2e-big/extra/train/"))
            .count(),
        2,
        "create and complete: {ops:?}"
    );
    let first = ops.len();
    w.expect(0, &["plan", "--detailed-exitcode"]);
    let again: Vec<String> = w.requests().split_off(first);
    assert!(
        !again.iter().any(|o| o.starts_with("S3 PUT ")),
        "nothing is uploaded twice: {again:?}"
    );
}

#[test]
fn script_mode_hosting_is_repacked_and_served() {
    let w = World::with_manifest(
        "e2e-bloom",
        &manifest("e2e-bloom")
            .replace(
                "huggingface-textgeneration1-gpt-j-6b",
                "huggingface-textgeneration1-bloom-3b",
            )
            .replace("    model_version: \"3.*\"\n", "")
            .replace("    instance_type: ml.g5.12xlarge\n", ""),
    );
    let run = w.expect(0, &["apply", "--auto-approve"]);
    assert!(run.stderr.contains("repacking"), "{}", run.stderr);
    let s = w.status();
    let data = s["models"][0]["model_data"].as_str().unwrap();
    assert!(data.ends_with("/repacked/model.tar.gz"), "{data}");
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

/// The one train object of `dataset` and its content, read back from the emulator's S3.
fn stored_dataset(w: &World, dataset: &str) -> (String, String) {
    let keys = w.keys(&format!("sagetune/datasets/{}/{dataset}/train/", w.name));
    assert_eq!(keys.len(), 1, "{keys:?}");
    let text = w.dataset_object(&keys[0]);
    (keys[0].clone(), text)
}

#[test]
fn the_chosen_text_column_is_what_training_reads() {
    let text = manifest("e2e-column").replace(
        "    train: data/train.txt\n    validation: data/validation.txt\n",
        "    train: data/train.csv\n    text_column: body\n",
    );
    let w = World::with_manifest("e2e-column", &text);
    std::fs::write(
        w.path().join("data/train.csv"),
        "id,body\n1,Revenue grew.\n2,\"Costs fell, again.\"\n",
    )
    .unwrap();
    let plan = w.expect(2, &["plan", "--detailed-exitcode", "--out", "plan.json"]);
    // Reviewers see the file they edit, never the derived file in the cache.
    assert!(
        plan.stdout
            .contains("upload ./data/train.csv, column `body` (its text column alone; 40 bytes"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains(".sagetune/cache"), "{}", plan.stdout);
    // Edited after the review: the refusal names the user's file and column too.
    let csv = w.path().join("data/train.csv");
    let original = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, original.replace("grew", "rose")).unwrap();
    let stale = w.expect(1, &["apply", "plan.json", "--auto-approve"]);
    assert!(
        stale
            .stderr
            .contains("dataset file ./data/train.csv, column `body` (dataset.notes.train) changed"),
        "{}",
        stale.stderr
    );
    std::fs::write(&csv, original).unwrap();
    w.expect(0, &["apply", "--auto-approve"]);
    let (key, body) = stored_dataset(&w, "notes");
    assert!(key.ends_with("/train.csv"), "{key}");
    assert_eq!(body, "text\nRevenue grew.\n\"Costs fell, again.\"\n");
    let s = w.status();
    let job = &s["training_jobs"][0];
    let prefix = &key[..key.rfind('/').unwrap() + 1];
    assert_eq!(
        job["channels"]["train"],
        format!("s3://e2e-column/{prefix}"),
        "the job reads the derived file's prefix: {job}"
    );
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn a_text_column_the_script_reads_anyway_goes_up_as_it_is() {
    let text = manifest("e2e-firstcol").replace(
        "    train: data/train.txt\n    validation: data/validation.txt\n",
        "    train: data/train.csv\n    text_column: body\n",
    );
    let w = World::with_manifest("e2e-firstcol", &text);
    let csv = "body,id\nRevenue grew.,1\n";
    std::fs::write(w.path().join("data/train.csv"), csv).unwrap();
    w.expect(0, &["apply", "--auto-approve"]);
    let (key, body) = stored_dataset(&w, "notes");
    assert!(key.ends_with("/train.csv"), "{key}");
    assert_eq!(body, csv, "no derived file: the file itself");
    let puts = w
        .requests()
        .iter()
        .filter(|o| o.starts_with("S3 PUT /e2e-firstcol/sagetune/datasets/e2e-firstcol/"))
        .count();
    assert_eq!(puts, 2, "one upload per dataset file, nothing extra");
    assert!(!w.path().join(".sagetune/cache/derived").exists());
}

#[test]
fn requests_at_the_limits_aws_allows_are_accepted() {
    // 24-character stack, 38-character names: `<stack>-<endpoint>` is 63 characters; 45 tags
    // of the user's plus sagetune's 5 on the protected endpoint make 50; a 128-character key,
    // a 256-character value and Unicode tags; a managed role with its policies.
    let stack = "e2e-limits-abcdefghijklm";
    let long = "l".repeat(38);
    let mut tags = String::from("tags:\n");
    tags.push_str(&format!("  {}: {}\n", "k".repeat(128), "v".repeat(256)));
    tags.push_str("  équipe: données 日本 +-=._:/@\n");
    for i in 0..43 {
        tags.push_str(&format!("  team-{i:02}: research\n"));
    }
    let text = manifest(stack)
        .replace(
            "role:\n  arn: arn:aws:iam::123456789012:role/SageMakerExecution\n",
            &format!("role:\n  create: true\n{tags}"),
        )
        .replace("fine_tunes:\n  gptj:", &format!("fine_tunes:\n  {long}:"))
        .replace(
            "endpoints:\n  gptj:\n    fine_tune: gptj\n",
            &format!("endpoints:\n  {long}:\n    fine_tune: {long}\n    protect: true\n"),
        );
    let w = World::with_manifest(stack, &text);
    w.expect(0, &["validate"]);
    w.expect(0, &["apply", "--auto-approve"]);
    let s = w.status();
    let endpoint = &s["endpoints"][0];
    assert_eq!(endpoint["name"].as_str().unwrap().len(), 63, "{endpoint}");
    assert_eq!(
        endpoint["tags"].as_object().unwrap().len(),
        50,
        "{endpoint}"
    );
    assert!(w.violations().is_empty());
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn an_update_left_running_is_adopted_by_the_next_apply_not_sent_again() {
    let w = World::new("e2e-adopt");
    w.expect(0, &["apply", "--auto-approve"]);
    w.edit(
        "    instance_type: ml.g5.2xlarge\n",
        "    instance_type: ml.g5.2xlarge\n    instance_count: 2\n",
    );
    w.pace(4);
    w.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    let run = w.expect(0, &["apply", "--auto-approve"]);
    assert!(run.stderr.contains("already updating to"), "{}", run.stderr);
    let updates = w
        .requests()
        .iter()
        .filter(|o| o.as_str() == "SageMaker.UpdateEndpoint")
        .count();
    assert_eq!(updates, 1, "UpdateEndpoint is sent once");
    w.expect(0, &["plan", "--detailed-exitcode"]);
}

#[test]
fn a_multipart_upload_a_crash_left_is_aborted_by_the_next_apply_and_purged_by_destroy() {
    let w = World::new("e2e-parts");
    w.expect(0, &["apply", "--auto-approve"]);
    let start = |key: &str| {
        super::control(
            "POST",
            "/_sagetune/multipart",
            &serde_json::json!({"bucket": "e2e-parts", "key": key}).to_string(),
        )
    };
    start("sagetune/datasets/e2e-parts/notes/train/0123/train.txt");
    let status = w.expect(0, &["status"]);
    assert!(
        status.stdout.contains("Interrupted uploads"),
        "{}",
        status.stdout
    );
    let plan = w.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout
            .contains("an upload interrupted before it completed"),
        "{}",
        plan.stdout
    );
    w.expect(0, &["apply", "--auto-approve"]);
    assert!(w.pending_uploads().is_empty(), "{:?}", w.pending_uploads());
    w.expect(0, &["plan", "--detailed-exitcode"]);
    // destroy leaves nothing behind either.
    start("sagetune/datasets/e2e-parts/extra/train/4567/extra.txt");
    w.expect(0, &["destroy", "--auto-approve", "--purge-data"]);
    assert!(w.pending_uploads().is_empty(), "{:?}", w.pending_uploads());
}
