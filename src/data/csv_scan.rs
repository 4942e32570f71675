//! RFC 4180 CSV checked as a stream at memory speed: fields are found by jumping to the next
//! delimiter, terminator or quote (`memchr`), never byte by byte, and nothing is copied but
//! the header. It reads as the `csv` crate does (`,`; `\n`, `\r` or `\r\n` ends a record;
//! empty lines are skipped; `""` is a quote inside a quoted field; a quote inside an unquoted
//! field is literal) and checks that every record has the header's number of fields, that no
//! quoted field is left open, and whether the text field of each record has text.

use std::io::BufRead;

use super::report::{Counts, ScanError};

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
}

/// Checks a CSV stream; the counts name the text column and the column JumpStart's script
/// reads.
pub(super) fn scan(r: &mut impl BufRead, text_column: Option<&str>) -> Result<Counts, ScanError> {
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
        Ok(())
    }

    fn finish(mut self) -> Result<Counts, ScanError> {
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
        Ok(c)
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(text: &str, chunk: usize) -> Result<Counts, ScanError> {
        let mut r = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        scan(&mut r, None)
    }

    /// Rows, empty rows and the text column as the `csv` crate reads the same text.
    fn by_csv_crate(text: &str) -> (u64, u64) {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let index = headers.iter().position(|h| h == "text").unwrap_or(0);
        let (mut rows, mut empty) = (0, 0);
        for record in reader.records() {
            let record = record.unwrap();
            rows += 1;
            empty += u64::from(record[index].trim().is_empty());
        }
        (rows, empty)
    }

    #[test]
    fn terminators_quotes_and_empty_lines_read_as_the_csv_crate_reads_them() {
        let text = "id,text\r\n1,\"a, \"\"b\"\"\r\nc\"\r\n\r\n2,  \n3,\"\"\r4,x\"y\n5,\"q\"z";
        for chunk in 1..10 {
            let c = counts(text, chunk).unwrap();
            assert_eq!((c.rows, c.empty_rows), by_csv_crate(text), "chunk {chunk}");
        }
    }

    #[test]
    fn a_row_with_another_number_of_fields_is_located() {
        let text = "id,text\n1,\"two\nlines\"\n2,a,b\n";
        match counts(text, 4) {
            Err(ScanError::Content(c)) => {
                assert_eq!((c.line, c.line_offset), (4, Some(22)));
                assert_eq!(c.message, "this row has 3 fields but the header has 2");
            }
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #[test]
        fn any_csv_counts_as_the_csv_crate_counts(
            rows in prop::collection::vec(("[a-z ,\"\n]{0,8}", "[a-z]{0,3}"), 1..8),
            crlf in any::<bool>(),
            chunk in 1usize..30,
        ) {
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            w.write_record(["text", "id"]).unwrap();
            for (text, id) in &rows {
                w.write_record([text.as_str(), id.as_str()]).unwrap();
            }
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            match counts(&text, chunk) {
                Ok(c) => prop_assert_eq!((c.rows, c.empty_rows), by_csv_crate(&text)),
                Err(ScanError::Content(c)) => prop_assert!(c.message.contains("no text"), "{}", c.message),
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }
    }
}
