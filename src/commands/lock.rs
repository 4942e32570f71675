//! `sagetune lock`: resolve every fine-tune's model as the SDK would and pin the result in
//! `sagetune.lock` (and the specs in the local cache).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::cli::ManifestArgs;
use crate::cloud::{AwsOptions, S3ContentStore};
use crate::diagnostics::{self, Diagnostic, Style};
use crate::jumpstart::lock::{self, LockFile};
use crate::jumpstart::resolver::Resolver;
use crate::manifest;

use super::context::{read_lock, require_region, resolve_diagnostic, source, wanted};
use super::Outcome;

pub fn run(args: &ManifestArgs, aws: &AwsOptions) -> Outcome {
    match lock(args, aws) {
        Ok(stdout) => Outcome {
            stdout,
            stderr: String::new(),
            success: true,
            ..Outcome::default()
        },
        Err(diags) => Outcome::failed(&diags, &format!("{} was not locked", args.file.display())),
    }
}

fn lock(args: &ManifestArgs, aws: &AwsOptions) -> Result<String, Vec<Diagnostic>> {
    let loaded = manifest::load(&args.file)?;
    let problems = manifest::check(&loaded);
    if problems.iter().any(Diagnostic::is_error) {
        return Err(problems);
    }
    let ctx = require_region(&loaded, aws).map_err(|d| vec![d])?;
    let store = S3ContentStore::new(aws.clone(), Some(ctx.region.clone()));
    let mut resolver = Resolver::new(source(&ctx, &store).map_err(|d| vec![d])?, &loaded.dir);
    let previous = read_lock(&loaded).ok().flatten();
    let mut entries = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, model, requested) in wanted(&loaded) {
        match resolver.resolve(&model, &requested) {
            Ok(m) => {
                entries.insert(name, m.entry);
            }
            Err(e) => errors.push(resolve_diagnostic(&loaded, &name, &e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let new = LockFile::new(entries);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Resolved from {} ({}):",
        resolver.describe(),
        ctx.region
    );
    for (name, e) in &new.fine_tunes {
        let before = previous
            .as_ref()
            .and_then(|p| p.fine_tunes.get(name))
            .filter(|p| p.version != e.version || p.spec_sha256 != e.spec_sha256)
            .map(|p| format!(" (was {})", p.version))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {name}  {} {} → {}{before}  spec sha256 {}",
            e.model_id,
            e.requested_version,
            e.version,
            &e.spec_sha256[..12]
        );
    }
    if previous.as_ref() == Some(&new) {
        let _ = writeln!(out, "\nsagetune.lock is up to date.");
    } else {
        let path = lock::write(&loaded.dir, &new).map_err(|e| {
            vec![
                Diagnostic::new("lock::write", format!("cannot write sagetune.lock: {e}"))
                    .help("check the folder's permissions"),
            ]
        })?;
        let _ = writeln!(
            out,
            "\nWrote {}. Commit it with the manifest.",
            path.display()
        );
    }
    Ok(out)
}

/// Renders failure diagnostics with a closing line.
pub fn render_failure(diags: &[Diagnostic], closing: &str) -> String {
    let mut s = diagnostics::render(diags, Style::for_stderr());
    let _ = writeln!(s, "error: {closing}");
    s
}
