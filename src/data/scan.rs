//! One streaming pass over a data file, on three threads: a reader thread reads fixed-size
//! chunks and validates UTF-8, a hasher thread computes SHA-256, and the calling thread runs
//! the format checks. Every chunk is read once and shared; memory is bounded by the pool.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub(crate) use crate::files::hex;

use super::formats;
use super::report::{ContentError, Counts, FileReport, ScanError};
use super::Format;

/// Size of one read; at most [`POOL`] chunks exist at once, so a scan uses about 8 MiB.
pub(crate) const CHUNK_SIZE: usize = 2 << 20;
const POOL: usize = 4;

/// What the reader thread learned: size, first invalid UTF-8 byte, read error.
struct ReadOutcome {
    bytes: u64,
    bad_utf8_at: Option<u64>,
    error: Option<String>,
}

/// Checks `path` as `format` and hashes it, reading it once.
pub(crate) fn scan(
    path: &Path,
    format: Format,
    text_column: Option<&str>,
) -> Result<FileReport, ScanError> {
    let file = File::open(path)?;
    let (to_checker, for_checker) = sync_channel::<Arc<Chunk>>(POOL);
    let (to_hasher, for_hasher) = sync_channel::<Arc<Chunk>>(POOL);
    let (give_back, returned) = channel::<Arc<Chunk>>();
    let hasher_give_back = give_back.clone();
    std::thread::scope(|s| {
        let hasher = s.spawn(move || {
            let mut h = Sha256::new();
            for chunk in for_hasher {
                h.update(chunk.filled());
                let _ = hasher_give_back.send(chunk);
            }
            h.finalize()
        });
        let reader = s.spawn(move || read_chunks(file, to_checker, to_hasher, returned));
        let mut input = ChunkReader {
            chunks: for_checker,
            give_back,
            current: None,
            pos: 0,
        };
        let checked = formats::check(format, &mut input, text_column).and_then(|counts| {
            // Every checker reads to the end; draining makes the hash complete regardless.
            io::copy(&mut input, &mut io::sink())?;
            Ok(counts)
        });
        // Dropping the input stops the reader early if the checker gave up.
        drop(input);
        let read = reader.join().expect("the reader thread does not panic");
        let digest = hasher.join().expect("the hasher thread does not panic");
        if let Some(e) = read.error {
            return Err(ScanError::Io(e));
        }
        if let Some(at) = read.bad_utf8_at {
            let first = match &checked {
                Err(ScanError::Content(c)) => c.line_offset.is_none_or(|o| at <= o),
                _ => true,
            };
            if first {
                return Err(utf8_error(path, at));
            }
        }
        Ok(report(format, read.bytes, hex(&digest), checked?))
    })
}

/// The report of a file of `bytes` hashing to `sha256` whose checker counted `counts`.
fn report(format: Format, bytes: u64, sha256: String, counts: Counts) -> FileReport {
    FileReport {
        format,
        bytes,
        rows: counts.rows,
        empty_rows: counts.empty_rows,
        approx_tokens: bytes / 4,
        sha256,
        text_column: counts.text_column,
        script_column: counts.script_column,
        derived: counts.derived,
    }
}

fn read_chunks(
    mut file: File,
    to_checker: SyncSender<Arc<Chunk>>,
    to_hasher: SyncSender<Arc<Chunk>>,
    returned: Receiver<Arc<Chunk>>,
) -> ReadOutcome {
    let mut out = ReadOutcome {
        bytes: 0,
        bad_utf8_at: None,
        error: None,
    };
    let mut utf8 = Utf8Validator::default();
    let mut allocated = 0;
    loop {
        let mut data = if allocated < POOL {
            allocated += 1;
            vec![0; CHUNK_SIZE]
        } else {
            match reclaim(&returned) {
                Some(data) => data,
                None => break,
            }
        };
        let mut len = 0;
        while len < data.len() {
            match file.read(&mut data[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    out.error = Some(e.to_string());
                    return out;
                }
            }
        }
        if len == 0 {
            break;
        }
        utf8.feed(&data[..len]);
        out.bytes += len as u64;
        let chunk = Arc::new(Chunk { data, len });
        if to_hasher.send(chunk.clone()).is_err() || to_checker.send(chunk).is_err() {
            break;
        }
    }
    out.bad_utf8_at = utf8.finish();
    out
}

/// A buffer both consumers have given back, ready to be filled again.
fn reclaim(returned: &Receiver<Arc<Chunk>>) -> Option<Vec<u8>> {
    loop {
        // Each chunk comes back twice (hasher and checker); the second return frees it.
        if let Ok(chunk) = Arc::try_unwrap(returned.recv().ok()?) {
            return Some(chunk.data);
        }
    }
}

/// Streaming UTF-8 validation across chunk boundaries; remembers the first bad byte.
#[derive(Default)]
struct Utf8Validator {
    /// Offset of the first byte not yet validated.
    offset: u64,
    /// An incomplete sequence at the end of the previous chunk (at most 3 bytes).
    pending: Vec<u8>,
    bad_at: Option<u64>,
}

impl Utf8Validator {
    fn feed(&mut self, mut data: &[u8]) {
        if self.bad_at.is_some() || data.is_empty() {
            return;
        }
        if !self.pending.is_empty() {
            let take = data.len().min(4 - self.pending.len());
            let mut joined = std::mem::take(&mut self.pending);
            let carried = joined.len();
            joined.extend_from_slice(&data[..take]);
            let valid = match simdutf8::compat::from_utf8(&joined) {
                Ok(_) => joined.len(),
                Err(e) if e.valid_up_to() > 0 => e.valid_up_to(),
                Err(e) if e.error_len().is_none() && take == data.len() => {
                    // Still incomplete: a tiny chunk; wait for more.
                    self.pending = joined;
                    return;
                }
                Err(_) => {
                    self.bad_at = Some(self.offset);
                    return;
                }
            };
            let char_len = std::str::from_utf8(&joined[..valid])
                .ok()
                .and_then(|s| s.chars().next())
                .map_or(0, char::len_utf8);
            self.offset += char_len as u64;
            data = &data[char_len - carried..];
        }
        // SIMD validation: the one full pass over each byte's UTF-8 (the checker only looks as
        // far as a line's first character).
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => self.offset += data.len() as u64,
            Err(e) => {
                let at = self.offset + e.valid_up_to() as u64;
                match e.error_len() {
                    Some(_) => self.bad_at = Some(at),
                    None => {
                        self.pending = data[e.valid_up_to()..].to_vec();
                        self.offset = at;
                    }
                }
            }
        }
    }

    /// The offset of the first invalid byte, counting a truncated sequence at the end.
    fn finish(self) -> Option<u64> {
        self.bad_at
            .or_else(|| (!self.pending.is_empty()).then_some(self.offset))
    }
}

/// The line and column of an invalid byte, found by reading the file again (errors only).
fn utf8_error(path: &Path, at: u64) -> ScanError {
    let locate = || -> io::Result<(u64, u64, u64)> {
        let mut r = BufReader::new(File::open(path)?).take(at);
        let (mut line, mut line_start, mut pos) = (1u64, 0u64, 0u64);
        let mut tail = Vec::new();
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            for nl in memchr::memchr_iter(b'\n', buf) {
                line += 1;
                line_start = pos + nl as u64 + 1;
            }
            let n = buf.len();
            pos += n as u64;
            tail.extend_from_slice(buf);
            if tail.len() > 1 << 16 {
                tail.drain(..tail.len() - (1 << 16));
            }
            r.consume(n);
        }
        let in_line = ((at - line_start) as usize).min(tail.len());
        let column = String::from_utf8_lossy(&tail[tail.len() - in_line..])
            .chars()
            .count() as u64
            + 1;
        Ok((line, column, line_start))
    };
    match locate() {
        Ok((line, column, line_start)) => ScanError::Content(ContentError {
            line,
            column,
            line_offset: Some(line_start),
            message: "invalid UTF-8".into(),
            help: "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)".into(),
        }),
        Err(e) => ScanError::Io(e.to_string()),
    }
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

/// The checker's view of the file: a `BufRead` over the chunks the reader thread sends.
struct ChunkReader {
    chunks: Receiver<Arc<Chunk>>,
    give_back: Sender<Arc<Chunk>>,
    current: Option<Arc<Chunk>>,
    pos: usize,
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.current.as_ref().is_none_or(|c| self.pos >= c.len) {
            if let Some(done) = self.current.take() {
                let _ = self.give_back.send(done);
            }
            self.pos = 0;
            self.current = self.chunks.recv().ok();
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

impl Read for ChunkReader {
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
    fn utf8_errors_are_found_across_chunk_boundaries() {
        let cases: [(&[u8], Option<u64>); 6] = [
            (b"abc", None),
            ("h\u{e9}llo \u{1f600}!".as_bytes(), None),
            ("\u{1f600}".as_bytes(), None),
            (b"ab\xffcd", Some(2)),
            (b"ab\xe2\x82", Some(2)),
            (b"\xc3\xa9\xc3", Some(2)),
        ];
        for (input, want) in cases {
            for split in 0..=input.len() {
                for split2 in split..=input.len() {
                    let mut v = Utf8Validator::default();
                    v.feed(&input[..split]);
                    v.feed(&input[split..split2]);
                    v.feed(&input[split2..]);
                    assert_eq!(v.finish(), want, "{input:?} split at {split}, {split2}");
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_is_located_by_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, b"ok\nna\xc3\xafve \xe9t\xe9\n").unwrap();
        match scan(&path, Format::Txt, None) {
            Err(ScanError::Content(c)) => {
                assert_eq!((c.line, c.column, c.line_offset), (2, 7, Some(3)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_file_hash_is_the_empty_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.csv");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(
            scan(&path, Format::Csv, None),
            Err(ScanError::Content(_))
        ));
    }
}
