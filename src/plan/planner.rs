//! The planner: a pure function of the desired state and one observed snapshot. It decides
//! each object's action, orders the changes by dependency, explains each one, and refuses
//! (with problems, not changes) what must never happen: touching objects sagetune does not
//! own, deleting protected endpoints, planning without the artifacts bucket.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;

use super::{diff, Action, Change, ChangeId, DataChange, FieldDiff, Request, ResourceKind};
use crate::cloud::{Role, RoleRequest, Tags};
use crate::desired::naming::TAG_STACK;
use crate::desired::{DatasetObject, Desired};
use crate::observe::Observed;

/// Choices the user makes on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Stop running training jobs that no fine-tune wants any more.
    pub stop_orphaned_jobs: bool,
    /// Delete protected endpoints the manifest no longer has (`destroy --force`).
    pub delete_protected: bool,
}

/// Something that makes a plan impossible; names the object and how to get past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// The planner's answer: ordered changes and warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub(crate) changes: Vec<Change>,
    pub(crate) warnings: Vec<String>,
}

/// Plans the changes that take AWS from `observed` to `desired`.
pub fn plan(d: &Desired, o: &Observed, opts: &Options) -> Result<Planned, Vec<Problem>> {
    let mut p = Planner {
        d,
        o,
        changes: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        freed: BTreeMap::new(),
    };
    if !o.bucket_exists {
        let (bucket, _) = crate::cloud::split_s3(&d.artifacts);
        return Err(vec![Problem {
            code: "plan::no-bucket",
            message: format!("the artifacts bucket `{bucket}` does not exist or is not reachable with these credentials"),
            help: "create the bucket (sagetune never creates or deletes buckets), or fix `artifacts` in the manifest".into(),
        }]);
    }
    p.unreadable_names();
    if !p.problems.is_empty() {
        return Err(p.problems);
    }
    let role_arn = p.role();
    p.interrupted_uploads();
    p.datasets();
    for f in &d.fine_tunes {
        p.fine_tune(f, role_arn.as_deref());
    }
    for e in &d.endpoints {
        p.endpoint(e);
    }
    p.orphans(opts);
    if !p.problems.is_empty() {
        return Err(p.problems);
    }
    let mut changes = p.changes;
    changes.sort_by_key(|c| (rank(c), c.id.clone()));
    Ok(Planned {
        changes,
        warnings: p.warnings,
    })
}

/// Dependency phases: uploads → role → training → model → config → endpoint → rotation.
fn rank(c: &Change) -> u8 {
    let deleting = matches!(c.action, Action::Delete | Action::Stop);
    match (c.kind, deleting) {
        (ResourceKind::Dataset, false) => 0,
        (ResourceKind::Dataset, true) => 11,
        (ResourceKind::Role, false) => 1,
        (ResourceKind::TrainingJob, false) => 2,
        (ResourceKind::Model, false) => 3,
        (ResourceKind::EndpointConfig, false) => 4,
        (ResourceKind::Endpoint, false) => 5,
        (ResourceKind::Endpoint, true) => 6,
        (ResourceKind::Alarm, _) => 6,
        (ResourceKind::EndpointConfig, true) => 7,
        (ResourceKind::Model, true) => 8,
        (ResourceKind::TrainingJob, true) => 9,
        (ResourceKind::Role, true) => 10,
    }
}

/// Puts the managed role's policy (and boundary) back in the shape the manifest derives.
fn role_update(have: &Role, want: &RoleRequest, boundary_same: bool) -> Change {
    let mut c = change(
        ChangeId::at("role"),
        ResourceKind::Role,
        &have.name,
        Action::Update,
        if boundary_same {
            "the inline policy differs from the one sagetune derives from the manifest".into()
        } else {
            "the role's permissions boundary is not the manifest's".into()
        },
    );
    if !boundary_same {
        c.diff.push(FieldDiff {
            field: "permissions_boundary".into(),
            before: have.permissions_boundary.clone(),
            after: want.permissions_boundary.clone(),
        });
    }
    c.diff.push(FieldDiff {
        field: format!("policy {}", want.policy_name),
        before: (have.inline_policies.get(&want.policy_name)).map(|p| pretty_json(p)),
        after: Some(pretty_json(&want.policy_document)),
    });
    c.request = Some(Request::PutRolePolicy(want.clone()));
    c
}

pub(super) struct Planner<'a> {
    pub(super) d: &'a Desired,
    pub(super) o: &'a Observed,
    pub(super) changes: Vec<Change>,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<String>,
    /// Old config or model name → ids of the changes after which nothing serves it.
    pub(super) freed: BTreeMap<String, Vec<ChangeId>>,
}

pub(super) fn change(
    id: ChangeId,
    kind: ResourceKind,
    name: &str,
    action: Action,
    reason: String,
) -> Change {
    Change {
        address: id.address().to_string(),
        id,
        kind,
        name: name.to_string(),
        action,
        reason,
        depends_on: Vec::new(),
        supersedes: None,
        diff: Vec::new(),
        request: None,
        repack: None,
        gate: None,
        smoke: None,
        guarded: None,
        hyperparameters_set: Vec::new(),
        data: None,
    }
}

impl Planner<'_> {
    pub(super) fn owned(&self, tags: &Tags) -> bool {
        tags.get(TAG_STACK) == Some(&self.d.stack)
    }

    /// An error when `tags` do not carry our stack tag; `true` when we own the object.
    pub(super) fn check_owner(&mut self, noun: &str, name: &str, tags: &Tags) -> bool {
        if self.owned(tags) {
            return true;
        }
        let whose = match tags.get(TAG_STACK) {
            Some(other) => format!("it belongs to sagetune stack `{other}`"),
            None => format!("it lacks the tag {TAG_STACK}={}", self.d.stack),
        };
        self.problems.push(Problem {
            code: "plan::name-clash",
            message: format!("{noun} `{name}` already exists and {whose}; sagetune will not touch it"),
            help: if noun == "training job" {
                // SageMaker never deletes or renames a training job: only a new name helps.
                "training jobs can never be deleted: bump `retrain` on this fine-tune (a new run gets a new name), or rename the stack or fine-tune".into()
            } else {
                format!("rename the stack, fine-tune or endpoint in the manifest, or delete the {noun} `{name}` if nothing needs it")
            },
        });
        false
    }

    /// Desired names AWS holds but this caller may not read: with a least-privilege policy
    /// (Describe only of objects tagged with this stack), another stack's objects.
    fn unreadable_names(&mut self) {
        let d = self.d;
        let names = d
            .fine_tunes
            .iter()
            .flat_map(|f| {
                let model = f.model.as_ref().map(|m| ("model", m.model_name.as_str()));
                [("training job", f.training_job.training_job_name.as_str())]
                    .into_iter()
                    .chain(model)
            })
            .chain(d.endpoints.iter().flat_map(|e| {
                [
                    (
                        "endpoint config",
                        e.endpoint_config.endpoint_config_name.as_str(),
                    ),
                    ("endpoint", e.endpoint.endpoint_name.as_str()),
                ]
            }));
        for (noun, name) in names {
            if self.o.unreadable.contains(name) {
                self.problems.push(Problem {
                    code: "plan::name-clash",
                    message: format!("{noun} `{name}` already exists and these credentials may not read it: it is not tagged as stack `{}`'s", d.stack),
                    help: format!("another stack (one whose name starts with `{}-`) has this AWS name: rename the stack, fine-tune or endpoint in the manifest", d.stack),
                });
            }
        }
    }

    /// Whether the change with `id` does anything apply must finish first.
    pub(super) fn pending(&self, id: &ChangeId) -> bool {
        self.changes
            .iter()
            .any(|c| &c.id == id && c.action != Action::Noop)
    }

    fn role(&mut self) -> Option<String> {
        let Some(want) = &self.d.role else {
            self.role_no_longer_managed();
            return None;
        };
        let Some(have) = &self.o.role else {
            let mut c = change(
                ChangeId::at("role"),
                ResourceKind::Role,
                &want.role_name,
                Action::Create,
                "new execution role for SageMaker".into(),
            );
            c.diff.push(FieldDiff {
                field: format!("policy {}", want.policy_name),
                before: None,
                after: Some(pretty_json(&want.policy_document)),
            });
            c.request = Some(Request::CreateRole(want.clone()));
            self.changes.push(c);
            return None;
        };
        if !self.check_owner("IAM role", &have.name, &have.tags) {
            return None;
        }
        let same = |a: &str, b: &str| json_eq(a, b);
        let policy_same = have
            .inline_policies
            .get(&want.policy_name)
            .is_some_and(|p| same(p, &want.policy_document));
        // A boundary the manifest sets must be on the role (one it does not set is left).
        let boundary_same = want.permissions_boundary.is_none()
            || want.permissions_boundary == have.permissions_boundary;
        if policy_same && boundary_same && same(&have.trust_policy, &want.trust_policy) {
            self.changes.push(change(
                ChangeId::at("role"),
                ResourceKind::Role,
                &have.name,
                Action::Noop,
                "policy matches".into(),
            ));
        } else {
            self.changes.push(role_update(have, want, boundary_same));
        }
        Some(have.arn.clone())
    }

    /// Deletes the role sagetune managed once the manifest names its own.
    fn role_no_longer_managed(&mut self) {
        let Some(r) = self.o.role.as_ref().filter(|r| self.owned(&r.tags)) else {
            return;
        };
        let mut c = change(
            ChangeId::at("role"),
            ResourceKind::Role,
            &r.name,
            Action::Delete,
            "the manifest no longer asks sagetune to manage the role".into(),
        );
        c.request = Some(Request::DeleteRole {
            role_name: r.name.clone(),
        });
        self.changes.push(c);
    }

    /// Multipart uploads an interrupted run left under the stack's datasets: their parts are
    /// stored and billed but form no object. Only one apply per stack runs at a time (the
    /// state lock), so none of them is still being written.
    fn interrupted_uploads(&mut self) {
        for u in &self.o.pending_uploads {
            let mut c = change(
                ChangeId::instance("upload", &u.upload_id),
                ResourceKind::Dataset,
                &format!("s3://{}/{}", u.bucket, u.key),
                Action::Delete,
                format!(
                    "an upload interrupted before it completed{}: its parts are stored and billed but form no object",
                    u.initiated
                        .as_deref()
                        .map(|t| format!(" (started {t})"))
                        .unwrap_or_default()
                ),
            );
            c.request = Some(Request::AbortMultipartUpload {
                bucket: u.bucket.clone(),
                key: u.key.clone(),
                upload_id: u.upload_id.clone(),
            });
            self.changes.push(c);
        }
    }

    /// Each dataset file: uploaded already (same SHA-256), or uploaded by apply.
    fn datasets(&mut self) {
        for ds in &self.d.datasets {
            let c = self.dataset(ds);
            self.changes.push(c);
        }
    }

    /// One dataset file's change.
    fn dataset(&self, ds: &DatasetObject) -> Change {
        let uri = format!("s3://{}/{}", ds.bucket, ds.key);
        let short = &ds.sha256[..12];
        let derived = ds
            .derived_from
            .as_ref()
            .map(|from| format!("derived from {from}; "))
            .unwrap_or_default();
        let (action, reason) = match self.o.objects.get(&uri) {
            Some(obj) if obj.sha256.as_deref() == Some(ds.sha256.as_str()) => {
                (Action::Noop, format!("uploaded ({derived}sha256 {short})"))
            }
            Some(obj) => (
                Action::Update,
                format!(
                    "the object's sagetune-sha256 is {}; uploaded again",
                    diff::short(obj.sha256.as_deref())
                ),
            ),
            None => (
                Action::Create,
                format!(
                    "upload {} ({derived}{} bytes, sha256 {short})",
                    ds.local_path, ds.bytes
                ),
            ),
        };
        let mut c = change(
            ChangeId::at(&ds.address),
            ResourceKind::Dataset,
            &uri,
            action,
            reason,
        );
        if action != Action::Noop {
            c.request = Some(Request::PutObject(crate::cloud::Upload {
                bucket: ds.bucket.clone(),
                key: ds.key.clone(),
                path: ds.local_path.clone().into(),
                sha256: ds.sha256.clone(),
                bytes: ds.bytes,
                rows: Some(ds.rows),
            }));
        }
        if action == Action::Create {
            c.data = self
                .o
                .previous_uploads
                .get(&ds.address)
                .map(|p| DataChange {
                    previous: format!("s3://{}/{}", p.bucket, p.key),
                    bytes_before: p.size,
                    bytes_after: ds.bytes,
                    rows_before: p.rows,
                    rows_after: ds.rows,
                });
        }
        c
    }
}

fn json_eq(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn pretty_json(s: &str) -> String {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| s.to_string())
}

impl From<Problem> for Diagnostic {
    /// Something that makes a plan impossible, with the planner's own way out.
    fn from(p: Problem) -> Self {
        Diagnostic::new(p.code, p.message).help(p.help)
    }
}
