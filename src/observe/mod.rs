//! Observation: read-only calls through [`CloudRead`] that gather one snapshot of everything
//! the planner needs about a stack, in plain data, plus a fingerprint of the facts a plan
//! relies on; the settle loop for run numbers (`settle`), the stack's status (`status`), and
//! training jobs' logs (`logs`) with the metric series in them (`metrics`).
//! Never writes; absent objects are simply missing from the snapshot.

pub mod logs;
pub mod metrics;
mod previous;
mod settle;
mod status;
mod stored;
mod unchanged;

pub(crate) use settle::observe_settled;
pub use status::{status, JobCost, Status};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::cloud::split_s3;
use crate::cloud::{
    Alarm, CloudError, CloudRead, Endpoint, EndpointConfig, Kind, Model, PendingUpload, Role,
    StoredObject, TrainingJob, TrainingStatus,
};
use crate::desired::naming::{canonical_json, TAG_STACK};
use crate::desired::{managed_role_name, Desired};

/// How many AWS reads run at once.
pub(crate) const PARALLEL_READS: usize = 8;

/// What AWS holds for a stack, as read at one moment. Serializable so tests can use it as a
/// fixture and plans can fingerprint it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub(crate) bucket_exists: bool,
    /// Dataset objects that exist, by `s3://bucket/key`.
    pub(crate) objects: BTreeMap<String, StoredObject>,
    /// The role `<stack>-sagemaker-execution`, if it exists.
    pub(crate) role: Option<Role>,
    /// Every training job whose name starts with `<stack>-`, with its status.
    pub(crate) job_list: BTreeMap<String, TrainingStatus>,
    /// Training jobs described: the desired ones, running ones, and those behind models.
    pub(crate) jobs: BTreeMap<String, TrainingJob>,
    pub(crate) models: BTreeMap<String, Model>,
    pub(crate) endpoint_configs: BTreeMap<String, EndpointConfig>,
    pub(crate) endpoints: BTreeMap<String, Endpoint>,
    /// CloudWatch alarms whose name starts with `<stack>-` (the rollback alarms of guarded
    /// updates), with their tags; the planner deletes the stack's alarms nothing wants.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) alarms: BTreeMap<String, Alarm>,
    /// Names the listings showed whose Describe was denied: with a least-privilege policy
    /// (reads only of objects tagged with this stack), another stack's objects whose names
    /// start with `<stack>-`. Never touched; a desired name among them is a clash.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(crate) unreadable: BTreeSet<String>,
    /// Multipart uploads under the stack's dataset prefix left by an interrupted run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) pending_uploads: Vec<PendingUpload>,
    /// Why multipart uploads could not be listed (a store without ListMultipartUploads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) uploads_unlisted: Option<String>,
    /// For each dataset object not uploaded yet (by address): the channel's upload it follows,
    /// to show reviewers how the data changes. Read only when some dataset changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) previous_uploads: BTreeMap<String, StoredObject>,
    /// Names of the configs, models and completed jobs of unchanged fine-tunes, taken as they
    /// are without being described (see `unchanged`); only plans read this way.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(crate) settled: BTreeSet<String>,
}

/// Reads everything about `desired`'s stack, at most [`PARALLEL_READS`] calls at a time.
pub(crate) fn observe(cloud: &dyn CloudRead, desired: &Desired) -> Result<Observed, CloudError> {
    observe_with(cloud, desired, false)
}

/// As [`observe`]; with `settle`, the configs, models and jobs of unchanged fine-tunes are
/// not described, and endpoints are found by SageMaker `Search` when it answers (what a plan
/// needs, not what `status` shows).
pub(crate) fn observe_with(
    cloud: &dyn CloudRead,
    desired: &Desired,
    settle: bool,
) -> Result<Observed, CloudError> {
    let mut seen = Observed::default();
    let Listed {
        mut names,
        stored,
        searched,
    } = listings(cloud, desired, settle, &mut seen)?;
    if let Some(stored) = &stored {
        stored::dataset_objects(cloud, desired, stored, &mut seen)?;
    }
    if settle {
        unchanged::settle_unchanged(cloud, desired, searched, &mut names, &mut seen)?;
    }
    describe_stack_objects(cloud, names, &mut seen)?;
    describe_stack_jobs(cloud, desired, &mut seen)?;
    if let Some(stored) = &stored {
        previous::previous_uploads(cloud, desired, stored, &mut seen)?;
    }
    Ok(seen)
}

/// What phase 1 found beside what it put in [`Observed`].
struct Listed {
    /// The stack's names by kind, as the listings (or Search) showed them.
    names: BTreeMap<Kind, BTreeSet<String>>,
    /// Every object under the stack's datasets prefix; `None` when the bucket is missing.
    stored: Option<Vec<StoredObject>>,
    /// The stack's endpoints as Search showed them, when it answered.
    searched: Option<Vec<Endpoint>>,
}

/// Phase 1: listings (one per kind, one of the stack's dataset objects), pending uploads and
/// the role. With `search`, endpoints come from one Search by the stack's tag; the endpoint
/// listing is read only when Search is unavailable or misses a desired endpoint.
fn listings(
    cloud: &dyn CloudRead,
    desired: &Desired,
    search: bool,
    seen: &mut Observed,
) -> Result<Listed, CloudError> {
    let prefix = format!("{}-", desired.stack);
    let (bucket, key_prefix) = split_s3(&desired.artifacts);
    let datasets = format!("{key_prefix}datasets/{}/", desired.stack);
    let reads: Vec<Read> = vec![
        Read::Objects(bucket.to_string(), datasets.clone()),
        Read::Uploads(bucket.to_string(), datasets),
        Read::Role(managed_role_name(&desired.stack)),
        Read::Alarms(prefix.clone()),
        Read::Jobs(prefix.clone()),
        Read::List(Kind::Model, prefix.clone()),
        Read::List(Kind::EndpointConfig, prefix.clone()),
        match search {
            true => Read::Search(desired.stack.clone()),
            false => Read::List(Kind::Endpoint, prefix.clone()),
        },
    ];
    let mut listed = Listed {
        names: BTreeMap::new(),
        stored: None,
        searched: None,
    };
    for got in run_all(cloud, reads)? {
        take(got, &prefix, seen, &mut listed);
    }
    seen.bucket_exists = listed.stored.is_some();
    if search && !unchanged::search_shows_all(desired, listed.searched.as_deref()) {
        if let Got::Names(kind, names) = read(cloud, &Read::List(Kind::Endpoint, prefix.clone()))? {
            listed.names.insert(kind, own(names, &prefix));
        }
    }
    Ok(listed)
}

/// Puts one phase-1 answer where it belongs.
fn take(got: Got, prefix: &str, seen: &mut Observed, listed: &mut Listed) {
    match got {
        Got::Objects(stored) => listed.stored = stored,
        Got::Uploads(uploads) => seen.pending_uploads = uploads,
        // An S3-compatible store without ListMultipartUploads: plan and apply go on; the
        // plan says leftovers could not be looked for.
        Got::UploadsUnlisted(why) => seen.uploads_unlisted = Some(why),
        Got::Role(r) => seen.role = Some(r),
        Got::Alarms(alarms) => {
            seen.alarms = alarms.into_iter().map(|a| (a.name.clone(), a)).collect();
        }
        Got::Jobs(jobs) => {
            seen.job_list = jobs
                .into_iter()
                .filter(|j| j.name.starts_with(prefix))
                .map(|j| (j.name, j.status))
                .collect();
        }
        Got::Names(kind, names) => {
            listed.names.insert(kind, own(names, prefix));
        }
        Got::Searched(found) => {
            let found: Vec<Endpoint> = found
                .into_iter()
                .filter(|e| e.name.starts_with(prefix))
                .collect();
            let names = found.iter().map(|e| e.name.clone()).collect();
            listed.names.insert(Kind::Endpoint, names);
            listed.searched = Some(found);
        }
        _ => {}
    }
}

/// The names that start with `prefix` (listings match by substring).
fn own(names: Vec<String>, prefix: &str) -> BTreeSet<String> {
    names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// Phase 2: every listed stack model, config and endpoint. A name the listings do not show
/// is absent: it is not described (a create that meets it anyway adopts it when it carries the
/// stack's tag, and refuses otherwise).
fn describe_stack_objects(
    cloud: &dyn CloudRead,
    want: BTreeMap<Kind, BTreeSet<String>>,
    seen: &mut Observed,
) -> Result<(), CloudError> {
    let reads: Vec<Read> = want
        .into_iter()
        .flat_map(|(kind, names)| names.into_iter().map(move |n| Read::Describe(kind, n)))
        .collect();
    for got in run_all(cloud, reads)? {
        match got {
            Got::Model(m) => {
                seen.models.insert(m.name.clone(), m);
            }
            Got::Config(c) => {
                seen.endpoint_configs.insert(c.name.clone(), c);
            }
            Got::Endpoint(e) => {
                seen.endpoints.insert(e.name.clone(), e);
            }
            Got::Unreadable(name) => {
                seen.unreadable.insert(name);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Phase 3: training jobs — the desired ones and earlier runs of their inputs (when listed),
/// running ones, and those whose output a model serves.
fn describe_stack_jobs(
    cloud: &dyn CloudRead,
    desired: &Desired,
    seen: &mut Observed,
) -> Result<(), CloudError> {
    let mut jobs: BTreeSet<String> = BTreeSet::new();
    for f in &desired.fine_tunes {
        // The listing holds the desired name too when it exists: it is a run of the inputs.
        jobs.extend(
            seen.job_list
                .keys()
                .filter(|n| is_run_of(n, &f.first_job_name))
                .cloned(),
        );
    }
    jobs.extend(
        seen.job_list
            .iter()
            .filter(|(_, s)| s.is_running())
            .map(|(n, _)| n.clone()),
    );
    jobs.extend(
        seen.models
            .values()
            .filter_map(|m| m.model_data.as_deref().and_then(job_of_artifact)),
    );
    let names: Vec<String> = jobs
        .into_iter()
        .filter(|n| !seen.settled.contains(n))
        .collect();
    for j in describe_jobs(cloud, &names)? {
        seen.jobs.insert(j.name.clone(), j);
    }
    Ok(())
}

/// Describes the named training jobs, [`PARALLEL_READS`] at a time; absent ones are skipped.
pub(crate) fn describe_jobs(
    cloud: &dyn CloudRead,
    names: &[String],
) -> Result<Vec<TrainingJob>, CloudError> {
    let reads = names
        .iter()
        .map(|n| Read::Describe(Kind::TrainingJob, n.clone()))
        .collect();
    Ok(run_all(cloud, reads)?
        .into_iter()
        .filter_map(|g| match g {
            Got::Job(j) => Some(*j),
            _ => None,
        })
        .collect())
}

/// Whether `name` is a run of the job first named `first` (`first` or `first-<n>`).
pub(crate) fn is_run_of(name: &str, first: &str) -> bool {
    run_number(name, first).is_some()
}

/// The run number of `name` among the runs of `first`: 1 for `first`, n for `first-<n>`.
pub(crate) fn run_number(name: &str, first: &str) -> Option<u32> {
    if name == first {
        return Some(1);
    }
    let rest = name.strip_prefix(first)?.strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with('0') {
        return None;
    }
    rest.parse().ok().filter(|n| *n >= 2)
}

/// The training job whose output an artifact URI is (`…/<job>/output/…`, or
/// `…/<job>/repacked/…` for a repacked model).
pub(crate) fn job_of_artifact(uri: &str) -> Option<String> {
    let parts: Vec<&str> = uri.split('/').collect();
    parts
        .windows(2)
        .rev()
        .find(|w| w[1] == "output" || w[1] == "repacked")
        .map(|w| w[0].to_string())
        .filter(|n| !n.is_empty())
}

/// SHA-256 of the observed facts a plan depends on: existence, ownership tags, statuses,
/// configs served and content hashes. Progress details (secondary status, metrics) are left
/// out so a running job does not make a plan stale.
pub(crate) fn fingerprint(o: &Observed) -> String {
    let jobs: BTreeMap<&String, (&str, &crate::cloud::Tags)> = o
        .jobs
        .iter()
        .map(|(n, j)| (n, (j.status.as_str(), &j.tags)))
        .collect();
    let mut facts = serde_json::json!({
        "bucket_exists": o.bucket_exists,
        "objects": o.objects.iter().map(|(k, v)| (k.clone(), v.sha256.clone())).collect::<BTreeMap<_, _>>(),
        "role": o.role,
        "job_list": o.job_list,
        "jobs": jobs,
        "models": o.models,
        "endpoint_configs": o.endpoint_configs,
        "endpoints": o.endpoints,
    });
    if !o.settled.is_empty() {
        facts["settled"] = serde_json::json!(o.settled);
    }
    crate::files::sha256_hex(canonical_json(&facts).as_bytes())
}

enum Read {
    Head(String, String),
    /// The objects under a prefix (bucket, prefix).
    Objects(String, String),
    /// Multipart uploads under a prefix (bucket, prefix).
    Uploads(String, String),
    /// The endpoints tagged with a stack, by SageMaker Search.
    Search(String),
    /// An endpoint's status and config, without its tags.
    EndpointStatus(String),
    Role(String),
    /// CloudWatch alarms by name prefix.
    Alarms(String),
    Jobs(String),
    List(Kind, String),
    Describe(Kind, String),
}

enum Got {
    Nothing,
    Object(StoredObject),
    /// A listing; `None` when the bucket does not exist.
    Objects(Option<Vec<StoredObject>>),
    Uploads(Vec<PendingUpload>),
    /// Why multipart uploads could not be listed.
    UploadsUnlisted(String),
    /// Search's answer (a Search sagetune may not use answers `Nothing`).
    Searched(Vec<Endpoint>),
    Role(Role),
    Jobs(Vec<crate::cloud::JobSummary>),
    Alarms(Vec<Alarm>),
    Names(Kind, Vec<String>),
    Job(Box<TrainingJob>),
    Model(Model),
    Config(EndpointConfig),
    Endpoint(Endpoint),
    /// A listed object whose Describe was denied.
    Unreadable(String),
}

fn read(cloud: &dyn CloudRead, r: &Read) -> Result<Got, CloudError> {
    match (r, described(cloud, r)) {
        // Not this stack's to read (a least-privilege policy reads only its own objects).
        (Read::Describe(_, name) | Read::EndpointStatus(name), Err(CloudError::Denied { .. })) => {
            Ok(Got::Unreadable(name.clone()))
        }
        (_, got) => got,
    }
}

fn described(cloud: &dyn CloudRead, r: &Read) -> Result<Got, CloudError> {
    Ok(match r {
        Read::Head(b, k) => cloud.head_object(b, k)?.map_or(Got::Nothing, Got::Object),
        Read::Objects(b, p) => Got::Objects(cloud.list_objects(b, p)?),
        Read::Uploads(b, p) => match cloud.list_pending_uploads(b, p) {
            Ok(uploads) => Got::Uploads(uploads),
            Err(e) if e.is_not_implemented() => Got::UploadsUnlisted(e.to_string()),
            // The bucket is missing: the objects' listing says so.
            Err(CloudError::NotFound { .. }) => Got::Uploads(Vec::new()),
            Err(e) => return Err(e),
        },
        Read::Search(stack) => match cloud.search_endpoints(TAG_STACK, stack) {
            Ok(found) => Got::Searched(found),
            // Endpoints are then read one by one, as without Search.
            Err(e) if unchanged::search_unavailable(&e) => Got::Nothing,
            Err(e) => return Err(e),
        },
        Read::EndpointStatus(n) => cloud
            .endpoint_status(n)?
            .map_or(Got::Nothing, Got::Endpoint),
        Read::Role(n) => cloud.get_role(n)?.map_or(Got::Nothing, Got::Role),
        Read::Jobs(p) => Got::Jobs(cloud.list_training_jobs(p)?),
        Read::Alarms(p) => Got::Alarms(cloud.list_alarms(p)?),
        Read::List(kind, p) => Got::Names(*kind, cloud.list_names(*kind, p)?),
        Read::Describe(Kind::TrainingJob, n) => cloud
            .describe_training_job(n)?
            .map_or(Got::Nothing, |j| Got::Job(Box::new(j))),
        Read::Describe(Kind::Model, n) => cloud.describe_model(n)?.map_or(Got::Nothing, Got::Model),
        Read::Describe(Kind::EndpointConfig, n) => cloud
            .describe_endpoint_config(n)?
            .map_or(Got::Nothing, Got::Config),
        Read::Describe(Kind::Endpoint, n) => cloud
            .describe_endpoint(n)?
            .map_or(Got::Nothing, Got::Endpoint),
    })
}

/// Runs the reads on up to [`PARALLEL_READS`] threads; results keep the input order, and
/// the first error (in input order) wins.
fn run_all(cloud: &dyn CloudRead, reads: Vec<Read>) -> Result<Vec<Got>, CloudError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Got, CloudError>>>> =
        Mutex::new((0..reads.len()).map(|_| None).collect());
    let workers = PARALLEL_READS.min(reads.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = reads.get(i) else { break };
                let got = read(cloud, r);
                results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(got);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|r| r.expect("every read ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_numbered_after_the_first_name() {
        let first = "s-ft-0123456789";
        assert_eq!(run_number(first, first), Some(1));
        assert_eq!(run_number("s-ft-0123456789-2", first), Some(2));
        assert_eq!(run_number("s-ft-0123456789-17", first), Some(17));
        assert_eq!(run_number("s-ft-0123456789-1", first), None);
        assert_eq!(run_number("s-ft-0123456789-02", first), None);
        assert_eq!(run_number("s-ft-0123456789-x", first), None);
        assert_eq!(run_number("s-ft-01234567890", first), None);
        assert_eq!(run_number("s-other-0123456789", first), None);
    }

    #[test]
    fn artifacts_name_their_job() {
        assert_eq!(
            job_of_artifact("s3://b/p/outputs/ft/s-ft-0123456789/output/model.tar.gz").as_deref(),
            Some("s-ft-0123456789")
        );
        assert_eq!(
            job_of_artifact("s3://b/outputs/ft/s-ft-0123456789-2/output/model/").as_deref(),
            Some("s-ft-0123456789-2")
        );
        assert_eq!(
            job_of_artifact("s3://b/outputs/ft/j/repacked/model.tar.gz").as_deref(),
            Some("j")
        );
        assert_eq!(job_of_artifact("s3://b/model.tar.gz"), None);
    }
}
