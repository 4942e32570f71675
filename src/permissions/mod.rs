//! The least-privilege IAM policy a caller needs to run `plan`, `apply` or `destroy` on one
//! manifest's stack: the actions each command's AWS calls need (see `cloud::aws`), scoped to
//! the stack's names, the artifacts prefix, the JumpStart buckets and the execution role.
//! Pure: computed from the manifest and region alone, with no AWS call, so it can be
//! reviewed (and granted) before anything runs.

use serde_json::{json, Value};

use crate::desired::managed_role_name;
use crate::jumpstart::catalog;
use crate::manifest::Manifest;
use crate::observe::logs::TRAINING_LOG_GROUP;

/// Which commands the policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `plan` and the other read-only commands (`status`, `logs`, `metrics`, `requests`, `lock`).
    Plan,
    /// `apply` (its plan included) and `invoke`.
    Apply,
    /// `destroy` (with `--purge-data` and `--stop-orphaned-jobs`).
    Destroy,
}

/// What the policy is scoped to; `*` stands for what cannot be known offline.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) stack: String,
    /// The region, or `*`.
    pub(crate) region: String,
    /// The account, from `--account` or the role ARN, or `*`.
    pub(crate) account: String,
    pub(crate) bucket: String,
    /// The artifacts prefix (may be empty), ending in `/` when not empty.
    pub(crate) prefix: String,
    /// The execution role's ARN (the managed role's when the manifest says `create: true`).
    pub(crate) role_arn: String,
    /// Whether sagetune manages the role (`create: true`).
    pub(crate) managed_role: bool,
    /// The managed role's permissions boundary (`role.permissions_boundary`).
    pub(crate) permissions_boundary: Option<String>,
    /// JumpStart's content bucket, and the gated one when a fine-tune uses a gated model.
    pub(crate) content_bucket: String,
    pub(crate) gated_bucket: Option<String>,
    /// Whether an endpoint has a `rollout:` (alarms) or a `smoke_test:` (InvokeEndpoint).
    pub(crate) alarms: bool,
    pub(crate) smoke_tests: bool,
    /// The manifest's fine-tunes: each writes its outputs under its own folder.
    pub(crate) fine_tunes: Vec<String>,
    /// The manifest's endpoints (their keys).
    pub(crate) endpoints: Vec<String>,
}

impl Scope {
    /// The scope of a manifest in `region` (or `*`), with JumpStart's buckets for it.
    pub(crate) fn of(
        m: &Manifest,
        region: Option<&str>,
        account: Option<&str>,
        content_bucket: &str,
        gated_bucket: &str,
    ) -> Self {
        let stack = m.stack.get().clone();
        let arn = m.role.get().arn.as_ref().map(|a| a.get().clone());
        let account = account
            .map(str::to_string)
            .or_else(|| {
                arn.as_deref()
                    .and_then(|a| a.split(':').nth(4))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "*".to_string());
        let (bucket, prefix) = crate::cloud::split_s3(m.artifacts.get());
        let gated = m
            .fine_tunes
            .values()
            .any(|ft| catalog::find(&ft.model).is_some_and(|c| c.gated));
        Self {
            role_arn: arn.clone().unwrap_or_else(|| {
                format!("arn:aws:iam::{account}:role/{}", managed_role_name(&stack))
            }),
            managed_role: arn.is_none(),
            permissions_boundary: m
                .role
                .get()
                .permissions_boundary
                .as_ref()
                .map(|b| b.get().clone()),
            region: region.unwrap_or("*").to_string(),
            account,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            content_bucket: content_bucket.to_string(),
            gated_bucket: gated.then(|| gated_bucket.to_string()),
            alarms: m.endpoints.values().any(|e| e.rollout.is_some()),
            smoke_tests: m.endpoints.values().any(|e| !e.smoke_test.is_empty()),
            fine_tunes: m.fine_tunes.keys().map(|k| k.get().clone()).collect(),
            endpoints: m.endpoints.keys().map(|k| k.get().clone()).collect(),
            stack,
        }
    }

    fn sagemaker(&self, kind: &str) -> String {
        format!(
            "arn:aws:sagemaker:{}:{}:{kind}/{}-*",
            self.region, self.account, self.stack
        )
    }

    /// What this manifest creates, by the names it gives: each fine-tune's runs and models
    /// (`<stack>-<fine-tune>-*`), each endpoint's configs (`<stack>-<endpoint>-*`) and the
    /// endpoints themselves (exact names). Narrower than `<stack>-*`, which also covers a
    /// stack whose name starts with this one.
    fn sagemaker_created(&self) -> Vec<String> {
        let arn = |kind: &str, name: &str| {
            format!(
                "arn:aws:sagemaker:{}:{}:{kind}/{name}",
                self.region, self.account
            )
        };
        let base = |key: &str| crate::desired::naming::job_name_base(&self.stack, key);
        let mut out = Vec::new();
        for f in &self.fine_tunes {
            out.push(arn("training-job", &format!("{}-*", base(f))));
            out.push(arn("model", &format!("{}-*", base(f))));
        }
        for e in &self.endpoints {
            out.push(arn("endpoint-config", &format!("{}-*", base(e))));
            out.push(arn("endpoint", &format!("{}-{e}", self.stack)));
        }
        out
    }

    /// The condition that the object acted on carries this stack's tag.
    fn owned(&self) -> Value {
        json!({"StringEquals": {"aws:ResourceTag/sagetune:stack": self.stack}})
    }

    /// The condition that a create tags the new object with this stack.
    fn tagged_on_create(&self) -> Value {
        json!({"StringEquals": {"aws:RequestTag/sagetune:stack": self.stack}})
    }

    fn sagemaker_all(&self) -> Vec<String> {
        ["training-job", "model", "endpoint-config", "endpoint"]
            .iter()
            .map(|k| self.sagemaker(k))
            .collect()
    }

    /// The stack's own objects under the artifacts prefix, and nothing another stack (even one
    /// whose name starts with this one) writes: its state lock, its datasets folder, and each
    /// fine-tune's runs under that fine-tune's output folder. With `outputs`, the latter too.
    fn objects(&self, outputs: bool) -> Vec<String> {
        let (b, p, stack) = (&self.bucket, &self.prefix, &self.stack);
        let mut out = vec![
            format!("arn:aws:s3:::{b}/{p}.sagetune/{stack}.lock"),
            format!("arn:aws:s3:::{b}/{p}datasets/{stack}/*"),
        ];
        if outputs {
            out.extend(self.fine_tunes.iter().map(|f| {
                let base = crate::desired::naming::job_name_base(stack, f);
                format!("arn:aws:s3:::{b}/{p}outputs/{f}/{base}-*")
            }));
        }
        out
    }

    fn managed_role(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/{}",
            self.account,
            managed_role_name(&self.stack)
        )
    }
}

/// One statement of the policy: a `Sid` saying what it is for, actions and resources.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sid: &'static str,
    pub(crate) actions: Vec<&'static str>,
    pub(crate) resources: Vec<String>,
    pub(crate) condition: Option<Value>,
}

fn allow(sid: &'static str, actions: &[&'static str], resources: Vec<String>) -> Statement {
    Statement {
        sid,
        actions: actions.to_vec(),
        resources,
        condition: None,
    }
}

/// As [`allow`], only when `condition` holds.
fn allow_if(
    sid: &'static str,
    actions: &[&'static str],
    resources: Vec<String>,
    condition: Value,
) -> Statement {
    Statement {
        condition: Some(condition),
        ..allow(sid, actions, resources)
    }
}

/// The statements `purpose` needs for `scope`, in a stable order.
pub(crate) fn statements(scope: &Scope, purpose: Purpose) -> Vec<Statement> {
    let mut out = reads(scope);
    match purpose {
        Purpose::Plan => {
            out.push(allow(
                "ArtifactsRead",
                &["s3:GetObject"],
                scope.objects(false),
            ));
            out.push(specs(scope));
            out.push(logs(scope));
        }
        Purpose::Apply => out.extend(apply_writes(scope)),
        Purpose::Destroy => out.extend(destroy_writes(scope)),
    }
    out
}

/// What every command reads: the bucket, the stack's listings and objects, the managed role.
fn reads(s: &Scope) -> Vec<Statement> {
    vec![
        allow(
            "ArtifactsBucket",
            &["s3:ListBucket", "s3:ListBucketMultipartUploads"],
            vec![format!("arn:aws:s3:::{}", s.bucket)],
        ),
        allow(
            "SageMakerListings",
            &[
                "sagemaker:ListTrainingJobs",
                "sagemaker:ListModels",
                "sagemaker:ListEndpointConfigs",
                "sagemaker:ListEndpoints",
            ],
            vec!["*".to_string()],
        ),
        // Only objects tagged with this stack (a stack whose name starts with this one has
        // names that match `<stack>-*` too); tags themselves are readable under the names.
        allow_if(
            "StackRead",
            &[
                "sagemaker:DescribeTrainingJob",
                "sagemaker:DescribeModel",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DescribeEndpoint",
            ],
            s.sagemaker_all(),
            s.owned(),
        ),
        allow("StackTags", &["sagemaker:ListTags"], s.sagemaker_all()),
        // A plan finds the stack's endpoints by their tag in one Search instead of one
        // DescribeEndpoint each. Search takes no resource; without it plans still work.
        allow("StackSearch", &["sagemaker:Search"], vec!["*".to_string()]),
        // Alarms are listed by name prefix (DescribeAlarms takes no alarm ARN), their tags read
        // on the stack's alarms only.
        allow(
            "AlarmListing",
            &["cloudwatch:DescribeAlarms"],
            vec!["*".to_string()],
        ),
        alarms(s, "AlarmTags", &["cloudwatch:ListTagsForResource"]),
        allow(
            "ManagedRoleRead",
            &["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy"],
            vec![s.managed_role()],
        ),
    ]
}

/// JumpStart's specs and inference code (the gated bucket only for gated models).
fn specs(s: &Scope) -> Statement {
    let mut buckets = vec![format!("arn:aws:s3:::{}/*", s.content_bucket)];
    buckets.extend(s.gated_bucket.iter().map(|b| format!("arn:aws:s3:::{b}/*")));
    allow("JumpStartSpecs", &["s3:GetObject"], buckets)
}

/// The training log of the stack's jobs.
fn logs(s: &Scope) -> Statement {
    let group = format!(
        "arn:aws:logs:{}:{}:log-group:{TRAINING_LOG_GROUP}",
        s.region, s.account
    );
    let streams = format!("{group}:log-stream:{}-*", s.stack);
    allow(
        "TrainingLogs",
        &["logs:DescribeLogStreams", "logs:GetLogEvents"],
        vec![group, streams],
    )
}

/// `actions` on the stack's alarms (`<stack>-*`), as statement `sid`.
fn alarms(s: &Scope, sid: &'static str, actions: &[&'static str]) -> Statement {
    let arn = format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{}-*",
        s.region, s.account, s.stack
    );
    allow(sid, actions, vec![arn])
}

/// The stack's SageMaker writes: creates carry the stack's tag, under the names this
/// manifest gives; changes only to objects that carry it.
fn sagemaker_writes(s: &Scope) -> [Statement; 3] {
    [
        allow_if(
            "StackCreate",
            &[
                "sagemaker:CreateTrainingJob",
                "sagemaker:CreateModel",
                "sagemaker:CreateEndpointConfig",
                "sagemaker:CreateEndpoint",
            ],
            s.sagemaker_created(),
            s.tagged_on_create(),
        ),
        // SageMaker's AddTags takes no resource-tag condition: only under those names.
        allow("StackTag", &["sagemaker:AddTags"], s.sagemaker_created()),
        allow_if(
            "StackWrite",
            &[
                "sagemaker:StopTrainingJob",
                "sagemaker:DeleteModel",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:UpdateEndpoint",
                "sagemaker:DeleteEndpoint",
            ],
            s.sagemaker_all(),
            s.owned(),
        ),
    ]
}

/// What apply adds to the reads.
fn apply_writes(s: &Scope) -> Vec<Statement> {
    let mut out = vec![
        allow(
            "ArtifactsWrite",
            &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            s.objects(true),
        ),
        specs(s),
        logs(s),
    ];
    out.extend(sagemaker_writes(s));
    out.push(pass_role(s));
    out.extend(managed_role_writes(s));
    // Alarms go with an endpoint's deletion and with an update that has no rollout.
    out.push(if s.alarms {
        alarms(
            s,
            "EndpointAlarms",
            &[
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:DeleteAlarms",
            ],
        )
    } else {
        alarms(s, "EndpointAlarms", &["cloudwatch:DeleteAlarms"])
    });
    if s.smoke_tests {
        out.push(allow_if(
            "SmokeTests",
            &["sagemaker:InvokeEndpoint"],
            vec![s.sagemaker("endpoint")],
            s.owned(),
        ));
    }
    out
}

/// The managed role's statements: created and kept in shape only under its permissions
/// boundary, so these credentials (which also pass the role to jobs they define) cannot grant
/// the role, and through it themselves, more than the boundary allows; without a boundary the
/// policy is refused (see [`unbounded_role`]). Once the manifest names its own role, apply
/// deletes the one it managed before.
fn managed_role_writes(s: &Scope) -> Vec<Statement> {
    match (&s.permissions_boundary, s.managed_role) {
        (Some(boundary), true) => vec![
            allow_if(
                "ManagedRoleWrite",
                &[
                    "iam:CreateRole",
                    "iam:PutRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:PutRolePermissionsBoundary",
                ],
                vec![s.managed_role()],
                json!({"StringEquals": {"iam:PermissionsBoundary": boundary}}),
            ),
            allow("ManagedRoleTag", &["iam:TagRole"], vec![s.managed_role()]),
        ],
        (None, true) => Vec::new(),
        (_, false) => vec![allow(
            "ManagedRoleWrite",
            &["iam:DeleteRolePolicy", "iam:DeleteRole"],
            vec![s.managed_role()],
        )],
    }
}

/// What destroy adds to the reads (`--purge-data` and `--stop-orphaned-jobs` included).
fn destroy_writes(s: &Scope) -> Vec<Statement> {
    vec![
        allow(
            "ArtifactsDelete",
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            s.objects(false),
        ),
        allow_if(
            "StackDelete",
            &[
                "sagemaker:StopTrainingJob",
                "sagemaker:DeleteModel",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:DeleteEndpoint",
            ],
            s.sagemaker_all(),
            s.owned(),
        ),
        allow(
            "ManagedRoleDelete",
            &["iam:DeleteRolePolicy", "iam:DeleteRole"],
            vec![s.managed_role()],
        ),
        alarms(s, "EndpointAlarms", &["cloudwatch:DeleteAlarms"]),
    ]
}

/// Why `purpose` gets no policy for `s`: a managed role without a permissions boundary. The
/// apply credentials would write the role's policy and pass the role to training jobs whose
/// code they choose: with that, they could grant themselves anything the role may get.
pub(crate) fn unbounded_role(s: &Scope, purpose: Purpose) -> Option<String> {
    (purpose == Purpose::Apply && s.managed_role && s.permissions_boundary.is_none()).then(|| {
        format!(
            "stack {} lets sagetune manage its role (`role: {{create: true}}`) without `permissions_boundary`: a policy that may write that role's permissions and pass it to SageMaker would let its holder grant themselves any permission",
            s.stack
        )
    })
}

/// `iam:PassRole` on the execution role, only to SageMaker.
fn pass_role(s: &Scope) -> Statement {
    Statement {
        condition: Some(
            json!({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        ),
        ..allow(
            "PassExecutionRole",
            &["iam:PassRole"],
            vec![s.role_arn.clone()],
        )
    }
}

/// The IAM policy document (`Version` 2012-10-17) of `statements`.
pub(crate) fn document(statements: &[Statement]) -> Value {
    let statement: Vec<Value> = statements
        .iter()
        .map(|st| {
            let mut v = json!({
                "Sid": st.sid,
                "Effect": "Allow",
                "Action": st.actions,
                "Resource": st.resources,
            });
            if let Some(c) = &st.condition {
                v["Condition"] = c.clone();
            }
            v
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statement})
}

#[cfg(test)]
mod tests;
