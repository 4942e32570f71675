//! The role sagetune manages for a stack: its name and placeholder ARN, the trust that lets
//! SageMaker assume it, its tags and boundary, and its least-privilege inline policy.

use serde_json::json;

use super::Inputs;
use crate::cloud::requests::Tag;
use crate::cloud::{split_s3, RoleRequest};
use crate::desired::naming::{TAG_ADDRESS, TAG_STACK};

/// The account shown in a managed role's ARN before sagetune has talked to AWS; role ARNs
/// are in no identity hash, so names do not depend on it.
pub(crate) const ACCOUNT_PLACEHOLDER: &str = "ACCOUNT_ID";

/// `<stack>-sagemaker-execution`.
pub(crate) fn managed_role_name(stack: &str) -> String {
    format!("{stack}-sagemaker-execution")
}

/// The managed role's ARN with [`ACCOUNT_PLACEHOLDER`] for the account.
pub(crate) fn managed_role_arn(stack: &str) -> String {
    format!(
        "arn:aws:iam::{ACCOUNT_PLACEHOLDER}:role/{}",
        managed_role_name(stack)
    )
}

/// The managed role: SageMaker may assume it; it may read and write the artifacts prefix,
/// read the region's JumpStart content buckets, write its logs and pull images.
pub(super) fn managed_role(i: &Inputs<'_>) -> RoleRequest {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    });
    let name = managed_role_name(i.stack);
    let mut tags = vec![
        Tag {
            key: TAG_STACK.into(),
            value: i.stack.into(),
        },
        Tag {
            key: TAG_ADDRESS.into(),
            value: "role".into(),
        },
    ];
    tags.extend(i.user_tags.iter().map(|(k, v)| Tag {
        key: k.clone(),
        value: v.clone(),
    }));
    RoleRequest {
        role_name: name,
        trust_policy: trust.to_string(),
        policy_name: "sagetune-execution".into(),
        policy_document: execution_policy(i).to_string(),
        tags,
        permissions_boundary: i.permissions_boundary.map(str::to_string),
    }
}

/// The S3 statements: the stack's datasets, its jobs' outputs, the JumpStart content.
fn data_statements(i: &Inputs<'_>) -> Vec<serde_json::Value> {
    let (bucket, prefix) = split_s3(i.artifacts);
    let datasets = format!("{prefix}datasets/{}/", i.stack);
    let outputs: Vec<String> = i
        .bound
        .fine_tunes
        .iter()
        .map(|f| {
            let base = crate::desired::naming::job_name_base(i.stack, &f.name);
            format!("arn:aws:s3:::{bucket}/{prefix}outputs/{}/{base}-*", f.name)
        })
        .collect();
    let mut js_buckets = vec![i.buckets.content.as_str(), i.buckets.gated.as_str()];
    js_buckets.dedup();
    let js_objects = js_buckets.iter().map(|b| format!("arn:aws:s3:::{b}/*"));
    let js_arns = js_buckets.iter().map(|b| format!("arn:aws:s3:::{b}"));
    vec![
        json!({
            "Sid": "DatasetsRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [format!("arn:aws:s3:::{bucket}/{datasets}*")]
        }),
        json!({
            "Sid": "OutputsReadWrite",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": outputs
        }),
        json!({
            "Sid": "ArtifactsList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{bucket}")],
            "Condition": {"StringLike": {"s3:prefix": [format!("{datasets}*"), format!("{prefix}outputs/*")]}}
        }),
        json!({
            "Sid": "JumpStartContentRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": js_objects.chain(js_arns).collect::<Vec<_>>()
        }),
    ]
}

/// What a running job or endpoint needs beside its data: logs, metrics, images.
fn runtime_statements(region: &str) -> Vec<serde_json::Value> {
    vec![
        json!({
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams"
            ],
            "Resource": [format!("arn:aws:logs:{region}:*:log-group:/aws/sagemaker/*")]
        }),
        json!({
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": ["*"],
            "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}}
        }),
        json!({
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage"
            ],
            "Resource": ["*"]
        }),
    ]
}

/// The managed role's least-privilege policy: read the stack's datasets (never write them),
/// write its jobs' outputs (`outputs/<fine-tune>/<stack>-<fine-tune>-…` for each fine-tune of
/// the manifest: nothing else under the prefix, not the state locks, not the data or outputs
/// of a stack whose name starts with this one), read the region's JumpStart buckets, write its
/// logs and metrics, pull the images.
fn execution_policy(i: &Inputs<'_>) -> serde_json::Value {
    let mut statements = data_statements(i);
    statements.extend(runtime_statements(i.region));
    let mut policy = json!({"Version": "2012-10-17", "Statement": statements});
    // A manifest without fine-tunes writes no output (IAM refuses an empty resource list).
    if let Some(all) = policy["Statement"].as_array_mut() {
        all.retain(|st| st["Resource"].as_array().is_none_or(|r| !r.is_empty()));
    }
    policy
}
