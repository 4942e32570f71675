//! An endpoint's promotion rules: its gate, smoke test and rollout.

use super::*;

/// A rollout names one strategy, sizes in percent and waits SageMaker accepts (≤ 1 h).
pub(super) fn check_rollout(c: &mut Checker<'_>, r: &Sp<Rollout>) {
    if [
        r.canary.is_some(),
        r.linear.is_some(),
        r.all_at_once.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count()
        > 1
    {
        c.error(
            "manifest::rollout-strategies",
            "the rollout names more than one strategy".into(),
            r.span(),
            "several strategies",
            "keep one of `all_at_once`, `canary` or `linear`".into(),
        );
    }
    check_rollout_steps(c, r);
    if let Some(l) = &r.max_model_latency {
        let latency = (
            "manifest::bad-latency",
            "max_model_latency",
            "write it like `2s` or `500ms`",
        );
        c.duration(l, latency);
    }
}

/// Each step's size is a percentage and each wait at most an hour.
fn check_rollout_steps(c: &mut Checker<'_>, r: &Sp<Rollout>) {
    let mut waits: Vec<&Sp<String>> = Vec::new();
    for step in r.canary.iter().chain(&r.linear) {
        if percent(step.size.get()).is_none() {
            c.error(
                "manifest::rollout-size",
                format!(
                    "rollout size `{}` is not a percentage from 1% to 100%",
                    step.size.get()
                ),
                step.size.span(),
                "not a percentage",
                "write it like `10%`".into(),
            );
        }
        waits.push(&step.wait);
    }
    waits.extend(r.all_at_once.as_ref().and_then(|b| b.wait.as_ref()));
    for w in waits {
        let wait = (
            "manifest::rollout-wait",
            "rollout wait",
            "write it like `10m`, `30s` or `1h`",
        );
        if c.duration(w, wait)
            .is_some_and(|d| d > Duration::from_secs(3600))
        {
            c.error(
                "manifest::rollout-wait",
                format!(
                    "rollout wait `{}` is over SageMaker's limit of 1 hour",
                    w.get()
                ),
                w.span(),
                "over 1h",
                "bake for at most `1h`".into(),
            );
        }
    }
}

/// A smoke test's prompt is not blank and its latency reads as a duration.
pub(super) fn check_smoke_test(c: &mut Checker<'_>, t: &Sp<SmokeTest>) {
    if t.prompt.trim().is_empty() {
        c.error(
            "manifest::empty-smoke-prompt",
            "the smoke test's prompt is empty".into(),
            t.prompt.span(),
            "empty prompt",
            "write the prompt to send, e.g. `prompt: \"Revenue in the third quarter\"`".into(),
        );
    }
    if let Some(l) = &t.max_latency {
        let latency = (
            "manifest::bad-latency",
            "max_latency",
            "write it like `2s`, `500ms` or `1m`",
        );
        c.duration(l, latency);
    }
}

/// A gate's bounds say something (`max`, `min`, in order) and it has at least one rule.
pub(super) fn check_gate(c: &mut Checker<'_>, gate: &Sp<Gate>) {
    for (metric, b) in &gate.bounds {
        for (key, bound) in [("max", &b.max), ("min", &b.min)] {
            if let Some(v) = bound.as_ref().filter(|v| !v.get().is_finite()) {
                c.error(
                    "manifest::gate-not-a-number",
                    format!(
                        "the gate's `{key}` on `{}` is {}, not a number",
                        metric.get(),
                        v.get()
                    ),
                    v.span(),
                    "not a finite number",
                    format!("write a finite number such as `{key}: 1.8`"),
                );
            }
        }
        match (&b.max, &b.min) {
            (None, None) => c.error(
                "manifest::empty-gate-bounds",
                format!("the gate on `{}` sets no bound", metric.get()),
                b.span(),
                "no max or min",
                format!(
                    "write `{}: {{max: 1.8}}` (at most) or `{{min: …}}` (at least)",
                    metric.get()
                ),
            ),
            (Some(max), Some(min)) if min.get() > max.get() => c.error(
                "manifest::gate-bounds-order",
                format!(
                    "the gate on `{}` wants at least {} and at most {}",
                    metric.get(),
                    min.get(),
                    max.get()
                ),
                min.span(),
                "above max",
                "no value can pass: make `min` at most `max`".into(),
            ),
            _ => {}
        }
    }
    if gate.bounds.is_empty() && gate.better_than_serving.is_empty() {
        c.error(
            "manifest::empty-gate",
            "the gate has no rule".into(),
            gate.span(),
            "empty gate",
            "add `eval_loss: {max: 1.8}` or `better_than_serving: eval_loss`, or remove `gate:`"
                .into(),
        );
    }
}
