//! A top-level JSON array split into its elements' bytes as a stream, so each element is
//! parsed from a slice (fast) instead of through a reader (one byte per call) and memory holds
//! one element at a time. Finds structure only (strings, nesting, commas); the caller parses
//! each element, so element-level errors come from the JSON parser, relocated by [`At`].

use std::io::BufRead;

use super::report::ScanError;

/// Where an element starts in the file: 1-based line and byte column, and the byte offset of
/// that line's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct At {
    pub(crate) line: u64,
    pub(crate) column: u64,
    pub(crate) line_offset: u64,
}

impl At {
    /// A position inside the element (`line`, `column` as the parser counts them in the
    /// element's bytes) as a position in the file.
    pub(crate) fn inner(&self, line: u64, column: u64) -> (u64, u64) {
        if line <= 1 {
            (self.line, self.column + column.max(1) - 1)
        } else {
            (self.line + line - 1, column)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the `[`.
    Open,
    /// After `[` (`first`) or a `,`: an element or, right after `[`, the `]`.
    Between { first: bool },
    /// Inside an element.
    In,
    /// After the `]`: only whitespace may follow.
    Closed,
}

/// The scanner's state between chunks.
struct Splitter {
    phase: Phase,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Bytes of an element begun in an earlier chunk.
    carry: Vec<u8>,
    /// Where the current element starts.
    start: At,
    /// Line bookkeeping: lines seen before `counted` (an offset in the file), and where the
    /// current line starts.
    line: u64,
    line_offset: u64,
    counted: u64,
}

/// Calls `f(element, at)` for each element of the array the stream holds (after any
/// whitespace; the caller checked it starts with `[`), in order.
pub(super) fn for_each_element(
    r: &mut impl BufRead,
    mut f: impl FnMut(&[u8], At) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    let mut s = Splitter {
        phase: Phase::Open,
        depth: 0,
        in_string: false,
        escaped: false,
        carry: Vec::new(),
        start: At {
            line: 1,
            column: 1,
            line_offset: 0,
        },
        line: 1,
        line_offset: 0,
        counted: 0,
    };
    let mut base = 0u64; // file offset of the current chunk
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        s.chunk(buf, base, &mut f)?;
        r.consume(len);
        base += len as u64;
    }
    s.count_lines_to(&[], base, base);
    match s.phase {
        Phase::Closed => Ok(()),
        Phase::Open => Err(s.error(base, "the file holds no JSON array", OPEN_HELP)),
        Phase::Between { .. } | Phase::In => Err(s.error(
            base,
            "the file ends inside the array: its closing `]` is missing",
            "end the array with `]`; a file cut short by a copy or export is often the cause",
        )),
    }
}

const OPEN_HELP: &str =
    "a JSON data file is one array of objects, `[{\"text\": \"...\"}, ...]`, or JSON Lines";

impl Splitter {
    /// Advances line bookkeeping to file offset `to`, within the chunk `buf` at offset `base`
    /// (everything before `base` is counted already).
    fn count_lines_to(&mut self, buf: &[u8], base: u64, to: u64) {
        if to <= self.counted {
            return;
        }
        let (from, end) = ((self.counted - base) as usize, (to - base) as usize);
        for nl in memchr::memchr_iter(b'\n', &buf[from..end]) {
            self.line += 1;
            self.line_offset = base + (from + nl) as u64 + 1;
        }
        self.counted = to;
    }

    fn position(&mut self, buf: &[u8], base: u64, at: usize) -> At {
        self.count_lines_to(buf, base, base + at as u64);
        At {
            line: self.line,
            column: base + at as u64 - self.line_offset + 1,
            line_offset: self.line_offset,
        }
    }

    fn error(&self, offset: u64, message: &str, help: &str) -> ScanError {
        let column = offset.saturating_sub(self.line_offset) + 1;
        let at = Some(self.line_offset);
        super::text::content(self.line, column, at, message.to_string(), help)
    }

    /// Takes byte `b` (not whitespace) outside any element, at `at` (file offset `offset`);
    /// `true` when it starts an element.
    fn structure(&mut self, b: u8, at: At, offset: u64) -> Result<bool, ScanError> {
        match (self.phase, b) {
            (Phase::Open, b'[') => self.phase = Phase::Between { first: true },
            (Phase::Open, _) => {
                return Err(self.error(offset, "the file holds no JSON array", OPEN_HELP))
            }
            (Phase::Closed, _) => return Err(self.error(
                offset,
                "there is more after the array's closing `]`",
                "a JSON data file holds one array; remove what follows it or merge it into the array",
            )),
            (Phase::Between { first: true }, b']') => self.phase = Phase::Closed,
            (Phase::Between { first: false }, b']') => return Err(self.error(
                offset,
                "a comma before the array's closing `]` (trailing comma)",
                "remove the last comma: JSON allows none after the last element",
            )),
            (Phase::Between { .. }, _) => {
                self.phase = Phase::In;
                self.start = at;
                return Ok(true);
            }
            (Phase::In, _) => unreachable!("elements are scanned by `chunk`"),
        }
        Ok(false)
    }

    /// Inside a string at `buf[i]`: the index after the string's end, an escape's backslash
    /// (the next byte is taken whatever it is) or the chunk's end.
    fn skip_string(&mut self, buf: &[u8], i: usize) -> usize {
        if self.escaped {
            self.escaped = false;
            return i + 1;
        }
        match memchr::memchr2(b'"', b'\\', &buf[i..]) {
            None => buf.len(),
            Some(n) => {
                if buf[i + n] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                i + n + 1
            }
        }
    }

    /// Scans one chunk (at file offset `base`), calling `f` for each element that ends in it.
    fn chunk(
        &mut self,
        buf: &[u8],
        base: u64,
        f: &mut impl FnMut(&[u8], At) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        // Where the current element's bytes in this chunk start; earlier ones are in `carry`.
        let mut begun = 0;
        let mut i = 0;
        while i < buf.len() {
            if self.phase != Phase::In {
                let b = buf[i];
                if b.is_ascii_whitespace() {
                    i += 1;
                    continue;
                }
                let at = self.position(buf, base, i);
                if self.structure(b, at, base + i as u64)? {
                    begun = i; // the element's first byte is scanned as part of it
                } else {
                    i += 1;
                }
                continue;
            }
            if self.in_string {
                i = self.skip_string(buf, i);
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => self.depth -= 1,
                b @ (b',' | b']') if self.depth == 0 => {
                    if self.carry.is_empty() {
                        f(&buf[begun..i], self.start)?;
                    } else {
                        self.carry.extend_from_slice(&buf[begun..i]);
                        f(&self.carry, self.start)?;
                        self.carry.clear();
                    }
                    self.phase = if b == b']' {
                        Phase::Closed
                    } else {
                        Phase::Between { first: false }
                    };
                }
                _ => {}
            }
            i += 1;
        }
        if self.phase == Phase::In {
            // The element goes on in the next chunk.
            self.carry.extend_from_slice(&buf[begun..]);
        }
        self.count_lines_to(buf, base, base + buf.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The elements (as parsed values) and their start positions, read `chunk` bytes at a time.
    fn split(text: &str, chunk: usize) -> Result<Vec<(serde_json::Value, At)>, ScanError> {
        let mut r = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        let mut out = Vec::new();
        for_each_element(&mut r, |e, at| {
            out.push((serde_json::from_slice(e).expect("an element"), at));
            Ok(())
        })?;
        Ok(out)
    }

    fn error_at(text: &str) -> (u64, u64, String) {
        match split(text, 3) {
            Err(ScanError::Content(c)) => (c.line, c.column, c.message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn elements_and_where_they_start() {
        let text = "[\n {\"text\": \"a, ] [ \\\" \\\\\"},\n  [1, [2]] , \"x\"\n]\n";
        for chunk in 1..12 {
            let got = split(text, chunk).unwrap();
            let values: Vec<_> = got.iter().map(|(v, _)| v.clone()).collect();
            assert_eq!(
                serde_json::Value::Array(values),
                serde_json::from_str::<serde_json::Value>(text).unwrap(),
                "chunk {chunk}"
            );
            let starts: Vec<(u64, u64)> = got.iter().map(|(_, a)| (a.line, a.column)).collect();
            assert_eq!(starts, [(2, 2), (3, 3), (3, 14)], "chunk {chunk}");
        }
        assert!(split(" [ ] ", 2).unwrap().is_empty());
    }

    #[test]
    fn structure_errors_are_located() {
        let (line, col, msg) = error_at("[{\"a\": 1},\n {\"b\": 2},\n]");
        assert_eq!((line, col), (3, 1));
        assert!(msg.contains("trailing comma"), "{msg}");
        let (line, col, msg) = error_at("[{\"a\": 1}]\n x");
        assert_eq!((line, col), (2, 2));
        assert!(msg.contains("more after"), "{msg}");
        let (line, col, msg) = error_at("[{\"a\": 1},\n{\"b\": \"c\"");
        assert_eq!((line, col), (2, 10));
        assert!(msg.contains("`]` is missing"), "{msg}");
    }

    #[test]
    fn positions_inside_an_element_map_to_the_file() {
        let at = At {
            line: 4,
            column: 7,
            line_offset: 30,
        };
        assert_eq!(at.inner(1, 3), (4, 9));
        assert_eq!(at.inner(2, 5), (5, 5));
    }

    proptest! {
        #[test]
        fn any_array_splits_as_serde_reads_it(
            texts in prop::collection::vec("[a-z ,\\[\\]{}\"\\\\\n\u{e9}]{0,12}", 0..8),
            pretty in any::<bool>(),
            chunk in 1usize..40,
        ) {
            let records: Vec<serde_json::Value> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!({"id": i, "text": t, "tags": [t, {"k": [i]}]}))
                .collect();
            let text = if pretty {
                serde_json::to_string_pretty(&records).unwrap()
            } else {
                serde_json::to_string(&records).unwrap()
            };
            let got: Vec<_> = split(&text, chunk).unwrap().into_iter().map(|(v, _)| v).collect();
            prop_assert_eq!(got, records);
        }
    }
}
