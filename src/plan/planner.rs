//! The planner: a pure function of the desired state and one observed snapshot. It decides
//! each object's action, orders the changes by dependency, explains each one, and refuses
//! (with problems, not changes) what must never happen: touching objects sagetune does not
//! own, deleting protected endpoints, planning without the artifacts bucket.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;

use super::{Action, Change, ChangeId, ResourceKind};
use crate::cloud::Tags;
use crate::desired::naming::TAG_STACK;
use crate::desired::Desired;
use crate::observe::Observed;

/// Choices the user makes on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Stop running training jobs that no fine-tune wants any more.
    pub stop_orphaned_jobs: bool,
    /// Delete protected endpoints the manifest no longer has (`destroy --force`).
    pub delete_protected: bool,
    /// The plan empties the stack (`destroy`): deletions say so, not "no longer in the manifest".
    pub destroying: bool,
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
        destroying: opts.destroying,
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

pub(super) struct Planner<'a> {
    pub(super) d: &'a Desired,
    pub(super) o: &'a Observed,
    pub(super) changes: Vec<Change>,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<String>,
    /// Old config or model name → ids of the changes after which nothing serves it.
    pub(super) freed: BTreeMap<String, Vec<ChangeId>>,
    /// See [`Options::destroying`].
    pub(super) destroying: bool,
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
    /// Why an object the stack owns and nothing wants is deleted.
    pub(super) fn gone(&self) -> &'static str {
        if self.destroying {
            "destroyed with the stack"
        } else {
            "no longer in the manifest"
        }
    }

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
}

impl From<Problem> for Diagnostic {
    /// Something that makes a plan impossible, with the planner's own way out.
    fn from(p: Problem) -> Self {
        Diagnostic::new(p.code, p.message).help(p.help)
    }
}
