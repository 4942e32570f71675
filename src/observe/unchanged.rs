//! Fine-tunes whose whole chain is as the manifest wants — every endpoint of the fine-tune in
//! service on the desired endpoint config (and, for an endpoint with a gate or smoke test,
//! tagged as having passed them on it), that config and the desired model listed, the desired
//! job listed as completed. Their endpoints, config, model and job are taken as they are: no
//! other Describe, and no tag read but an endpoint's with checks. Their names derive from
//! their content (an endpoint serving this stack's exact config is this stack's), and nothing
//! will change them. Their endpoints come from one SageMaker `Search` by the stack's tag when
//! it answers (so a no-op plan's requests do not grow with the stack), else from one
//! DescribeEndpoint each. Read-only.
//!
//! Search may lag behind DescribeEndpoint by moments. Only a record that shows an endpoint
//! exactly as desired settles it; any other (or a desired endpoint Search does not show) is
//! described. So sagetune's own changes, which Search shows late, cost requests; a lagging
//! record can hide only someone else's change of those moments, as an earlier read would.

use std::collections::{BTreeMap, BTreeSet};

use super::{run_all, Got, Observed, Read};
use crate::cloud::{CloudError, CloudRead, Endpoint, EndpointStatus, Kind, TrainingStatus};
use crate::desired::naming::TAG_PASSED;
use crate::desired::Desired;

/// Whether a Search error means "go without it": a policy without `sagemaker:Search`, or a
/// stand-in for SageMaker that lacks it. Throttling, network and credentials errors are not.
pub(super) fn search_unavailable(e: &CloudError) -> bool {
    matches!(e, CloudError::Denied { .. } | CloudError::Service { .. })
}

/// Whether Search answered and showed every desired endpoint (else the listing is read).
pub(super) fn search_shows_all(desired: &Desired, searched: Option<&[Endpoint]>) -> bool {
    searched.is_some_and(|found| {
        desired
            .endpoints
            .iter()
            .all(|e| found.iter().any(|f| f.name == e.endpoint.endpoint_name))
    })
}

/// Reads the status of the desired endpoints the listing shows (Search's records when they
/// are there), marks the unchanged chains in [`Observed::settled`], reads the other
/// endpoints again with their tags, and takes what was read or settled out of `listed`.
pub(super) fn settle_unchanged(
    cloud: &dyn CloudRead,
    desired: &Desired,
    searched: Option<Vec<Endpoint>>,
    listed: &mut BTreeMap<Kind, BTreeSet<String>>,
    seen: &mut Observed,
) -> Result<(), CloudError> {
    // An endpoint with checks is read with its tags: they say whether its checks passed.
    let with_tags: BTreeSet<&str> = desired
        .endpoints
        .iter()
        .filter(|e| e.checked())
        .map(|e| e.endpoint.endpoint_name.as_str())
        .collect();
    let mut described: BTreeSet<String> = BTreeSet::new();
    for record in searched.into_iter().flatten() {
        let wanted = desired
            .endpoints
            .iter()
            .any(|e| e.endpoint.endpoint_name == record.name);
        // When the listing was read too, it has the last word on what exists.
        if wanted && shows(listed, Kind::Endpoint, &record.name) {
            listed
                .entry(Kind::Endpoint)
                .or_default()
                .remove(&record.name);
            seen.endpoints.insert(record.name.clone(), record);
        }
    }
    read_desired_endpoints(cloud, desired, &with_tags, listed, seen, &mut described)?;
    settle(desired, listed, seen);
    // The others may change: read them again with their tags (and an update's target), for
    // the ownership checks.
    let reads = seen
        .endpoints
        .keys()
        .filter(|n| !seen.settled.contains(*n) && !described.contains(*n))
        .map(|n| Read::Describe(Kind::Endpoint, n.clone()))
        .collect();
    for got in run_all(cloud, reads)? {
        match got {
            Got::Endpoint(e) => {
                seen.endpoints.insert(e.name.clone(), e);
            }
            Got::Unreadable(name) => {
                seen.endpoints.remove(&name);
                seen.unreadable.insert(name);
            }
            // Gone since Search saw it.
            _ => {}
        }
    }
    Ok(())
}

fn shows(listed: &BTreeMap<Kind, BTreeSet<String>>, kind: Kind, name: &str) -> bool {
    listed.get(&kind).is_some_and(|names| names.contains(name))
}

/// Reads the desired endpoints the listing shows and Search did not (with their tags when
/// `with_tags` names them, else their status alone), takes them out of `listed`, and notes
/// in `described` those read with their tags.
fn read_desired_endpoints(
    cloud: &dyn CloudRead,
    desired: &Desired,
    with_tags: &BTreeSet<&str>,
    listed: &mut BTreeMap<Kind, BTreeSet<String>>,
    seen: &mut Observed,
    described: &mut BTreeSet<String>,
) -> Result<(), CloudError> {
    let reads = desired
        .endpoints
        .iter()
        .map(|e| e.endpoint.endpoint_name.clone())
        .filter(|n| shows(listed, Kind::Endpoint, n) && !seen.endpoints.contains_key(n))
        .map(|n| match with_tags.contains(n.as_str()) {
            true => Read::Describe(Kind::Endpoint, n),
            false => Read::EndpointStatus(n),
        })
        .collect();
    for got in run_all(cloud, reads)? {
        match got {
            Got::Endpoint(e) => {
                listed.entry(Kind::Endpoint).or_default().remove(&e.name);
                if with_tags.contains(e.name.as_str()) {
                    described.insert(e.name.clone());
                }
                seen.endpoints.insert(e.name.clone(), e);
            }
            Got::Unreadable(name) => {
                listed.entry(Kind::Endpoint).or_default().remove(&name);
                seen.unreadable.insert(name);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Marks the fine-tunes whose whole chain is as the manifest wants in [`Observed::settled`],
/// taking their config and model out of `listed`.
fn settle(desired: &Desired, listed: &mut BTreeMap<Kind, BTreeSet<String>>, seen: &mut Observed) {
    for f in &desired.fine_tunes {
        let Some(model) = &f.model else { continue };
        let endpoints: Vec<_> = desired
            .endpoints
            .iter()
            .filter(|e| e.fine_tune == f.name)
            .collect();
        let job = &f.training_job.training_job_name;
        let unchanged = !endpoints.is_empty()
            && seen.job_list.get(job) == Some(&TrainingStatus::Completed)
            && shows(listed, Kind::Model, &model.model_name)
            && endpoints.iter().all(|e| {
                let config = &e.endpoint_config.endpoint_config_name;
                seen.endpoints
                    .get(&e.endpoint.endpoint_name)
                    .is_some_and(|ep| {
                        ep.status == EndpointStatus::InService
                            && ep.config_name == *config
                            && (!e.checked() || ep.tags.get(TAG_PASSED) == Some(config))
                    })
                    && shows(listed, Kind::EndpointConfig, config)
            });
        if !unchanged {
            continue;
        }
        seen.settled.insert(job.clone());
        seen.settled.insert(model.model_name.clone());
        listed
            .entry(Kind::Model)
            .or_default()
            .remove(&model.model_name);
        for e in endpoints {
            let config = &e.endpoint_config.endpoint_config_name;
            seen.settled.insert(config.clone());
            seen.settled.insert(e.endpoint.endpoint_name.clone());
            listed
                .entry(Kind::EndpointConfig)
                .or_default()
                .remove(config);
        }
    }
}
