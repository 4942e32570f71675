//! Derived data files: when the text column a manifest chose is not the one JumpStart's
//! training script reads (`text`, else the first column), what goes to S3 is a file with just
//! that column, named `text` — CSV stays CSV, JSON and JSON Lines become JSON Lines — so the
//! job trains on exactly what was validated. Validation only hashes that content as a stream
//! ([`derive`]: nothing is written, a sidecar in the cache remembers the digest); apply writes
//! the file once, right before it uploads it ([`materialize`]). Streams record by record
//! (memory bounded by one record).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::report::{DerivedDigest, ScanError};
use super::Format;
use crate::files::{hex, sha256_hex, write_atomic};

/// The derived content that goes up in place of its source: where apply writes it, and its
/// digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Derived {
    /// Where apply writes it, under `.sagetune/cache/derived/` (validation writes nothing).
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

const SIDECAR_VERSION: u32 = 2;

/// The derived content for `source` (of `format`, content hash `source_sha256`) whose text is
/// in `column`: its digest as the scan computed it (`known`, with the source's rows), else
/// reused from `cache_dir` when already computed for these exact bytes, else computed now by
/// streaming it into the hash (nothing is written but the sidecar).
pub(crate) fn derive(
    cache_dir: &Path,
    source: &Path,
    source_name: &str,
    source_sha256: &str,
    format: Format,
    column: &str,
    known: Option<(&DerivedDigest, u64)>,
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
    let (sha256, bytes, rows) = match known {
        Some((digest, rows)) => (digest.sha256.clone(), digest.bytes, rows),
        None => {
            if let Some(found) = reuse(&sidecar, &path, source_sha256) {
                return Ok(found);
            }
            stream_derived(source, io::sink(), format, column)?
        }
    };
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
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = write_atomic(&sidecar, &bytes);
        }
    }
    Ok(derived)
}

/// A derived digest from an earlier run, when its sidecar is for these source bytes.
fn reuse(sidecar: &Path, path: &Path, source_sha256: &str) -> Option<Derived> {
    let record: Sidecar = serde_json::from_slice(&std::fs::read(sidecar).ok()?).ok()?;
    (record.version == SIDECAR_VERSION
        && record.source_sha256 == source_sha256
        && record.derived.path == path)
        .then_some(record.derived)
}

/// Writes the derived file of `source` (of `format`, text in `column`) at `out`, whole or not
/// at all, and checks it is the content planned (`sha256`): a source edited since planning
/// leaves nothing at `out` and says so.
pub(crate) fn materialize(
    source: &Path,
    format: Format,
    column: &str,
    out: &Path,
    sha256: &str,
) -> Result<(), ScanError> {
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("derived");
    let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let written = File::create(&partial)
        .map_err(ScanError::from)
        .and_then(|f| stream_derived(source, BufWriter::new(f), format, column));
    let result = match written {
        Ok((found, _, _)) if found == sha256 => std::fs::rename(&partial, out).map_err(Into::into),
        Ok((found, _, _)) => Err(ScanError::Io(format!(
            "{} changed since planning: its `{column}` column now hashes to {}, not the planned {}; run `sagetune plan` again",
            source.display(),
            &found[..12],
            &sha256[..sha256.len().min(12)]
        ))),
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
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

/// Streams the derived content of `source` into `out`; returns its SHA-256, size and row
/// count. A file is flushed and synced before this returns.
fn stream_derived<W: Write + Finish>(
    source: &Path,
    out: W,
    format: Format,
    column: &str,
) -> Result<(String, u64, u64), ScanError> {
    let mut w = Hashing {
        inner: out,
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
    w.inner.finish()?;
    Ok((hex(&w.sha.finalize()), w.bytes, rows))
}

/// What ends a derived stream: a file is synced to disk, a hash-only sink has nothing to do.
trait Finish {
    fn finish(self) -> io::Result<()>;
}

impl Finish for io::Sink {
    fn finish(self) -> io::Result<()> {
        Ok(())
    }
}

impl Finish for BufWriter<File> {
    fn finish(self) -> io::Result<()> {
        self.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }
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
        let d = derive(&cache, &source, name, &sha, format, column, None).unwrap();
        assert!(!d.path.exists(), "validation writes no derived file");
        materialize(&source, format, column, &d.path, &d.sha256).unwrap();
        let text = std::fs::read_to_string(&d.path).unwrap();
        assert_eq!(
            d.sha256,
            sha256_hex(text.as_bytes()),
            "the hash validation computed is of what apply writes"
        );
        assert_eq!(d.bytes, text.len() as u64);
        // The same source and column reuse the file.
        let again = derive(&cache, &source, name, &sha, format, column, None).unwrap();
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
    fn a_source_edited_since_planning_leaves_no_derived_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("t.csv");
        std::fs::write(&source, "id,body\n1,a\n").unwrap();
        let sha = crate::files::sha256_file(&source).unwrap();
        let d = derive(
            &dir.path().join("cache"),
            &source,
            "t.csv",
            &sha,
            Format::Csv,
            "body",
            None,
        )
        .unwrap();
        std::fs::write(&source, "id,body\n1,b\n").unwrap();
        let err = materialize(&source, Format::Csv, "body", &d.path, &d.sha256).unwrap_err();
        assert!(
            matches!(&err, ScanError::Io(m) if m.contains("changed since planning")),
            "{err:?}"
        );
        assert!(!d.path.exists());
        let left: Vec<_> = std::fs::read_dir(d.path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "no partial file is left behind");
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
