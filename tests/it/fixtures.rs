//! Every bad manifest and bad data fixture fails `validate` with exit 1 and a located,
//! snapshotted diagnostic.

use std::path::Path;

use crate::sagetune;

fn fixtures(dir: &str, pick: impl Fn(&Path) -> Option<String>) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut found: Vec<(String, String)> = std::fs::read_dir(&root)
        .expect("fixture folder exists")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            Some((name, pick(&path)?))
        })
        .collect();
    found.sort();
    found
}

fn check_all(kind: &str, cases: Vec<(String, String)>, minimum: usize) {
    assert!(
        cases.len() >= minimum,
        "expected at least {minimum} {kind} fixtures, found {}",
        cases.len()
    );
    for (name, manifest) in cases {
        let run = sagetune(&["validate", "-f", &manifest]);
        assert_eq!(
            run.code,
            1,
            "{name}: validate must fail\n{}",
            run.snapshot()
        );
        assert!(
            run.stdout.is_empty(),
            "{name}: nothing on stdout on failure"
        );
        let located = run.stderr.contains(".yaml:") || run.stderr.contains("/data/");
        assert!(
            located,
            "{name}: the diagnostic names a file:line:col\n{}",
            run.stderr
        );
        insta::assert_snapshot!(format!("{kind}__{name}"), run.snapshot());
    }
}

#[test]
fn bad_manifests_fail_with_located_diagnostics() {
    let cases = fixtures("manifests", |p| {
        (p.extension()? == "yaml").then(|| {
            format!(
                "tests/fixtures/manifests/{}",
                p.file_name().unwrap().to_string_lossy()
            )
        })
    });
    check_all("manifest", cases, 25);
}

#[test]
fn bad_data_files_fail_with_located_diagnostics() {
    let cases = fixtures("data", |p| {
        p.is_dir().then(|| {
            format!(
                "tests/fixtures/data/{}/sagetune.yaml",
                p.file_name().unwrap().to_string_lossy()
            )
        })
    });
    check_all("data", cases, 10);
}
