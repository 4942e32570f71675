//! One `train`/`validation` entry of the manifest checked end to end: the file found, its
//! format checked and hashed (through the hash cache), the text column made the one the
//! training script reads (a derived file when it is not), and any problem turned into a
//! diagnostic located in the manifest or, for content problems, in the data file itself.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, SourceText};
use crate::manifest::{LoadedManifest, Sp};

use crate::data::{derive, discover, scan_cached, DataFile, Derived, FileReport, ScanError};

/// A checked entry: the file, its report, the derived file that goes up in its place (when
/// the chosen text column is not the one the training script reads), and a note worth
/// showing (which column trains when the data has no `text` column).
#[derive(Debug)]
pub(crate) struct CheckedEntry {
    pub(crate) file: DataFile,
    pub(crate) report: FileReport,
    pub(crate) derived: Option<Derived>,
    pub(crate) note: Option<Diagnostic>,
}

/// Finds, checks and hashes the file behind `entry` and derives the upload when needed; a
/// problem is located at `entry` (or at `text_column`), or at the offending line of the data
/// file.
pub(crate) fn check_entry(
    loaded: &LoadedManifest,
    entry: &Sp<String>,
    text_column: Option<&Sp<String>>,
    allow_outside: bool,
) -> Result<CheckedEntry, Diagnostic> {
    let (file, report) = check_file(loaded, entry, text_column, allow_outside)?;
    let cache = loaded.dir.join(".sagetune").join("cache");
    let mut checked = CheckedEntry {
        file,
        report,
        derived: None,
        note: None,
    };
    let (Some(chosen), Some(script)) = (
        checked.report.text_column.clone(),
        checked.report.script_column.clone(),
    ) else {
        return Ok(checked);
    };
    if chosen != script {
        let f = &checked.file;
        let derived = derive(
            &cache,
            &f.canonical,
            &f.file_name,
            &checked.report.sha256,
            f.format,
            &chosen,
            checked
                .report
                .derived
                .as_ref()
                .map(|d| (d, checked.report.rows)),
        )
        .map_err(|e| derive_failed(loaded, entry, f, &chosen, e))?;
        checked.derived = Some(derived);
    } else if text_column.is_none() && script != "text" {
        checked.note = Some(
            Diagnostic::new(
                "data::first-column",
                format!(
                    "{} has no `text` column: training reads its first column, `{script}`",
                    checked.file.display.display()
                ),
            )
            .at(&loaded.source, entry.span(), "trains on the first column")
            .help(format!(
                "if `{script}` holds the text, nothing to do (or name it `text`); otherwise set `text_column` and sagetune uploads that column as `text`"
            ))
            .warning(),
        );
    }
    Ok(checked)
}

/// The derived file (the chosen column alone) could not be written.
fn derive_failed(
    loaded: &LoadedManifest,
    entry: &Sp<String>,
    f: &DataFile,
    chosen: &str,
    e: ScanError,
) -> Diagnostic {
    let why = match e {
        ScanError::Io(m) => m,
        other => format!("{other:?}"),
    };
    Diagnostic::new(
        "data::derive",
        format!(
            "cannot write the `{chosen}` column of {} as its own file: {why}",
            f.display.display()
        ),
    )
    .at(&loaded.source, entry.span(), "this data")
    .help("check that .sagetune/cache/ next to the manifest is writable and the disk has room")
}

fn check_file(
    loaded: &LoadedManifest,
    entry: &Sp<String>,
    text_column: Option<&Sp<String>>,
    allow_outside: bool,
) -> Result<(DataFile, FileReport), Diagnostic> {
    let file = discover(&loaded.dir, entry, allow_outside)
        .map_err(|e| Diagnostic::from(&e).at(&loaded.source, entry.span(), "this path"))?;
    let column = text_column.map(|c| c.get().as_str());
    let cache = loaded.dir.join(".sagetune").join("cache");
    match scan_cached(&cache, &file.canonical, file.format, column) {
        Ok((report, _)) => Ok((file, report)),
        Err(ScanError::Io(e)) => Err(Diagnostic::new(
            "data::unreadable",
            format!("cannot read {}: {e}", file.display.display()),
        )
        .at(&loaded.source, entry.span(), "this path")
        .help("check the file's permissions")),
        Err(ScanError::Changed) => Err(Diagnostic::new(
            "data::changed",
            format!("{} changed while sagetune was reading it", file.display.display()),
        )
        .at(&loaded.source, entry.span(), "this data")
        .help("its check and hash would describe no version of it: run again once nothing is writing the file")),
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
            let (line, line_offset) = after_crlf(&file.canonical, c.line, c.line_offset);
            let source = excerpt(&file.canonical, &file.display, line, line_offset, c.column);
            let col_byte = source
                .text
                .char_indices()
                .nth(c.column.saturating_sub(1) as usize)
                .map(|(b, _)| b)
                .unwrap_or(source.text.len().saturating_sub(1));
            let start = source.first_offset + col_byte;
            Err(Diagnostic::new(
                "data::content",
                format!("{} ({} line {line})", c.message, file.format),
            )
            .at(&source, start..start + 1, "here")
            .help(c.help))
        }
    }
}

/// A record position that points at the `\n` of a CRLF pair (the CSV reader ends a record at
/// its `\r`) moved to the start of the line it belongs to.
fn after_crlf(path: &Path, line: u64, offset: Option<u64>) -> (u64, Option<u64>) {
    let Some(at) = offset else {
        return (line, offset);
    };
    let first = (|| -> std::io::Result<u8> {
        let mut f = std::fs::File::open(path)?;
        f.seek(SeekFrom::Start(at))?;
        let mut byte = [0u8];
        f.read_exact(&mut byte)?;
        Ok(byte[0])
    })();
    match first {
        Ok(b'\n') => (line + 1, Some(at + 1)),
        _ => (line, offset),
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
