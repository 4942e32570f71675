//! CLI conventions (issue 14): one `--format` vocabulary, JSON documents and JSON errors
//! under `--format json`, and `sagetune init`. Snapshots hold what a user sees.

use std::path::Path;

use crate::{sagetune, sagetune_in};

/// A folder with `data/train/` and `data/validation/`, as `init` expects by default.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    for (channel, text) in [
        ("train", "Revenue grew on higher net interest income.\n"),
        ("validation", "Deposits fell three percent.\n"),
    ] {
        std::fs::create_dir_all(root.join("data").join(channel)).unwrap();
        std::fs::write(root.join("data").join(channel).join("notes.txt"), text).unwrap();
    }
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn validate_prints_json_with_the_same_facts() {
    let dir = project("bank-notes");
    let root = dir.path().join("bank-notes");
    let init = [
        "init",
        "--model",
        "huggingface-textgeneration1-gpt-j-6b",
        "--artifacts",
        "s3://bank-notes-ml/sagetune/",
        "--region",
        "us-east-1",
    ];
    assert_eq!(sagetune_in(&root, &[], &init).code, 0);
    let run = sagetune_in(&root, &[], &["validate", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn errors_are_one_json_document_under_format_json() {
    let dir = project("broken");
    let manifest = dir.path().join("broken/sagetune.yaml");
    std::fs::write(
        &manifest,
        "stack: Broken\nartifacts: s3://b-bucket/x/\nrole: {create: true}\ndatasets:\n  d: {train: data/train/}\n",
    )
    .unwrap();
    let run = sagetune_in(
        &dir.path().join("broken"),
        &[],
        &["validate", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "", "nothing but the document");
    let doc = json(&run.stdout);
    assert_eq!(doc["diagnostics"][0]["line"], 1);
    assert_eq!(doc["diagnostics"][0]["column"], 8);
    insta::assert_snapshot!(run.stdout);

    // The same for the commands that read AWS, before any call.
    for command in [
        &["status"][..],
        &["plan"],
        &["metrics", "gptj"],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
        &["lock"],
        &["unlock", "id"],
        &["invoke", "gptj", "x"],
        &["logs", "gptj"],
    ] {
        let args = [command, &["--format", "json", "-f", "missing.yaml"]].concat();
        let args = &args[..];
        let run = sagetune(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert_eq!(run.stderr, "", "{args:?}");
        let doc = json(&run.stdout);
        assert_eq!(
            doc["diagnostics"][0]["code"], "manifest::unreadable",
            "{args:?}"
        );
        assert!(doc["error"].as_str().unwrap().contains("no"), "{doc}");
    }
    // Without --format json, errors stay text on stderr.
    let run = sagetune(&["status", "-f", "missing.yaml"]);
    assert!(run.stdout.is_empty() && run.stderr.contains("manifest::unreadable"));
}

#[test]
fn one_format_vocabulary() {
    let human = sagetune(&["models", "--format", "human"]);
    let table = sagetune(&["models", "--format", "table"]);
    assert_eq!(human.code, 0);
    assert_eq!(
        human.stdout, table.stdout,
        "`table` stays an alias of `human`"
    );
    json(&sagetune(&["models", "--format", "json"]).stdout);
    // Every command takes the same words, except those whose output is a format itself.
    let fixed = [
        "requests",
        "iam-policy",
        "schema",
        "completions",
        "man",
        "help",
    ];
    let top = sagetune(&["--help"]).stdout;
    let commands: Vec<&str> = top
        .split_once("Commands:")
        .unwrap()
        .1
        .split_once("Options:")
        .unwrap()
        .0
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(commands.len() >= 18, "{commands:?}");
    for command in commands.into_iter().filter(|c| !fixed.contains(c)) {
        let help = sagetune(&[command, "-h"]).stdout;
        assert!(help.contains("--format <FORMAT>"), "{command}:\n{help}");
    }
    for command in [
        "validate", "init", "status", "models", "metrics", "apply", "destroy", "lock", "unlock",
        "invoke", "logs",
    ] {
        let help = sagetune(&[command, "-h"]).stdout;
        assert!(
            help.contains("[possible values: human, json]"),
            "{command}:\n{help}"
        );
    }
    for command in ["plan", "show"] {
        let help = sagetune(&[command, "-h"]).stdout;
        assert!(
            help.contains("[possible values: human, json, markdown]"),
            "{command}:\n{help}"
        );
    }
    let run = sagetune(&["models", "--format", "yaml"]);
    assert_eq!(run.code, 64, "{}", run.snapshot());
}

#[test]
fn init_writes_a_manifest_that_validates() {
    let dir = project("Bank Notes");
    let root = dir.path().join("Bank Notes");
    let run = sagetune_in(
        &root,
        &[],
        &[
            "init",
            "--model",
            "huggingface-textgeneration1-gpt-j-6b",
            "--artifacts",
            "s3://bank-notes-ml/sagetune/",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout.contains("✓ sagetune.yaml is valid"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(root.join("sagetune.yaml")).unwrap();
    insta::assert_snapshot!(text);
    let schema = std::fs::read_to_string(root.join("sagetune.schema.json")).unwrap();
    assert_eq!(schema, sagetune(&["schema"]).stdout);
    assert_eq!(sagetune_in(&root, &[], &["validate"]).code, 0);

    // A second init refuses to overwrite.
    let again = sagetune_in(
        &root,
        &[],
        &["init", "--model", "x", "--artifacts", "s3://b-b/"],
    );
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(root.join("sagetune.yaml")).unwrap(),
        text
    );
}

#[test]
fn init_with_bad_input_writes_nothing() {
    let dir = project("p");
    let root = dir.path().join("p");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--model", "gpt-j"],
            "did you mean `huggingface-textgeneration1-gpt-j-6b`?",
        ),
        (
            &["--model", "meta-textgeneration-llama-2-7b"],
            "pass --accept-eula",
        ),
        (
            &[
                "--model",
                "huggingface-textgeneration1-gpt-j-6b",
                "--data",
                "corpus",
            ],
            "corpus does not exist",
        ),
        (
            &[
                "--model",
                "huggingface-textgeneration1-gpt-j-6b",
                "--stack",
                "9lives",
            ],
            "sagetune.yaml:3:8",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["init", "--artifacts", "s3://p-bucket/sagetune/"];
        all.extend_from_slice(args);
        let run = sagetune_in(&root, &[], &all);
        assert_eq!(run.code, 1, "{args:?}\n{}", run.snapshot());
        assert!(run.stderr.contains(expected), "{args:?}\n{}", run.stderr);
        assert!(run.stderr.contains("error: sagetune.yaml was not written"));
        assert!(!root.join("sagetune.yaml").exists(), "{args:?}");
        assert!(!root.join("sagetune.schema.json").exists(), "{args:?}");
    }
    assert!(!Path::new(&root.join(".sagetune")).join("x").exists());
}

#[test]
fn init_never_replaces_what_it_did_not_write_and_needs_a_stack_name() {
    let gptj = "huggingface-textgeneration1-gpt-j-6b";
    let init = |root: &Path, extra: &[&str]| {
        let mut all = vec![
            "init",
            "--model",
            gptj,
            "--artifacts",
            "s3://p-bucket/sagetune/",
        ];
        all.extend_from_slice(extra);
        sagetune_in(root, &[], &all)
    };
    // A folder named only with digits gives no stack name: refused, nothing written.
    let dir = project("2024");
    let root = dir.path().join("2024");
    let run = init(&root, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("cannot derive a stack name from the folder name `2024`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--stack NAME"), "{}", run.stderr);
    assert!(!root.join("sagetune.yaml").exists());
    assert_eq!(init(&root, &["--stack", "notes-2024"]).code, 0);

    // --force over a manifest whose new version does not validate: the old one stays, and no
    // staging file is left.
    let dir = project("bank");
    let root = dir.path().join("bank");
    let mine = "# my own manifest\nstack: bank\n";
    std::fs::write(root.join("sagetune.yaml"), mine).unwrap();
    let schema = "{\"title\": \"my editor settings\"}\n";
    std::fs::write(root.join("sagetune.schema.json"), schema).unwrap();
    std::fs::write(root.join("data/train/notes.txt"), "   \n").unwrap();
    let run = init(&root, &["--force"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("sagetune.yaml"), "{}", run.stderr);
    assert!(!run.stderr.contains(".init.tmp"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(root.join("sagetune.yaml")).unwrap(),
        mine
    );
    let left: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // With good data the manifest is replaced, but a schema file sagetune did not write stays.
    std::fs::write(root.join("data/train/notes.txt"), "Revenue grew.\n").unwrap();
    let run = init(&root, &["--force"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert_ne!(
        std::fs::read_to_string(root.join("sagetune.yaml")).unwrap(),
        mine
    );
    assert_eq!(
        std::fs::read_to_string(root.join("sagetune.schema.json")).unwrap(),
        schema
    );
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("is not a schema sagetune wrote: it was left as it is"),
        "{said}"
    );
    assert!(!run.stderr.contains("and sagetune.schema.json"), "{said}");
}

#[test]
fn init_interrupted_while_it_checks_leaves_the_manifest_as_it_was() {
    let dir = project("big");
    let root = dir.path().join("big");
    let mine = "# my own manifest\nstack: big\n";
    std::fs::write(root.join("sagetune.yaml"), mine).unwrap();
    // Enough text that checking it takes a while (the debug build reads it slowly).
    let line = "Net interest income rose on higher rates while deposits fell slightly.\n";
    std::fs::write(
        root.join("data/train/notes.txt"),
        line.repeat((96 << 20) / line.len()),
    )
    .unwrap();
    let mut child = crate::command_in(
        &root,
        &[],
        &[
            "init",
            "--force",
            "--model",
            "huggingface-textgeneration1-gpt-j-6b",
            "--artifacts",
            "s3://p-bucket/sagetune/",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let staged = root.join(".sagetune.yaml.init.tmp");
    let start = std::time::Instant::now();
    while !staged.exists() {
        assert!(
            start.elapsed().as_secs() < 20,
            "init never staged its manifest"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "init ended before it was interrupted"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted while checking");
    assert_eq!(
        std::fs::read_to_string(root.join("sagetune.yaml")).unwrap(),
        mine
    );
    assert!(!staged.exists(), "the staging copy is removed");
}

#[test]
fn init_can_bound_the_managed_role_so_an_apply_policy_can_be_printed() {
    let dir = project("bounded");
    let root = dir.path().join("bounded");
    let boundary = "arn:aws:iam::123456789012:policy/SageMakerBoundary";
    let run = sagetune_in(
        &root,
        &[],
        &[
            "init",
            "--model",
            "huggingface-textgeneration1-gpt-j-6b",
            "--artifacts",
            "s3://p-bucket/sagetune/",
            "--region",
            "us-east-1",
            "--permissions-boundary",
            boundary,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let text = std::fs::read_to_string(root.join("sagetune.yaml")).unwrap();
    assert!(
        text.contains(&format!("  permissions_boundary: {boundary}\n")),
        "{text}"
    );
    let policy = sagetune_in(&root, &[], &["iam-policy", "--for", "apply"]);
    assert_eq!(policy.code, 0, "{}", policy.snapshot());
    assert!(
        policy.stdout.contains("iam:PermissionsBoundary"),
        "{}",
        policy.stdout
    );
}

/// Code literals (`"area::name"`) in the non-test code of `src/`.
fn codes_in_sources() -> std::collections::BTreeSet<String> {
    let re = regex::Regex::new(r#""([a-z]+::[a-z0-9-]+)""#).unwrap();
    let mut files = Vec::new();
    let mut dirs = vec![crate::root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("tests.rs")
                && !path.ends_with("codes.rs")
            {
                files.push(path);
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for c in re.captures_iter(code) {
            found.insert(c[1].to_string());
        }
    }
    found
}

#[test]
fn every_diagnostic_code_is_registered_described_and_documented() {
    let registered: std::collections::BTreeSet<String> = sagetune::diagnostics::CODES
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    assert_eq!(
        registered.len(),
        sagetune::diagnostics::CODES.len(),
        "a code twice"
    );
    let used = codes_in_sources();
    let unregistered: Vec<&String> = used.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "register these in src/diagnostics/codes.rs: {unregistered:?}"
    );
    let unused: Vec<&String> = registered.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "no source uses these registered codes: {unused:?}"
    );
    let docs = std::fs::read_to_string(crate::root().join("docs/diagnostics.md")).unwrap();
    for (code, what) in sagetune::diagnostics::CODES {
        assert!(!what.is_empty(), "{code} has no description");
        assert!(
            docs.contains(&format!("| `{code}` | {what} |")),
            "docs/diagnostics.md lacks or differs on {code}"
        );
    }
}

#[test]
fn init_says_which_column_trains_and_takes_text_column() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("claims");
    std::fs::create_dir_all(root.join("data/train")).unwrap();
    std::fs::write(
        root.join("data/train/claims.csv"),
        "id,title,body\n1,Storm,The policy covers storm damage to the roof.\n2,Flood,Flood damage is excluded unless the rider applies.\n",
    )
    .unwrap();
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "init",
            "--model",
            "huggingface-textgeneration1-gpt-j-6b",
            "--artifacts",
            "s3://claims-ml/sagetune/",
        ];
        a.extend_from_slice(extra);
        a
    };
    // No `text` column: init says the first one trains, and how to choose another.
    let first = sagetune_in(&root, &[], &args(&[]));
    assert_eq!(first.code, 0, "{}", first.snapshot());
    assert!(
        first.stderr.contains("data::first-column"),
        "{}",
        first.stderr
    );
    assert!(
        first
            .stderr
            .contains("init chose the first column because the data has no `text` column"),
        "{}",
        first.stderr
    );
    // A column that is not there: nothing is written over the manifest.
    let before = std::fs::read_to_string(root.join("sagetune.yaml")).unwrap();
    let wrong = sagetune_in(&root, &[], &args(&["--force", "--text-column", "bodyx"]));
    assert_eq!(wrong.code, 1, "{}", wrong.snapshot());
    assert!(
        wrong
            .stderr
            .contains("columns found: `id`, `title`, `body`"),
        "{}",
        wrong.stderr
    );
    assert_eq!(
        std::fs::read_to_string(root.join("sagetune.yaml")).unwrap(),
        before
    );
    // The column named: the manifest says so and training reads it.
    let body = sagetune_in(&root, &[], &args(&["--force", "--text-column", "body"]));
    assert_eq!(body.code, 0, "{}", body.snapshot());
    assert!(!body.stderr.contains("first-column"), "{}", body.stderr);
    assert!(body.stdout.contains("text in `body`"), "{}", body.stdout);
    let text = std::fs::read_to_string(root.join("sagetune.yaml")).unwrap();
    assert!(text.contains("    text_column: body\n"), "{text}");
}
