//! Cost estimates from the embedded, dated price table (`prices.csv`, sources in
//! `docs/cost.md`): an upper bound for each training job apply starts and the hourly and
//! 30-day cost of the endpoints. A type without a price is "unknown", never guessed.

use serde::{Deserialize, Serialize};

use super::{Action, Change, Request};
use crate::cloud::EndpointStatus;
use crate::desired::Desired;
use crate::observe::Observed;
use crate::prices::{price, prices_as_of};

/// Hours in the 30-day month the plan quotes.
pub(crate) const HOURS_PER_30_DAYS: f64 = 720.0;

/// Costs of one plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub(crate) currency: String,
    pub(crate) prices_as_of: String,
    /// Training jobs apply would start.
    pub(crate) training: Vec<TrainingCost>,
    /// Sum of the training upper bounds; `None` when a price is unknown.
    pub training_upper_bound: Option<f64>,
    /// Every endpoint the manifest describes, as it will run after apply.
    pub(crate) endpoints: Vec<EndpointCost>,
    /// Sum per hour; `None` when a price is unknown.
    pub endpoints_per_hour: Option<f64>,
    pub(crate) endpoints_per_30_days: Option<f64>,
    /// The stack's endpoints as they run now (each on the config it serves), for the delta.
    #[serde(default)]
    pub(crate) endpoints_now: Vec<EndpointCost>,
    /// Sum per hour of `endpoints_now`; `None` when a price is unknown.
    #[serde(default)]
    pub(crate) endpoints_now_per_hour: Option<f64>,
    /// Instance types the table has no price for in this region.
    pub(crate) unknown_prices: Vec<String>,
}

/// The most a training job can cost: instances × price × max runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrainingCost {
    pub(crate) address: String,
    pub(crate) instance_type: String,
    pub(crate) instance_count: u32,
    pub(crate) max_runtime_hours: f64,
    pub(crate) price_per_hour: Option<f64>,
    pub(crate) upper_bound: Option<f64>,
}

/// What an endpoint costs while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EndpointCost {
    pub(crate) address: String,
    pub(crate) instance_type: String,
    pub(crate) instance_count: u32,
    pub(crate) per_hour: Option<f64>,
    pub(crate) per_30_days: Option<f64>,
}

impl EndpointCost {
    /// `count` instances of `instance_type` at the price `lookup` finds (`None`: unknown).
    fn of(
        address: String,
        instance_type: &str,
        count: u32,
        lookup: &mut impl FnMut(&str) -> Option<f64>,
    ) -> Self {
        let p = lookup(instance_type).map(|p| p * f64::from(count));
        Self {
            address,
            instance_type: instance_type.to_string(),
            instance_count: count,
            per_hour: p.map(cents),
            per_30_days: p.map(|p| cents(p * HOURS_PER_30_DAYS)),
        }
    }
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    // An empty float sum is -0.0; adding 0.0 makes it print as 0.0.
    values.sum::<Option<f64>>().map(|v| cents(v) + 0.0)
}

/// The cost of the jobs `changes` start, of the desired endpoints, and of the endpoints that
/// run now (`seen`).
pub(crate) fn estimate(desired: &Desired, seen: &Observed, changes: &[Change]) -> Cost {
    let region = desired.region.as_str();
    let mut unknown = Vec::new();
    let mut lookup = |t: &str| {
        let p = price(region, t);
        if p.is_none() && !unknown.iter().any(|u| u == t) {
            unknown.push(t.to_string());
        }
        p
    };
    let training: Vec<TrainingCost> = changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .filter_map(|c| match &c.request {
            Some(Request::CreateTrainingJob(job)) => Some((c, job)),
            _ => None,
        })
        .map(|(c, job)| {
            let r = &job.resource_config;
            let hours = job.stopping_condition.max_runtime_in_seconds as f64 / 3600.0;
            let p = lookup(&r.instance_type);
            TrainingCost {
                address: c.address.clone(),
                instance_type: r.instance_type.clone(),
                instance_count: r.instance_count,
                max_runtime_hours: (hours * 100.0).round() / 100.0,
                price_per_hour: p,
                upper_bound: p.map(|p| cents(p * f64::from(r.instance_count) * hours)),
            }
        })
        .collect();
    let endpoints: Vec<EndpointCost> = desired
        .endpoints
        .iter()
        .filter_map(|e| {
            let v = e.endpoint_config.production_variants.first()?;
            Some(EndpointCost::of(
                format!("endpoint.{}", e.name),
                &v.instance_type,
                v.initial_instance_count,
                &mut lookup,
            ))
        })
        .collect();
    let endpoints_now = running(desired, seen, &mut lookup);
    Cost {
        currency: "USD".into(),
        endpoints_now_per_hour: sum(endpoints_now.iter().map(|e| e.per_hour)),
        endpoints_now,
        prices_as_of: prices_as_of().into(),
        training_upper_bound: sum(training.iter().map(|t| t.upper_bound)),
        endpoints_per_hour: sum(endpoints.iter().map(|e| e.per_hour)),
        endpoints_per_30_days: sum(endpoints.iter().map(|e| e.per_30_days)),
        training,
        endpoints,
        unknown_prices: unknown,
    }
}

/// What the endpoints running now cost: a failed endpoint has no instances; every other one
/// bills for its config's variant (a settled config is the manifest's, not described).
fn running(
    desired: &Desired,
    seen: &Observed,
    lookup: &mut impl FnMut(&str) -> Option<f64>,
) -> Vec<EndpointCost> {
    seen.endpoints
        .values()
        .filter(|e| e.status != EndpointStatus::Failed)
        .filter_map(|e| {
            // A settled config is the desired one, not described.
            let (instance_type, instance_count) = match seen.endpoint_configs.get(&e.config_name) {
                Some(config) => {
                    let v = config.variants.first()?;
                    (v.instance_type.clone(), v.instance_count)
                }
                None => {
                    let v = desired
                        .endpoints
                        .iter()
                        .map(|d| &d.endpoint_config)
                        .find(|c| c.endpoint_config_name == e.config_name)?
                        .production_variants
                        .first()?;
                    (v.instance_type.clone(), v.initial_instance_count)
                }
            };
            // A settled endpoint's tags are not read: it is the manifest's endpoint.
            let address = e
                .tags
                .get(crate::desired::naming::TAG_ADDRESS)
                .cloned()
                .or_else(|| {
                    desired
                        .endpoints
                        .iter()
                        .find(|d| d.endpoint.endpoint_name == e.name)
                        .map(|d| format!("endpoint.{}", d.name))
                })
                .unwrap_or_else(|| e.name.clone());
            Some(EndpointCost::of(
                address,
                &instance_type,
                instance_count,
                lookup,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_dated_and_covers_both_us_regions() {
        assert_eq!(prices_as_of(), "2026-03-15");
        for region in ["us-east-1", "us-west-2"] {
            for t in [
                "ml.g5.2xlarge",
                "ml.g5.12xlarge",
                "ml.g5.24xlarge",
                "ml.g5.48xlarge",
                "ml.p3.16xlarge",
                "ml.p4d.24xlarge",
                "ml.trn1.32xlarge",
            ] {
                assert!(price(region, t).is_some(), "{region} {t}");
            }
        }
        assert_eq!(price("us-east-1", "ml.g5.12xlarge"), Some(7.09));
        assert_eq!(price("eu-west-1", "ml.g5.12xlarge"), None);
        assert_eq!(price("us-east-1", "ml.nonexistent"), None);
    }

    #[test]
    fn unknown_prices_make_totals_unknown() {
        assert_eq!(sum([Some(1.0), None].into_iter()), None);
        assert_eq!(sum([Some(1.004), Some(2.0)].into_iter()), Some(3.0));
        let empty = sum(std::iter::empty()).unwrap();
        assert!(empty == 0.0 && empty.is_sign_positive());
    }
}
