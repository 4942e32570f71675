//! Semantic rules of manifest v1 (names, references, URIs, ranges, catalog, EULA). Pure:
//! reads the parsed manifest only, never the file system or the network. The checker and the
//! whole pass live here; the stack's own keys (artifacts, role, tags) in `stack`, datasets and
//! fine-tunes (models, hyperparameters, runtime) in `fine_tunes`, an endpoint's promotion
//! (gate, smoke test, rollout) in `endpoints`.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

use indexmap::IndexMap;
use regex::Regex;

use crate::cloud::{hosting_instance_types, training_instance_types};
use crate::diagnostics::Diagnostic;
use crate::jumpstart::{catalog, regions};

use super::gate::Gate;
use super::parse::LoadedManifest;
use super::rollout::{percent, Rollout};
use super::smoke::SmokeTest;
use super::spanned::Sp;
use crate::manifest::model::{
    Endpoint, FineTune, HyperValue, Manifest, HYPERPARAMETER_NAME_PATTERN, INSTANCE_TYPE_PATTERN,
    MODEL_VERSION_PATTERN, NAME_PATTERN, POLICY_ARN_PATTERN, REGION_PATTERN, ROLE_ARN_PATTERN,
    STACK_PATTERN,
};

/// SageMaker's limit on `MaxRuntimeInSeconds` for a training job: 28 days.
pub(crate) const MAX_RUNTIME_LIMIT: Duration = Duration::from_secs(28 * 24 * 3600);

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
pub(crate) fn check(loaded: &LoadedManifest) -> Vec<Diagnostic> {
    let m = &loaded.manifest;
    let mut c = Checker {
        loaded,
        out: Vec::new(),
    };

    check_stack(&mut c, m);
    if let Some(region) = &m.region {
        check_region(&mut c, region);
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
        check_endpoint(&mut c, m, name, ep);
    }
    c.out
}

/// An endpoint's name, fine-tune, instances and promotion rules.
fn check_endpoint(c: &mut Checker<'_>, m: &Manifest, name: &Sp<String>, ep: &Endpoint) {
    c.name("endpoint", name);
    c.reference("fine-tune", "fine_tune", &ep.fine_tune, &m.fine_tunes);
    c.instance("hosting", &ep.instance_type, &ep.instance_count);
    if let Some(gate) = &ep.gate {
        check_gate(c, gate);
    }
    for t in &ep.smoke_test {
        check_smoke_test(c, t);
    }
    if let Some(r) = &ep.rollout {
        check_rollout(c, r);
    }
}

/// The stack name's form.
fn check_stack(c: &mut Checker<'_>, m: &Manifest) {
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
}

/// The region's form, and that JumpStart serves it.
fn check_region(c: &mut Checker<'_>, region: &Sp<String>) {
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

mod endpoints;
mod fine_tunes;
mod stack;
#[cfg(test)]
mod tests;

use endpoints::*;
pub(crate) use fine_tunes::parse_max_runtime;
use fine_tunes::*;
use stack::*;

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
pub(crate) fn closest<'a>(target: &str, known: &[&'a str]) -> Option<&'a str> {
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
