//! The stack's own keys: the artifacts URI, the role (and its boundary) and the tags.

use super::*;

pub(super) fn check_artifacts(c: &mut Checker<'_>, artifacts: &Sp<String>) {
    if let Some((problem, help)) = artifacts_problem(artifacts.get()) {
        c.error(
            "manifest::invalid-artifacts",
            format!("artifacts `{}` {problem}", artifacts.get()),
            artifacts.span(),
            "not an s3://bucket/prefix/ URI",
            help,
        );
    }
}

/// What is wrong with an `artifacts` URI and how to write it; every URI a help suggests is
/// itself valid.
pub(super) fn artifacts_problem(value: &str) -> Option<(String, String)> {
    let example = "write an S3 folder URI such as `s3://my-ml-bucket/sagetune/`; the bucket must already exist";
    let Some(rest) = value.strip_prefix("s3://") else {
        return Some(("does not start with `s3://`".into(), example.into()));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if !bucket_re().is_match(bucket) || bucket.contains("..") {
        let folder = if prefix.is_empty() {
            "sagetune/"
        } else {
            prefix
        };
        let folder = if folder.ends_with('/') {
            folder.to_string()
        } else {
            format!("{folder}/")
        };
        let fixed = format!("s3://{}/{folder}", suggest_bucket(bucket));
        let help = match artifacts_problem(&fixed) {
            None => format!("bucket names have 3 to 63 lowercase letters, digits, dots and hyphens, and start and end with a letter or digit (for example `{fixed}`); the bucket must already exist"),
            Some(_) => example.into(),
        };
        return Some((format!("has an invalid bucket name `{bucket}`"), help));
    }
    let segments: Vec<&str> = prefix.split('/').collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Some((
            "has a `.` or `..` path segment".into(),
            "name the folder directly, without `.` or `..`: S3 keys are not paths and would not be resolved".into(),
        ));
    }
    if !rest.contains('/') || (!prefix.is_empty() && !prefix.ends_with('/')) {
        return Some((
            "does not end with `/`".into(),
            format!("artifacts is a folder: write `{value}/`"),
        ));
    }
    if segments.iter().rev().skip(1).any(|s| s.is_empty()) {
        let collapsed: Vec<&str> = segments.iter().copied().filter(|s| !s.is_empty()).collect();
        let fixed = format!(
            "s3://{bucket}/{}",
            collapsed
                .iter()
                .map(|s| format!("{s}/"))
                .collect::<String>()
        );
        return Some((
            "has an empty path segment (`//`)".into(),
            format!("write `{fixed}`"),
        ));
    }
    None
}

/// A bucket name in S3's rules made from `name`: lowercase, other characters as hyphens.
pub(super) fn suggest_bucket(name: &str) -> String {
    let mut out: String = name
        .to_lowercase()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("..") {
        out = out.replace("..", ".");
    }
    let out = out.trim_matches(|ch: char| !ch.is_ascii_alphanumeric());
    let mut out: String = out.chars().take(63).collect();
    while out.len() < 3 {
        out.push_str("-ml");
        out = out.trim_start_matches('-').to_string();
    }
    out.trim_end_matches(|ch: char| !ch.is_ascii_alphanumeric())
        .to_string()
}

pub(super) fn check_role(c: &mut Checker<'_>, m: &crate::manifest::model::Manifest) {
    let role = m.role.get();
    match (&role.arn, &role.create) {
        (Some(_), Some(_)) | (None, None) => c.error(
            "manifest::role",
            "role needs exactly one of `arn` or `create: true`".into(),
            m.role.span(),
            "role",
            "give the ARN of an existing SageMaker execution role (`arn: arn:aws:iam::123456789012:role/Name`), or let sagetune manage one with `create: true`".into(),
        ),
        (Some(arn), None) if !role_arn_re().is_match(arn) => c.error(
            "manifest::invalid-role-arn",
            format!("`{}` is not an IAM role ARN", arn.get()),
            arn.span(),
            "not a role ARN",
            "an IAM role ARN looks like `arn:aws:iam::123456789012:role/SageMakerExecution`".into(),
        ),
        (None, Some(create)) if !create.get() => c.error(
            "manifest::role",
            "`create: false` does not say which role to use".into(),
            create.span(),
            "false",
            "write `create: true` to let sagetune manage the role, or replace it with `arn: ...`".into(),
        ),
        _ => {}
    }
    let Some(boundary) = &role.permissions_boundary else {
        return;
    };
    if role.create.is_none() {
        c.error(
            "manifest::role",
            "`permissions_boundary` bounds the role sagetune creates, and this role is not sagetune's".into(),
            boundary.span(),
            "with `arn`",
            "remove `permissions_boundary` (set the boundary on your role in IAM), or use `create: true`".into(),
        );
    } else if !boundary_arn_re().is_match(boundary) {
        c.error(
            "manifest::invalid-boundary-arn",
            format!("`{}` is not an IAM policy ARN", boundary.get()),
            boundary.span(),
            "not a policy ARN",
            "a permissions boundary is a managed policy: `arn:aws:iam::123456789012:policy/SageMakerBoundary`".into(),
        );
    }
}

/// The user's tags: valid keys and values, none reserved, and few enough that the busiest
/// resource stays within 50 (a protected endpoint carries one more sagetune tag).
pub(super) fn check_tags(
    c: &mut Checker<'_>,
    tags: &IndexMap<Sp<String>, Sp<String>>,
    protected: bool,
) {
    let ours = SAGETUNE_TAGS + usize::from(protected);
    let limit = MAX_TAGS - ours;
    if tags.len() > limit {
        let first_extra = tags.keys().nth(limit).expect("more than limit keys");
        let busiest = if protected {
            "a protected endpoint carries 5 of sagetune's (stack, address, the two JumpStart tags, protect)"
        } else {
            "every SageMaker object carries 4 of sagetune's (stack, address, the two JumpStart tags)"
        };
        c.error(
            "manifest::too-many-tags",
            format!(
                "{} tags given; at most {limit} fit beside the {ours} sagetune adds",
                tags.len()
            ),
            first_extra.span(),
            "one tag too many",
            format!(
                "SageMaker allows {MAX_TAGS} tags per resource and {busiest}; remove some tags"
            ),
        );
    }
    for (k, v) in tags {
        let lower = k.to_ascii_lowercase();
        if k.is_empty() || k.chars().count() > 128 || !tag_chars_re().is_match(k) {
            c.error(
                "manifest::invalid-tag",
                format!("tag key `{}` is not a valid AWS tag key", k.get()),
                k.span(),
                "invalid key",
                "tag keys have 1 to 128 letters, digits, spaces and `_ . : / = + - @`".into(),
            );
        } else if lower.starts_with("aws:") || lower.starts_with("sagetune:") {
            c.error(
                "manifest::reserved-tag",
                format!("tag key `{}` uses a reserved prefix", k.get()),
                k.span(),
                "reserved prefix",
                "keys starting with `aws:` belong to AWS and `sagetune:` to sagetune; choose another key".into(),
            );
        }
        if v.chars().count() > 256 || !tag_chars_re().is_match(v) {
            c.error(
                "manifest::invalid-tag",
                format!(
                    "the value of tag `{}` is not a valid AWS tag value",
                    k.get()
                ),
                v.span(),
                "invalid value",
                "tag values have at most 256 letters, digits, spaces and `_ . : / = + - @`".into(),
            );
        }
    }
}
