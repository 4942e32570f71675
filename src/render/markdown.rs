//! The Markdown rendering of a plan for pull-request comments: totals and a summary table
//! first, details folded in `<details>`, always under [`MARKDOWN_LIMIT`] characters.

use std::fmt::Write;

use super::units::short_hashes;
use super::{cost_lines, human::noun, totals, work};
use crate::plan::{Action, Change, Plan};

/// GitHub refuses comments over 65,536 characters; stay well under.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// The plan as a PR comment, outside text's control characters shown escaped.
pub fn markdown(plan: &Plan) -> String {
    crate::escape::controls(&unescaped(plan)).into_owned()
}

fn unescaped(plan: &Plan) -> String {
    let head = header(plan);
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Noop)
        .collect();
    if shown.is_empty() {
        return head;
    }
    let details = details(&shown);
    let full = format!("{head}{}{details}", table(&shown, usize::MAX));
    if full.chars().count() < MARKDOWN_LIMIT {
        return full;
    }
    let pointer = "\n_The details are too large for a comment: run `sagetune plan --out plan.json` and `sagetune show plan.json` to see them._\n";
    let mut rows = shown.len();
    loop {
        let text = format!("{head}{}{pointer}", table(&shown, rows));
        if text.chars().count() < MARKDOWN_LIMIT || rows == 0 {
            return text;
        }
        rows /= 2;
    }
}

fn header(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### sagetune plan for `{}` ({})\n",
        plan.stack, plan.region
    );
    if !plan.has_changes() {
        let _ = writeln!(
            out,
            "**No changes.** AWS matches the manifest ({} objects checked).",
            plan.changes.len()
        );
    } else {
        let _ = writeln!(out, "**{}** {}", totals(&plan.summary), work(&plan.summary));
    }
    for line in cost_lines(&plan.cost) {
        let _ = writeln!(out, "\n{line}");
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "\n> **Warning:** {}", escape(w));
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The summary table of the first `rows` changes, hashes shortened.
fn table(shown: &[&Change], rows: usize) -> String {
    let mut out = String::from("\n| | Address | Object | Why |\n|---|---|---|---|\n");
    for c in shown.iter().take(rows) {
        let _ = writeln!(
            out,
            "| `{}` {} | `{}` | {} `{}` | {} |",
            c.action.symbol(),
            c.action.word(),
            c.id,
            noun(c.kind),
            c.name,
            escape(&c.reason)
        );
    }
    if shown.len() > rows {
        let _ = writeln!(out, "| | … {} more | | |", shown.len() - rows);
    }
    short_hashes(&out)
}

/// Every change's block, folded, hashes shortened; long values (an IAM policy, the spec's
/// default hyperparameters) each folded once more below the blocks.
fn details(shown: &[&Change]) -> String {
    let mut out = String::from("\n<details><summary>Details</summary>\n\n```diff\n");
    let mut long = Vec::new();
    for c in shown {
        out.push_str(&detail_block(c, &mut long));
        out.push('\n');
    }
    out.push_str("```\n");
    for (title, body) in long {
        let _ = write!(
            out,
            "\n<details><summary>{}</summary>\n\n```\n{}\n```\n\n</details>\n",
            escape(&title),
            body.trim_end()
        );
    }
    out.push_str("\n</details>\n");
    short_hashes(&out)
}

/// One change as diff-highlighted text; values too long to read inline go to `long` as
/// `(title, text)`, with a one-line stand-in here.
fn detail_block(c: &Change, long: &mut Vec<(String, String)>) -> String {
    let mut out = String::new();
    let sign = match c.action {
        Action::Create => "+",
        Action::Delete | Action::Stop => "-",
        _ => "!",
    };
    let _ = writeln!(out, "# {} will be {} ({})", c.id, c.action.verb(), c.reason);
    let _ = writeln!(out, "{sign} {} \"{}\"", noun(c.kind), c.name);
    for d in &c.diff {
        if let Some(short) = super::folded_field(d) {
            let _ = writeln!(out, "+   {}: {short} (below)", d.field);
            let title = format!("{} {}: {short}", c.id, d.field);
            long.push((title, d.after.clone().unwrap_or_default()));
            continue;
        }
        match (&d.before, &d.after) {
            (Some(b), Some(a)) if !b.contains('\n') && !a.contains('\n') => {
                let _ = writeln!(out, "-   {}: {b}", d.field);
                let _ = writeln!(out, "+   {}: {a}", d.field);
            }
            (b, a) => {
                for line in b.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(out, "-   {line}");
                }
                for line in a.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(out, "+   {line}");
                }
            }
        }
    }
    if c.diff.is_empty() && c.action == Action::Create {
        for (k, v) in super::attributes(c) {
            match super::folded_attribute(&k, &v) {
                Some(short) => {
                    let _ = writeln!(out, "    {k} = {short} (below)");
                    long.push((format!("{} {k}: {short}", c.id), v.replace(", ", "\n")));
                }
                None => {
                    let _ = writeln!(out, "    {k} = {v}");
                }
            }
        }
    }
    if let Some(s) = &c.supersedes {
        let _ = writeln!(out, "    supersedes {s}");
    }
    for line in super::data_lines(c) {
        let _ = writeln!(out, "    {line}");
    }
    for line in super::promotion_lines(c) {
        let _ = writeln!(out, "    {line}");
    }
    out
}
