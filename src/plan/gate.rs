//! Judging an endpoint's gate: each rule against the new job's final metrics and, for the
//! relative rules, those of the job served now. Pure: the plan judges with what it observed,
//! apply judges again with fresh reads just before the endpoint would change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::manifest::{metric_key, GateRule, GateTest};

/// An endpoint's gate with what is known of it: recorded in the plan, re-judged by apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateCheck {
    /// The training job whose final metrics are judged.
    pub(crate) job: String,
    /// The job behind the model the endpoint serves now (relative rules compare to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) serving_job: Option<String>,
    /// Why what the endpoint serves now could not be read at plan time (its config, model or
    /// job is gone or unreadable): relative rules then hold, and apply does not guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) serving_unreadable: Option<String>,
    pub(crate) rules: Vec<RuleCheck>,
}

/// What relative rules compare with: what the endpoint serves now, as far as it can be read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Baseline<'a> {
    /// No endpoint serves anything yet (or nothing verified ever served on it).
    Nothing,
    /// The job behind the served model, with its final metrics.
    Job(&'a str, &'a BTreeMap<String, f64>),
    /// Something is served but its model, job or metrics cannot be read: relative rules hold.
    Unreadable(String),
}

/// One rule with the values it was judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RuleCheck {
    pub(crate) rule: GateRule,
    /// The new job's final value (`None`: not trained yet, or not reported).
    pub(crate) new: Option<f64>,
    /// The serving job's final value, for relative rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) serving: Option<f64>,
    pub(crate) verdict: Verdict,
}

/// How a rule stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "why", rename_all = "snake_case")]
pub(crate) enum Verdict {
    Pass(String),
    Fail(String),
    /// Not decidable yet (the job has not finished).
    Pending(String),
}

/// The value of `metric` among `metrics`, matching names by [`metric_key`].
pub(crate) fn value(metrics: &BTreeMap<String, f64>, metric: &str) -> Option<f64> {
    let key = metric_key(metric);
    metrics
        .iter()
        .find(|(name, _)| metric_key(name) == key)
        .map(|(_, v)| *v)
}

/// Judges `rules` for `job` (its final metrics, `None` while it has not completed) against
/// what is served now. Fails closed: a value that is not a finite number fails every rule,
/// and a relative rule holds when the served job or its value cannot be read.
pub(crate) fn judge(
    rules: &[GateRule],
    job: &str,
    new: Option<&BTreeMap<String, f64>>,
    baseline: Baseline<'_>,
) -> GateCheck {
    let checks = rules
        .iter()
        .map(|rule| {
            let m = &rule.metric;
            let now = new.and_then(|n| value(n, m));
            let before = match &baseline {
                Baseline::Job(_, metrics) => value(metrics, m),
                _ => None,
            };
            let verdict = match (new, now) {
                (None, _) => Verdict::Pending(format!("{job} has not finished training")),
                (Some(_), None) => Verdict::Fail(format!("{job} reported no {m}")),
                (Some(_), Some(v)) if !v.is_finite() => Verdict::Fail(format!(
                    "{m} of {job} is not a number ({}), so no rule can pass",
                    number(v)
                )),
                (Some(_), Some(v)) => absolute_or_relative(rule, v, before, &baseline),
            };
            RuleCheck {
                rule: rule.clone(),
                new: now.filter(|v| v.is_finite()),
                serving: before.filter(|v| v.is_finite()),
                verdict,
            }
        })
        .collect();
    let (serving_job, serving_unreadable) = match baseline {
        Baseline::Nothing => (None, None),
        Baseline::Job(name, _) => (Some(name.to_string()), None),
        Baseline::Unreadable(why) => (None, Some(why)),
    };
    GateCheck {
        job: job.to_string(),
        serving_job,
        serving_unreadable,
        rules: checks,
    }
}

/// One rule judged on the new job's finite value `v` and the serving value `before`.
fn absolute_or_relative(
    rule: &GateRule,
    v: f64,
    before: Option<f64>,
    baseline: &Baseline<'_>,
) -> Verdict {
    let m = &rule.metric;
    match rule.test {
        GateTest::AtMost(limit) if v <= limit => Verdict::Pass(format!("{m} {v} ≤ {limit}")),
        GateTest::AtMost(limit) => Verdict::Fail(format!("{m} {v} > {limit}")),
        GateTest::AtLeast(limit) if v >= limit => Verdict::Pass(format!("{m} {v} ≥ {limit}")),
        GateTest::AtLeast(limit) => Verdict::Fail(format!("{m} {v} < {limit}")),
        GateTest::BetterThanServing => match (baseline, before) {
            (Baseline::Nothing, _) => {
                Verdict::Pass(format!("{m} {v}; nothing is served yet to compare with"))
            }
            (Baseline::Unreadable(why), _) => Verdict::Fail(format!(
                "{m} {v} cannot be compared with what the endpoint serves: {why}"
            )),
            (Baseline::Job(serving, _), None) => Verdict::Fail(format!(
                "{m} {v} cannot be compared: the serving job {serving} reported no {m}"
            )),
            (Baseline::Job(serving, _), Some(b)) if !b.is_finite() => Verdict::Fail(format!(
                "{m} {v} cannot be compared: {m} of the serving job {serving} is not a number ({})",
                number(b)
            )),
            (_, Some(b)) if v < b => Verdict::Pass(format!("{m} {v} < serving {b}")),
            (_, Some(b)) => Verdict::Fail(format!("{m} {v} ≥ serving {b}")),
        },
    }
}

/// A non-finite value as people write it: `NaN`, `+inf`, `-inf`.
fn number(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "+inf"
    } else {
        "-inf"
    }
}

/// A verdict's words.
pub(crate) fn said(v: &Verdict) -> &str {
    match v {
        Verdict::Pass(w) | Verdict::Fail(w) | Verdict::Pending(w) => w,
    }
}

impl GateCheck {
    /// Why the gate holds the endpoint back (every failed rule), or `None` when it does not.
    pub(crate) fn held(&self) -> Option<String> {
        let failed: Vec<&str> = self
            .rules
            .iter()
            .filter_map(|r| match &r.verdict {
                Verdict::Fail(why) => Some(why.as_str()),
                _ => None,
            })
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(metric: &str, test: GateTest) -> GateRule {
        GateRule {
            metric: metric.into(),
            test,
        }
    }

    #[test]
    fn rules_pass_fail_or_wait_for_the_job() {
        let rules = [
            rule("eval_loss", GateTest::AtMost(1.8)),
            rule("eval_loss", GateTest::BetterThanServing),
        ];
        let new = BTreeMap::from([("huggingface-textgeneration:eval-loss".to_string(), 1.6)]);
        let old = BTreeMap::from([("huggingface-textgeneration:eval-loss".to_string(), 1.5)]);
        let g = judge(&rules, "j2", Some(&new), Baseline::Job("j1", &old));
        assert_eq!(
            g.rules[0].verdict,
            Verdict::Pass("eval_loss 1.6 ≤ 1.8".into())
        );
        assert_eq!(g.held().as_deref(), Some("eval_loss 1.6 ≥ serving 1.5"));
        let first = judge(&rules, "j1", Some(&old), Baseline::Nothing);
        assert_eq!(first.held(), None);
        let waiting = judge(&rules, "j2", None, Baseline::Job("j1", &old));
        assert!(matches!(waiting.rules[1].verdict, Verdict::Pending(_)));
        assert_eq!(waiting.held(), None);
        let silent = judge(
            &rules,
            "j2",
            Some(&BTreeMap::new()),
            Baseline::Job("j1", &old),
        );
        assert_eq!(
            silent.held().as_deref(),
            Some("j2 reported no eval_loss; j2 reported no eval_loss")
        );
    }

    #[test]
    fn relative_rules_hold_when_the_serving_side_cannot_be_read() {
        let rules = [rule("eval_loss", GateTest::BetterThanServing)];
        let new = BTreeMap::from([("eval_loss".to_string(), 1.6)]);
        let gone = judge(
            &rules,
            "j2",
            Some(&new),
            Baseline::Unreadable("model m1 no longer exists".into()),
        );
        assert_eq!(
            gone.held().as_deref(),
            Some("eval_loss 1.6 cannot be compared with what the endpoint serves: model m1 no longer exists")
        );
        assert_eq!(
            gone.serving_unreadable.as_deref(),
            Some("model m1 no longer exists")
        );
        let silent = judge(
            &rules,
            "j2",
            Some(&new),
            Baseline::Job("j1", &BTreeMap::new()),
        );
        assert_eq!(
            silent.held().as_deref(),
            Some("eval_loss 1.6 cannot be compared: the serving job j1 reported no eval_loss")
        );
    }

    #[test]
    fn values_that_are_not_numbers_fail_every_rule() {
        let rules = [
            rule("eval_loss", GateTest::AtMost(1.8)),
            rule("eval_loss", GateTest::AtLeast(0.1)),
            rule("eval_loss", GateTest::BetterThanServing),
        ];
        let old = BTreeMap::from([("eval_loss".to_string(), 1.5)]);
        for (v, said) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let new = BTreeMap::from([("eval_loss".to_string(), v)]);
            let g = judge(&rules, "j2", Some(&new), Baseline::Job("j1", &old));
            for r in &g.rules {
                assert_eq!(
                    r.verdict,
                    Verdict::Fail(format!(
                        "eval_loss of j2 is not a number ({said}), so no rule can pass"
                    )),
                );
            }
        }
        let new = BTreeMap::from([("eval_loss".to_string(), 1.0)]);
        let nan = BTreeMap::from([("eval_loss".to_string(), f64::NAN)]);
        let g = judge(&rules[2..], "j2", Some(&new), Baseline::Job("j1", &nan));
        assert_eq!(
            g.held().as_deref(),
            Some("eval_loss 1 cannot be compared: eval_loss of the serving job j1 is not a number (NaN)")
        );
    }
}
