//! The human rendering of a plan, in Terraform's style: a legend of the symbols used, one
//! block per change with its reason and field diffs, and the closing totals and cost.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::{cost_lines, totals, work, Detail};
use crate::plan::{Action, Change, ChangeId, FieldDiff, Plan, ResourceKind};

/// The plan as people read it in a terminal or CI log, long values folded.
pub fn human(plan: &Plan) -> String {
    human_with(plan, Detail::Folded)
}

/// The human plan with long values folded or in full.
pub fn human_with(plan: &Plan, detail: Detail) -> String {
    crate::escape::controls(&super::units::short_hashes(&whole(plan, detail))).into_owned()
}

/// The human plan with hashes whole.
fn whole(plan: &Plan, detail: Detail) -> String {
    let mut out = String::new();
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Noop)
        .collect();
    if shown.is_empty() {
        let _ = writeln!(
            out,
            "No changes. AWS matches the manifest for stack {} in {} ({} objects checked).",
            plan.stack,
            plan.region,
            plan.changes.len()
        );
        warnings(&mut out, plan);
        return out;
    }
    let _ = writeln!(
        out,
        "sagetune will perform these actions on stack {} in {}:",
        plan.stack, plan.region
    );
    out.push('\n');
    let mut used: Vec<Action> = shown.iter().map(|c| c.action).collect();
    used.sort();
    used.dedup();
    let legend: Vec<String> = used
        .iter()
        .map(|a| format!("{} {}", a.symbol(), a.legend()))
        .collect();
    let _ = writeln!(out, "Symbols: {}", legend.join(", "));
    for c in shown {
        out.push('\n');
        block(&mut out, c, detail);
    }
    out.push('\n');
    let _ = writeln!(out, "{}", totals(&plan.summary));
    let work = work(&plan.summary);
    if !work.is_empty() {
        let _ = writeln!(out, "{work}");
    }
    if plan.summary.unchanged > 0 {
        let _ = writeln!(out, "{} unchanged.", plan.summary.unchanged);
    }
    for line in cost_lines(&plan.cost) {
        let _ = writeln!(out, "{line}");
    }
    warnings(&mut out, plan);
    out
}

/// The noun of a resource kind in a block header.
pub(crate) fn noun(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::Dataset => "s3_object",
        ResourceKind::Role => "iam_role",
        ResourceKind::TrainingJob => "training_job",
        ResourceKind::Model => "model",
        ResourceKind::EndpointConfig => "endpoint_config",
        ResourceKind::Endpoint => "endpoint",
        ResourceKind::Alarm => "cloudwatch_alarm",
    }
}

fn block(out: &mut String, c: &Change, detail: Detail) {
    let _ = writeln!(out, "  # {} will be {}", c.id, c.action.verb());
    let _ = writeln!(out, "  # ({})", c.reason);
    let _ = writeln!(
        out,
        "  {} {} \"{}\"",
        c.action.symbol(),
        noun(c.kind),
        c.name
    );
    for d in &c.diff {
        match super::folded_field(d).filter(|_| detail == Detail::Folded) {
            Some(short) => {
                let _ = writeln!(out, "      + {}: {short} (`--full` shows them)", d.field);
            }
            None => field(out, d),
        }
    }
    if c.diff.is_empty() && c.action == Action::Create {
        for (k, v) in super::attributes(c) {
            match super::folded_attribute(&k, &v).filter(|_| detail == Detail::Folded) {
                Some(short) => {
                    let _ = writeln!(out, "      {k} = {short} (`--full` lists them)");
                }
                None => {
                    let _ = writeln!(out, "      {k} = {v}");
                }
            }
        }
    }
    if let Some(s) = &c.supersedes {
        let _ = writeln!(out, "      supersedes {s}");
    }
    if let Some(r) = &c.repack {
        let _ = writeln!(
            out,
            "      repacks {} with {} into {}",
            r.model_artifact, r.inference_code, r.target
        );
    }
    if !c.depends_on.is_empty() {
        let after: Vec<String> = c.depends_on.iter().map(ChangeId::to_string).collect();
        let _ = writeln!(out, "      after {}", after.join(", "));
    }
    for line in super::data_lines(c) {
        let _ = writeln!(out, "      {line}");
    }
    for line in super::promotion_lines(c) {
        let _ = writeln!(out, "      {line}");
    }
}

fn field(out: &mut String, d: &FieldDiff) {
    let multi = |v: &Option<String>| v.as_deref().is_some_and(|s| s.contains('\n'));
    if multi(&d.before) || multi(&d.after) {
        let sign = match (&d.before, &d.after) {
            (None, Some(_)) => "+",
            (Some(_), None) => "-",
            _ => "~",
        };
        let _ = writeln!(out, "      {sign} {}:", d.field);
        let before = d.before.as_deref().unwrap_or("");
        let after = d.after.as_deref().unwrap_or("");
        let diff = TextDiff::from_lines(before, after);
        for (i, group) in diff.grouped_ops(3).iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out, "          …");
            }
            for op in group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        ChangeTag::Delete => "-",
                        ChangeTag::Insert => "+",
                        ChangeTag::Equal => " ",
                    };
                    let line = change.value().trim_end_matches('\n');
                    let _ = writeln!(out, "          {sign} {line}");
                }
            }
        }
        return;
    }
    let show = |v: &Option<String>| match v {
        Some(s) => format!("{s:?}"),
        None => "(none)".into(),
    };
    let sign = match (&d.before, &d.after) {
        (None, Some(_)) => "+",
        (Some(_), None) => "-",
        _ => "~",
    };
    let _ = writeln!(
        out,
        "      {sign} {}: {} → {}",
        d.field,
        show(&d.before),
        show(&d.after)
    );
}

fn warnings(out: &mut String, plan: &Plan) {
    for w in &plan.warnings {
        let _ = writeln!(out, "\nWarning: {w}");
    }
}
