//! One streaming pass over a data file: a reader thread feeds fixed-size chunks both to the
//! format checker (this thread) and to a SHA-256 thread, so hashing and checking share a single
//! read and run on two cores. Memory is bounded by the chunk pool.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::formats;
use super::Format;

/// Size of one read; the pool holds [`POOL`] of them, so a scan uses about 8 MiB.
pub const CHUNK_SIZE: usize = 2 << 20;
const POOL: usize = 4;

/// What a successful scan learned about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub format: Format,
    pub bytes: u64,
    /// Records (CSV rows, JSON objects) or lines (TXT).
    pub rows: u64,
    /// Rows whose text is empty after trimming whitespace.
    pub empty_rows: u64,
    /// Rough token count (bytes / 4).
    pub approx_tokens: u64,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The CSV column or JSON field the text was read from (None for TXT).
    pub text_column: Option<String>,
}

/// A problem inside a data file, at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub line: u64,
    pub column: u64,
    /// Byte offset of the start of `line`, when the checker knows it.
    pub line_offset: Option<u64>,
    pub message: String,
    pub help: String,
}

/// Why a scan failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The file could not be read.
    Io(String),
    /// The content breaks a data rule.
    Content(ContentError),
    /// `text_column` names a column or field the data does not have.
    MissingColumn { column: String, available: Vec<String> },
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e.to_string())
    }
}

/// Counts a checker reports; the scan adds bytes and the hash.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Counts {
    pub rows: u64,
    pub empty_rows: u64,
    pub text_column: Option<String>,
}

/// Checks `path` as `format` and hashes it, reading it once.
pub fn scan(path: &Path, format: Format, text_column: Option<&str>) -> Result<FileReport, ScanError> {
    let file = File::open(path)?;
    let (to_hasher, chunks) = sync_channel::<Arc<Chunk>>(POOL);
    let (give_back, returned) = channel::<Arc<Chunk>>();
    std::thread::scope(|s| {
        let hasher = s.spawn(move || {
            let mut h = Sha256::new();
            for chunk in chunks {
                h.update(chunk.filled());
                // The reader may be gone after an error; then the buffer is simply freed.
                let _ = give_back.send(chunk);
            }
            h.finalize()
        });
        let mut reader = TeeReader::new(file, to_hasher, returned);
        let checked = formats::check(format, &mut reader, text_column).and_then(|counts| {
            // Every checker reads to the end; draining makes the hash complete regardless.
            io::copy(&mut reader, &mut io::sink())?;
            Ok(counts)
        });
        let bytes = reader.bytes;
        let read_error = reader.error.take();
        drop(reader);
        let digest = hasher.join().expect("the hasher thread does not panic");
        if let Some(e) = read_error {
            return Err(ScanError::Io(e));
        }
        let counts = checked?;
        Ok(FileReport {
            format,
            bytes,
            rows: counts.rows,
            empty_rows: counts.empty_rows,
            approx_tokens: bytes / 4,
            sha256: hex(&digest),
            text_column: counts.text_column,
        })
    })
}

/// Lowercase hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

struct Chunk {
    data: Vec<u8>,
    len: usize,
}

impl Chunk {
    fn filled(&self) -> &[u8] {
        &self.data[..self.len]
    }
}

/// A `BufRead` over the file whose every chunk is also sent to the hasher.
struct TeeReader {
    file: File,
    to_hasher: SyncSender<Arc<Chunk>>,
    returned: Receiver<Arc<Chunk>>,
    allocated: usize,
    current: Option<Arc<Chunk>>,
    pos: usize,
    eof: bool,
    bytes: u64,
    error: Option<String>,
}

impl TeeReader {
    fn new(file: File, to_hasher: SyncSender<Arc<Chunk>>, returned: Receiver<Arc<Chunk>>) -> Self {
        Self {
            file,
            to_hasher,
            returned,
            allocated: 0,
            current: None,
            pos: 0,
            eof: false,
            bytes: 0,
            error: None,
        }
    }

    fn spare_buffer(&mut self) -> Vec<u8> {
        if let Ok(chunk) = self.returned.try_recv() {
            return reclaim(chunk);
        }
        if self.allocated < POOL {
            self.allocated += 1;
            return vec![0; CHUNK_SIZE];
        }
        match self.returned.recv() {
            Ok(chunk) => reclaim(chunk),
            Err(_) => vec![0; CHUNK_SIZE],
        }
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        self.current = None;
        self.pos = 0;
        let mut data = self.spare_buffer();
        let mut len = 0;
        while len < data.len() {
            match self.file.read(&mut data[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        if len == 0 {
            self.eof = true;
            return Ok(());
        }
        self.bytes += len as u64;
        let chunk = Arc::new(Chunk { data, len });
        self.to_hasher
            .send(chunk.clone())
            .map_err(|_| io::Error::other("hasher stopped"))?;
        self.current = Some(chunk);
        Ok(())
    }
}

fn reclaim(chunk: Arc<Chunk>) -> Vec<u8> {
    Arc::try_unwrap(chunk)
        .map(|c| c.data)
        .unwrap_or_else(|_| vec![0; CHUNK_SIZE])
}

impl BufRead for TeeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let exhausted = self.current.as_ref().is_none_or(|c| self.pos >= c.len);
        if exhausted && !self.eof {
            self.next_chunk()?;
        }
        Ok(match &self.current {
            Some(c) => &c.data[self.pos..c.len],
            None => &[],
        })
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

impl Read for TeeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_a_one_shot_hash_across_many_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let line = "The registrant's revenue increased 12% year over year.\n";
        let text = line.repeat(3 * CHUNK_SIZE / line.len() + 7);
        std::fs::write(&path, &text).unwrap();
        let report = scan(&path, Format::Txt, None).unwrap();
        assert_eq!(report.sha256, hex(&Sha256::digest(text.as_bytes())));
        assert_eq!(report.bytes, text.len() as u64);
        assert_eq!(report.rows, (3 * CHUNK_SIZE / line.len() + 7) as u64);
    }

    #[test]
    fn empty_file_hash_is_the_empty_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.csv");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(scan(&path, Format::Csv, None), Err(ScanError::Content(_))));
    }
}
