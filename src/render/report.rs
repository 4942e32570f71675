//! Apply's closing report: each step with what it did, then what to do next.

use serde_json::{json, Value};

use crate::apply::{Did, Report};
use crate::plan::{Action, ChangeId, Plan, ResourceKind};

use super::progress::did;

/// The closing text: what happened and how to continue (outside text's control characters
/// shown escaped).
pub fn report(r: &Report) -> String {
    crate::escape::controls(&unescaped(r, "apply")).into_owned()
}

/// As [`report`], for `destroy`: its closing line speaks of destroying.
pub(crate) fn destroy_report(r: &Report) -> String {
    crate::escape::controls(&unescaped(r, "destroy")).into_owned()
}

fn unescaped(r: &Report, command: &str) -> String {
    let mut out = String::new();
    for (id, what) in &r.done {
        out.push_str(&format!("  ✓ {id}: {}\n", did(what)));
    }
    for (id, what) in &r.started {
        out.push_str(&format!("  … {id}: {what}\n"));
    }
    if let Some((id, why)) = &r.failed {
        out.push_str(&format!("  ✗ {id}: {why}\n"));
    }
    for (id, why) in &r.held {
        out.push_str(&format!(
            "  ⏸ {id}: {why}; it keeps serving its current model\n"
        ));
    }
    for id in &r.not_done {
        out.push_str(&format!("  · {id}: not done\n"));
    }
    let ended = match (Ended::of(r), command) {
        (Ended::Complete, "destroy") => "Destroy complete.\n",
        (Ended::Failed, "destroy") => "Destroy stopped at the error above. What was deleted stays deleted; run `sagetune destroy` again once the cause is fixed and it continues from there.\n",
        (Ended::Interrupted, "destroy") => "Interrupted: what was deleted stays deleted; `sagetune destroy` continues from here.\n",
        (ended, _) => ended.closing(),
    };
    out.push_str(ended);
    out
}

impl Ended {
    /// Apply's closing line for a run that ended this way.
    fn closing(self) -> &'static str {
        match self {
        Ended::Complete => "Apply complete.\n",
        Ended::Failed => "Apply stopped at the error above. Finished steps stay done; run `sagetune apply` again once the cause is fixed and it continues from there.\n",
        Ended::Held => "Held by a gate: the endpoints above keep their current model, and what waits for them (removing the old config and model) is not done; everything else is. `sagetune plan` shows the gate; train a better model (or change the gate) and apply again.\n",
        Ended::Interrupted => "Interrupted: nothing was rolled back and running jobs keep running; `sagetune apply` continues from here.\n",
        Ended::Started => "Started without waiting (--no-wait); `sagetune plan` shows what is still running and `sagetune apply` finishes the rest.\n",
        }
    }
}

/// For each endpoint the run created or updated (or waited into service): the command that
/// prompts it.
pub(crate) fn try_it(plan: &Plan, r: &Report) -> String {
    plan.changes
        .iter()
        .filter(|c| {
            c.kind == ResourceKind::Endpoint
                && matches!(
                    c.action,
                    Action::Create | Action::Update | Action::Wait | Action::Verify
                )
                && r.done.iter().any(|(id, _)| *id == c.id)
        })
        .filter_map(|c| c.id.key_in("endpoint"))
        .map(|key| format!("Try it: sagetune invoke {key} \"your prompt\"\n"))
        .collect()
}

/// How a run ended: it picks the closing line and is `--format json`'s `outcome`.
#[derive(Clone, Copy)]
enum Ended {
    Complete,
    Failed,
    Interrupted,
    Held,
    Started,
}

impl Ended {
    fn of(r: &Report) -> Self {
        if r.complete() {
            Ended::Complete
        } else if r.failed.is_some() {
            Ended::Failed
        } else if r.interrupted {
            Ended::Interrupted
        } else if !r.held.is_empty() && r.started.is_empty() {
            Ended::Held
        } else {
            Ended::Started
        }
    }

    fn word(self) -> &'static str {
        match self {
            Ended::Complete => "complete",
            Ended::Failed => "failed",
            Ended::Interrupted => "interrupted",
            Ended::Held => "held",
            Ended::Started => "started",
        }
    }
}

/// Apply's and destroy's `--format json` document: the plan that ran and, when it ran, what
/// each step did (`outcome` is `no_changes` when there was nothing to do).
pub(crate) fn report_json(plan: &Plan, r: Option<&Report>) -> String {
    let pairs = |v: &[(ChangeId, String)], what: &str| -> Vec<Value> {
        v.iter().map(|(id, x)| json!({"id": id, what: x})).collect()
    };
    let doc = match r {
        None => json!({"outcome": "no_changes", "plan": plan}),
        Some(r) => json!({
            "outcome": Ended::of(r).word(),
            "plan": plan,
            "done": r.done.iter().map(|(id, what)| match what {
                Did::Uploaded { bytes } => json!({"id": id, "did": did(what), "bytes": bytes}),
                Did::Said(_) => json!({"id": id, "did": did(what)}),
            }).collect::<Vec<_>>(),
            "started": pairs(&r.started, "what"),
            "failed": r.failed.as_ref().map(|(id, why)| json!({"id": id, "why": why})),
            "held": pairs(&r.held, "why"),
            "not_done": r.not_done,
        }),
    };
    super::json_value(&doc)
}
