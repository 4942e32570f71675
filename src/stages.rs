//! The stage functions the commands call, each composing the pipeline for one command:
//! [`plan`] (observe with settled runs, then the pure planner, then the plan document),
//! [`apply`] and [`destroy`] (under the stack's state lock: plan, ask, execute), and
//! [`invoke_target`] (where and how `invoke` prompts an endpoint). Typed
//! results; user-facing problems as diagnostics; no argument parsing and no printing.

use crate::apply::state_lock::{self, REFRESH_EVERY};
use crate::apply::{execute, Cancel, ExecOptions, Progress, Report};
use crate::cloud::split_s3;
use crate::cloud::{Cloud, CloudRead};
use crate::desired::Desired;
use crate::diagnostics::Diagnostic;
use crate::jumpstart::payload::PayloadFormat;
use crate::manifest::LoadedManifest;
use crate::observe::{observe, observe_settled};
use crate::plan::file::{self, assemble, check_saved, check_supported};
use crate::plan::{self, Digest, Options, Plan};
use crate::prepare::Prepared;

/// How the user answered the approval question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Yes,
    No,
}

/// What apply and destroy need besides their inputs: AWS, how to report, how to ask.
pub struct Session<'a> {
    pub cloud: &'a dyn Cloud,
    pub progress: &'a dyn Progress,
    pub cancel: &'a Cancel,
    pub exec: ExecOptions,
    pub options: Options,
    /// The command line the state lock records (`sagetune apply`).
    pub command: String,
    /// Shows the plan and asks; not called when there is nothing to do.
    pub approve: &'a mut dyn FnMut(&Plan) -> Approval,
}

/// How an apply (or destroy) ended.
#[derive(Debug)]
pub enum Applied {
    /// Nothing to do; the plan is returned for printing.
    NoChanges(Box<Plan>),
    /// The user did not approve.
    Declined,
    /// Executed; the report says how far it got.
    Executed(Box<Plan>, Report),
}

/// Now, as RFC 3339 UTC to the second: a plan's `created_at`, the lock's stamps.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Checks that endpoint `name` is this stack's (its `sagetune:stack` tag) before anything is
/// sent to it: another stack's endpoint can have the same AWS name (`a` + `b-c` and `a-b` +
/// `c` both make `a-b-c`).
pub fn check_invoke_owner(
    cloud: &dyn crate::cloud::CloudRead,
    stack: &str,
    name: &str,
) -> Result<(), Vec<Diagnostic>> {
    use crate::desired::naming::TAG_STACK;
    let endpoint = cloud
        .describe_endpoint(name)
        .map_err(|e| vec![Diagnostic::from(&e)])?;
    let Some(endpoint) = endpoint else {
        return Err(vec![Diagnostic::new(
            "invoke::no-endpoint",
            format!("endpoint {name} does not exist"),
        )
        .help("run `sagetune apply` to create it, then invoke it")]);
    };
    match endpoint.tags.get(TAG_STACK) {
        Some(owner) if owner == stack => Ok(()),
        owner => Err(vec![Diagnostic::new(
            "invoke::not-owned",
            match owner {
                Some(other) => format!("endpoint {name} belongs to sagetune stack `{other}`, not `{stack}`"),
                None => format!("endpoint {name} does not carry the tag {TAG_STACK}={stack}"),
            },
        )
        .help("it is not this stack's endpoint, so no prompt was sent to it; rename the stack or the endpoint so AWS names do not collide")]),
    }
}

/// Where `sagetune invoke ENDPOINT` sends a prompt: the endpoint's name in AWS and the request
/// shape its model's spec (or serving container) wants.
pub(crate) fn invoke_target(
    prepared: &Prepared,
    endpoint: &str,
) -> Result<(String, PayloadFormat), Vec<Diagnostic>> {
    let Some(bound) = prepared.bound.endpoints.iter().find(|e| e.name == endpoint) else {
        let known: Vec<&str> = prepared
            .bound
            .endpoints
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let d = Diagnostic::new(
            "invoke::unknown-endpoint",
            format!("the manifest has no endpoint `{endpoint}`"),
        )
        .help(match known.is_empty() {
            true => "the manifest declares no endpoints; add one under `endpoints:`".into(),
            false => format!("endpoints in this manifest: {}", known.join(", ")),
        });
        return Err(vec![d]);
    };
    let ft = prepared
        .bound
        .fine_tunes
        .iter()
        .find(|f| f.name == bound.fine_tune)
        .expect("validation binds every endpoint to a fine-tune of the manifest");
    let hosting = &bound.hosting;
    let format = PayloadFormat::of(
        &ft.model.spec,
        &hosting.image,
        hosting.inference_script_uri.is_some(),
    )
    .map_err(|why| vec![Diagnostic::new("invoke::payload", why)])?;
    let desired = crate::desired::of(prepared, &std::collections::BTreeMap::new());
    let name = desired
        .endpoints
        .iter()
        .find(|e| e.name == endpoint)
        .map(|e| e.endpoint.endpoint_name.clone())
        .expect("every bound endpoint is desired");
    Ok((name, format))
}

/// The manifest's digest as a plan records it.
fn manifest_digest(loaded: &LoadedManifest) -> Digest {
    file::digest(&loaded.path, loaded.source.text.as_bytes())
}

/// The whole plan document for `prepared` against `cloud`. Reads AWS; changes nothing.
pub fn plan(
    prepared: &Prepared,
    cloud: &dyn CloudRead,
    options: &Options,
    created_at: &str,
) -> Result<Plan, Vec<Diagnostic>> {
    let (desired, seen) =
        observe_settled(prepared, cloud).map_err(|e| vec![Diagnostic::from(&e)])?;
    let mut planned = plan::plan(&desired, &seen, options).map_err(|problems| {
        problems
            .into_iter()
            .map(Diagnostic::from)
            .collect::<Vec<_>>()
    })?;
    // What validation warned about is part of what reviewers see (the pull request comment).
    let validation = prepared.validated.warnings.iter().map(Diagnostic::one_line);
    planned.warnings.splice(0..0, validation);
    let lock = prepared.pins_sha256.as_ref().map(|sha256| Digest {
        path: prepared.pins_path().display().to_string(),
        sha256: sha256.clone(),
    });
    Ok(assemble(
        manifest_digest(&prepared.validated.loaded),
        lock,
        &desired,
        &seen,
        planned,
        created_at,
    ))
}

/// Takes the lock, plans (refusing `saved` when it is stale), asks, executes, releases.
pub fn apply(
    prepared: &Prepared,
    saved: Option<&Plan>,
    session: Session<'_>,
) -> Result<Applied, Vec<Diagnostic>> {
    let m = &prepared.validated.loaded.manifest;
    let options = session.options.clone();
    let cloud = session.cloud;
    run_locked(m.artifacts.get(), m.stack.get(), session, || {
        let fresh = plan(prepared, cloud, &options, &now())?;
        match saved {
            Some(saved) => {
                check_saved(saved, &fresh).map_err(|e| vec![Diagnostic::from(&e)])?;
                Ok(saved.clone())
            }
            None => Ok(fresh),
        }
    })
}

/// The plan that empties the stack: its endpoints, configs, models and managed role; its
/// uploaded datasets too with `purge_data`. Training jobs are history and stay.
pub(crate) fn destroy_plan(
    loaded: &LoadedManifest,
    region: &str,
    cloud: &dyn CloudRead,
    options: &Options,
    purge_data: bool,
) -> Result<Plan, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let desired = Desired::empty(m.stack.get(), region, m.artifacts.get());
    let seen = observe(cloud, &desired).map_err(|e| vec![Diagnostic::from(&e)])?;
    let options = Options {
        destroying: true,
        ..options.clone()
    };
    let mut planned = plan::plan(&desired, &seen, &options).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                let protected = p.code == "plan::protected";
                let d = Diagnostic::from(p);
                if protected {
                    d.help("pass --force to delete protected endpoints too, or set `protect: false` and apply first")
                } else {
                    d
                }
            })
            .collect::<Vec<_>>()
    })?;
    if purge_data && seen.bucket_exists {
        let (bucket, prefix) = split_s3(&desired.artifacts);
        let objects = cloud
            .list_objects(bucket, &format!("{prefix}datasets/{}/", desired.stack))
            .map_err(|e| vec![Diagnostic::from(&e)])?;
        planned
            .changes
            .extend(plan::purge_datasets(&objects.unwrap_or_default()));
    }
    Ok(assemble(
        manifest_digest(loaded),
        None,
        &desired,
        &seen,
        planned,
        &now(),
    ))
}

/// Destroys the stack with the lock held.
pub fn destroy(
    loaded: &LoadedManifest,
    region: &str,
    purge_data: bool,
    session: Session<'_>,
) -> Result<Applied, Vec<Diagnostic>> {
    let m = &loaded.manifest;
    let cloud = session.cloud;
    let options = session.options.clone();
    run_locked(m.artifacts.get(), m.stack.get(), session, || {
        destroy_plan(loaded, region, cloud, &options, purge_data)
    })
}

/// Holds the stack's lock while it plans (with `plan`), asks, and executes; releases it on
/// every path.
fn run_locked(
    artifacts: &str,
    stack: &str,
    session: Session<'_>,
    plan: impl FnOnce() -> Result<Plan, Vec<Diagnostic>>,
) -> Result<Applied, Vec<Diagnostic>> {
    let held = state_lock::acquire(session.cloud, artifacts, stack, &session.command, &now())
        .map_err(|e| vec![Diagnostic::from(&e)])?;
    let result = plan()
        .and_then(|plan| {
            check_supported(&plan)
                .map(|()| plan)
                .map_err(|e| vec![Diagnostic::from(&e)])
        })
        .map(|plan| {
            if !plan.has_changes() {
                return Applied::NoChanges(Box::new(plan));
            }
            if (session.approve)(&plan) != Approval::Yes {
                return Applied::Declined;
            }
            let report = held.hold_while(REFRESH_EVERY, &now, || {
                execute(
                    &plan,
                    session.cloud,
                    &session.exec,
                    session.progress,
                    session.cancel,
                )
            });
            Applied::Executed(Box::new(plan), report)
        });
    let released = held.release();
    let applied = result?;
    released.map_err(|e| vec![Diagnostic::from(&e)])?;
    Ok(applied)
}
