//! `sagetune apply [PLANFILE]` and `sagetune unlock LOCK_ID`: take the stack's lock, plan (or
//! check that a saved plan is still current), ask for approval, execute, release. The locked
//! ask-and-execute driving (`run_locked`, `drive`) is shared with `destroy`.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::apply::lock::{self, LockError};
use crate::apply::progress::{Bars, Lines};
use crate::apply::{execute, Cancel, ExecOptions, Progress, Report};
use crate::cli::{ApplyArgs, ManifestArgs};
use crate::cloud::{AwsCloud, AwsOptions, Cloud};
use crate::diagnostics::Diagnostic;
use crate::plan::{Options, Plan};
use crate::render;

use super::stack::{cloud_diagnostic, make_plan, now, prepare, Prepared};
use super::Outcome;

/// How the user answered the approval question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Yes,
    No,
}

/// What apply needs besides the prepared manifest: AWS, how to report, how to ask.
pub struct Session<'a> {
    pub cloud: &'a dyn Cloud,
    pub progress: &'a dyn Progress,
    pub cancel: &'a Cancel,
    pub exec: ExecOptions,
    pub options: Options,
    pub command: String,
    /// Shows the plan and asks; not called when there is nothing to do.
    pub approve: &'a mut dyn FnMut(&Plan) -> Approval,
}

/// How an apply ended.
#[derive(Debug)]
pub enum Applied {
    /// Nothing to do; the plan is returned for printing.
    NoChanges(Box<Plan>),
    /// The user did not approve.
    Declined,
    /// Executed; the report says how far it got.
    Executed(Box<Plan>, Report),
}

/// Refuses a saved plan that no longer describes the situation: another manifest or lock,
/// changed data, or AWS changed since planning.
pub fn check_saved(saved: &Plan, fresh: &Plan) -> Result<(), Diagnostic> {
    let stale = |what: String, help: &str| {
        Err(Diagnostic::new("apply::stale-plan", what).help(help.to_string()))
    };
    let replan = "run `sagetune plan --out FILE` again, review it, and apply the new file";
    if saved.stack != fresh.stack || saved.manifest.sha256 != fresh.manifest.sha256 {
        return stale(
            format!(
                "the plan was made from another manifest (stack {}, {} sha256 {}) than {} now",
                saved.stack,
                saved.manifest.path,
                &saved.manifest.sha256[..12],
                fresh.manifest.path
            ),
            replan,
        );
    }
    if saved.lock.as_ref().map(|l| &l.sha256) != fresh.lock.as_ref().map(|l| &l.sha256) {
        return stale(
            "sagetune.lock changed since the plan was made".into(),
            replan,
        );
    }
    for f in &saved.data_files {
        let now = fresh.data_files.iter().find(|n| n.address == f.address);
        if now.map(|n| &n.sha256) != Some(&f.sha256) {
            return stale(
                format!(
                    "dataset file {} ({}) changed since the plan was made",
                    f.path, f.address
                ),
                replan,
            );
        }
    }
    if saved.observed_fingerprint != fresh.observed_fingerprint {
        return stale(
            "AWS changed since the plan was made (objects were created, changed or removed by someone or something else)".into(),
            replan,
        );
    }
    Ok(())
}

/// Takes the lock, plans (checking `saved` when given), asks, executes, releases.
pub fn apply_prepared(
    prepared: &Prepared,
    saved: Option<&Plan>,
    session: Session,
) -> Result<Applied, Vec<Diagnostic>> {
    let m = &prepared.validated.loaded.manifest;
    let options = session.options.clone();
    let cloud = session.cloud;
    run_locked(m.artifacts.get(), m.stack.get(), session, || {
        let fresh = make_plan(prepared, cloud, &options, &now())?;
        match saved {
            Some(saved) => {
                check_saved(saved, &fresh).map_err(|d| vec![d])?;
                Ok(saved.clone())
            }
            None => Ok(fresh),
        }
    })
}

/// Holds the stack's lock while it plans (with `plan`), asks, and executes; releases it on
/// every path.
pub fn run_locked(
    artifacts: &str,
    stack: &str,
    session: Session,
    plan: impl FnOnce() -> Result<Plan, Vec<Diagnostic>>,
) -> Result<Applied, Vec<Diagnostic>> {
    let held = lock::acquire(session.cloud, artifacts, stack, &session.command, &now())
        .map_err(|e| vec![lock_diagnostic(&e)])?;
    let result = plan()
        .and_then(|plan| check_supported(&plan).map(|()| plan).map_err(|d| vec![d]))
        .map(|plan| locked_apply(plan, &held, session));
    let released = held.release();
    let applied = result?;
    if let Err(e) = released {
        return Err(vec![lock_diagnostic(&e)]);
    }
    Ok(applied)
}

/// Refuses, before anything runs, a plan with a step apply cannot carry out: repacking a
/// model whose training output is uncompressed (a folder, not `model.tar.gz`).
pub fn check_supported(plan: &Plan) -> Result<(), Diagnostic> {
    let unsupported = plan.changes.iter().find(|c| {
        c.repack
            .as_ref()
            .is_some_and(|r| r.model_artifact.ends_with('/'))
    });
    match unsupported {
        None => Ok(()),
        Some(c) => Err(Diagnostic::new(
            "apply::unsupported",
            format!(
                "{} needs its uncompressed training output repacked with inference code, which apply cannot do",
                c.id
            ),
        )
        .help("nothing was changed; serve this fine-tune with a model whose spec hosts without an inference script, or drop its endpoint")),
    }
}

fn locked_apply(plan: Plan, held: &lock::StateLock, session: Session) -> Applied {
    if !plan.has_changes() {
        return Applied::NoChanges(Box::new(plan));
    }
    if (session.approve)(&plan) != Approval::Yes {
        return Applied::Declined;
    }
    let done = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Refresh the lock every minute while apply runs.
            let mut ticks = 0u32;
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                ticks += 1;
                if ticks % 300 == 0 {
                    let _ = held.refresh(&now());
                }
            }
        });
        let report = execute(
            &plan,
            session.cloud,
            &session.exec,
            session.progress,
            session.cancel,
        );
        done.store(true, Ordering::SeqCst);
        report
    });
    Applied::Executed(Box::new(plan), report)
}

/// A lock problem as a diagnostic with the way out.
pub fn lock_diagnostic(e: &LockError) -> Diagnostic {
    match e {
        LockError::Held(info) => Diagnostic::new("apply::locked", e.to_string()).help(format!(
            "wait for that run to finish; if it crashed, remove the lock with `sagetune unlock {}`",
            info.id
        )),
        LockError::Cloud(c) => cloud_diagnostic(c),
        _ => Diagnostic::new("apply::lock", e.to_string())
            .help("`sagetune unlock LOCK_ID` removes a stuck lock; the id is in the \"stack is locked\" message"),
    }
}

/// Asks on the terminal; anything but `yes` declines.
fn ask(plan: &Plan) -> Approval {
    let mut out = std::io::stdout();
    let _ = out.write_all(render::human(plan).as_bytes());
    let _ = write!(
        out,
        "\nDo you want to perform these actions on stack {}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        plan.stack
    );
    let _ = out.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Approval::Yes
    } else {
        Approval::No
    }
}

/// Ctrl-C once: stop waiting and exit cleanly; twice: abort at once.
fn install_interrupt(cancel: &'static Cancel) {
    static PRESSES: AtomicUsize = AtomicUsize::new(0);
    let _ = ctrlc::set_handler(move || {
        if PRESSES.fetch_add(1, Ordering::SeqCst) == 0 {
            cancel.request();
            eprintln!("\nInterrupted: finishing the current calls and stopping the waits; running jobs keep running. Press Ctrl-C again to abort now (the state lock then stays: `sagetune unlock`).");
        } else {
            eprintln!("\nAborted.");
            std::process::exit(130);
        }
    });
}

/// `SAGETUNE_POLL_INTERVAL` (humantime, e.g. `30s`, `200ms`): how often waits read the
/// status; the default is 15 s.
pub fn poll_interval(env: &impl Fn(&str) -> Option<String>) -> Option<Duration> {
    env("SAGETUNE_POLL_INTERVAL").and_then(|v| humantime::parse_duration(&v).ok())
}

/// The choices apply and destroy share.
pub struct Flags {
    pub auto_approve: bool,
    pub no_wait: bool,
    pub options: Options,
    pub command: &'static str,
}

/// Refuses to run unapproved without a terminal to ask on.
pub fn approval_possible(auto_approve: bool, command: &str) -> Result<(), Diagnostic> {
    if auto_approve || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(Diagnostic::new(
        "apply::approval",
        format!("{command} needs approval and stdin is not a terminal"),
    )
    .help(format!(
        "review the plan first, then run `{command} --auto-approve` (e.g. in CI)"
    )))
}

/// Runs `work` with the terminal's approval, progress display and Ctrl-C handling against
/// AWS, and turns the result into the command's outcome.
pub fn drive(
    cloud: &dyn Cloud,
    flags: Flags,
    work: impl FnOnce(Session) -> Result<Applied, Vec<Diagnostic>>,
) -> Outcome {
    let cancel: &'static Cancel = Box::leak(Box::default());
    install_interrupt(cancel);
    let progress: Box<dyn Progress> = if std::io::stderr().is_terminal() {
        Box::new(Bars::default())
    } else {
        Box::new(Lines::default())
    };
    let auto = flags.auto_approve;
    let destroying = flags.command == "sagetune destroy";
    let mut approve = |plan: &Plan| {
        if auto {
            let _ = std::io::stdout().write_all(render::human(plan).as_bytes());
            Approval::Yes
        } else {
            ask(plan)
        }
    };
    let session = Session {
        cloud,
        progress: progress.as_ref(),
        cancel,
        exec: ExecOptions {
            wait: !flags.no_wait,
            poll: poll_interval(&super::context::env).unwrap_or(ExecOptions::default().poll),
            ..ExecOptions::default()
        },
        options: flags.options,
        command: flags.command.to_string(),
        approve: &mut approve,
    };
    match work(session) {
        Err(d) => Outcome::failed(&d, "nothing was changed"),
        Ok(Applied::NoChanges(plan)) => Outcome {
            stdout: if destroying {
                format!(
                    "Nothing to destroy: stack {} has no endpoint, endpoint config, model or managed role left (training jobs are kept as history).\n",
                    plan.stack
                )
            } else {
                render::human(&plan)
            },
            success: true,
            ..Outcome::default()
        },
        Ok(Applied::Declined) => Outcome {
            stderr: "Cancelled; nothing was changed.\n".into(),
            success: false,
            ..Outcome::default()
        },
        Ok(Applied::Executed(_, report)) => Outcome {
            stdout: String::new(),
            stderr: report.render(),
            success: report.failed.is_none() && !report.interrupted,
            ..Outcome::default()
        },
    }
}

pub fn run(args: &ApplyArgs, aws: &AwsOptions) -> Outcome {
    let saved = match &args.plan_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|t| Plan::from_json(&t).map_err(|e| format!("{}: {e}", path.display())))
        {
            Ok(p) => Some(p),
            Err(e) => {
                let d = Diagnostic::new("apply::plan-file", e)
                    .help("pass a file written by `sagetune plan --out FILE`");
                return Outcome::failed(&[d], "nothing was applied");
            }
        },
    };
    if let Err(d) = approval_possible(args.auto_approve, "sagetune apply") {
        return Outcome::failed(&[d], "nothing was applied");
    }
    let prepared = match prepare(&args.manifest, aws, args.locked, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "nothing was applied"),
    };
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    let flags = Flags {
        auto_approve: args.auto_approve,
        no_wait: args.no_wait,
        options: Options {
            stop_orphaned_jobs: args.stop_orphaned_jobs,
            ..Options::default()
        },
        command: "sagetune apply",
    };
    drive(&cloud, flags, |session| {
        apply_prepared(&prepared, saved.as_ref(), session)
    })
}

pub fn unlock(args: &ManifestArgs, id: &str, aws: &AwsOptions) -> Outcome {
    let (loaded, _, cloud) = match super::stack::load_stack(args, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "no lock was removed"),
    };
    let m = &loaded.manifest;
    match lock::unlock(&cloud, m.artifacts.get(), m.stack.get(), id) {
        Ok(info) => Outcome {
            stderr: format!("Removed the lock held by {}.\n", info.describe()),
            success: true,
            ..Outcome::default()
        },
        Err(e) => Outcome::failed(&[lock_diagnostic(&e)], "no lock was removed"),
    }
}
