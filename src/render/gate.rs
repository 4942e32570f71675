//! An endpoint change's gate, smoke test and rollout as plan text, shared by the human and
//! Markdown plans.

use crate::manifest::GateTest;
use crate::plan::{Change, Verdict};

/// What an endpoint change promises about promotion: its gate, smoke test and rollout, one
/// line each (none for other changes); the human and Markdown plans indent them.
pub(crate) fn promotion_lines(c: &Change) -> Vec<String> {
    [gate_lines(c), smoke_lines(c), rollout_lines(c)].concat()
}

/// An endpoint change's gate, one line per rule: `✓`/`✗`/`…` and what it was judged on.
fn gate_lines(c: &Change) -> Vec<String> {
    let Some(g) = &c.gate else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "gate on {} (judged again before the endpoint changes):",
        g.job
    )];
    for r in &g.rules {
        let m = &r.rule.metric;
        let rule = match r.rule.test {
            GateTest::AtMost(l) => format!("{m} ≤ {l}"),
            GateTest::AtLeast(l) => format!("{m} ≥ {l}"),
            GateTest::BetterThanServing => match (r.serving, &g.serving_job) {
                (Some(v), _) => format!("{m} below serving {v}"),
                (None, Some(job)) => format!("{m} below {job}'s"),
                (None, None) => format!("{m} below the serving job's"),
            },
        };
        out.push(match &r.verdict {
            Verdict::Pass(why) => format!("  ✓ {why}"),
            Verdict::Fail(why) => format!("  ✗ {why}: holds the endpoint on its current model"),
            Verdict::Pending(why) => format!("  … {rule}: {why}"),
        });
    }
    out
}

/// An endpoint change's smoke test in one line (none without one).
fn smoke_lines(c: &Change) -> Vec<String> {
    let Some(s) = &c.smoke else {
        return Vec::new();
    };
    let then = match c.action {
        crate::plan::Action::Update => "a failure rolls back to the config served now",
        _ => "a failure leaves the new endpoint for inspection",
    };
    let prompts: Vec<String> = s.cases.iter().map(|c| format!("{:?}", c.prompt)).collect();
    vec![format!(
        "smoke test after the change: {} ({then})",
        prompts.join(", ")
    )]
}

/// A guarded update's traffic shifting and rollback alarms (none for other changes).
fn rollout_lines(c: &Change) -> Vec<String> {
    use crate::manifest::Traffic;
    let Some(g) = &c.guarded else {
        return Vec::new();
    };
    let r = &g.deployment.rollout;
    let wait = humantime::format_duration(std::time::Duration::from_secs(r.wait_seconds.into()));
    let how = match r.traffic {
        Traffic::AllAtOnce => format!("all traffic at once, then {wait} of watching"),
        Traffic::Canary { percent } => {
            format!("canary: {percent}% of capacity, {wait} of watching, then the rest")
        }
        Traffic::Linear { percent } => {
            format!("linear: {percent}% of capacity at a time, {wait} of watching after each")
        }
    };
    vec![
        format!("rollout (blue/green): {how}"),
        format!(
            "  rolled back by alarms {} (any 5xx error) and {} (model latency over {} ms), put before the update",
            g.alarms[0].name, g.alarms[1].name, r.max_model_latency_ms
        ),
    ]
}
