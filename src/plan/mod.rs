//! The plan as data: the versioned document `plan` writes and `apply` and `show` read, the
//! pure planner that derives it from desired and observed state (`planner`, `orphans`,
//! `diff`), cost estimates (`cost`), and the plan file (`file`: assembling, reading, and the
//! checks a saved plan must pass before apply). No I/O here except reading a plan file.

mod change_id;
pub mod cost;
mod datasets;
mod diff;
mod endpoints;
pub mod file;
mod fine_tunes;
pub(crate) mod gate;
mod orphans;
mod planner;
mod role;

use serde::{Deserialize, Serialize};

pub use crate::desired::naming::TAG_PASSED;
use crate::desired::GuardedUpdate;
use crate::prepare::Smoke;
pub use change_id::ChangeId;
pub use endpoints::passed_tag;
pub(crate) use gate::{GateCheck, Verdict};
pub(crate) use orphans::purge_datasets;
pub use planner::{plan, Options, Planned, Problem};

use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Repack, Tag,
};
use crate::cloud::{RoleRequest, Upload};

/// The plan file's format version; a reader refuses other versions.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// A whole plan: where it came from, what it relied on, and the ordered changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub(crate) format_version: u32,
    pub(crate) sagetune_version: String,
    /// RFC 3339, UTC; the only field that differs between two plans of the same inputs.
    pub(crate) created_at: String,
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) artifacts: String,
    pub(crate) manifest: Digest,
    /// `sagetune.lock` as used, or `None` when the models were resolved afresh.
    pub(crate) lock: Option<Digest>,
    /// Every dataset file the plan uploads or relies on, with its hash at planning time.
    pub(crate) data_files: Vec<DataFile>,
    /// SHA-256 of the observed AWS facts the plan relied on (see `observe::fingerprint`).
    pub(crate) observed_fingerprint: String,
    /// Every change in dependency order, including `noop`s for resources that match.
    pub changes: Vec<Change>,
    /// Things the reader should know that are not changes.
    pub warnings: Vec<String>,
    pub cost: cost::Cost,
    pub summary: Summary,
}

/// A file's path (as written in the manifest's folder) and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Digest {
    pub(crate) path: String,
    pub(crate) sha256: String,
}

/// A dataset file as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DataFile {
    pub(crate) address: String,
    /// The file uploaded (a derived file for a dataset with `text_column`).
    pub(crate) path: String,
    /// For a derived file, the user's file and column it holds (what people edit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
}

/// What apply does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Noop,
    /// Wait for SageMaker to finish what is in progress (training, endpoint changes).
    Wait,
    /// Stop a running training job.
    Stop,
    /// Finish an endpoint's promotion: it serves a config that has not passed its gate and
    /// smoke test (an earlier run was interrupted, or its test failed), so apply runs them,
    /// rolls back on failure, and records the pass on the endpoint.
    Verify,
}

impl Action {
    /// The symbol of the human and Markdown renderings.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Noop => " ",
            Action::Wait => "…",
            Action::Stop => "■",
            Action::Verify => "?",
        }
    }

    /// What the human plan's legend says the symbol means.
    pub(crate) fn legend(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update in place",
            Action::Delete => "destroy",
            Action::Noop => "no change",
            Action::Wait => "wait for",
            Action::Stop => "stop",
            Action::Verify => "verify a promotion",
        }
    }

    /// The action in one word, for the Markdown plan's table.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "destroy",
            Action::Noop => "no change",
            Action::Wait => "wait",
            Action::Stop => "stop",
            Action::Verify => "verify",
        }
    }

    /// The past participle of the detail blocks (`… will be created`).
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated in place",
            Action::Delete => "destroyed",
            Action::Noop => "unchanged",
            Action::Wait => "waited for",
            Action::Stop => "stopped",
            Action::Verify => "verified",
        }
    }
}

/// What kind of object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ResourceKind {
    Dataset,
    Role,
    TrainingJob,
    Model,
    EndpointConfig,
    Endpoint,
    /// A CloudWatch alarm that rolls back a guarded endpoint update.
    Alarm,
}

/// One change to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Unique within the plan: the address, or `address[name]` for an object the manifest no
    /// longer describes (superseded or orphaned).
    pub id: ChangeId,
    /// The manifest address (`fine_tune.gptj-sec`, `dataset.sec.train`, `role`).
    pub(crate) address: String,
    pub(crate) kind: ResourceKind,
    /// The AWS name, or `s3://bucket/key` for a dataset.
    pub name: String,
    pub action: Action,
    /// Why, for people: "hyperparameter epoch: 3 → 5". Apply does not read it.
    pub reason: String,
    /// Ids of the changes that must finish first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ChangeId>,
    /// The object this change replaces (the job behind the endpoint, the config served now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Field-level before/after values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// The exact API request apply sends; `None` for `noop` and `wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// Script-mode hosting: the model artifact is repacked with the inference code first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) repack: Option<Repack>,
    /// The endpoint's gate as judged at plan time; apply judges it again before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateCheck>,
    /// The endpoint's smoke test, run after the change; a failure after an update rolls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Smoke>,
    /// A guarded (blue/green) update: its traffic shifting and the alarms apply puts first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guarded: Option<GuardedUpdate>,
    /// A new training job: the hyperparameters the manifest sets (the others in its request
    /// are the spec's defaults), so reviewers see them apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) hyperparameters_set: Vec<String>,
    /// A dataset upload measured against the channel's upload it follows, for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataChange>,
}

/// How a dataset channel's data changes: the new file against the upload it follows (the one
/// a job of the stack read, else the latest). Apply does not read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataChange {
    /// `s3://…` of the upload compared with.
    pub previous: String,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// `None` when the previous upload predates the `sagetune-rows` metadata.
    pub rows_before: Option<u64>,
    pub rows_after: u64,
}

/// One field that differs: `None` means absent on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An API request, named by its operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "api", content = "input")]
pub enum Request {
    PutObject(Upload),
    CreateRole(RoleRequest),
    PutRolePolicy(RoleRequest),
    DeleteRole {
        #[serde(rename = "RoleName")]
        role_name: String,
    },
    CreateTrainingJob(CreateTrainingJob),
    StopTrainingJob {
        #[serde(rename = "TrainingJobName")]
        training_job_name: String,
    },
    CreateModel(CreateModel),
    DeleteModel {
        #[serde(rename = "ModelName")]
        model_name: String,
    },
    CreateEndpointConfig(CreateEndpointConfig),
    DeleteEndpointConfig {
        #[serde(rename = "EndpointConfigName")]
        endpoint_config_name: String,
    },
    CreateEndpoint(CreateEndpoint),
    UpdateEndpoint {
        #[serde(rename = "EndpointName")]
        endpoint_name: String,
        #[serde(rename = "EndpointConfigName")]
        endpoint_config_name: String,
    },
    DeleteEndpoint {
        #[serde(rename = "EndpointName")]
        endpoint_name: String,
    },
    /// Tags written on an endpoint (SageMaker AddTags on its ARN): a verify change's record
    /// that the config it serves passed its checks, sent only after they pass.
    AddTags {
        #[serde(rename = "EndpointName")]
        endpoint_name: String,
        #[serde(rename = "Tags")]
        tags: Vec<Tag>,
    },
    DeleteAlarms {
        #[serde(rename = "AlarmNames")]
        alarm_names: Vec<String>,
    },
    DeleteObject {
        #[serde(rename = "Bucket")]
        bucket: String,
        #[serde(rename = "Key")]
        key: String,
    },
    AbortMultipartUpload {
        #[serde(rename = "Bucket")]
        bucket: String,
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "UploadId")]
        upload_id: String,
    },
}

/// Counts for the closing line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub(crate) add: usize,
    pub(crate) change: usize,
    pub(crate) destroy: usize,
    pub(crate) wait: usize,
    pub(crate) stop: usize,
    /// Endpoints whose promotion apply checks (gate and smoke test) before anything it
    /// superseded goes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) verify: usize,
    pub(crate) unchanged: usize,
    /// Training jobs apply starts.
    pub jobs_to_run: usize,
    /// Bytes apply uploads.
    pub(crate) upload_bytes: u64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Counts the changes.
    pub(crate) fn of(changes: &[Change]) -> Self {
        let mut s = Summary::default();
        for c in changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
                Action::Noop => s.unchanged += 1,
                Action::Wait => s.wait += 1,
                Action::Stop => s.stop += 1,
                Action::Verify => s.verify += 1,
            }
            match &c.request {
                Some(Request::CreateTrainingJob(_)) => s.jobs_to_run += 1,
                Some(Request::PutObject(u)) => s.upload_bytes += u.bytes,
                _ => {}
            }
        }
        s
    }
}

impl Plan {
    /// Whether applying would do anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Noop)
    }

    /// The changes a gate holds back on facts already known (an endpoint update whose
    /// candidate fails its gate now), and every change that waits for one of them. Applying
    /// again without new inputs holds them again.
    pub fn held(&self) -> Vec<&ChangeId> {
        let mut held: Vec<&ChangeId> = (self.changes.iter())
            .filter(|c| c.action != Action::Noop)
            .filter(|c| c.gate.as_ref().is_some_and(|g| g.held().is_some()))
            .map(|c| &c.id)
            .collect();
        loop {
            let more: Vec<&ChangeId> = (self.changes.iter())
                .filter(|c| c.action != Action::Noop && !held.contains(&&c.id))
                .filter(|c| c.depends_on.iter().any(|d| held.contains(&d)))
                .map(|c| &c.id)
                .collect();
            if more.is_empty() {
                return held;
            }
            held.extend(more);
        }
    }

    /// Whether applying would change anything besides what a gate holds back
    /// (`plan --detailed-exitcode` 2): a scheduled drift check on a stack whose only pending
    /// work is a held promotion stays green.
    pub fn has_unheld_changes(&self) -> bool {
        let held = self.held();
        (self.changes.iter()).any(|c| c.action != Action::Noop && !held.contains(&&c.id))
    }

    /// The plan file's text: pretty JSON with a final newline.
    pub(crate) fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("plans serialize");
        s.push('\n');
        s
    }
}
