//! The summary `sagetune validate` prints for a valid manifest, from the checked data alone.

use std::fmt::Write;

use serde_json::json;

use crate::data;
use crate::jumpstart::catalog;
use crate::prepare::{SpecCheck, Validated};

use super::units::{plural, size, thousands};

/// What `validate` found, for stdout: the stack, each dataset file's figures and hash, the
/// fine-tunes and endpoints, how far specs were checked, and a closing verdict line.
pub(crate) fn validated(v: &Validated) -> String {
    crate::escape::controls(&unescaped(v)).into_owned()
}

fn unescaped(v: &Validated) -> String {
    let m = &v.loaded.manifest;
    let mut out = String::new();
    let region = m
        .region
        .as_ref()
        .map(|r| r.get().as_str())
        .unwrap_or("from the AWS configuration");
    let _ = writeln!(out, "Stack {} (region {region})", m.stack.get());
    let _ = writeln!(out, "  artifacts  {}", m.artifacts.get());
    let role = match (&m.role.arn, &m.role.create) {
        (Some(arn), _) => arn.get().clone(),
        _ => format!(
            "{}-sagemaker-execution (managed by sagetune)",
            m.stack.get()
        ),
    };
    let _ = writeln!(out, "  role       {role}");
    let (total_files, total_bytes) = datasets(&mut out, v);
    fine_tunes(&mut out, v);
    endpoints(&mut out, v);
    specs(&mut out, &v.specs);
    let _ = writeln!(
        out,
        "\n✓ {} is valid: {} dataset{} ({total_files} file{}, {}), {} fine-tune{}, {} endpoint{}. No AWS call was made.",
        v.loaded.path.display(),
        m.datasets.len(),
        plural(m.datasets.len()),
        plural(total_files),
        size(total_bytes),
        m.fine_tunes.len(),
        plural(m.fine_tunes.len()),
        m.endpoints.len(),
        plural(m.endpoints.len()),
    );
    out
}

/// Each dataset file with its figures and hash; returns the file count and total bytes.
fn datasets(out: &mut String, v: &Validated) -> (usize, u64) {
    let _ = writeln!(out, "\nDatasets");
    let mut total_bytes = 0u64;
    let mut total_files = 0usize;
    for ds in &v.datasets {
        let _ = writeln!(out, "  {}", ds.name);
        for f in &ds.files {
            let r = &f.report;
            total_bytes += r.bytes;
            total_files += 1;
            let unit = if r.format == data::Format::Txt {
                "lines"
            } else {
                "rows"
            };
            let column = r
                .text_column
                .as_ref()
                .map(|c| format!(", text in `{c}`"))
                .unwrap_or_default();
            let _ = writeln!(out, "    {:<10}  {}", f.channel, f.file.display.display());
            let _ = writeln!(
                out,
                "    {:<10}  {} · {} · {} {unit} ({} empty){column} · ~{} tokens",
                "",
                r.format,
                size(r.bytes),
                thousands(r.rows),
                thousands(r.empty_rows),
                thousands(r.approx_tokens),
            );
            let _ = writeln!(out, "    {:<10}  sha256 {}", "", r.sha256);
            if let Some(d) = &f.derived {
                let _ = writeln!(
                    out,
                    "    {:<10}  uploads its `{}` column as `text` (the training script reads `{}`): {} · sha256 {}",
                    "",
                    d.column,
                    r.script_column.as_deref().unwrap_or("text"),
                    size(d.bytes),
                    d.sha256
                );
            }
        }
        if !ds.files.iter().any(|f| f.channel == "validation") {
            let _ = writeln!(
                out,
                "    {:<10}  none: the model's validation_split_ratio holds out part of train",
                "validation"
            );
        }
    }

    (total_files, total_bytes)
}

/// Each fine-tune's model, dataset and training settings.
fn fine_tunes(out: &mut String, v: &Validated) {
    let m = &v.loaded.manifest;
    if !m.fine_tunes.is_empty() {
        let _ = writeln!(out, "\nFine-tunes");
    }
    for (name, ft) in &m.fine_tunes {
        let model = catalog::find(&ft.model).expect("validated: the model is in the catalog");
        let version = ft
            .model_version
            .as_ref()
            .map(|v| v.get().as_str())
            .unwrap_or("*");
        let _ = writeln!(
            out,
            "  {}  {} ({} @ {version}) on dataset {}",
            name.get(),
            model.name,
            model.id,
            ft.dataset.get()
        );
        let instance = ft
            .instance_type
            .as_ref()
            .map(|i| i.get().clone())
            .unwrap_or_else(|| format!("{} (model default)", model.default_training_instance));
        let count = ft.instance_count.as_ref().map(|c| *c.get()).unwrap_or(1);
        let runtime = ft
            .max_runtime
            .as_ref()
            .map(|r| r.get().as_str())
            .unwrap_or("model default");
        let _ = writeln!(
            out,
            "    training on {instance} ×{count}, max runtime {runtime}, {} hyperparameter(s) set",
            ft.hyperparameters.len()
        );
    }
}

/// Each endpoint with what it serves and on which instances.
fn endpoints(out: &mut String, v: &Validated) {
    let m = &v.loaded.manifest;
    if !m.endpoints.is_empty() {
        let _ = writeln!(out, "\nEndpoints");
    }
    for (name, ep) in &m.endpoints {
        let model = m
            .fine_tunes
            .get(ep.fine_tune.get().as_str())
            .and_then(|ft| catalog::find(&ft.model));
        let instance = ep
            .instance_type
            .as_ref()
            .map(|i| i.get().clone())
            .unwrap_or_else(|| {
                format!(
                    "{} (model default)",
                    model.map(|m| m.default_inference_instance).unwrap_or("?")
                )
            });
        let count = ep.instance_count.as_ref().map(|c| *c.get()).unwrap_or(1);
        let protect = if ep.protect.as_ref().is_some_and(|p| *p.get()) {
            ", protected"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {}  serves {} on {instance} ×{count}{protect}",
            name.get(),
            ep.fine_tune.get()
        );
    }
}

/// How far the model specs were checked offline.
fn specs(out: &mut String, specs: &SpecCheck) {
    let _ = match specs {
        SpecCheck::NothingToCheck => Ok(()),
        SpecCheck::NoLock => writeln!(out, "\nModel specs: not checked (hyperparameters, instance types, gate metrics, smoke tests, the EULA, validation data); run `sagetune lock` to pin the models and commit sagetune.lock: it carries what validate needs to check them offline (`--require-lock` makes this an error)."),
        SpecCheck::LockMismatch(why) => writeln!(out, "\nModel specs: not checked; sagetune.lock does not match the manifest ({}). Run `sagetune lock`.", why.join("; ")),
        SpecCheck::NoRegion => writeln!(out, "\nModel specs: not checked; no region (set `region` in the manifest, --region or AWS_REGION)."),
        SpecCheck::Cached { versions, missing } => {
            let seen: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            let mut line = format!("\nModel specs: no sagetune.lock; checked against the newest cached specs ({})", seen.join(", "));
            if !missing.is_empty() {
                line.push_str(&format!("; none cached for {}", missing.join(", ")));
            }
            writeln!(out, "{line}. Run `sagetune lock` to pin the versions.")
        }
        SpecCheck::Checked { versions, missing } => {
            let pinned: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            let line = match (pinned.is_empty(), missing.is_empty()) {
                (true, _) => format!("\nModel specs: not checked; sagetune.lock pins {} but carries no spec for it (a lock written by an older sagetune) and none is cached. Run `sagetune lock` to record the specs", missing.join(", ")),
                (false, true) => format!("\nModel specs: checked against sagetune.lock ({})", pinned.join(", ")),
                (false, false) => format!("\nModel specs: checked against sagetune.lock ({}); no spec carried or cached for {}, run `sagetune lock`", pinned.join(", "), missing.join(", ")),
            };
            writeln!(out, "{line}.")
        }
    };
}

/// What `validate --format json` prints for a valid manifest: the same facts as [`validated`]
/// as one document (`valid`, the stack, every dataset file's figures and hash, the fine-tunes
/// and endpoints, how far specs were checked, warnings as diagnostics).
pub(crate) fn validated_json(v: &Validated) -> String {
    let m = &v.loaded.manifest;
    let datasets: Vec<_> = v
        .datasets
        .iter()
        .map(|ds| {
            let files: Vec<_> = ds
                .files
                .iter()
                .map(|f| {
                    let r = &f.report;
                    json!({
                        "channel": f.channel,
                        "path": f.file.display.display().to_string(),
                        "format": r.format.to_string(),
                        "bytes": r.bytes,
                        "rows": r.rows,
                        "empty_rows": r.empty_rows,
                        "approx_tokens": r.approx_tokens,
                        "sha256": r.sha256,
                        "text_column": r.text_column,
                        "uploaded_as": f.derived.as_ref().map(|d| json!({
                            "column": d.column, "file_name": d.file_name,
                            "bytes": d.bytes, "sha256": d.sha256,
                        })),
                    })
                })
                .collect();
            json!({"name": ds.name, "files": files})
        })
        .collect();
    let specs = match &v.specs {
        SpecCheck::NothingToCheck => json!({"checked": "nothing_to_check"}),
        SpecCheck::NoLock => json!({"checked": "no_lock"}),
        SpecCheck::LockMismatch(why) => json!({"checked": "lock_mismatch", "why": why}),
        SpecCheck::NoRegion => json!({"checked": "no_region"}),
        SpecCheck::Cached { versions, missing } => {
            json!({"checked": "cached", "versions": pairs(versions), "missing": missing})
        }
        SpecCheck::Checked { versions, missing } => {
            json!({"checked": "pinned", "versions": pairs(versions), "missing": missing})
        }
    };
    let doc = json!({
        "valid": true,
        "manifest": v.loaded.path.display().to_string(),
        "stack": m.stack.get(),
        "region": m.region.as_ref().map(|r| r.get().as_str()),
        "artifacts": m.artifacts.get().to_string(),
        "datasets": datasets,
        "fine_tunes": m.fine_tunes.keys().map(|k| k.get().as_str()).collect::<Vec<_>>(),
        "endpoints": m.endpoints.keys().map(|k| k.get().as_str()).collect::<Vec<_>>(),
        "model_specs": specs,
        "warnings": crate::diagnostics::to_json(&v.warnings),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn pairs(versions: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    versions
        .iter()
        .map(|(name, version)| (name.clone(), version.clone().into()))
        .collect()
}
