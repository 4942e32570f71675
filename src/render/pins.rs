//! What `sagetune lock` prints: each fine-tune's resolved version (and what it was before),
//! and whether `sagetune.lock` was written.

use std::fmt::Write;

use crate::prepare::models::Relocked;

/// The resolved versions and the file's fate.
pub(crate) fn relocked(r: &Relocked) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Resolved from {} ({}):", r.source, r.region);
    for (name, e) in &r.pins.fine_tunes {
        let before = match r.previous.as_ref().and_then(|p| p.fine_tunes.get(name)) {
            // The same version with other content: JumpStart republished it.
            Some(p) if p.version == e.version && p.spec_sha256 != e.spec_sha256 => format!(
                " (republished: the spec of {} changed since it was locked, sha256 {} before; review what changed before you commit)",
                e.version,
                &p.spec_sha256[..12.min(p.spec_sha256.len())]
            ),
            Some(p) if p.version != e.version => format!(" (was {})", p.version),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {name}  {} {} → {}{before}  spec sha256 {}",
            e.model_id,
            e.requested_version,
            e.version,
            &e.spec_sha256[..12]
        );
    }
    match &r.written {
        None => {
            let _ = writeln!(out, "\nsagetune.lock is up to date.");
        }
        Some(path) => {
            let _ = writeln!(
                out,
                "\nWrote {}. Commit it with the manifest.",
                path.display()
            );
        }
    }
    out
}

/// `lock --format json`: where specs came from, the pins now and before, and the file written
/// (`null` when it was already up to date).
pub(crate) fn relocked_json(r: &Relocked) -> String {
    super::json_value(&serde_json::json!({
        "source": r.source,
        "region": r.region,
        "pins": r.pins,
        "previous": r.previous,
        "written": r.written,
    }))
}
