//! Fine-tunes whose whole chain is as the manifest wants — every endpoint of the fine-tune in
//! service on the desired endpoint config (and, for an endpoint with a gate or smoke test,
//! tagged as having passed them on it), that config and the desired model listed, the desired
//! job listed as completed. Their endpoints, config, model and job are taken as they are: no
//! other Describe, and no tag read but an endpoint's with checks. Their names derive from
//! their content (an endpoint serving this stack's exact config is this stack's), and nothing
//! will change them. So a no-op plan reads one endpoint per fine-tune. Read-only.

use std::collections::{BTreeMap, BTreeSet};

use super::{run_all, Got, Observed, Read};
use crate::cloud::{CloudError, CloudRead, EndpointStatus, Kind, TrainingStatus};
use crate::desired::naming::TAG_PASSED;
use crate::desired::Desired;

/// Reads the status of the desired endpoints the listing shows, marks the unchanged chains in
/// [`Observed::settled`], reads the other endpoints' tags, and takes what was read or settled
/// out of `listed`.
pub(super) fn settle_unchanged(
    cloud: &dyn CloudRead,
    desired: &Desired,
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
    read_desired_endpoints(cloud, desired, &with_tags, listed, seen)?;
    settle(desired, listed, seen);
    // The others may change: read them again with their tags, for the ownership checks.
    let reads = seen
        .endpoints
        .keys()
        .filter(|n| !seen.settled.contains(*n) && !with_tags.contains(n.as_str()))
        .map(|n| Read::Describe(Kind::Endpoint, n.clone()))
        .collect();
    for got in run_all(cloud, reads)? {
        if let Got::Endpoint(e) = got {
            seen.endpoints.insert(e.name.clone(), e);
        }
    }
    Ok(())
}

fn shows(listed: &BTreeMap<Kind, BTreeSet<String>>, kind: Kind, name: &str) -> bool {
    listed.get(&kind).is_some_and(|names| names.contains(name))
}

/// Reads the desired endpoints the listing shows (with their tags when `with_tags` names
/// them, else their status alone) and takes them out of `listed`.
fn read_desired_endpoints(
    cloud: &dyn CloudRead,
    desired: &Desired,
    with_tags: &BTreeSet<&str>,
    listed: &mut BTreeMap<Kind, BTreeSet<String>>,
    seen: &mut Observed,
) -> Result<(), CloudError> {
    let reads = desired
        .endpoints
        .iter()
        .map(|e| e.endpoint.endpoint_name.clone())
        .filter(|n| shows(listed, Kind::Endpoint, n))
        .map(|n| match with_tags.contains(n.as_str()) {
            true => Read::Describe(Kind::Endpoint, n),
            false => Read::EndpointStatus(n),
        })
        .collect();
    for got in run_all(cloud, reads)? {
        match got {
            Got::Endpoint(e) => {
                listed.entry(Kind::Endpoint).or_default().remove(&e.name);
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
