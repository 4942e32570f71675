//! The one integration-test binary: runs the real `sagetune` binary and snapshots what a
//! user sees (exit code, stdout, stderr).

mod apply;
mod architecture;
mod cli;
mod conventions;
#[cfg(feature = "e2e")]
mod e2e;
mod fixtures;
mod jumpstart;
mod plan;
mod promotion;
mod reads;
#[cfg(feature = "e2e")]
mod workflows;

use std::path::Path;
use std::process::Command;

/// The result of one run of the binary, in the form snapshots store it.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `exit`, `stdout` and `stderr` as one stable text.
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `sagetune args…` from the crate root with no colour and no AWS configuration, so a
/// developer's own profile can never be used.
pub fn sagetune(args: &[&str]) -> Run {
    sagetune_in(Path::new(env!("CARGO_MANIFEST_DIR")), &[], args)
}

/// The crate's folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `sagetune args…` in `dir` with extra environment variables (and no AWS configuration
/// of the developer's).
pub fn sagetune_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = command_in(dir, env, args)
        .output()
        .expect("the sagetune binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The command `sagetune_in` runs, for tests that start it and stop it themselves.
pub fn command_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    program_in(Path::new(env!("CARGO_BIN_EXE_sagetune")), dir, env, args)
}

/// `program args…` in `dir` with the same hygiene as `command_in`: no colour, none of the
/// developer's AWS configuration, only the variables given.
pub fn program_in(program: &Path, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/sagetune-tests")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sagetune-tests")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied());
    cmd
}

/// Runs a prepared command with `input` on its stdin.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sagetune binary runs");
    // Written from another thread, so a child that answers as it reads never blocks on a
    // full pipe; a child that stops reading early (an error) just closes it.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}
