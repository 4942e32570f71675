//! Semantic rules of manifest v1 (names, references, URIs, ranges, catalog, EULA). Pure:
//! reads the parsed manifest only, never the file system or the network.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

use indexmap::IndexMap;
use regex::Regex;

use crate::cloud::{hosting_instance_types, training_instance_types};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::{catalog, regions};

use super::gate::Gate;
use super::model::{
    FineTune, HyperValue, Manifest, HYPERPARAMETER_NAME_PATTERN, INSTANCE_TYPE_PATTERN,
    MODEL_VERSION_PATTERN, NAME_PATTERN, POLICY_ARN_PATTERN, REGION_PATTERN, ROLE_ARN_PATTERN,
    STACK_PATTERN,
};
use super::parse::LoadedManifest;
use super::rollout::{percent, Rollout};
use super::smoke::SmokeTest;
use super::spanned::Sp;

/// SageMaker's limit on `MaxRuntimeInSeconds` for a training job: 28 days.
pub const MAX_RUNTIME_LIMIT: Duration = Duration::from_secs(28 * 24 * 3600);

/// Tags sagetune adds itself (stack, address, and the two JumpStart tags), counted against
/// SageMaker's limit of 50 tags per resource.
/// Tags sagetune adds to every SageMaker object: its stack and address, and the SDK's two
/// JumpStart tags.
const SAGETUNE_TAGS: usize = 4;
/// SageMaker's (and IAM's) limit of tags on one resource.
const MAX_TAGS: usize = 50;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("patterns are tested"))
}

macro_rules! pattern {
    ($name:ident, $pattern:expr) => {
        fn $name() -> &'static Regex {
            static CELL: OnceLock<Regex> = OnceLock::new();
            re(&CELL, $pattern)
        }
    };
}

pattern!(stack_re, STACK_PATTERN);
pattern!(name_re, NAME_PATTERN);
pattern!(instance_re, INSTANCE_TYPE_PATTERN);
pattern!(version_re, MODEL_VERSION_PATTERN);
pattern!(hyper_name_re, HYPERPARAMETER_NAME_PATTERN);
pattern!(region_re, REGION_PATTERN);
pattern!(bucket_re, r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
pattern!(role_arn_re, ROLE_ARN_PATTERN);
pattern!(boundary_arn_re, POLICY_ARN_PATTERN);
pattern!(tag_chars_re, r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$");

struct Checker<'a> {
    loaded: &'a LoadedManifest,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// The duration `text` reads as, or a located error (`code`, what the key is, how to
    /// write it) and `None`.
    fn duration(
        &mut self,
        text: &Sp<String>,
        (code, key, help): (&'static str, &str, &str),
    ) -> Option<Duration> {
        match humantime::parse_duration(text.get()) {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(
                    code,
                    format!("{key} `{}` is not a duration", text.get()),
                    text.span(),
                    "not a duration",
                    help.into(),
                );
                None
            }
        }
    }

    fn diagnostic(
        &self,
        code: &'static str,
        message: String,
        span: Range<usize>,
        label: &str,
        help: String,
    ) -> Diagnostic {
        Diagnostic::new(code, message)
            .at(&self.loaded.source, span, label)
            .help(help)
    }

    fn error(
        &mut self,
        code: &'static str,
        message: String,
        span: Range<usize>,
        label: &str,
        help: String,
    ) {
        let d = self.diagnostic(code, message, span, label, help);
        self.out.push(d);
    }

    fn warning(
        &mut self,
        code: &'static str,
        message: String,
        span: Range<usize>,
        label: &str,
        help: String,
    ) {
        let d = self.diagnostic(code, message, span, label, help).warning();
        self.out.push(d);
    }

    fn name(&mut self, kind: &str, name: &Sp<String>) {
        if !name_re().is_match(name) {
            self.error(
                "manifest::invalid-name",
                format!("{kind} name `{}` is not allowed", name.get()),
                name.span(),
                "invalid name",
                format!(
                    "use 1 to 38 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. `{}`)",
                    suggest_name(name)
                ),
            );
        }
    }

    fn instance(&mut self, what: &str, it: &Option<Sp<String>>, count: &Option<Sp<u32>>) {
        if let Some(it) = it {
            let known = match what {
                "training" => training_instance_types(),
                _ => hosting_instance_types(),
            };
            if instance_re().is_match(it) && !known.contains(&it.as_str()) {
                let hint = regions::closest(it, known)
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                self.error(
                    "manifest::unknown-instance-type",
                    format!("`{}` is not a SageMaker {what} instance type", it.get()),
                    it.span(),
                    "unknown instance type",
                    format!("{hint}the SageMaker API lists {} {what} instance types; `sagetune models` shows each model's defaults", known.len()),
                );
            }
            if !instance_re().is_match(it) {
                let fixed = if it.starts_with("ml.") {
                    it.to_string()
                } else {
                    format!("ml.{}", it.get())
                };
                self.error(
                    "manifest::invalid-instance-type",
                    format!("{what} instance type `{}` is not a SageMaker ML instance type", it.get()),
                    it.span(),
                    "not an ml.* type",
                    format!("SageMaker instance types look like `ml.g5.12xlarge`; did you mean `{fixed}`?"),
                );
            }
        }
        if let Some(c) = count {
            if *c.get() == 0 {
                self.error(
                    "manifest::invalid-instance-count",
                    format!("{what} instance_count must be at least 1"),
                    c.span(),
                    "zero instances",
                    "set instance_count to 1 or more, or remove it to use 1".into(),
                );
            }
        }
    }

    fn reference<V>(
        &mut self,
        kind: &str,
        key: &str,
        target: &Sp<String>,
        names: &IndexMap<Sp<String>, V>,
    ) {
        if names.contains_key(target.get().as_str()) {
            return;
        }
        let known: Vec<&str> = names.keys().map(|k| k.get().as_str()).collect();
        let help = match closest(target, &known) {
            Some(best) => format!(
                "did you mean `{best}`? {kind}s in this manifest: {}",
                list(&known)
            ),
            None if known.is_empty() => {
                format!("this manifest declares no {kind}s; add one under `{kind}s:`")
            }
            None => format!("{kind}s in this manifest: {}", list(&known)),
        };
        self.error(
            "manifest::unknown-reference",
            format!(
                "{key} `{}` does not name a {kind} of this manifest",
                target.get()
            ),
            target.span(),
            "unknown name",
            help,
        );
    }
}

/// Every semantic problem of a parsed manifest, in source order within each section.
pub fn check(loaded: &LoadedManifest) -> Vec<Diagnostic> {
    let m = &loaded.manifest;
    let mut c = Checker {
        loaded,
        out: Vec::new(),
    };

    if !stack_re().is_match(&m.stack) {
        c.error(
            "manifest::invalid-stack",
            format!("stack `{}` is not allowed", m.stack.get()),
            m.stack.span(),
            "invalid stack name",
            format!(
                "use 1 to 24 lowercase letters, digits and hyphens, starting with a letter (e.g. `{}`)",
                suggest_name(&m.stack).chars().take(24).collect::<String>()
            ),
        );
    }
    if let Some(region) = &m.region {
        if !region_re().is_match(region) {
            c.error(
                "manifest::invalid-region",
                format!("region `{}` is not an AWS region name", region.get()),
                region.span(),
                "not a region",
                "write a region code such as `us-east-1`, or remove `region` to use the AWS configuration".into(),
            );
        } else if !regions::is_known(region) {
            let hint = regions::closest(region, regions::REGIONS)
                .map(|r| format!("did you mean `{r}`? "))
                .unwrap_or_default();
            c.error(
                "manifest::unknown-region",
                format!(
                    "region `{}` does not exist or has no SageMaker JumpStart",
                    region.get()
                ),
                region.span(),
                "unknown region",
                format!(
                    "{hint}JumpStart serves {} regions, e.g. `us-east-1`, `us-west-2`, `eu-west-1`",
                    regions::REGIONS.len()
                ),
            );
        }
    }
    check_artifacts(&mut c, &m.artifacts);
    check_role(&mut c, m);
    let protected = m
        .endpoints
        .values()
        .any(|e| e.protect.as_ref().is_some_and(|p| *p.get()));
    check_tags(&mut c, &m.tags, protected);
    check_datasets(&mut c, m);
    for (name, ft) in &m.fine_tunes {
        check_fine_tune(&mut c, m, name, ft);
    }
    for (name, ep) in &m.endpoints {
        c.name("endpoint", name);
        c.reference("fine-tune", "fine_tune", &ep.fine_tune, &m.fine_tunes);
        c.instance("hosting", &ep.instance_type, &ep.instance_count);
        if let Some(gate) = &ep.gate {
            check_gate(&mut c, gate);
        }
        for t in &ep.smoke_test {
            check_smoke_test(&mut c, t);
        }
        if let Some(r) = &ep.rollout {
            check_rollout(&mut c, r);
        }
    }
    c.out
}

/// A rollout names one strategy, sizes in percent and waits SageMaker accepts (≤ 1 h).
fn check_rollout(c: &mut Checker<'_>, r: &Sp<Rollout>) {
    if [
        r.canary.is_some(),
        r.linear.is_some(),
        r.all_at_once.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count()
        > 1
    {
        c.error(
            "manifest::rollout-strategies",
            "the rollout names more than one strategy".into(),
            r.span(),
            "several strategies",
            "keep one of `all_at_once`, `canary` or `linear`".into(),
        );
    }
    let mut waits: Vec<&Sp<String>> = Vec::new();
    for step in r.canary.iter().chain(&r.linear) {
        if percent(step.size.get()).is_none() {
            c.error(
                "manifest::rollout-size",
                format!(
                    "rollout size `{}` is not a percentage from 1% to 100%",
                    step.size.get()
                ),
                step.size.span(),
                "not a percentage",
                "write it like `10%`".into(),
            );
        }
        waits.push(&step.wait);
    }
    waits.extend(r.all_at_once.as_ref().and_then(|b| b.wait.as_ref()));
    for w in waits {
        let wait = (
            "manifest::rollout-wait",
            "rollout wait",
            "write it like `10m`, `30s` or `1h`",
        );
        if c.duration(w, wait)
            .is_some_and(|d| d > Duration::from_secs(3600))
        {
            c.error(
                "manifest::rollout-wait",
                format!(
                    "rollout wait `{}` is over SageMaker's limit of 1 hour",
                    w.get()
                ),
                w.span(),
                "over 1h",
                "bake for at most `1h`".into(),
            );
        }
    }
    if let Some(l) = &r.max_model_latency {
        let latency = (
            "manifest::bad-latency",
            "max_model_latency",
            "write it like `2s` or `500ms`",
        );
        c.duration(l, latency);
    }
}

/// A smoke test's prompt is not blank and its latency reads as a duration.
fn check_smoke_test(c: &mut Checker<'_>, t: &Sp<SmokeTest>) {
    if t.prompt.trim().is_empty() {
        c.error(
            "manifest::empty-smoke-prompt",
            "the smoke test's prompt is empty".into(),
            t.prompt.span(),
            "empty prompt",
            "write the prompt to send, e.g. `prompt: \"Revenue in the third quarter\"`".into(),
        );
    }
    if let Some(l) = &t.max_latency {
        let latency = (
            "manifest::bad-latency",
            "max_latency",
            "write it like `2s`, `500ms` or `1m`",
        );
        c.duration(l, latency);
    }
}

/// A gate's bounds say something (`max`, `min`, in order) and it has at least one rule.
fn check_gate(c: &mut Checker<'_>, gate: &Sp<Gate>) {
    for (metric, b) in &gate.bounds {
        for (key, bound) in [("max", &b.max), ("min", &b.min)] {
            if let Some(v) = bound.as_ref().filter(|v| !v.get().is_finite()) {
                c.error(
                    "manifest::gate-not-a-number",
                    format!(
                        "the gate's `{key}` on `{}` is {}, not a number",
                        metric.get(),
                        v.get()
                    ),
                    v.span(),
                    "not a finite number",
                    format!("write a finite number such as `{key}: 1.8`"),
                );
            }
        }
        match (&b.max, &b.min) {
            (None, None) => c.error(
                "manifest::empty-gate-bounds",
                format!("the gate on `{}` sets no bound", metric.get()),
                b.span(),
                "no max or min",
                format!(
                    "write `{}: {{max: 1.8}}` (at most) or `{{min: …}}` (at least)",
                    metric.get()
                ),
            ),
            (Some(max), Some(min)) if min.get() > max.get() => c.error(
                "manifest::gate-bounds-order",
                format!(
                    "the gate on `{}` wants at least {} and at most {}",
                    metric.get(),
                    min.get(),
                    max.get()
                ),
                min.span(),
                "above max",
                "no value can pass: make `min` at most `max`".into(),
            ),
            _ => {}
        }
    }
    if gate.bounds.is_empty() && gate.better_than_serving.is_empty() {
        c.error(
            "manifest::empty-gate",
            "the gate has no rule".into(),
            gate.span(),
            "empty gate",
            "add `eval_loss: {max: 1.8}` or `better_than_serving: eval_loss`, or remove `gate:`"
                .into(),
        );
    }
}

/// Dataset names, non-empty paths and text columns.
fn check_datasets(c: &mut Checker<'_>, m: &Manifest) {
    for (name, ds) in &m.datasets {
        c.name("dataset", name);
        for path in std::iter::once(&ds.train).chain(ds.validation.as_ref()) {
            if path.trim().is_empty() {
                c.error(
                    "manifest::empty-path",
                    format!("dataset `{}` has an empty path", name.get()),
                    path.span(),
                    "empty path",
                    "give a file or a folder holding exactly one .csv, .json, .jsonl or .txt file"
                        .into(),
                );
            }
        }
        if let Some(col) = &ds.text_column {
            if col.trim().is_empty() {
                c.error(
                    "manifest::empty-text-column",
                    "text_column is empty".into(),
                    col.span(),
                    "empty",
                    "name the column that holds the text, or remove text_column to use `text` or the first column".into(),
                );
            }
        }
    }
}

/// A fine-tune's name, model, dataset, instances, runtime and hyperparameters.
fn check_fine_tune(c: &mut Checker<'_>, m: &Manifest, name: &Sp<String>, ft: &FineTune) {
    c.name("fine-tune", name);
    check_model(c, name, ft);
    c.reference("dataset", "dataset", &ft.dataset, &m.datasets);
    c.instance("training", &ft.instance_type, &ft.instance_count);
    if let Some(rt) = &ft.max_runtime {
        if let Err(why) = parse_max_runtime(rt) {
            c.error(
                "manifest::invalid-max-runtime",
                format!("max_runtime `{}` {why}", rt.get()),
                rt.span(),
                "invalid duration",
                "write a duration such as `90m`, `10h` or `2days`, at most 28 days".into(),
            );
        }
    }
    let has_validation = m
        .datasets
        .get(ft.dataset.get().as_str())
        .is_some_and(|d| d.validation.is_some());
    check_hyperparameters(c, &ft.hyperparameters, has_validation);
}

fn check_artifacts(c: &mut Checker<'_>, artifacts: &Sp<String>) {
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
fn artifacts_problem(value: &str) -> Option<(String, String)> {
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
fn suggest_bucket(name: &str) -> String {
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

fn check_role(c: &mut Checker<'_>, m: &super::model::Manifest) {
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
fn check_tags(c: &mut Checker<'_>, tags: &IndexMap<Sp<String>, Sp<String>>, protected: bool) {
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

fn check_model(c: &mut Checker<'_>, name: &Sp<String>, ft: &super::model::FineTune) {
    let model = match catalog::find(&ft.model) {
        Some(model) => Some(model),
        None => {
            let close = catalog::closest(&ft.model);
            c.error(
                "manifest::unknown-model",
                format!(
                    "`{}` is not a JumpStart model that supports domain adaptation",
                    ft.model.get()
                ),
                ft.model.span(),
                "unknown model id",
                format!(
                    "closest known ids: {}; `sagetune models` lists all 17",
                    list(&close)
                ),
            );
            None
        }
    };
    if let Some(v) = &ft.model_version {
        if !version_re().is_match(v) {
            c.error(
                "manifest::invalid-model-version",
                format!("model_version `{}` is not a version pattern", v.get()),
                v.span(),
                "invalid version",
                "write `*` for the latest, a prefix such as `3.*`, or an exact version such as `3.2.13` (quote it)".into(),
            );
        }
    }
    if let Some(model) = model.filter(|m| m.gated) {
        let accepted = ft.accept_eula.as_ref().is_some_and(|a| *a.get());
        if !accepted {
            let (span, label) = match &ft.accept_eula {
                Some(a) => (a.span(), "not accepted"),
                None => (ft.model.span(), "gated model"),
            };
            c.error(
                "manifest::eula-required",
                format!("fine-tune `{}` uses {} ({}), a gated model whose license must be accepted", name.get(), model.name, model.id),
                span,
                label,
                "read Meta's Llama 2 Community License and Acceptable Use Policy; if you accept them, add `accept_eula: true` to this fine-tune. sagetune then sends the acceptance with the training job".into(),
            );
        }
    }
}

fn check_hyperparameters(
    c: &mut Checker<'_>,
    hps: &IndexMap<Sp<String>, Sp<HyperValue>>,
    has_validation: bool,
) {
    for (k, v) in hps {
        if !hyper_name_re().is_match(k) {
            c.error(
                "manifest::invalid-hyperparameter-name",
                format!("`{}` is not a hyperparameter name", k.get()),
                k.span(),
                "invalid name",
                "hyperparameter names are letters, digits and `_`, as in the model spec (e.g. `learning_rate`)".into(),
            );
        }
        if k.starts_with("sagemaker_") {
            c.error(
                "manifest::reserved-hyperparameter",
                format!("`{}` is set by sagetune, not by the manifest", k.get()),
                k.span(),
                "reserved",
                "`sagemaker_*` keys are the training script's own settings; remove this one".into(),
            );
        }
        if let HyperValue::NotScalar(what) = v.get() {
            c.error(
                "manifest::hyperparameter-not-scalar",
                format!(
                    "hyperparameter `{}` is {what}; SageMaker hyperparameters are single values",
                    k.get()
                ),
                v.span(),
                "not a scalar",
                "give a string, number or boolean (e.g. `epoch: 3`)".into(),
            );
            continue;
        }
        match k.get().as_str() {
            "instruction_tuned" | "chat_dataset" if is_truthy(v.get()) => c.error(
                "manifest::not-domain-adaptation",
                format!("`{}` turns this into a different kind of fine-tuning", k.get()),
                v.span(),
                "must be False",
                "sagetune does domain adaptation (continued pre-training on plain text) and always sends instruction_tuned=False and chat_dataset=False; remove this key".into(),
            ),
            "validation_split_ratio" => check_split_ratio(c, k, v, has_validation),
            _ => {}
        }
    }
}

fn check_split_ratio(
    c: &mut Checker<'_>,
    k: &Sp<String>,
    v: &Sp<HyperValue>,
    has_validation: bool,
) {
    let ratio = match v.get() {
        HyperValue::Float(f) => Some(*f),
        HyperValue::Int(i) => Some(*i as f64),
        HyperValue::Text(t) => t.trim().parse::<f64>().ok(),
        _ => None,
    };
    match ratio {
        Some(r) if r > 0.0 && r < 1.0 => {
            if has_validation {
                c.warning(
                    "manifest::split-ratio-ignored",
                    "validation_split_ratio has no effect: this dataset has a validation file".into(),
                    k.span(),
                    "ignored",
                    "remove validation_split_ratio, or remove the dataset's `validation` to split the training data instead".into(),
                );
            }
        }
        _ => c.error(
            "manifest::invalid-split-ratio",
            "validation_split_ratio must be a number strictly between 0 and 1".into(),
            v.span(),
            "out of range",
            "e.g. `validation_split_ratio: 0.2` holds out 20% of the training data".into(),
        ),
    }
}

fn is_truthy(v: &HyperValue) -> bool {
    match v {
        HyperValue::Bool(b) => *b,
        HyperValue::Text(t) => t.trim().eq_ignore_ascii_case("true"),
        HyperValue::Int(i) => *i != 0,
        _ => false,
    }
}

/// Parses `max_runtime` (humantime) and checks SageMaker's bounds: 1 second to 28 days.
pub fn parse_max_runtime(text: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(text.trim()).map_err(|e| format!("is not a duration ({e})"))?;
    if d < Duration::from_secs(1) {
        Err("is shorter than one second".into())
    } else if d > MAX_RUNTIME_LIMIT {
        Err("exceeds SageMaker's limit of 28 days".into())
    } else {
        Ok(d)
    }
}

fn suggest_name(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    s = s.trim_matches('-').chars().take(38).collect();
    if !s.starts_with(|ch: char| ch.is_ascii_lowercase()) {
        s.insert(0, 'x');
    }
    s.trim_end_matches('-').to_string()
}

/// The known name most like `target` (Jaro-Winkler above 0.7), for "did you mean".
pub fn closest<'a>(target: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(target, k), *k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_artifacts_uri_a_help_suggests_is_valid() {
        for bad in [
            "s3://My_Bucket/sagetune/",
            "s3://My_Bucket/sagetune",
            "s3://My_Bucket",
            "s3://x/data/",
            "s3://-a..b-/p/",
            "s3://bucket/a//b/",
            "s3://bucket/p",
            "s3://bucket/../../",
            "s3://bucket/a/./b/",
        ] {
            let (problem, help) = artifacts_problem(bad).expect(bad);
            for suggested in help.split('`').filter(|t| t.starts_with("s3://")) {
                assert_eq!(
                    artifacts_problem(suggested),
                    None,
                    "{bad}: {problem}; suggests {suggested}"
                );
            }
        }
        assert!(artifacts_problem("s3://My_Bucket/sagetune")
            .unwrap()
            .1
            .contains("s3://my-bucket/sagetune/"));
        assert!(artifacts_problem("s3://bucket/../../")
            .unwrap()
            .0
            .contains("`..`"));
        assert_eq!(artifacts_problem("s3://my-ml-bucket/sagetune/"), None);
        assert_eq!(artifacts_problem("s3://my-ml-bucket/"), None);
    }

    #[test]
    fn max_runtime_bounds() {
        let cases = [
            ("10h", Ok(Duration::from_secs(36000))),
            ("28days", Ok(MAX_RUNTIME_LIMIT)),
            ("90m", Ok(Duration::from_secs(5400))),
            ("29days", Err("exceeds")),
            ("0s", Err("shorter")),
            ("ten hours", Err("is not a duration")),
        ];
        for (input, want) in cases {
            match (parse_max_runtime(input), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{input}: {got}"),
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn name_patterns() {
        for ok in ["a", "sec-filings", "gptj-sec", "a1", &"a".repeat(38)] {
            assert!(name_re().is_match(ok), "{ok}");
        }
        for bad in ["", "Sec", "1abc", "sec_filings", "sec-", &"a".repeat(39)] {
            assert!(!name_re().is_match(bad), "{bad}");
        }
        for ok in ["finance-llm", "a", &"a".repeat(24)] {
            assert!(stack_re().is_match(ok), "{ok}");
        }
        for bad in ["Finance", "9x", &"a".repeat(25)] {
            assert!(!stack_re().is_match(bad), "{bad}");
        }
    }

    #[test]
    fn instance_and_version_patterns() {
        for ok in [
            "ml.g5.12xlarge",
            "ml.p4de.24xlarge",
            "ml.trn1n.32xlarge",
            "ml.inf2.xlarge",
        ] {
            assert!(instance_re().is_match(ok), "{ok}");
        }
        for bad in ["g5.12xlarge", "ml.g5", "ML.G5.2XLARGE"] {
            assert!(!instance_re().is_match(bad), "{bad}");
        }
        for ok in ["*", "3.*", "4.1.*", "3.2.13", "4"] {
            assert!(version_re().is_match(ok), "{ok}");
        }
        for bad in ["latest", "3.x", "*.1", ">=3"] {
            assert!(!version_re().is_match(bad), "{bad}");
        }
    }

    #[test]
    fn role_arns() {
        assert!(role_arn_re().is_match("arn:aws:iam::123456789012:role/SageMakerExecution"));
        assert!(role_arn_re().is_match("arn:aws-cn:iam::123456789012:role/service-role/Exec"));
        assert!(!role_arn_re().is_match("arn:aws:iam::12345:role/X"));
        assert!(!role_arn_re().is_match("arn:aws:iam::123456789012:user/X"));
    }

    #[test]
    fn suggested_names_follow_the_rule() {
        for input in ["Sec_Filings", "9lives", "a--b_", "X"] {
            let s = suggest_name(input);
            assert!(name_re().is_match(&s), "{input} -> {s}");
        }
    }
}
