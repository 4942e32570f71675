//! What a scan of a data file reports: its figures on success, or the located content
//! problem, read error or missing column that stopped it. Plain data shared by the format
//! checkers (`formats`) and the scan driver (`scan`).

use std::io;

use serde::{Deserialize, Serialize};

use super::Format;

/// What a successful scan learned about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileReport {
    pub(crate) format: Format,
    pub(crate) bytes: u64,
    /// Records (CSV rows, JSON objects) or lines (TXT).
    pub(crate) rows: u64,
    /// Rows whose text is empty after trimming whitespace.
    pub(crate) empty_rows: u64,
    /// Rough token count (bytes / 4).
    pub(crate) approx_tokens: u64,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub(crate) sha256: String,
    /// The CSV column or JSON field the text was read from (None for TXT).
    pub(crate) text_column: Option<String>,
    /// The column JumpStart's training script reads: `text` when the data has one, else the
    /// first column (None for TXT). When it differs from `text_column`, what is uploaded is a
    /// file derived from this one with just the text column (see `derive`).
    pub(crate) script_column: Option<String>,
    /// The digest of that derived content, when the checker computed it in the same pass (a
    /// CSV); otherwise `derive` streams it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) derived: Option<DerivedDigest>,
}

/// SHA-256 and size of a derived file's content, computed without writing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DerivedDigest {
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
}

/// A problem inside a data file, at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentError {
    pub(crate) line: u64,
    pub(crate) column: u64,
    /// Byte offset of the start of `line`, when the checker knows it.
    pub(crate) line_offset: Option<u64>,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// Why a scan failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// The file could not be read.
    Io(String),
    /// The content breaks a data rule.
    Content(ContentError),
    /// The file changed (size, time or identity) while it was being read.
    Changed,
    /// `text_column` names a column or field the data does not have.
    MissingColumn {
        column: String,
        available: Vec<String>,
    },
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e.to_string())
    }
}

/// Counts a checker reports; the scan adds bytes and the hash.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Counts {
    pub(crate) rows: u64,
    pub(crate) empty_rows: u64,
    pub(crate) text_column: Option<String>,
    pub(crate) script_column: Option<String>,
    pub(crate) derived: Option<DerivedDigest>,
}
