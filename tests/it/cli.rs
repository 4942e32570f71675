//! The commands that succeed: examples validate, `models`, `schema`, usage errors.

use std::path::Path;

use crate::sagetune;

/// A copy of `examples/<name>` at the same relative path in a fresh folder, without the
/// `.sagetune/` cache a local run (`scripts/try.sh`) may have left there, so what validate
/// prints does not depend on what ran before on this machine.
fn example_copy(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".sagetune" {
                continue;
            }
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(
        &crate::root().join("examples").join(name),
        &dir.path().join("examples").join(name),
    );
    dir
}

#[test]
fn every_example_validates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut count = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("sagetune.yaml").exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let copy = example_copy(&name);
        let manifest = format!("examples/{name}/sagetune.yaml");
        let run = crate::sagetune_in(copy.path(), &[], &["validate", "-f", &manifest]);
        assert_eq!(run.code, 0, "{name}\n{}", run.snapshot());
        assert!(
            run.stderr.is_empty(),
            "{name}: no warnings expected\n{}",
            run.stderr
        );
        let text = std::fs::read_to_string(dir.join("sagetune.yaml")).unwrap();
        assert!(
            text.starts_with(
                "# yaml-language-server: $schema=../../schemas/sagetune.schema.json\n"
            ),
            "{name}: the example carries the schema modeline"
        );
        count += 1;
    }
    assert!(count >= 3, "quickstart, csv and jsonl examples exist");
}

#[test]
fn quickstart_summary() {
    let copy = example_copy("quickstart");
    let manifest = "examples/quickstart/sagetune.yaml";
    let run = crate::sagetune_in(copy.path(), &[], &["validate", "-f", manifest]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn warnings_do_not_fail_validate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("t")).unwrap();
    std::fs::create_dir_all(dir.path().join("v")).unwrap();
    std::fs::write(dir.path().join("t/a.txt"), "Revenue grew.\n").unwrap();
    std::fs::write(dir.path().join("v/b.txt"), "Costs fell.\n").unwrap();
    let manifest = dir.path().join("sagetune.yaml");
    std::fs::write(
        &manifest,
        "stack: warn\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  d:\n    train: t\n    validation: v\nfine_tunes:\n  f:\n    model: huggingface-textgeneration1-gpt-neo-125m\n    dataset: d\n    hyperparameters:\n      validation_split_ratio: 0.3\n",
    )
    .unwrap();
    let run = sagetune(&["validate", "-f", manifest.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stderr.contains("validation_split_ratio has no effect"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("sagetune.yaml:13:7"), "{}", run.stderr);
}

#[test]
fn missing_manifest_is_a_clear_error() {
    let run = sagetune(&["validate", "-f", "does/not/exist.yaml"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn models_table_and_json() {
    let table = sagetune(&["models"]);
    assert_eq!(table.code, 0);
    insta::assert_snapshot!(table.stdout);
    let json = sagetune(&["models", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let models = parsed.as_array().unwrap();
    assert_eq!(models.len(), 17);
    assert!(models
        .iter()
        .all(|m| m["id"].is_string() && m["gated"].is_boolean()));
}

#[test]
fn committed_schema_is_up_to_date() {
    let run = sagetune(&["schema"]);
    assert_eq!(run.code, 0);
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/sagetune.schema.json"),
    )
    .unwrap();
    assert!(
        run.stdout == committed,
        "schemas/sagetune.schema.json is out of date: run `cargo run -- schema > schemas/sagetune.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["properties"]["stack"]["pattern"],
        "^[a-z][a-z0-9-]{0,23}$"
    );
    assert!(
        schema["definitions"]["FineTune"]["properties"]["instance_count"]["minimum"].is_number()
    );
    assert_eq!(
        schema["definitions"]["FineTune"]["additionalProperties"],
        false
    );
}

#[test]
fn unknown_command_is_a_usage_error() {
    // 64 (EX_USAGE), never 2: `plan --detailed-exitcode` says "changes" with 2.
    let run = sagetune(&["frobnicate"]);
    assert_eq!(run.code, 64);
    assert!(
        run.stderr.contains("unrecognized subcommand"),
        "{}",
        run.stderr
    );
    let run = sagetune(&["plan", "--no-such-flag"]);
    assert_eq!(run.code, 64, "{}", run.snapshot());
    let run = sagetune(&["--help"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(run.stdout.contains("Usage: sagetune"), "{}", run.stdout);
    // AWS flags exist only on the commands that call AWS; validate takes a region, offline.
    for args in [
        &["validate", "--profile", "p"][..],
        &["show", "plan.json", "--region", "us-east-1"],
        &["models", "--profile", "p"],
        &["schema", "--region", "us-east-1"],
    ] {
        let run = sagetune(args);
        assert_eq!(run.code, 64, "{args:?}: {}", run.snapshot());
    }
    for command in [
        "plan", "apply", "destroy", "status", "lock", "unlock", "invoke", "logs", "metrics",
        "requests",
    ] {
        let run = sagetune(&[command, "--help"]);
        assert!(
            run.stdout.contains("--profile <NAME>"),
            "{command} --help:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("--region <REGION>"),
            "{command} --help:\n{}",
            run.stdout
        );
    }
    let run = sagetune(&["validate", "--help"]);
    assert!(run.stdout.contains("--region <REGION>") && !run.stdout.contains("--profile"));
}

#[test]
fn apply_and_destroy_refuse_to_run_unapproved_without_a_terminal() {
    for command in ["apply", "destroy"] {
        let run = crate::sagetune(&[command, "-f", "examples/quickstart/sagetune.yaml"]);
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(
            run.stderr
                .contains("needs approval and stdin is not a terminal"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    }
}

/// A manifest over one CSV in a fresh folder; returns the folder and the run of `validate`.
fn validate_csv(csv: &str, text_column: Option<&str>) -> (tempfile::TempDir, crate::Run) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/train.csv"), csv).unwrap();
    let column = text_column
        .map(|c| format!("    text_column: {c}\n"))
        .unwrap_or_default();
    std::fs::write(
        dir.path().join("sagetune.yaml"),
        format!("stack: cols\nartifacts: s3://bucket-x/p/\nrole: {{create: true}}\ndatasets:\n  d:\n    train: data/train.csv\n{column}"),
    )
    .unwrap();
    let run = crate::sagetune_in(dir.path(), &[], &["validate"]);
    (dir, run)
}

#[test]
fn a_chosen_column_the_script_would_not_read_goes_up_as_its_own_text_file() {
    let (dir, run) = validate_csv(
        "id,body\n1,\"Revenue grew, slowly.\"\n2,\"Costs\nfell.\"\n3,\n",
        Some("body"),
    );
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot());
    // Validation hashes the derived content without writing it (apply writes it when it
    // uploads): the hash shown is that of exactly this text.
    let written: Vec<_> = std::fs::read_dir(dir.path().join(".sagetune/cache/derived"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
    let expected = "text\n\"Revenue grew, slowly.\"\n\"Costs\nfell.\"\n\"\"\n";
    let sha = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(expected.as_bytes());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(
        run.stdout.contains(&format!(
            "column as `text` (the training script reads `id`): {} B · sha256 {sha}",
            expected.len()
        )),
        "{}",
        run.stdout
    );
    // A second run reuses the digest.
    let again = crate::sagetune_in(dir.path(), &[], &["validate"]);
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn the_text_column_or_the_first_one_needs_no_derived_file() {
    for (csv, column) in [
        ("id,text\n1,Revenue grew.\n", Some("text")),
        ("body,id\nRevenue grew.,1\n", Some("body")),
        ("id,text\n1,Revenue grew.\n", None),
    ] {
        let (dir, run) = validate_csv(csv, column);
        assert_eq!(run.code, 0, "{}", run.snapshot());
        assert!(!run.stdout.contains("uploads its"), "{}", run.stdout);
        assert!(run.stderr.is_empty(), "{}", run.stderr);
        assert!(!dir.path().join(".sagetune/cache/derived").exists());
    }
}

#[test]
fn without_a_text_column_validate_says_which_column_trains() {
    let (_dir, run) = validate_csv("body,id\nRevenue grew.,1\n", None);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn missing_credentials_say_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "Revenue grew.\n").unwrap();
    std::fs::write(
        dir.path().join("sagetune.yaml"),
        "stack: creds\nregion: us-east-1\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  d:\n    train: a.txt\n",
    )
    .unwrap();
    // No credentials anywhere; a refusing endpoint in case anything tried to leave anyway.
    let run = crate::sagetune_in(
        dir.path(),
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("HOME", "/nonexistent"),
        ],
        &["plan"],
    );
    assert_eq!(run.code, 1, "{}", run.snapshot());
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn fifos_devices_symlink_loops_and_folders_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let made = std::process::Command::new("mkfifo")
        .arg(p.join("pipe.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", p.join("zero.txt")).unwrap();
    std::os::unix::fs::symlink("b.txt", p.join("a.txt")).unwrap();
    std::os::unix::fs::symlink("a.txt", p.join("b.txt")).unwrap();
    std::fs::write(
        p.join("sagetune.yaml"),
        "stack: special\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  pipe:\n    train: pipe.txt\n  zero:\n    train: zero.txt\n  loop:\n    train: a.txt\n",
    )
    .unwrap();
    let run = crate::sagetune_in(p, &[], &["validate", "--allow-outside"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    for says in [
        "pipe.txt is a named pipe (FIFO), not a regular file",
        "zero.txt is a character device, not a regular file",
        "a.txt is a loop of symbolic links",
        "sagetune.yaml:6:12",
    ] {
        assert!(run.stderr.contains(says), "{says}: {}", run.stderr);
    }
    for manifest in ["pipe.txt", "/dev/zero", "."] {
        let run = crate::sagetune_in(p, &[], &["validate", "-f", manifest]);
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(run.stderr.contains("not a manifest file"), "{}", run.stderr);
    }
}

#[test]
fn bad_gates_smoke_tests_and_rollouts_are_located_errors_of_validate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "Revenue grew.\n").unwrap();
    let manifest = dir.path().join("sagetune.yaml");
    std::fs::write(
        &manifest,
        "stack: promo\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  d:\n    train: a.txt\nfine_tunes:\n  f:\n    model: huggingface-textgeneration1-gpt-neo-125m\n    dataset: d\nendpoints:\n  f:\n    fine_tune: f\n    gate:\n      eval_loss: {}\n      train_loss: {max: 1, min: 2}\n    smoke_test:\n      - prompt: \"  \"\n        max_latency: soon\n    rollout:\n      canary: {size: 200%, wait: 2h}\n",
    )
    .unwrap();
    let run = sagetune(&["validate", "-f", manifest.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    for (message, place) in [
        (
            "the gate on `eval_loss` sets no bound",
            "sagetune.yaml:15:18",
        ),
        (
            "the gate on `train_loss` wants at least 2 and at most 1",
            "sagetune.yaml:16:",
        ),
        ("the smoke test's prompt is empty", "sagetune.yaml:18:"),
        ("max_latency `soon` is not a duration", "sagetune.yaml:19:"),
        (
            "rollout size `200%` is not a percentage",
            "sagetune.yaml:21:",
        ),
        (
            "rollout wait `2h` is over SageMaker's limit of 1 hour",
            "sagetune.yaml:21:",
        ),
    ] {
        assert!(
            run.stderr.contains(message),
            "no {message:?} in:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains(place), "no {place} in:\n{}", run.stderr);
    }
    std::fs::write(
        &manifest,
        "stack: promo\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  d:\n    train: a.txt\nfine_tunes:\n  f:\n    model: huggingface-textgeneration1-gpt-neo-125m\n    dataset: d\nendpoints:\n  f:\n    fine_tune: f\n    rollout: blue_green\n",
    )
    .unwrap();
    let run = sagetune(&["validate", "-f", manifest.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains("unknown rollout `blue_green`"),
        "{}",
        run.stderr
    );
}

/// Validates `manifest` (written beside a small train file) and returns stderr.
fn validate_text(manifest: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "Revenue grew.\n").unwrap();
    let path = dir.path().join("sagetune.yaml");
    std::fs::write(&path, manifest).unwrap();
    let run = sagetune(&["validate", "-f", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    run.stderr
}

#[test]
fn messages_name_the_value_and_the_rule_it_breaks() {
    let base = "stack: msgs\nartifacts: s3://bucket-x/p/\nrole: {create: true}\ndatasets:\n  d:\n    train: a.txt\nfine_tunes:\n  f:\n    model: huggingface-textgeneration1-gpt-neo-125m\n    dataset: d\n";
    for (extra, message) in [
        (
            "    instance_count: 4294967297\n",
            "`4294967297` is too large: the largest allowed is 4294967295",
        ),
        (
            "    instance_count: -2\n",
            "`-2` is negative: expected a whole number of 0 or more",
        ),
        (
            "    hyperparameters:\n      learning_rate: .nan\n",
            "`.nan` is not a number (YAML's NaN or infinity)",
        ),
        (
            "endpoints:\n  f:\n    fine_tune: f\n    gate:\n      eval_loss: {max: .inf}\n",
            "the gate's `max` on `eval_loss` is inf, not a number",
        ),
    ] {
        let stderr = validate_text(&format!("{base}{extra}"));
        assert!(stderr.contains(message), "no {message:?} in:\n{stderr}");
        assert!(!stderr.contains("configured policy"), "{stderr}");
    }
    let stderr = validate_text("\"one scalar\"\n");
    assert!(
        stderr.contains("expected a mapping (`key: value` lines), found a single value"),
        "{stderr}"
    );
    assert!(!stderr.contains("not as a list"), "{stderr}");
}

#[test]
fn version_names_the_git_commit() {
    let run = sagetune(&["--version"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(crate::root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    assert_eq!(
        run.stdout,
        format!("sagetune {} (commit {head})\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_and_the_man_page_cover_every_command() {
    let bash = sagetune(&["completions", "bash"]);
    assert_eq!(bash.code, 0, "{}", bash.snapshot());
    let man = sagetune(&["man"]);
    assert_eq!(man.code, 0, "{}", man.snapshot());
    assert!(man.stdout.contains(".TH sagetune 1"), "{}", man.stdout);
    for command in [
        "validate", "plan", "apply", "invoke", "logs", "metrics", "destroy",
    ] {
        assert!(
            bash.stdout.contains(command),
            "bash completions lack {command}"
        );
        assert!(man.stdout.contains(command), "the man page lacks {command}");
    }
    let zsh = sagetune(&["completions", "zsh"]);
    assert!(
        zsh.stdout.starts_with("#compdef sagetune"),
        "{}",
        zsh.stdout
    );
}

#[test]
fn man_dir_writes_a_page_for_every_page_the_main_page_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = sagetune(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let main = std::fs::read_to_string(out.join("sagetune.1")).unwrap();
    let named: Vec<String> = main
        .split("sagetune\\-")
        .skip(1)
        .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name.to_string()))
        .filter(|name| !name.contains(char::is_whitespace))
        .collect();
    assert!(named.len() >= 15, "{named:?}");
    for name in &named {
        let page = out.join(format!("sagetune-{}.1", name.replace("\\-", "-")));
        assert!(
            page.exists(),
            "sagetune.1 names {name}(1), which was not written"
        );
    }
    let plan = std::fs::read_to_string(out.join("sagetune-plan.1")).unwrap();
    assert!(plan.contains("detailed\\-exitcode"), "{plan}");
    assert!(run.stderr.contains("man pages to"), "{}", run.stderr);
}
