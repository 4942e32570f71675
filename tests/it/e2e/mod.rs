//! End-to-end: the real binary, the real AWS SDK over HTTP, against the emulator (moto with
//! SageMaker's lifecycle, `tests/emulator/`) on 127.0.0.1. The emulator starts once for the
//! test binary and exits with it; each scenario has its own stack, bucket and access key (so
//! its requests can be told apart in the emulator's log). A missing emulator fails the tests.

mod ci;
mod faults;
mod formats;
mod invoke;
mod permissions;
mod promotion;
mod scenarios;
mod training;
mod workflow;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{root, sagetune_in, Run};

/// The running emulator.
pub struct Emulator {
    pub url: String,
    child: Child,
}

/// A dedicated emulator (`Emulator::start`) stops with its owner; the shared one never drops.
impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python: `SAGETUNE_EMULATOR_PYTHON`, else `.venv-emulator/bin/python`.
fn python() -> PathBuf {
    match std::env::var_os("SAGETUNE_EMULATOR_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => root().join(".venv-emulator/bin/python"),
    }
}

pub const CONTENT_BUCKET: &str = "sagetune-e2e-jumpstart";
pub const GATED_BUCKET: &str = "sagetune-e2e-jumpstart-gated";

/// Starts the emulator on first use; panics (fails the test) when it cannot.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| Emulator::start(&[]))
}

impl Emulator {
    /// A new emulator process with `extra` arguments (e.g. `--enforce-iam`), seeded with the
    /// JumpStart fixtures; it exits with the test binary.
    pub fn start(extra: &[&str]) -> Self {
        let python = python();
        assert!(
            python.exists(),
            "the emulator's Python venv is missing ({}): run `scripts/emulator-venv.sh` (scripts/test.sh does it)",
            python.display()
        );
        let dir = tempfile::tempdir().unwrap().keep();
        let port_file = dir.join("port");
        let child = Command::new(&python)
            .arg(root().join("tests/emulator/sagetune_emulator.py"))
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .arg("--parent-pid")
            .arg(std::process::id().to_string())
            .arg("--seed-jumpstart")
            .arg(root().join("tests/fixtures/jumpstart"))
            .args([
                "--content-bucket",
                CONTENT_BUCKET,
                "--gated-bucket",
                GATED_BUCKET,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the emulator starts");
        let start = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().to_string();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the emulator did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Emulator {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// A call to this emulator's control surface.
    pub fn control(&self, method: &str, path: &str, body: &str) -> String {
        control_at(&self.url, method, path, body)
    }
}

/// A call to the emulator's control surface (`curl`-free: plain HTTP/1.1 over TCP).
pub fn control(method: &str, path: &str, body: &str) -> String {
    control_at(&emulator().url, method, path, body)
}

fn control_at(url: &str, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("the emulator answers");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, rest) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    assert!(head.contains(" 200 "), "{method} {path}: {head}");
    rest.to_string()
}

/// One scenario's world: a manifest folder, its stack and bucket, its access key, and the
/// emulator it runs against.
pub struct World {
    pub dir: tempfile::TempDir,
    pub name: String,
    emulator: &'static Emulator,
}

/// The manifest of a scenario: GPT-J 6B (public, no EULA) on a two-file dataset.
pub fn manifest(name: &str) -> String {
    format!(
        r#"stack: {name}
region: us-east-1
artifacts: s3://{name}/sagetune/
role:
  arn: arn:aws:iam::123456789012:role/SageMakerExecution
datasets:
  notes:
    train: data/train.txt
    validation: data/validation.txt
  extra:
    train: data/extra.txt
fine_tunes:
  gptj:
    model: huggingface-textgeneration1-gpt-j-6b
    model_version: "3.*"
    dataset: notes
    instance_type: ml.g5.12xlarge
    hyperparameters:
      epoch: 1
    max_runtime: 2h
endpoints:
  gptj:
    fine_tune: gptj
    instance_type: ml.g5.2xlarge
"#
    )
}

/// Every scenario ends with the API contract check: no request it sent broke botocore's
/// service model for SageMaker, CloudWatch Logs or IAM (lengths, patterns, enums, ranges,
/// list sizes).
impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "{} sent requests AWS would reject:\n{}",
            self.name,
            serde_json::to_string_pretty(&violations).unwrap()
        );
    }
}

impl World {
    /// A fresh stack `name` (lowercase, unique per scenario) with its bucket.
    pub fn new(name: &str) -> Self {
        Self::with_manifest(name, &manifest(name))
    }

    pub fn with_manifest(name: &str, text: &str) -> Self {
        Self::on(emulator(), name, text)
    }

    /// A fresh stack `name` with manifest `text` and its bucket, on `emulator`.
    pub fn on(emulator: &'static Emulator, name: &str, text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        for (file, text) in [
            (
                "train.txt",
                "Quarterly revenue grew on higher net interest income.\n",
            ),
            ("validation.txt", "Deposits fell three percent.\n"),
            ("extra.txt", "Loan losses were flat.\n"),
        ] {
            std::fs::write(dir.path().join("data").join(file), text).unwrap();
        }
        std::fs::write(dir.path().join("sagetune.yaml"), text).unwrap();
        emulator.control(
            "POST",
            "/_sagetune/bucket",
            &format!(r#"{{"name": "{name}"}}"#),
        );
        World {
            dir,
            name: name.to_string(),
            emulator,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `sagetune args…` in the manifest's folder against the emulator.
    pub fn run(&self, args: &[&str]) -> Run {
        sagetune_in(self.path(), &self.env(self.own_keys()), args)
    }

    /// Runs `sagetune args…` as the caller with these access keys (an IAM user).
    pub fn run_as(&self, keys: (&str, &str), args: &[&str]) -> Run {
        sagetune_in(self.path(), &self.env(keys), args)
    }

    /// `sagetune args…` against the emulator, to start and stop by hand (kill -9 tests).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        crate::command_in(self.path(), &self.env(self.own_keys()), args)
    }

    /// `program args…` in the manifest's folder, with the AWS settings `sagetune` gets.
    pub fn program(&self, program: &Path, args: &[&str]) -> std::process::Command {
        crate::program_in(program, self.path(), &self.env(self.own_keys()), args)
    }

    /// The scenario's own access key (its name) and a dummy secret.
    fn own_keys(&self) -> (&str, &str) {
        (self.name.as_str(), "testing")
    }

    fn env<'a>(&'a self, keys: (&'a str, &'a str)) -> [(&'a str, &'a str); 7] {
        [
            ("AWS_ENDPOINT_URL", self.emulator.url.as_str()),
            ("AWS_ACCESS_KEY_ID", keys.0),
            ("AWS_SECRET_ACCESS_KEY", keys.1),
            ("AWS_REGION", "us-east-1"),
            ("AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE", CONTENT_BUCKET),
            ("AWS_JUMPSTART_GATED_CONTENT_BUCKET_OVERRIDE", GATED_BUCKET),
            ("SAGETUNE_POLL_INTERVAL", "20ms"),
        ]
    }

    /// Runs and asserts the exit code, showing the output when it differs.
    pub fn expect(&self, code: i32, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            code,
            "sagetune {}:\n{}",
            args.join(" "),
            run.snapshot()
        );
        run
    }

    pub fn edit(&self, from: &str, to: &str) {
        let path = self.path().join("sagetune.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "no {from:?} in the manifest");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// The operations this scenario sent, in order.
    pub fn requests(&self) -> Vec<String> {
        let log: serde_json::Value =
            serde_json::from_str(&self.emulator.control("GET", "/_sagetune/requests", "")).unwrap();
        log.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["key"] == self.name.as_str())
            .map(|r| r["op"].as_str().unwrap().to_string())
            .collect()
    }

    /// The requests of this scenario that botocore's service model rejects (the emulator
    /// refused them with HTTP 400, as AWS would).
    pub fn violations(&self) -> Vec<serde_json::Value> {
        let all: serde_json::Value =
            serde_json::from_str(&self.emulator.control("GET", "/_sagetune/violations", ""))
                .unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .filter(|v| v["key"] == self.name.as_str())
            .cloned()
            .collect()
    }

    /// `sagetune status --format json`, which must succeed.
    pub fn status(&self) -> serde_json::Value {
        let run = self.expect(0, &["status", "--format", "json"]);
        serde_json::from_str(&run.stdout).unwrap()
    }

    /// The keys under `prefix` in this stack's bucket (S3 ListObjectsV2).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = self.emulator.control(
            "GET",
            &format!("/{}?list-type=2&prefix={prefix}", self.name),
            "",
        );
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect()
    }

    /// An object of this stack's bucket read back: its text (UTF-8, lossy) and SHA-256;
    /// asserts the SHA-256 is the one its dataset key names.
    pub fn dataset_object(&self, key: &str) -> String {
        let object: serde_json::Value = serde_json::from_str(&self.emulator.control(
            "POST",
            "/_sagetune/object",
            &serde_json::json!({"bucket": self.name, "key": key}).to_string(),
        ))
        .unwrap();
        let named = key.rsplit('/').nth(1).unwrap();
        assert_eq!(
            object["sha256"], named,
            "{key} holds other bytes than its key names"
        );
        object["text"].as_str().unwrap().to_string()
    }

    /// Multipart uploads in this stack's bucket neither completed nor aborted.
    pub fn pending_uploads(&self) -> Vec<serde_json::Value> {
        let all: serde_json::Value =
            serde_json::from_str(&self.emulator.control("GET", "/_sagetune/multipart", ""))
                .unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .filter(|u| u["bucket"] == self.name.as_str())
            .cloned()
            .collect()
    }

    /// Injects a control (`fail-job`, `rollback-update`, `fail-endpoint`) for this stack.
    pub fn inject(&self, what: &str, reason: &str) {
        self.emulator.control(
            "POST",
            &format!("/_sagetune/{what}"),
            &format!(r#"{{"prefix": "{}-", "reason": "{reason}"}}"#, self.name),
        );
    }

    /// Makes this stack's jobs and endpoints take `n` describes per step.
    pub fn pace(&self, n: u32) {
        self.emulator.control(
            "POST",
            "/_sagetune/pace",
            &format!(
                r#"{{"prefix": "{}-", "describes_per_step": {n}}}"#,
                self.name
            ),
        );
    }
}
