//! Derived data files: when the text column a manifest chose is not the one JumpStart's
//! training script reads (`text`, else the first column), what goes to S3 is a file with just
//! that column, named `text` — CSV stays CSV, JSON and JSON Lines become JSON Lines — so the
//! job trains on exactly what was validated. Streams record by record (memory bounded by one
//! record), hashes what it writes, and keeps the result in the cache next to the manifest.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::report::ScanError;
use super::Format;
use crate::files::{hex, sha256_hex, write_atomic};

/// A derived file ready to upload in place of its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Derived {
    /// Where it is, under `.sagetune/cache/derived/`.
    pub(crate) path: PathBuf,
    /// The name it is uploaded under: the source's stem with `.csv` or `.jsonl`.
    pub(crate) file_name: String,
    /// The source column its `text` holds.
    pub(crate) column: String,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) rows: u64,
}

/// What a derived file's sidecar records, to reuse it without reading it again.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    version: u32,
    source_sha256: String,
    derived: Derived,
}

const SIDECAR_VERSION: u32 = 1;

/// The file to upload for `source` (of `format`, content hash `source_sha256`) whose text is
/// in `column`: reused from `cache_dir` when already derived from these exact bytes, else
/// written there now.
pub(crate) fn derive(
    cache_dir: &Path,
    source: &Path,
    source_name: &str,
    source_sha256: &str,
    format: Format,
    column: &str,
) -> Result<Derived, ScanError> {
    let dir = cache_dir.join("derived");
    let id = sha256_hex(format!("{source_sha256}\0{format}\0{column}").as_bytes());
    let ext = if format == Format::Csv {
        "csv"
    } else {
        "jsonl"
    };
    let path = dir.join(format!("{}.{ext}", &id[..32]));
    let sidecar = dir.join(format!("{}.json", &id[..32]));
    if let Some(found) = reuse(&sidecar, &path, source_sha256) {
        return Ok(found);
    }
    std::fs::create_dir_all(&dir)?;
    let partial = dir.join(format!(".{}.{}.partial", &id[..32], std::process::id()));
    let written = write_derived(source, &partial, format, column);
    let (sha256, bytes, rows) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &path)?;
    let stem = source_name
        .rsplit_once('.')
        .map_or(source_name, |(stem, _)| stem);
    let derived = Derived {
        path,
        file_name: format!("{stem}.{ext}"),
        column: column.to_string(),
        sha256,
        bytes,
        rows,
    };
    let record = Sidecar {
        version: SIDECAR_VERSION,
        source_sha256: source_sha256.to_string(),
        derived: derived.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec_pretty(&record) {
        let _ = write_atomic(&sidecar, &bytes);
    }
    Ok(derived)
}

/// A derived file from an earlier run, when its sidecar matches and its size is unchanged
/// (apply hashes the file again before it uploads it).
fn reuse(sidecar: &Path, path: &Path, source_sha256: &str) -> Option<Derived> {
    let record: Sidecar = serde_json::from_slice(&std::fs::read(sidecar).ok()?).ok()?;
    let size = std::fs::metadata(path).ok()?.len();
    (record.version == SIDECAR_VERSION
        && record.source_sha256 == source_sha256
        && record.derived.path == path
        && record.derived.bytes == size)
        .then_some(record.derived)
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the derived file; returns its SHA-256, size and row count.
fn write_derived(
    source: &Path,
    out: &Path,
    format: Format,
    column: &str,
) -> Result<(String, u64, u64), ScanError> {
    let mut w = Hashing {
        inner: BufWriter::new(File::create(out)?),
        sha: Sha256::new(),
        bytes: 0,
    };
    let mut input = BufReader::with_capacity(super::CHUNK_SIZE, File::open(source)?);
    let rows = match format {
        Format::Csv => csv_column(&mut input, &mut w, column)?,
        Format::Json | Format::Jsonl => json_column(&mut input, &mut w, column)?,
        Format::Txt => return Err(ScanError::Io("a TXT file has no columns".into())),
    };
    w.flush()?;
    let file = w
        .inner
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    file.sync_all()?;
    Ok((hex(&w.sha.finalize()), w.bytes, rows))
}

/// CSV in, CSV out: a `text` header, then the chosen column of every record.
fn csv_column(r: &mut impl BufRead, w: &mut impl Write, column: &str) -> Result<u64, ScanError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(r);
    let index = reader
        .byte_headers()
        .map_err(|e| ScanError::Io(e.to_string()))?
        .iter()
        .position(|h| h == column.as_bytes())
        .ok_or_else(|| ScanError::Io(format!("the column `{column}` is gone")))?;
    let mut writer = csv::Writer::from_writer(w);
    writer
        .write_record(["text"])
        .map_err(|e| ScanError::Io(e.to_string()))?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| ScanError::Io(e.to_string()))?
    {
        writer
            .write_record([&record[index]])
            .map_err(|e| ScanError::Io(e.to_string()))?;
        rows += 1;
    }
    writer.flush()?;
    Ok(rows)
}

/// One record's fields (the checks already proved each record is an object).
type Record = serde_json::Map<String, serde_json::Value>;

/// JSON Lines or a JSON array in, JSON Lines out: `{"text": …}` per record, in order; a null
/// or missing text (which the checks count as empty) is written as empty text.
fn json_column(r: &mut impl BufRead, w: &mut impl Write, column: &str) -> Result<u64, ScanError> {
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    let starts_array = r.fill_buf()?.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let mut rows = 0u64;
    let mut emit = |record: &Record| -> io::Result<()> {
        let text = match record.get(column) {
            Some(serde_json::Value::String(s)) => s.as_str(),
            _ => "",
        };
        serde_json::to_writer(&mut *w, &serde_json::json!({ "text": text }))?;
        w.write_all(b"\n")?;
        rows += 1;
        Ok(())
    };
    if starts_array {
        super::json_array::for_each_element(r, |element, _| {
            let record: Record =
                serde_json::from_slice(element).map_err(|e| ScanError::Io(e.to_string()))?;
            Ok(emit(&record)?)
        })?;
    } else {
        let mut line = Vec::new();
        while r.read_until(b'\n', &mut line)? > 0 {
            if !line.iter().all(u8::is_ascii_whitespace) {
                let record: Record =
                    serde_json::from_slice(&line).map_err(|e| ScanError::Io(e.to_string()))?;
                emit(&record)?;
            }
            line.clear();
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(format: Format, name: &str, body: &str, column: &str) -> (Derived, String) {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join(name);
        std::fs::write(&source, body).unwrap();
        let sha = crate::files::sha256_file(&source).unwrap();
        let cache = dir.path().join("cache");
        let d = derive(&cache, &source, name, &sha, format, column).unwrap();
        let text = std::fs::read_to_string(&d.path).unwrap();
        assert_eq!(
            d.sha256,
            sha256_hex(text.as_bytes()),
            "the hash is of what was written"
        );
        assert_eq!(d.bytes, text.len() as u64);
        // The same source and column reuse the file.
        let again = derive(&cache, &source, name, &sha, format, column).unwrap();
        assert_eq!(again, d);
        (d, text)
    }

    #[test]
    fn json_lines_and_arrays_become_json_lines_of_the_chosen_field() {
        let (d, text) = derived(
            Format::Jsonl,
            "train.jsonl",
            "{\"id\": 1, \"body\": \"Revenue \\\"grew\\\".\"}\n\n{\"id\": 2, \"body\": null}\n{\"body\": \"é\\n\", \"id\": 3}\n",
            "body",
        );
        assert_eq!(
            text,
            "{\"text\":\"Revenue \\\"grew\\\".\"}\n{\"text\":\"\"}\n{\"text\":\"é\\n\"}\n"
        );
        assert_eq!((d.rows, d.file_name.as_str()), (3, "train.jsonl"));
        let (d, text) = derived(
            Format::Json,
            "train.json",
            "\u{feff} [ {\"id\": 1, \"body\": \"a\"}, {\"id\": 2, \"body\": \"b\"} ]",
            "body",
        );
        assert_eq!(text, "{\"text\":\"a\"}\n{\"text\":\"b\"}\n");
        assert_eq!((d.rows, d.file_name.as_str()), (2, "train.jsonl"));
    }

    #[test]
    fn csv_keeps_quoting_and_empty_fields() {
        let (d, text) = derived(
            Format::Csv,
            "t.csv",
            "id,body\r\n1,\"a, b\"\r\n2,\r\n3,\"x\"\"y\"\r\n",
            "body",
        );
        assert_eq!(text, "text\n\"a, b\"\n\"\"\n\"x\"\"y\"\n");
        assert_eq!((d.rows, d.file_name.as_str()), (3, "t.csv"));
    }
}
