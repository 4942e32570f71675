//! The module layout is the pipeline (README, Development): each module imports only from
//! the modules before it, `commands/` stays thin, and nothing but `commands/` and the binary
//! reaches into `commands/`. These tests read the sources, so a violation fails the suite.

use std::path::{Path, PathBuf};

/// Pipeline modules by stage; a module may import from an earlier stage, and from its own
/// only when it is itself (two modules sharing a stage are independent of each other).
const PIPELINE: &[(&str, u8)] = &[
    ("data", 0),
    ("jumpstart", 1),
    ("manifest", 2),
    ("prepare", 3),
    ("desired", 4),
    ("observe", 5),
    ("inference", 5),
    ("plan", 6),
    ("permissions", 6),
    ("apply", 7),
    ("stages", 8),
    ("render", 9),
    ("commands", 10),
];

/// Beside the pipeline, usable from any stage; they import only from the first stage
/// (`data`) and each other.
const BESIDE: &[&str] = &[
    "cloud",
    "diagnostics",
    "escape",
    "files",
    "model_archive",
    "cli",
    "prices",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/plan/file.rs` → `plan`).
fn module_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root.join("src")).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::<module>` references in code (comments and unit-test modules left out).
fn references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_tests = false;
    let mut depth = 0i64;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("mod tests") && n > 0 {
            let before = text.lines().nth(n - 1).unwrap_or("");
            in_tests = before.trim() == "#[cfg(test)]";
            depth = 0;
        }
        if in_tests {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            if depth <= 0 && line.contains('}') {
                in_tests = false;
            }
            continue;
        }
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue; // `sagetune::crate::` does not occur; `foo_crate::` is not ours
            }
            let name: String = line[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            found.push((n + 1, name));
        }
    }
    found
}

/// Modules that import nothing from the pipeline (nor diagnostics): only these helpers.
const SELF_CONTAINED: &[(&str, &[&str])] =
    &[("cloud", &["files", "model_archive"]), ("data", &["files"])];

/// Whether module `me` may import module `other`.
fn allowed(me: &str, other: &str) -> bool {
    if let Some((_, helpers)) = SELF_CONTAINED.iter().find(|(m, _)| *m == me) {
        return helpers.contains(&other);
    }
    match (stage(me), stage(other)) {
        (Some(a), Some(b)) => b < a,
        // Beside the pipeline: any stage may use it; it uses only stage 0.
        (Some(_), None) => BESIDE.contains(&other),
        (None, Some(b)) => b == 0,
        (None, None) => true,
    }
}

#[test]
fn planted_imports_against_the_layout_are_caught() {
    assert!(!allowed("cloud", "manifest"));
    assert!(!allowed("cloud", "jumpstart"));
    assert!(!allowed("data", "diagnostics"));
    assert!(!allowed("data", "manifest"));
    assert!(!allowed("manifest", "plan"));
    assert!(!allowed("jumpstart", "manifest"));
    assert!(!allowed("observe", "inference"));
    assert!(!allowed("diagnostics", "plan"));
    assert!(allowed("manifest", "jumpstart"));
    assert!(allowed("cloud", "files"));
    assert!(allowed("plan", "cloud"));
    assert!(allowed("jumpstart", "cloud"));
}

fn stage(module: &str) -> Option<u8> {
    PIPELINE.iter().find(|(m, _)| *m == module).map(|(_, s)| *s)
}

#[test]
fn no_module_imports_from_a_later_stage_of_the_pipeline() {
    let root = crate::root();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    files.sort();
    let mut violations = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        if rel == "src/lib.rs" || rel == "src/main.rs" {
            continue;
        }
        let me = module_of(root, path);
        let text = std::fs::read_to_string(path).unwrap();
        for (line, other) in references(&text) {
            if other == me || other.is_empty() {
                continue;
            }
            if !allowed(&me, &other) {
                violations.push(format!("{rel}:{line}: {me} → {other}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the pipeline:\n{}",
        violations.join("\n")
    );
}

#[test]
fn only_the_binary_reaches_into_commands_and_commands_stay_thin() {
    let root = crate::root();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    for path in &files {
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        if rel.starts_with("src/commands/") {
            let lines = text.lines().count();
            assert!(
                lines <= 120,
                "{rel} has {lines} lines; a command parses, calls one stage and renders"
            );
        } else if rel != "src/main.rs" {
            assert!(
                !references(&text).iter().any(|(_, m)| m == "commands"),
                "{rel} reaches into commands/"
            );
        }
    }
    for test in ["plan.rs", "apply.rs", "jumpstart.rs", "cli.rs"] {
        let text = std::fs::read_to_string(root.join("tests/it").join(test)).unwrap();
        assert!(
            !text.contains("sagetune::commands"),
            "tests/it/{test} drives command internals instead of the library's stage functions"
        );
    }
}

/// Files longer than this are split by concern (resource kind, service, tests apart).
const MAX_FILE_LINES: usize = 500;

#[test]
fn no_source_file_runs_longer_than_a_sitting() {
    let root = crate::root();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).unwrap().lines().count();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            (lines > MAX_FILE_LINES).then(|| format!("{rel}: {lines} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by concern:\n{}",
        long.join("\n")
    );
}

/// Functions longer than this are split into named steps.
const MAX_FUNCTION_LINES: usize = 60;

/// `(first line, line count, name)` of every `fn` with a body, by brace matching.
fn functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .unwrap_or(t);
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut opened) = (0i64, false);
        for (j, l) in lines.iter().enumerate().skip(i) {
            if !opened && l.trim_end().ends_with(';') {
                break; // a trait method without a body
            }
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            opened |= l.contains('{');
            if opened && depth <= 0 {
                found.push((i + 1, j - i + 1, name.clone()));
                break;
            }
        }
    }
    found
}

#[test]
fn no_function_runs_longer_than_a_screen_or_two() {
    let root = crate::root();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut long = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for (line, count, name) in functions(&text) {
            if count > MAX_FUNCTION_LINES {
                let rel = path.strip_prefix(root).unwrap().display();
                long.push(format!("{rel}:{line} {name}: {count} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these into named steps:\n{}",
        long.join("\n")
    );
    let sample = "fn a() {\n    if x {\n        y();\n    }\n}\ntrait T {\n    fn b(&self);\n}\n";
    assert_eq!(functions(sample), [(1, 5, "a".to_string())]);
}

#[test]
fn the_reference_scan_sees_code_and_skips_comments() {
    let text = "use crate::plan::Plan;\n// crate::render is mentioned\nlet x = crate::apply::run();\n#[cfg(test)]\nmod tests {\n    fn f() {\n        crate::commands::x();\n    }\n}\nfn after() { crate::stages::y() }\n";
    assert_eq!(
        references(text),
        [
            (1, "plan".to_string()),
            (3, "apply".to_string()),
            (10, "stages".to_string())
        ]
    );
}
