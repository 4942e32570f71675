//! JumpStart resolution through the real binary with the SDK's local-directory overrides
//! pointing at `tests/fixtures/jumpstart`: `lock`, then golden `requests` for every fixture
//! model, and the located errors of resolution.

use std::path::{Path, PathBuf};

use crate::{root, sagetune_in, Run};

/// Copies a fixture folder into a temporary directory (lock and cache are written there).
fn workspace(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures").join(fixture), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn overrides() -> [(&'static str, String); 2] {
    let js = root().join("tests/fixtures/jumpstart");
    [
        (
            "AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE",
            js.join("manifest").display().to_string(),
        ),
        (
            "AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE",
            js.join("specs").display().to_string(),
        ),
    ]
}

/// Runs with the local overrides and an endpoint that refuses connections, so any attempt
/// to reach AWS would fail loudly instead of going anywhere.
pub fn offline(dir: &Path, args: &[&str]) -> Run {
    offline_from(dir, &root().join("tests/fixtures/jumpstart"), args)
}

/// [`offline`] with the JumpStart content (its `manifest/` and `specs/`) under `js`.
fn offline_from(dir: &Path, js: &Path, args: &[&str]) -> Run {
    let (manifest, specs) = (js.join("manifest"), js.join("specs"));
    let env = [
        (
            "AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE",
            manifest.to_str().unwrap(),
        ),
        (
            "AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE",
            specs.to_str().unwrap(),
        ),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    sagetune_in(dir, &env, args)
}

fn cases(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fixtures").join(folder))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn lock_then_requests_are_golden_for_every_fixture_model() {
    let names = cases("requests");
    assert!(names.len() >= 6);
    for name in names {
        let ws = workspace(&format!("requests/{name}"));
        let lock = offline(ws.path(), &["lock"]);
        assert_eq!(lock.code, 0, "{name}: lock\n{}", lock.snapshot());
        assert!(ws.path().join("sagetune.lock").exists());
        let again = offline(ws.path(), &["lock"]);
        assert!(
            again.stdout.contains("sagetune.lock is up to date"),
            "{name}: {}",
            again.stdout
        );
        // `--format json`: the same pins as the file, nothing written.
        let as_json = offline(ws.path(), &["lock", "--format", "json"]);
        assert_eq!(as_json.code, 0, "{name}: {}", as_json.snapshot());
        let doc: serde_json::Value = serde_json::from_str(&as_json.stdout).unwrap();
        let file: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(ws.path().join("sagetune.lock")).unwrap(),
        )
        .unwrap();
        assert_eq!(doc["pins"], file, "{name}");
        assert_eq!(doc["written"], serde_json::Value::Null, "{name}");

        let run = offline(ws.path(), &["requests", "--locked"]);
        assert_eq!(run.code, 0, "{name}: requests\n{}", run.snapshot());
        let requests: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        insta::assert_json_snapshot!(format!("requests__{name}"), requests);
    }
}

#[test]
fn requests_for_one_fine_tune_without_a_lock_resolves_afresh() {
    let ws = workspace("requests/llama-2-7b-env-var");
    let run = offline(ws.path(), &["requests", "llama"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(run.stderr.contains("resolved afresh"), "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["fine_tune"], "llama");
    assert!(
        !ws.path().join("sagetune.lock").exists(),
        "requests never writes the lock"
    );

    let locked = offline(ws.path(), &["requests", "--locked"]);
    assert_eq!(locked.code, 1);
    assert!(
        locked.stderr.contains("sagetune.lock is missing"),
        "{}",
        locked.stderr
    );

    let unknown = offline(ws.path(), &["requests", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no fine-tune `nope`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_changed_manifest_no_longer_matches_the_lock() {
    let ws = workspace("requests/gpt-j-public-model-channel");
    assert_eq!(offline(ws.path(), &["lock"]).code, 0);
    let manifest = ws.path().join("sagetune.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "    dataset: sec\n",
            "    model_version: \"2.*\"\n    dataset: sec\n",
        ),
    )
    .unwrap();
    let run = offline(ws.path(), &["requests", "--locked"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot());
    let relock = offline(ws.path(), &["lock"]);
    assert!(
        relock.stdout.contains("2.* → 2.0.0 (was 3.2.13)"),
        "{}",
        relock.stdout
    );
}

#[test]
fn resolution_errors_are_located_in_the_manifest() {
    for name in cases("requests-errors") {
        let ws = workspace(&format!("requests-errors/{name}"));
        let run = offline(ws.path(), &["requests"]);
        assert_eq!(run.code, 1, "{name}\n{}", run.snapshot());
        assert!(
            run.stderr.contains("sagetune.yaml:"),
            "{name}: located\n{}",
            run.stderr
        );
        insta::assert_snapshot!(format!("requests_error__{name}"), run.snapshot());
    }
}

#[test]
fn half_set_overrides_are_an_error() {
    let ws = workspace("requests/llama-2-7b-env-var");
    let o = overrides();
    let run = sagetune_in(ws.path(), &[(o[0].0, o[0].1.as_str())], &["lock"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE is not"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_checks_hyperparameters_offline_once_the_spec_is_cached() {
    let ws = workspace("requests/llama-2-7b-env-var");
    assert_eq!(offline(ws.path(), &["lock"]).code, 0);
    let manifest: PathBuf = ws.path().join("sagetune.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("      epoch: 5\n", "      epoch: 0\n"),
    )
    .unwrap();
    // No overrides, no network: validate reads the cached spec only.
    let run = sagetune_in(ws.path(), &[], &["validate"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("hyperparameter `epoch`: must be at least 1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("sagetune.yaml:17:14"), "{}", run.stderr);
}

#[test]
fn without_a_lock_validate_checks_instance_types_against_cached_specs() {
    let ws = workspace("requests/gpt-j-public-model-channel");
    // An earlier `lock` cached the spec; then the lock is gone (not yet committed, say).
    assert_eq!(offline(ws.path(), &["lock"]).code, 0);
    std::fs::remove_file(ws.path().join("sagetune.lock")).unwrap();
    let ok = sagetune_in(ws.path(), &[], &["validate"]);
    assert_eq!(ok.code, 0, "{}", ok.snapshot());
    assert!(
        ok.stdout
            .contains("checked against the newest cached specs (gptj 3.2.13)"),
        "{}",
        ok.stdout
    );
    let manifest: PathBuf = ws.path().join("sagetune.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "instance_type: ml.p3.16xlarge",
            "instance_type: ml.c5.xlarge",
        ),
    )
    .unwrap();
    // No overrides and no AWS: the cached spec alone says the model does not train there.
    let run = sagetune_in(ws.path(), &[], &["validate"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_fresh_clone_with_the_lock_checks_every_spec_rule_offline_all_at_once() {
    let ws = workspace("requests/llama-2-7b-env-var");
    assert_eq!(offline(ws.path(), &["lock"]).code, 0);
    // A fresh clone: the committed manifest and lock, no `.sagetune/`, no region settings,
    // no overrides and no AWS endpoint that answers.
    std::fs::remove_dir_all(ws.path().join(".sagetune")).unwrap();
    let ok = sagetune_in(ws.path(), &[], &["validate", "--require-lock"]);
    assert_eq!(ok.code, 0, "{}", ok.snapshot());
    assert!(
        ok.stdout
            .contains("Model specs: checked against sagetune.lock (llama 3.0.0)"),
        "{}",
        ok.stdout
    );
    let manifest: PathBuf = ws.path().join("sagetune.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let broken = text
        .replace("      epoch: 5\n", "      epochs: 5\n")
        .replace(
            "    fine_tune: llama\n",
            "    fine_tune: llama\n    instance_type: ml.c5.xlarge\n    gate:\n      eval_los: {max: 2.0}\n",
        )
        .replace("stack: fx", "stack: Fx");
    std::fs::write(&manifest, broken).unwrap();
    std::fs::write(ws.path().join("data/validation.txt"), b"text\n\xff\xfe\n").unwrap();
    let run = sagetune_in(ws.path(), &[], &["validate"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    for code in [
        "manifest::invalid-stack",
        "data::",
        "jumpstart::hyperparameter",
        "jumpstart::spec",
        "manifest::unknown-gate-metric",
    ] {
        assert!(run.stderr.contains(code), "{code}:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("has 5 problems"), "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_lock_that_carries_no_specs_names_the_checks_it_could_not_make() {
    let ws = workspace("requests/gpt-j-public-model-channel");
    assert_eq!(offline(ws.path(), &["lock"]).code, 0);
    // A lock written before sagetune carried the specs, and no cache.
    let lock = ws.path().join("sagetune.lock");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("specs");
    std::fs::write(&lock, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    std::fs::remove_dir_all(ws.path().join(".sagetune")).unwrap();
    let run = sagetune_in(ws.path(), &[], &["validate"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout.contains(
            "Model specs: not checked; sagetune.lock pins gptj but carries no spec for it"
        ),
        "{}",
        run.stdout
    );
    let strict = sagetune_in(ws.path(), &[], &["validate", "--require-lock"]);
    assert_eq!(strict.code, 1, "{}", strict.snapshot());
    assert!(
        strict.stderr.contains("validate::specs-unchecked"),
        "{}",
        strict.stderr
    );
}

#[test]
fn a_republished_spec_is_refused_by_a_locked_run_and_called_out_by_lock() {
    let ws = workspace("requests/gpt-j-public-model-channel");
    // The JumpStart content as a copy this test may change.
    let js = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures/jumpstart"), js.path());
    assert_eq!(offline_from(ws.path(), js.path(), &["lock"]).code, 0);
    // JumpStart republishes the pinned version; a CI runner has no spec cache.
    let spec = js
        .path()
        .join("specs/community_models/huggingface-textgeneration1-gpt-j-6b/specs_v3.2.13.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, format!("{text}\n")).unwrap();
    std::fs::remove_dir_all(ws.path().join(".sagetune")).unwrap();
    let locked = offline_from(ws.path(), js.path(), &["requests", "--locked"]);
    assert_eq!(locked.code, 1, "{}", locked.snapshot());
    assert!(
        locked.stderr.contains("changed since it was locked")
            || locked.stderr.contains("republished"),
        "{}",
        locked.stderr
    );
    let relock = offline_from(ws.path(), js.path(), &["lock"]);
    assert_eq!(relock.code, 0, "{}", relock.snapshot());
    assert!(
        relock
            .stdout
            .contains("(republished: the spec of 3.2.13 changed since it was locked"),
        "{}",
        relock.stdout
    );
}

#[test]
fn without_credentials_lock_and_plan_say_the_same_thing() {
    let ws = workspace("requests/llama-2-7b-env-var");
    let env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9")];
    let lock = sagetune_in(ws.path(), &env, &["lock", "--profile", "dev"]);
    let plan = sagetune_in(ws.path(), &env, &["plan", "--profile", "dev"]);
    for run in [&lock, &plan] {
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(run.stderr.contains("aws::call"), "{}", run.stderr);
        let text = run.stderr.replace("\n  │ ", " ").replace('\n', " ");
        assert!(
            text.contains(
                "no AWS credentials were found (tried profile `dev` from --profile in us-west-2)"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("aws sso login --profile NAME"),
            "{}",
            run.stderr
        );
        // Neither the SDK's provider chain nor a network hint.
        assert!(!run.stderr.contains("DispatchFailure"), "{}", run.stderr);
        assert!(
            !run.stderr.contains("check network access"),
            "{}",
            run.stderr
        );
    }
}
