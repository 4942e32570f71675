//! `sagetune status`: what the stack has in AWS now — training jobs with their status and
//! final metrics, models, endpoint configs, endpoints and the config each serves, the managed
//! role — as a table or JSON. Read-only; needs only the manifest's stack, region, artifacts.

use std::fmt::Write;

use serde::Serialize;

use crate::apply::progress::metrics;
use crate::cli::{ListFormat, ManifestArgs};
use crate::cloud::{
    AwsOptions, CloudRead, Endpoint, EndpointConfig, Model, Role, Tags, TrainingJob,
};
use crate::desired::Desired;
use crate::diagnostics::Diagnostic;
use crate::jumpstart::requests::{TAG_ADDRESS, TAG_STACK};
use crate::observe::{describe_jobs, job_of_artifact, observe};

use super::stack::{cloud_diagnostic, load_stack};
use super::Outcome;

/// The stack's objects (only those carrying its stack tag); jobs by name, later runs first.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    pub region: String,
    pub artifacts: String,
    pub training_jobs: Vec<TrainingJob>,
    pub models: Vec<Model>,
    pub endpoint_configs: Vec<EndpointConfig>,
    pub endpoints: Vec<Endpoint>,
    pub role: Option<Role>,
}

/// Reads the stack's objects.
pub fn status(cloud: &dyn CloudRead, desired: &Desired) -> Result<Status, Diagnostic> {
    let seen = observe(cloud, desired).map_err(|e| cloud_diagnostic(&e))?;
    let names: Vec<String> = seen.job_list.keys().cloned().collect();
    let owned = |tags: &Tags| tags.get(TAG_STACK) == Some(&desired.stack);
    let mut jobs: Vec<TrainingJob> = describe_jobs(cloud, &names)
        .map_err(|e| cloud_diagnostic(&e))?
        .into_iter()
        .filter(|j| owned(&j.tags))
        .collect();
    jobs.reverse();
    Ok(Status {
        stack: desired.stack.clone(),
        region: desired.region.clone(),
        artifacts: desired.artifacts.clone(),
        training_jobs: jobs,
        models: seen
            .models
            .into_values()
            .filter(|m| owned(&m.tags))
            .collect(),
        endpoint_configs: seen
            .endpoint_configs
            .into_values()
            .filter(|c| owned(&c.tags))
            .collect(),
        endpoints: seen
            .endpoints
            .into_values()
            .filter(|e| owned(&e.tags))
            .collect(),
        role: seen.role.filter(|r| owned(&r.tags)),
    })
}

fn address(tags: &Tags) -> &str {
    tags.get(TAG_ADDRESS).map(String::as_str).unwrap_or("-")
}

/// The status as aligned tables.
pub fn table(s: &Status) -> String {
    let mut out = format!("Stack {} in {} ({})\n", s.stack, s.region, s.artifacts);
    let mut section = |title: &str, rows: Vec<[String; 4]>| {
        let _ = write!(out, "\n{title}\n");
        if rows.is_empty() {
            out.push_str("  (none)\n");
            return;
        }
        let w: Vec<usize> = (0..3)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        for r in rows {
            let _ = writeln!(
                out,
                "  {:w0$}  {:w1$}  {:w2$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            );
        }
    };
    section(
        "Training jobs",
        s.training_jobs
            .iter()
            .map(|j| {
                let detail = match (&j.failure_reason, j.final_metrics.is_empty()) {
                    (Some(r), _) => r.clone(),
                    (None, false) => metrics(&j.final_metrics),
                    (None, true) => j.secondary_status.clone().unwrap_or_default(),
                };
                [
                    j.name.clone(),
                    j.status.as_str().to_string(),
                    address(&j.tags).to_string(),
                    detail,
                ]
            })
            .collect(),
    );
    section(
        "Models",
        s.models
            .iter()
            .map(|m| {
                let job = m
                    .model_data
                    .as_deref()
                    .and_then(job_of_artifact)
                    .map(|j| format!("output of {j}"))
                    .unwrap_or_default();
                [
                    m.name.clone(),
                    String::new(),
                    address(&m.tags).to_string(),
                    job,
                ]
            })
            .collect(),
    );
    section(
        "Endpoint configs",
        s.endpoint_configs
            .iter()
            .map(|c| {
                let v = c
                    .variants
                    .first()
                    .map(|v| {
                        format!(
                            "{} × {}, model {}",
                            v.instance_type, v.instance_count, v.model_name
                        )
                    })
                    .unwrap_or_default();
                [
                    c.name.clone(),
                    String::new(),
                    address(&c.tags).to_string(),
                    v,
                ]
            })
            .collect(),
    );
    section(
        "Endpoints",
        s.endpoints
            .iter()
            .map(|e| {
                let mut detail = format!("serves {}", e.config_name);
                if let Some(r) = &e.failure_reason {
                    detail.push_str(&format!("; last failure: {r}"));
                }
                [
                    e.name.clone(),
                    e.status.as_str().to_string(),
                    address(&e.tags).to_string(),
                    detail,
                ]
            })
            .collect(),
    );
    if let Some(r) = &s.role {
        let _ = write!(out, "\nRole\n  {}  {}\n", r.name, r.arn);
    }
    out
}

pub fn run(args: &ManifestArgs, format: ListFormat, aws: &AwsOptions) -> Outcome {
    let (loaded, ctx, cloud) = match load_stack(args, aws) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "no status was read"),
    };
    let m = &loaded.manifest;
    let desired = Desired::empty(m.stack.get(), &ctx.region, m.artifacts.get());
    match status(&cloud, &desired) {
        Ok(s) => Outcome {
            stdout: match format {
                ListFormat::Table => table(&s),
                ListFormat::Json => {
                    let mut j = serde_json::to_string_pretty(&s).expect("status serializes");
                    j.push('\n');
                    j
                }
            },
            success: true,
            ..Outcome::default()
        },
        Err(d) => Outcome::failed(&[d], "no status was read"),
    }
}
