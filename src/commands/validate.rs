//! `sagetune validate`: manifest rules and data checks, offline, all problems at once.

use std::fmt::Write;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use crate::cli::ManifestArgs;
use crate::cloud::AwsOptions;
use crate::data::{self, DataFile, FileReport, ScanError};
use crate::diagnostics::{self, Diagnostic, SourceText, Style};
use crate::jumpstart::catalog;
use crate::manifest::{self, LoadedManifest, Sp};
use crate::resolution;

use super::{context, Outcome};

/// One checked data file of a dataset.
#[derive(Debug)]
pub struct FileCheck {
    /// `train` or `validation`.
    pub channel: &'static str,
    pub file: DataFile,
    pub report: FileReport,
}

/// The checked files of one dataset.
#[derive(Debug)]
pub struct DatasetCheck {
    pub name: String,
    pub files: Vec<FileCheck>,
}

/// How far the model specs could be checked offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecCheck {
    /// No fine-tunes, nothing to check.
    NothingToCheck,
    /// No sagetune.lock yet.
    NoLock,
    /// The lock does not match the manifest.
    LockMismatch(Vec<String>),
    /// No region is known offline, so images cannot be resolved.
    NoRegion,
    /// Checked against cached specs; `missing` lists fine-tunes whose spec is not cached.
    Checked {
        versions: Vec<(String, String)>,
        missing: Vec<String>,
    },
}

/// A manifest that passed every rule, its checked data, and the warnings found on the way.
#[derive(Debug)]
pub struct Validated {
    pub loaded: LoadedManifest,
    pub datasets: Vec<DatasetCheck>,
    pub warnings: Vec<Diagnostic>,
    pub specs: SpecCheck,
}

/// Runs every offline check; on failure returns all diagnostics (errors and warnings).
pub fn validate(args: &ManifestArgs, aws: &AwsOptions) -> Result<Validated, Vec<Diagnostic>> {
    let loaded = manifest::load(&args.file)?;
    let mut diags = manifest::check(&loaded);
    let mut datasets = Vec::new();
    for (name, ds) in &loaded.manifest.datasets {
        let mut files = Vec::new();
        let entries = [
            ("train", Some(&ds.train)),
            ("validation", ds.validation.as_ref()),
        ];
        for (channel, entry) in entries {
            let Some(entry) = entry else { continue };
            match check_file(&loaded, entry, ds.text_column.as_ref(), args.allow_outside) {
                Ok((file, report)) => files.push(FileCheck {
                    channel,
                    file,
                    report,
                }),
                Err(d) => diags.push(d),
            }
        }
        datasets.push(DatasetCheck {
            name: name.get().clone(),
            files,
        });
    }
    let specs = if diags.iter().any(Diagnostic::is_error) {
        SpecCheck::NothingToCheck
    } else {
        check_specs(&loaded, aws, &mut diags)
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Validated {
        loaded,
        datasets,
        warnings: diags,
        specs,
    })
}

/// Checks fine-tunes against the specs the lock pins, from the local cache only.
fn check_specs(
    loaded: &LoadedManifest,
    aws: &AwsOptions,
    diags: &mut Vec<Diagnostic>,
) -> SpecCheck {
    if loaded.manifest.fine_tunes.is_empty() {
        return SpecCheck::NothingToCheck;
    }
    let lock = match context::read_lock(loaded) {
        Ok(Some(lock)) => lock,
        Ok(None) => return SpecCheck::NoLock,
        Err(d) => {
            diags.push(d);
            return SpecCheck::NoLock;
        }
    };
    let mismatches = lock.mismatches(&context::wanted(loaded));
    if !mismatches.is_empty() {
        return SpecCheck::LockMismatch(mismatches);
    }
    let Ok(ctx) = context::require_region(loaded, aws) else {
        return SpecCheck::NoRegion;
    };
    let (models, errors) = context::offline_models(loaded, &lock);
    diags.extend(errors);
    if let Err(errors) = resolution::bind(loaded, &models, &ctx) {
        diags.extend(errors);
    }
    SpecCheck::Checked {
        versions: models
            .iter()
            .map(|(n, m)| (n.clone(), m.entry.version.clone()))
            .collect(),
        missing: lock
            .fine_tunes
            .keys()
            .filter(|n| !models.contains_key(*n))
            .cloned()
            .collect(),
    }
}

fn check_file(
    loaded: &LoadedManifest,
    entry: &Sp<String>,
    text_column: Option<&Sp<String>>,
    allow_outside: bool,
) -> Result<(DataFile, FileReport), Diagnostic> {
    let file = data::discover(&loaded.dir, entry, allow_outside).map_err(|e| {
        Diagnostic::new("data::path", e.to_string())
            .at(&loaded.source, entry.span(), "this path")
            .help(e.help())
    })?;
    let column = text_column.map(|c| c.get().as_str());
    let cache = loaded.dir.join(".sagetune").join("cache");
    match data::scan_cached(&cache, &file.canonical, file.format, column) {
        Ok((report, _)) => Ok((file, report)),
        Err(ScanError::Io(e)) => Err(Diagnostic::new(
            "data::unreadable",
            format!("cannot read {}: {e}", file.display.display()),
        )
        .at(&loaded.source, entry.span(), "this path")
        .help("check the file's permissions")),
        Err(ScanError::MissingColumn { column, available }) => {
            let at = text_column.map(Sp::span).unwrap_or_else(|| entry.span());
            Err(Diagnostic::new(
                "data::missing-column",
                format!("{} has no column `{column}`", file.display.display()),
            )
            .at(&loaded.source, at, "not in the data")
            .help(format!(
                "columns found: {}; set text_column to one of them",
                available
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
        Err(ScanError::Content(c)) => {
            let source = excerpt(
                &file.canonical,
                &file.display,
                c.line,
                c.line_offset,
                c.column,
            );
            let col_byte = source
                .text
                .char_indices()
                .nth(c.column.saturating_sub(1) as usize)
                .map(|(b, _)| b)
                .unwrap_or(source.text.len().saturating_sub(1));
            let start = source.first_offset + col_byte;
            Err(Diagnostic::new(
                "data::content",
                format!("{} ({} line {})", c.message, file.format, c.line),
            )
            .at(&source, start..start + 1, "here")
            .help(c.help))
        }
    }
}

/// The one line of a data file an error points at, read again (errors only), at most a few
/// hundred characters past the error column.
fn excerpt(
    path: &Path,
    shown: &Path,
    line: u64,
    offset: Option<u64>,
    column: u64,
) -> Arc<SourceText> {
    let name = shown.display().to_string();
    let read = || -> std::io::Result<(u64, String)> {
        let mut f = BufReader::new(std::fs::File::open(path)?);
        let start = match offset {
            Some(o) => o,
            None => {
                let mut pos = 0u64;
                let mut buf = Vec::new();
                for _ in 1..line.max(1) {
                    buf.clear();
                    let n = f.read_until(b'\n', &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    pos += n as u64;
                }
                pos
            }
        };
        f.seek(SeekFrom::Start(start))?;
        let limit = (column + 200).min(8000);
        let mut bytes = Vec::new();
        f.take(limit * 4).read_until(b'\n', &mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        let text: String = text
            .trim_end_matches(['\n', '\r'])
            .chars()
            .take(limit as usize)
            .collect();
        Ok((start, text))
    };
    let (first_offset, text) = read().unwrap_or((0, String::new()));
    Arc::new(SourceText {
        name,
        text: if text.is_empty() { " ".into() } else { text },
        first_line: line.saturating_sub(1) as usize,
        first_offset: first_offset as usize,
    })
}

pub fn run(args: &ManifestArgs, aws: &AwsOptions) -> Outcome {
    let style = Style::for_stderr();
    match validate(args, aws) {
        Ok(v) => Outcome {
            stdout: summary(&v),
            stderr: diagnostics::render(&v.warnings, style),
            success: true,
            ..Outcome::default()
        },
        Err(diags) => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let mut stderr = diagnostics::render(&diags, style);
            let _ = writeln!(
                stderr,
                "error: {} has {errors} problem{}; fix {} and run `sagetune validate` again",
                args.file.display(),
                if errors == 1 { "" } else { "s" },
                if errors == 1 { "it" } else { "them" },
            );
            Outcome {
                stdout: String::new(),
                stderr,
                success: false,
                ..Outcome::default()
            }
        }
    }
}

fn summary(v: &Validated) -> String {
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
        }
        if !ds.files.iter().any(|f| f.channel == "validation") {
            let _ = writeln!(
                out,
                "    {:<10}  none: the model's validation_split_ratio holds out part of train",
                "validation"
            );
        }
    }

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

    let _ = match &v.specs {
        SpecCheck::NothingToCheck => Ok(()),
        SpecCheck::NoLock => writeln!(out, "\nModel specs: not checked; run `sagetune lock` to resolve and pin the models, then validate checks hyperparameters and instance types offline."),
        SpecCheck::LockMismatch(why) => writeln!(out, "\nModel specs: not checked; sagetune.lock does not match the manifest ({}). Run `sagetune lock`.", why.join("; ")),
        SpecCheck::NoRegion => writeln!(out, "\nModel specs: not checked; no region (set `region` in the manifest, --region or AWS_REGION)."),
        SpecCheck::Checked { versions, missing } => {
            let pinned: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            let mut line = format!("\nModel specs: checked against sagetune.lock ({})", pinned.join(", "));
            if !missing.is_empty() {
                line.push_str(&format!("; not cached, run `sagetune lock`: {}", missing.join(", ")));
            }
            writeln!(out, "{line}.")
        }
    };
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

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A byte count in binary units with one decimal (`412.3 KiB`).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(1 << 30), "1.0 GiB");
    }
}
