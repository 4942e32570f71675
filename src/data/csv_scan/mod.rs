//! RFC 4180 CSV checked as a stream at memory speed: fields are found by jumping to the next
//! delimiter, terminator or quote (`memchr`), never byte by byte, and nothing is copied but
//! the header. It reads as the `csv` crate does (`,`; `\n`, `\r` or `\r\n` ends a record;
//! empty lines are skipped; `""` is a quote inside a quoted field; a quote inside an unquoted
//! field is literal) and checks that every record has the header's number of fields, that no
//! quoted field is left open, and whether the text field of each record has text. When the
//! text column is not the one JumpStart's script reads, the same pass hashes the derived file
//! (`text` header, that column alone, written as the `csv` crate writes it) without writing
//! it.

use std::io::BufRead;
use std::sync::mpsc::{sync_channel, SyncSender};

use sha2::{Digest, Sha256};

use super::report::{Counts, DerivedDigest, ScanError};

/// Where the scanner is inside a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the first byte of a field (or of a record).
    FieldStart,
    /// Inside a field that did not start with a quote (or after a quoted part closed).
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// After a `"` inside a quoted field: `"` again is a literal quote, anything else closes it.
    QuotedQuote,
}

/// What the scan knows between chunks.
struct Scan<'c> {
    text_column: Option<&'c str>,
    state: State,
    /// A `\r` ended the last record; a `\n` right after it belongs to that terminator.
    pending_cr: bool,
    /// Current line (1-based) and the record's first line and byte offset.
    line: u64,
    record_started: bool,
    record_line: u64,
    record_offset: u64,
    field: usize,
    /// The header's fields while it is read, then its names.
    header: Vec<Vec<u8>>,
    header_done: bool,
    index: usize,
    text: super::text::LineText,
    counts: Counts,
    /// Where derived output goes to be hashed, until the header says whether there is any.
    derive_to: Option<SyncSender<Vec<u8>>>,
    /// The derived file's content, hashed as it is produced (see [`Derived`]).
    derived: Option<Derived>,
}

/// The derived CSV (`text`, then the chosen field of every record) as the `csv` crate's
/// writer would write it — a field quoted when it is empty or holds `,`, `"`, `\r` or `\n`,
/// `"` doubled inside, `\n` after each record — sent in blocks to a hashing thread, never
/// stored.
struct Derived {
    /// The current record's chosen field (memory bounded by one field).
    field: Vec<u8>,
    /// Output not sent yet.
    out: Vec<u8>,
    to_hasher: SyncSender<Vec<u8>>,
}

impl Derived {
    fn record(&mut self) {
        let f = std::mem::take(&mut self.field);
        let quote = f.is_empty()
            || memchr::memchr3(b',', b'"', b'\r', &f).is_some()
            || memchr::memchr(b'\n', &f).is_some();
        if quote {
            self.out.push(b'"');
            let mut rest = &f[..];
            while let Some(at) = memchr::memchr(b'"', rest) {
                self.out.extend_from_slice(&rest[..=at]);
                self.out.push(b'"');
                rest = &rest[at + 1..];
            }
            self.out.extend_from_slice(rest);
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(&f);
        }
        self.out.push(b'\n');
        self.field = f;
        self.field.clear();
        if self.out.len() >= BLOCK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let block = std::mem::replace(&mut self.out, Vec::with_capacity(BLOCK + 4096));
        // The hasher only stops when this sender is gone.
        let _ = self.to_hasher.send(block);
    }
}

/// The size of the blocks sent to the derived file's hasher.
const BLOCK: usize = 1 << 20;

/// Hashes the blocks it receives until the sender is gone.
fn hash_blocks(blocks: std::sync::mpsc::Receiver<Vec<u8>>) -> DerivedDigest {
    let (mut sha, mut bytes) = (Sha256::new(), 0u64);
    for block in blocks {
        sha.update(&block);
        bytes += block.len() as u64;
    }
    DerivedDigest {
        sha256: super::hex(&sha.finalize()),
        bytes,
    }
}

/// Checks a CSV stream; the counts name the text column and the column JumpStart's script
/// reads, and carry the derived file's digest when the two differ (hashed on a thread of its
/// own, beside the check).
pub(super) fn scan(r: &mut impl BufRead, text_column: Option<&str>) -> Result<Counts, ScanError> {
    if text_column.is_none() {
        // The script's column is read: nothing is derived.
        return check(r, None, None).map(|(counts, _)| counts);
    }
    let (to_hasher, blocks) = sync_channel::<Vec<u8>>(2);
    std::thread::scope(|s| {
        let hasher = s.spawn(move || hash_blocks(blocks));
        let checked = check(r, text_column, Some(to_hasher));
        let digest = hasher.join().expect("the hasher thread does not panic");
        let (mut counts, derived) = checked?;
        counts.derived = derived.then_some(digest);
        Ok(counts)
    })
}

/// The check itself; says whether it derived (and so sent everything to `derive_to`, which
/// it drops before returning).
fn check(
    r: &mut impl BufRead,
    text_column: Option<&str>,
    derive_to: Option<SyncSender<Vec<u8>>>,
) -> Result<(Counts, bool), ScanError> {
    let mut s = Scan {
        text_column,
        state: State::FieldStart,
        pending_cr: false,
        line: 1,
        record_started: false,
        record_line: 1,
        record_offset: 0,
        field: 0,
        header: Vec::new(),
        header_done: false,
        index: 0,
        text: super::text::LineText::default(),
        counts: Counts::default(),
        derive_to,
        derived: None,
    };
    let mut base = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        s.chunk(buf, base)?;
        r.consume(len);
        base += len as u64;
    }
    s.finish()
}

/// A problem at the start of a row (line `line`, byte `offset` of the file).
fn content(line: u64, offset: u64, message: String, help: &str) -> ScanError {
    super::text::content(line, 1, Some(offset), message, help)
}

impl Scan<'_> {
    fn chunk(&mut self, buf: &[u8], base: u64) -> Result<(), ScanError> {
        let mut i = 0;
        while i < buf.len() {
            if std::mem::take(&mut self.pending_cr) && buf[i] == b'\n' {
                self.line += 1;
                i += 1;
                continue;
            }
            match self.state {
                State::FieldStart => i = self.field_start(buf, base, i),
                State::Unquoted => i = self.unquoted(buf, i)?,
                State::Quoted => {
                    let rest = &buf[i..];
                    let n = memchr::memchr2(b'"', b'\n', rest).unwrap_or(rest.len());
                    self.feed(&rest[..n]);
                    i += n;
                    match buf.get(i) {
                        Some(b'\n') => {
                            self.feed(b"\n");
                            self.line += 1;
                            i += 1;
                        }
                        Some(_) => {
                            self.state = State::QuotedQuote;
                            i += 1;
                        }
                        None => {}
                    }
                }
                State::QuotedQuote => {
                    if buf[i] == b'"' {
                        self.feed(b"\"");
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        // Closed; what follows up to the delimiter belongs to the field too.
                        self.state = State::Unquoted;
                    }
                }
            }
        }
        Ok(())
    }

    /// At the first byte of a field: skips empty lines before a record, notes where a record
    /// starts, and opens a quoted field. Returns the next index.
    fn field_start(&mut self, buf: &[u8], base: u64, i: usize) -> usize {
        if !self.record_started {
            match buf[i] {
                // An empty line is no record.
                b'\n' => {
                    self.line += 1;
                    return i + 1;
                }
                b'\r' => {
                    self.pending_cr = true;
                    return i + 1;
                }
                _ => {
                    self.record_started = true;
                    self.record_line = self.line;
                    self.record_offset = base + i as u64;
                    self.field = 0;
                }
            }
        }
        if buf[i] == b'"' {
            self.state = State::Quoted;
            i + 1
        } else {
            self.state = State::Unquoted;
            i
        }
    }

    /// Inside an unquoted field: jumps to the next delimiter or terminator. Returns the next
    /// index.
    fn unquoted(&mut self, buf: &[u8], mut i: usize) -> Result<usize, ScanError> {
        let rest = &buf[i..];
        let n = memchr::memchr3(b',', b'\n', b'\r', rest).unwrap_or(rest.len());
        self.feed(&rest[..n]);
        i += n;
        if let Some(&b) = buf.get(i) {
            i += 1;
            self.end_field();
            self.state = State::FieldStart;
            match b {
                b',' => {}
                b'\n' => {
                    self.end_record()?;
                    self.line += 1;
                }
                _ => {
                    self.end_record()?;
                    self.pending_cr = true;
                }
            }
        }
        Ok(i)
    }

    /// Bytes of the current field's content.
    fn feed(&mut self, piece: &[u8]) {
        if !self.header_done {
            if self.header.len() <= self.field {
                self.header.resize_with(self.field + 1, Vec::new);
            }
            self.header[self.field].extend_from_slice(piece);
        } else if self.field == self.index {
            self.text.see(piece);
            if let Some(d) = &mut self.derived {
                d.field.extend_from_slice(piece);
            }
        }
    }

    fn end_field(&mut self) {
        if !self.header_done && self.header.len() <= self.field {
            self.header.resize_with(self.field + 1, Vec::new);
        }
        self.field += 1;
    }

    fn end_record(&mut self) -> Result<(), ScanError> {
        self.record_started = false;
        if !self.header_done {
            return self.end_header();
        }
        if self.field != self.header.len() {
            return Err(content(
                self.record_line,
                self.record_offset,
                format!(
                    "this row has {} fields but the header has {}",
                    self.field,
                    self.header.len()
                ),
                "quote fields that contain commas or line breaks (\"like, this\") and give every row the header's number of fields",
            ));
        }
        self.counts.rows += 1;
        self.counts.empty_rows += u64::from(!self.text.end());
        if let Some(d) = &mut self.derived {
            d.record();
        }
        Ok(())
    }

    /// The header is read: its names fix the text column and the script's column.
    fn end_header(&mut self) -> Result<(), ScanError> {
        self.header_done = true;
        if self.header.len() == 1 && self.header[0].is_empty() {
            return Err(empty_file());
        }
        let names: Vec<String> = self
            .header
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        self.index = match self.text_column {
            Some(col) => {
                names
                    .iter()
                    .position(|n| n == col)
                    .ok_or_else(|| ScanError::MissingColumn {
                        column: col.to_string(),
                        available: names.clone(),
                    })?
            }
            None => names.iter().position(|n| n == "text").unwrap_or(0),
        };
        let script = names.iter().position(|n| n == "text").unwrap_or(0);
        self.counts.text_column = Some(names[self.index].clone());
        self.counts.script_column = Some(names[script].clone());
        if let Some(to_hasher) = self.derive_to.take().filter(|_| self.index != script) {
            let mut out = Vec::with_capacity(BLOCK + 4096);
            out.extend_from_slice(b"text\n");
            self.derived = Some(Derived {
                field: Vec::new(),
                out,
                to_hasher,
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(Counts, bool), ScanError> {
        if self.state == State::Quoted {
            return Err(content(
                self.record_line,
                self.record_offset,
                "a quoted field opened in this row is never closed; the rest of the file would be one field".into(),
                "close the quote (write a `\"` inside a quoted field as `\"\"`), or remove the stray `\"`",
            ));
        }
        if self.record_started {
            self.end_field();
            self.end_record()?;
        }
        if !self.header_done {
            return Err(empty_file());
        }
        let c = self.counts;
        let derived = match self.derived {
            Some(mut d) => {
                d.flush();
                true
            }
            None => false,
        };
        if c.rows == c.empty_rows {
            let what = if c.rows == 0 {
                "no data rows"
            } else {
                "no text: every row's text is empty"
            };
            return Err(content(
                1,
                0,
                format!("the file has {what}"),
                "add rows with domain text under the header",
            ));
        }
        Ok((c, derived))
    }
}

fn empty_file() -> ScanError {
    content(
        1,
        0,
        "the file is empty; a CSV file needs a header row".into(),
        "start the file with a header row naming the columns, e.g. `text`",
    )
}

#[cfg(test)]
mod tests;
