//! A small GitHub Actions runner for the example workflows (`examples/ci/github-actions/`):
//! it runs a job's `run:` steps with bash as a hosted runner does, evaluates the few
//! expressions the workflows use, and stands in for the actions they use (checkout, AWS
//! credentials and cache have nothing to do here; upload-artifact copies the files). `gh` is
//! `tests/ci/fake_gh.py`; `sagetune` is the real binary against the emulator. Anything the
//! runner does not know fails the test, so a workflow cannot outgrow what is tested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use super::World;
use crate::root;

/// A workflow file, parsed.
pub struct Workflow {
    doc: Value,
}

impl Workflow {
    /// The example workflow `name` (a file of `examples/ci/github-actions/`).
    pub fn example(name: &str) -> Self {
        let path = root().join("examples/ci/github-actions").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        Self {
            doc: serde_saphyr::from_str(&text).unwrap(),
        }
    }

    fn env(&self) -> BTreeMap<String, String> {
        strings(&self.doc["env"])
    }
}

/// What triggered the run: a pull request (number and head commit) or a push (`sha`).
pub struct Event {
    pub pr: Option<u64>,
    pub head_sha: String,
    pub sha: String,
}

/// What a job run left: whether it succeeded, each step's outcome and outputs, the uploaded
/// artifact's folder, the step summary and the log of every step.
pub struct JobRun {
    pub ok: bool,
    pub outcomes: BTreeMap<String, &'static str>,
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    pub artifact: Option<PathBuf>,
    pub summary: String,
    pub log: String,
}

/// Runs jobs of the example workflows in a world, with a fake `gh` whose state it keeps.
pub struct Runner<'w> {
    world: &'w World,
    tools: tempfile::TempDir,
    runs: std::cell::Cell<u32>,
}

impl<'w> Runner<'w> {
    pub fn new(world: &'w World) -> Self {
        let tools = tempfile::tempdir().unwrap();
        let bin = tools.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sagetune"), bin.join("sagetune")).unwrap();
        std::os::unix::fs::symlink(root().join("tests/ci/fake_gh.py"), bin.join("gh")).unwrap();
        let runner = Self {
            world,
            tools,
            runs: std::cell::Cell::new(0),
        };
        runner.set_github(serde_json::json!({}));
        runner
    }

    /// The fake GitHub's state (comments, pull requests by commit, runs, calls).
    pub fn github(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state()).unwrap()).unwrap()
    }

    pub fn set_github(&self, state: Value) {
        std::fs::write(self.state(), state.to_string()).unwrap();
    }

    fn state(&self) -> PathBuf {
        self.tools.path().join("github.json")
    }

    /// Runs `job` of `workflow` for `event`; `overrides` replace workflow `env` values.
    pub fn run(
        &self,
        workflow: &Workflow,
        job: &str,
        event: &Event,
        overrides: &[(&str, &str)],
    ) -> JobRun {
        self.runs.set(self.runs.get() + 1);
        let run_dir = self.tools.path().join(format!("run{}", self.runs.get()));
        std::fs::create_dir_all(&run_dir).unwrap();
        let summary = run_dir.join("summary.md");
        std::fs::write(&summary, "").unwrap();
        let mut env = workflow.env();
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        let mut done = JobRun {
            ok: true,
            outcomes: BTreeMap::new(),
            outputs: BTreeMap::new(),
            artifact: None,
            summary: String::new(),
            log: String::new(),
        };
        let steps = workflow.doc["jobs"][job]["steps"].as_array().unwrap();
        for (i, step) in steps.iter().enumerate() {
            let id = step["id"]
                .as_str()
                .map_or(format!("step{i}"), str::to_string);
            let condition = step["if"].as_str().unwrap_or("success()");
            if !condition_holds(condition, &done) {
                done.outcomes.insert(id, "skipped");
                continue;
            }
            let ok = if let Some(action) = step["uses"].as_str() {
                self.action(action, step, &run_dir, &mut done)
            } else if id == "install" {
                true // the test provides the binary on PATH
            } else {
                let script = step["run"].as_str().expect("a step runs or uses");
                assert!(
                    !script.contains("${{"),
                    "step {id}: pass expressions through `env`, never into a script"
                );
                let mut step_env = env.clone();
                for (k, v) in strings(&step["env"]) {
                    step_env.insert(k, expand(&v, event, &done, &env));
                }
                let output = run_dir.join(format!("{id}.output"));
                std::fs::write(&output, "").unwrap();
                let ok = self.script(&id, script, event, &step_env, &output, &summary, &mut done);
                done.outputs.insert(id.clone(), key_values(&output));
                ok
            };
            done.outcomes
                .insert(id, if ok { "success" } else { "failure" });
            done.ok &= ok;
        }
        done.summary = std::fs::read_to_string(&summary).unwrap();
        done
    }

    fn action(&self, action: &str, step: &Value, run_dir: &Path, done: &mut JobRun) -> bool {
        let name = action.split('@').next().unwrap();
        match name {
            "actions/checkout" | "aws-actions/configure-aws-credentials" | "actions/cache" => true,
            "actions/upload-artifact" => {
                let into = run_dir.join("artifact");
                std::fs::create_dir_all(&into).unwrap();
                for file in step["with"]["path"].as_str().unwrap().lines() {
                    let file = file.trim();
                    if !file.is_empty() {
                        std::fs::copy(self.world.path().join(file), into.join(file)).unwrap();
                    }
                }
                done.artifact = Some(into);
                true
            }
            other => panic!("the test runner does not know the action {other}"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn script(
        &self,
        id: &str,
        script: &str,
        event: &Event,
        env: &BTreeMap<String, String>,
        output: &Path,
        summary: &Path,
        done: &mut JobRun,
    ) -> bool {
        let file = output.with_extension("sh");
        std::fs::write(&file, script).unwrap();
        let path = format!(
            "{}:{}",
            self.tools.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let run_id = self.runs.get().to_string();
        let state = self.state();
        let fixed = [
            ("PATH", path.as_str()),
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/llm"),
            ("GITHUB_SERVER_URL", "https://github.example"),
            ("GITHUB_RUN_ID", run_id.as_str()),
            ("GITHUB_SHA", event.sha.as_str()),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("FAKE_GH_STATE", state.to_str().unwrap()),
        ];
        // A hosted runner's default shell for `run:` is `bash -e {0}`.
        let out = self
            .world
            .program(Path::new("bash"), &["-e", file.to_str().unwrap()])
            .envs(env)
            .envs(fixed)
            .output()
            .unwrap();
        done.log.push_str(&format!(
            "--- {id} (exit {:?})\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        out.status.success()
    }
}

/// `${{ … }}` in a step's `env` value, for the expressions the example workflows use.
fn expand(value: &str, event: &Event, done: &JobRun, env: &BTreeMap<String, String>) -> String {
    let expression = Regex::new(r"\$\{\{\s*([^}]+?)\s*\}\}").unwrap();
    expression
        .replace_all(value, |c: &regex::Captures<'_>| {
            let e = &c[1];
            let output = e
                .strip_prefix("steps.")
                .and_then(|r| r.split_once(".outputs."));
            match (e, output) {
                ("github.token", _) => "test-token".to_string(),
                ("github.event.pull_request.number", _) => event.pr.unwrap().to_string(),
                ("github.event.pull_request.head.sha", _) => event.head_sha.clone(),
                (_, Some((step, key))) => done.outputs[step].get(key).cloned().unwrap_or_default(),
                _ => match e.strip_prefix("env.") {
                    Some(name) => env[name].clone(),
                    None => panic!("the test runner cannot evaluate ${{{{ {e} }}}}"),
                },
            }
        })
        .into_owned()
}

/// A step's `if:`, for `always()`, `success()` and comparisons of step outcomes and outputs
/// joined by `&&`; without `always()` a step runs only while the job succeeds, as on GitHub.
fn condition_holds(condition: &str, done: &JobRun) -> bool {
    let compare =
        Regex::new(r"^steps\.(\w+)\.(outcome|outputs\.(\w+))\s*(==|!=)\s*'([^']*)'$").unwrap();
    let mut holds = condition.contains("always()") || done.ok;
    for term in condition.split("&&").map(str::trim) {
        if term == "always()" || term == "success()" {
            continue;
        }
        let c = compare
            .captures(term)
            .unwrap_or_else(|| panic!("the test runner cannot evaluate `if: {term}`"));
        let actual = match c.get(3) {
            Some(key) => done
                .outputs
                .get(&c[1])
                .and_then(|o| o.get(key.as_str()))
                .cloned(),
            None => done
                .outcomes
                .get(&c[1])
                .map(std::string::ToString::to_string),
        }
        .unwrap_or_default();
        holds &= (actual == c[5]) == (&c[4] == "==");
    }
    holds
}

fn strings(map: &Value) -> BTreeMap<String, String> {
    map.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn key_values(file: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
