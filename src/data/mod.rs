//! Datasets on disk: finding the one data file of a `train`/`validation` entry (`discover`),
//! checking its format while hashing it in one streaming pass (`scan`, `formats`, whose
//! results are `report`) and the hash cache (`cache`). Owns no AWS access, knows nothing of
//! the manifest, and never loads a whole file into memory.

mod cache;
mod csv_scan;
mod derive;
mod discover;
mod formats;
mod json_array;
mod report;
mod scan;
mod text;

use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) use cache::scan_cached;
pub(crate) use derive::{derive, materialize, Derived};
pub(crate) use discover::{discover, special_kind, DataFile, DiscoverError};
pub(crate) use report::{FileReport, ScanError};
pub(crate) use scan::{hex, CHUNK_SIZE};

/// The data formats JumpStart's domain-adaptation scripts read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    Txt,
    Csv,
    /// A `.json` file: JSON Lines or one top-level array of objects.
    Json,
    Jsonl,
}

impl Format {
    /// The format of a file name by its extension, in any case.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::from_extension(name.rsplit_once('.')?.1)
    }

    /// The format an extension (`csv`, `JSONL`, …) names.
    pub(crate) fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" => Some(Format::Txt),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Txt => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn formats_by_extension_in_any_case() {
        assert_eq!(Format::from_name("a.TXT"), Some(Format::Txt));
        assert_eq!(Format::from_name("a.b.Csv"), Some(Format::Csv));
        assert_eq!(Format::from_name("x.jsonl"), Some(Format::Jsonl));
        assert_eq!(Format::from_name("x.json"), Some(Format::Json));
        assert_eq!(Format::from_name("x.parquet"), None);
        assert_eq!(Format::from_name("README"), None);
    }
}
