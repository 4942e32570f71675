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
    pub job: String,
    /// The job behind the model the endpoint serves now (relative rules compare to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_job: Option<String>,
    pub rules: Vec<RuleCheck>,
}

/// One rule with the values it was judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub rule: GateRule,
    /// The new job's final value (`None`: not trained yet, or not reported).
    pub new: Option<f64>,
    /// The serving job's final value, for relative rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<f64>,
    pub verdict: Verdict,
}

/// How a rule stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "why", rename_all = "snake_case")]
pub enum Verdict {
    Pass(String),
    Fail(String),
    /// Not decidable yet (the job has not finished).
    Pending(String),
}

/// The value of `metric` among `metrics`, matching names by [`metric_key`].
pub fn value(metrics: &BTreeMap<String, f64>, metric: &str) -> Option<f64> {
    let key = metric_key(metric);
    metrics
        .iter()
        .find(|(name, _)| metric_key(name) == key)
        .map(|(_, v)| *v)
}

/// Judges `rules` for `job` (its final metrics, `None` while it has not completed) against
/// the serving job's (`None` when nothing serves or it is unknown).
pub fn judge(
    rules: &[GateRule],
    job: &str,
    new: Option<&BTreeMap<String, f64>>,
    serving_job: Option<&str>,
    serving: Option<&BTreeMap<String, f64>>,
) -> GateCheck {
    let checks = rules
        .iter()
        .map(|rule| {
            let m = &rule.metric;
            let now = new.and_then(|n| value(n, m));
            let before = serving.and_then(|s| value(s, m));
            let verdict = match (new, now, rule.test) {
                (None, _, _) => Verdict::Pending(format!("{job} has not finished training")),
                (Some(_), None, _) => Verdict::Fail(format!("{job} reported no {m}")),
                (_, Some(v), GateTest::AtMost(limit)) if v <= limit => {
                    Verdict::Pass(format!("{m} {v} ≤ {limit}"))
                }
                (_, Some(v), GateTest::AtMost(limit)) => {
                    Verdict::Fail(format!("{m} {v} > {limit}"))
                }
                (_, Some(v), GateTest::AtLeast(limit)) if v >= limit => {
                    Verdict::Pass(format!("{m} {v} ≥ {limit}"))
                }
                (_, Some(v), GateTest::AtLeast(limit)) => {
                    Verdict::Fail(format!("{m} {v} < {limit}"))
                }
                (_, Some(v), GateTest::BetterThanServing) => match before {
                    Some(b) if v < b => Verdict::Pass(format!("{m} {v} < serving {b}")),
                    Some(b) => Verdict::Fail(format!("{m} {v} ≥ serving {b}")),
                    None if serving_job.is_none() => {
                        Verdict::Pass(format!("{m} {v}; nothing is served yet to compare with"))
                    }
                    None => Verdict::Pass(format!(
                        "{m} {v}; the serving job reported no {m} to compare with"
                    )),
                },
            };
            RuleCheck {
                rule: rule.clone(),
                new: now,
                serving: before,
                verdict,
            }
        })
        .collect();
    GateCheck {
        job: job.to_string(),
        serving_job: serving_job.map(str::to_string),
        rules: checks,
    }
}

/// A verdict's words.
pub fn said(v: &Verdict) -> &str {
    match v {
        Verdict::Pass(w) | Verdict::Fail(w) | Verdict::Pending(w) => w,
    }
}

impl GateCheck {
    /// Why the gate holds the endpoint back (every failed rule), or `None` when it does not.
    pub fn held(&self) -> Option<String> {
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
        let g = judge(&rules, "j2", Some(&new), Some("j1"), Some(&old));
        assert_eq!(
            g.rules[0].verdict,
            Verdict::Pass("eval_loss 1.6 ≤ 1.8".into())
        );
        assert_eq!(g.held().as_deref(), Some("eval_loss 1.6 ≥ serving 1.5"));
        let first = judge(&rules, "j1", Some(&old), None, None);
        assert_eq!(first.held(), None);
        let waiting = judge(&rules, "j2", None, Some("j1"), Some(&old));
        assert!(matches!(waiting.rules[1].verdict, Verdict::Pending(_)));
        assert_eq!(waiting.held(), None);
        let silent = judge(&rules, "j2", Some(&BTreeMap::new()), Some("j1"), Some(&old));
        assert_eq!(
            silent.held().as_deref(),
            Some("j2 reported no eval_loss; j2 reported no eval_loss")
        );
    }
}
