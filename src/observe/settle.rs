//! Observation with run numbers settled: when an earlier run of a fine-tune's exact inputs
//! failed or was stopped, the desired job is the next run, so the desired state is rebuilt
//! for it and observed again. Read-only.

use std::collections::BTreeMap;

use crate::cloud::{CloudError, CloudRead, TrainingStatus};
use crate::desired::{self, Desired};
use crate::prepare::Prepared;

use super::{observe_with, run_number, Observed};

/// Observes `cloud` for the prepared manifest's desired state, with run numbers settled.
pub(crate) fn observe_settled(
    prepared: &Prepared,
    cloud: &dyn CloudRead,
) -> Result<(Desired, Observed), CloudError> {
    let first = desired::of(prepared, &BTreeMap::new());
    let seen = observe_with(cloud, &first, true)?;
    let runs = runs(&first, &seen);
    if runs.is_empty() {
        return Ok((first, seen));
    }
    let desired = desired::of(prepared, &runs);
    let seen = observe_with(cloud, &desired, true)?;
    Ok((desired, seen))
}

/// The run number each fine-tune's job should have: the latest run of the same inputs if it
/// is running or completed, the next one if it failed or was stopped, else 1.
pub(crate) fn runs(desired: &Desired, observed: &Observed) -> BTreeMap<String, u32> {
    desired
        .fine_tunes
        .iter()
        .filter_map(|f| {
            let latest = observed
                .job_list
                .iter()
                .filter_map(|(name, status)| {
                    run_number(name, &f.first_job_name).map(|n| (n, *status))
                })
                .max_by_key(|(n, _)| *n)?;
            let next = match latest.1 {
                TrainingStatus::Failed | TrainingStatus::Stopped => latest.0 + 1,
                _ => latest.0,
            };
            (next > 1).then(|| (f.name.clone(), next))
        })
        .collect()
}
