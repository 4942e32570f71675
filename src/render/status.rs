//! `sagetune status` as aligned tables, one section per kind of object.

use std::fmt::Write;

use crate::cloud::Tags;
use crate::desired::naming::TAG_ADDRESS;
use crate::observe::{job_of_artifact, JobCost, Status};

use super::progress::metrics;
use super::units::{money, plural};

fn address(tags: &Tags) -> &str {
    tags.get(TAG_ADDRESS).map(String::as_str).unwrap_or("-")
}

/// The status as aligned tables.
pub fn status_table(s: &Status) -> String {
    crate::escape::controls(&unescaped(s)).into_owned()
}

fn unescaped(s: &Status) -> String {
    let mut out = format!("Stack {} in {} ({})\n", s.stack, s.region, s.artifacts);
    section(&mut out, "Training jobs", job_rows(s));
    if !s.training_costs.is_empty() {
        let mut line = format!(
            "  spent on training: {} ({} job{})",
            money(Some(s.training_total_usd)),
            s.training_costs.len() - s.unpriced_jobs,
            plural(s.training_costs.len() - s.unpriced_jobs)
        );
        if s.unpriced_jobs > 0 {
            line.push_str(&format!(
                "; {} not priced (running, failed before billing, or a type the price table lacks)",
                s.unpriced_jobs
            ));
        }
        let _ = writeln!(out, "{line}; prices as of {}", s.prices_as_of);
    }
    section(&mut out, "Models", model_rows(s));
    section(&mut out, "Endpoint configs", config_rows(s));
    section(&mut out, "Endpoints", endpoint_rows(s));
    if !s.alarms.is_empty() {
        section(
            &mut out,
            "Alarms (roll back guarded updates)",
            alarm_rows(s),
        );
    }
    if let Some(r) = &s.role {
        let _ = write!(out, "\nRole\n  {}  {}\n", r.name, r.arn);
    }
    if !s.interrupted_uploads.is_empty() {
        let _ = write!(
            out,
            "\nInterrupted uploads (parts billed, no object; the next apply aborts them)\n"
        );
        for u in &s.interrupted_uploads {
            let _ = writeln!(out, "  s3://{}/{}  upload {}", u.bucket, u.key, u.upload_id);
        }
    }
    out
}

/// ` · 10m00s · billable 600 s × 1 · $1.21` for a finished job; what is unknown is left out.
fn cost_detail(c: &JobCost) -> String {
    let mut parts = Vec::new();
    if let Some(d) = c.duration_seconds {
        parts.push(format!("{}m{:02}s", d / 60, d % 60));
    }
    if let Some(b) = c.billable_seconds {
        parts.push(format!("billable {b} s × {}", c.instance_count));
    }
    if c.billable_seconds.is_some() {
        parts.push(money(c.usd));
    }
    parts.iter().map(|p| format!(" · {p}")).collect()
}

/// A titled table of `[name, status, address, detail]` rows, the first three aligned.
fn section(out: &mut String, title: &str, rows: Vec<[String; 4]>) {
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
}

fn job_rows(s: &Status) -> Vec<[String; 4]> {
    s.training_jobs
        .iter()
        .map(|j| {
            let mut detail = match (&j.failure_reason, j.final_metrics.is_empty()) {
                (Some(r), _) => r.clone(),
                (None, false) => metrics(&j.final_metrics),
                (None, true) => j.secondary_status.clone().unwrap_or_default(),
            };
            if let Some(c) = s.training_costs.iter().find(|c| c.job == j.name) {
                detail.push_str(&cost_detail(c));
            }
            [
                j.name.clone(),
                j.status.as_str().to_string(),
                address(&j.tags).to_string(),
                detail,
            ]
        })
        .collect()
}

fn model_rows(s: &Status) -> Vec<[String; 4]> {
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
        .collect()
}

fn config_rows(s: &Status) -> Vec<[String; 4]> {
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
        .collect()
}

fn alarm_rows(s: &Status) -> Vec<[String; 4]> {
    s.alarms
        .iter()
        .map(|a| {
            [
                a.name.clone(),
                a.state.clone(),
                a.endpoint
                    .as_deref()
                    .map(|e| format!("endpoint {e}"))
                    .unwrap_or_default(),
                String::new(),
            ]
        })
        .collect()
}

fn endpoint_rows(s: &Status) -> Vec<[String; 4]> {
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
        .collect()
}
