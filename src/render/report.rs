//! Apply's closing report: each step with what it did, then what to do next.

use crate::apply::Report;
use crate::plan::{Action, Plan, ResourceKind};

use super::progress::did;

/// The closing text: what happened and how to continue.
pub fn report(r: &Report) -> String {
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
    out.push_str(if r.complete() {
        "Apply complete.\n"
    } else if r.failed.is_some() {
        "Apply stopped at the error above. Finished steps stay done; run `sagetune apply` again once the cause is fixed and it continues from there.\n"
    } else if !r.held.is_empty() && !r.interrupted && r.started.is_empty() {
        "Held by a gate: the endpoints above keep their current model, and what waits for them (removing the old config and model) is not done; everything else is. `sagetune plan` shows the gate; train a better model (or change the gate) and apply again.\n"
    } else if r.interrupted {
        "Interrupted: nothing was rolled back and running jobs keep running; `sagetune apply` continues from here.\n"
    } else {
        "Started without waiting (--no-wait); `sagetune plan` shows what is still running and `sagetune apply` finishes the rest.\n"
    });
    out
}

/// For each endpoint the run created or updated (or waited into service): the command that
/// prompts it.
pub fn try_it(plan: &Plan, r: &Report) -> String {
    plan.changes
        .iter()
        .filter(|c| {
            c.kind == ResourceKind::Endpoint
                && matches!(c.action, Action::Create | Action::Update | Action::Wait)
                && r.done.iter().any(|(id, _)| *id == c.id)
        })
        .filter_map(|c| c.id.strip_prefix("endpoint."))
        .map(|key| format!("Try it: sagetune invoke {key} \"your prompt\"\n"))
        .collect()
}
