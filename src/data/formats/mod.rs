//! The format rules of domain-adaptation data (TXT, CSV, JSON Lines, JSON array), applied to a
//! stream. Each checker reads its input to the end or stops at the first error.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json_array::for_each_element;
use super::report::{Counts, ScanError};
use super::text::{content, is_blank, LineText};
use super::Format;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Checks a whole stream in `format`; `text_column` overrides the default column rule.
pub(super) fn check(
    format: Format,
    r: &mut impl BufRead,
    text_column: Option<&str>,
) -> Result<Counts, ScanError> {
    skip_bom(r)?;
    match format {
        Format::Txt => txt(r),
        Format::Csv => super::csv_scan::scan(r, text_column),
        Format::Jsonl => json_lines(r, text_column),
        Format::Json => {
            if first_non_space(r)? == Some(b'[') {
                json_array(r, text_column)
            } else {
                json_lines(r, text_column)
            }
        }
    }
}

fn skip_bom(r: &mut impl BufRead) -> std::io::Result<()> {
    if r.fill_buf()?.starts_with(BOM) {
        r.consume(BOM.len());
    }
    Ok(())
}

fn first_non_space(r: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    let buf = r.fill_buf()?;
    Ok(buf.iter().copied().find(|b| !b.is_ascii_whitespace()))
}

/// Walks a stream chunk by chunk: `f(piece, ends_line)` for every run of bytes up to a `\n`
/// (not included; `ends_line` true) or to the end of a chunk (`ends_line` false). Holds
/// nothing itself.
fn for_each_piece(
    r: &mut impl BufRead,
    mut f: impl FnMut(&[u8], bool) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        let len = buf.len();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', buf) {
            f(&buf[start..nl], true)?;
            start = nl + 1;
        }
        if start < len {
            f(&buf[start..], false)?;
        }
        r.consume(len);
    }
}

/// Calls `f(line, line_number, line_offset)` for every line (without `\n`/`\r\n`), copying
/// only lines that straddle two chunks.
fn for_each_line(
    r: &mut impl BufRead,
    mut f: impl FnMut(&[u8], u64, u64) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    let mut carry: Vec<u8> = Vec::new();
    let mut no = 0u64;
    let mut offset = 0u64;
    let mut line_start = 0u64;
    for_each_piece(r, |piece, ends_line| {
        offset += piece.len() as u64 + u64::from(ends_line);
        if !ends_line {
            carry.extend_from_slice(piece);
            return Ok(());
        }
        no += 1;
        if carry.is_empty() {
            f(trim_cr(piece), no, line_start)?;
        } else {
            carry.extend_from_slice(piece);
            f(trim_cr(&carry), no, line_start)?;
            carry.clear();
        }
        line_start = offset;
        Ok(())
    })?;
    if !carry.is_empty() {
        f(trim_cr(&carry), no + 1, line_start)?;
    }
    Ok(())
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// TXT: lines and blank lines, streamed chunk by chunk without holding a line, so memory
/// stays flat whatever the longest line.
fn txt(r: &mut impl BufRead) -> Result<Counts, ScanError> {
    let mut counts = Counts::default();
    let mut line = LineText::default();
    for_each_piece(r, |piece, ends_line| {
        line.see(piece);
        if ends_line {
            counts.rows += 1;
            counts.empty_rows += u64::from(!line.end());
        }
        Ok(())
    })?;
    if line.is_open() {
        counts.rows += 1;
        counts.empty_rows += u64::from(!line.end());
    }
    if counts.rows == counts.empty_rows {
        return Err(content(
            1,
            1,
            Some(0),
            "the file has no text".into(),
            "put the domain text in the file; blank lines are not training data",
        ));
    }
    Ok(counts)
}

/// Which field holds the text: fixed, or chosen from the first record (`text`, else the first).
#[derive(Debug)]
struct Column {
    name: Option<String>,
    explicit: bool,
    /// What JumpStart's script reads, from the first record: `text`, else its first field.
    script: Option<String>,
}

impl Column {
    /// `text_column` when the manifest sets it, else decided by the first record.
    fn new(text_column: Option<&str>) -> Self {
        Self {
            name: text_column.map(str::to_string),
            explicit: text_column.is_some(),
            script: None,
        }
    }
}

fn json_lines(r: &mut impl BufRead, text_column: Option<&str>) -> Result<Counts, ScanError> {
    let mut column = Column::new(text_column);
    let mut counts = Counts::default();
    for_each_line(r, |line, no, offset| {
        if is_blank(line) {
            return Ok(());
        }
        record(line, &mut column, &mut counts).map_err(|e| {
            let at = (no, e.column() as u64);
            json_error(&e, at, Some(offset), JSONL_SYNTAX_HELP)
        })
    })
    .map_err(|e| missing_column(e, &column))?;
    finish_json(counts, column)
}

fn json_array(r: &mut impl BufRead, text_column: Option<&str>) -> Result<Counts, ScanError> {
    let mut column = Column::new(text_column);
    let mut counts = Counts::default();
    for_each_element(r, |element, at| {
        record(element, &mut column, &mut counts).map_err(|e| {
            let inner = at.inner(e.line() as u64, e.column() as u64);
            json_error(&e, inner, Some(at.line_offset), ARRAY_SYNTAX_HELP)
        })
    })
    .map_err(|e| missing_column(e, &column))?;
    finish_json(counts, column)
}

/// Checks one JSON record (a line or an array element) and counts it.
fn record(bytes: &[u8], column: &mut Column, counts: &mut Counts) -> serde_json::Result<()> {
    // One SIMD pass proves the record UTF-8; the parser then reads it as text and does not
    // check each string again. Bytes that are not UTF-8 go to the byte parser, whose error
    // the reader's own UTF-8 error outranks.
    let row = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => whole_row(serde_json::Deserializer::from_str(text), column)?,
        Err(_) => whole_row(serde_json::Deserializer::from_slice(bytes), column)?,
    };
    counts.rows += 1;
    counts.empty_rows += u64::from(row.is_empty);
    Ok(())
}

/// One record read whole from `de`: its row, and nothing after it.
fn whole_row<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    column: &mut Column,
) -> serde_json::Result<Row> {
    let row = RowSeed { column }.deserialize(&mut de)?;
    de.end()?;
    Ok(row)
}

fn finish_json(mut counts: Counts, column: Column) -> Result<Counts, ScanError> {
    if counts.rows == counts.empty_rows {
        let what = if counts.rows == 0 {
            "no records"
        } else {
            "no text: every record's text is empty"
        };
        return Err(content(
            1,
            1,
            Some(0),
            format!("the file has {what}"),
            "add JSON objects with the domain text in a `text` field",
        ));
    }
    counts.text_column = column.name;
    counts.script_column = column.script;
    Ok(counts)
}

/// A missing explicit column is reported against the manifest, not the data file.
fn missing_column(e: ScanError, column: &Column) -> ScanError {
    match e {
        ScanError::Content(c) if column.explicit && c.message.starts_with(MISSING_FIELD) => {
            let available = c
                .message
                .split_once("; fields: ")
                .map(|(_, rest)| rest.split(", ").map(str::to_string).collect())
                .unwrap_or_default();
            ScanError::MissingColumn {
                column: column.name.clone().unwrap_or_default(),
                available,
            }
        }
        other => other,
    }
}

const MISSING_FIELD: &str = "the record has no field";
const JSONL_SYNTAX_HELP: &str =
    "fix the JSON syntax; JSON Lines files hold one complete object per line";
const ARRAY_SYNTAX_HELP: &str = "fix the JSON syntax of this element of the array";

/// A record's JSON error at `(line, column)` of the file; `syntax_help` for plain syntax.
fn json_error(
    e: &serde_json::Error,
    (line, column): (u64, u64),
    offset: Option<u64>,
    syntax_help: &str,
) -> ScanError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let help = if msg.starts_with(MISSING_FIELD) {
        "give every record the text field, or set `text_column` in the manifest to the field that holds the text"
    } else if msg.contains("must be a string") {
        "the text field must hold a JSON string"
    } else if msg.contains("not a JSON object") {
        "each record is a JSON object such as {\"text\": \"...\"}"
    } else {
        syntax_help
    };
    content(line, column.max(1), offset, msg, help)
}

/// What a record contributed.
struct Row {
    is_empty: bool,
}

struct RowSeed<'a> {
    column: &'a mut Column,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Row;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut first: Option<(String, Text)> = None;
        let mut wanted: Option<Text> = None;
        // The first 20 field names, for the script's column and a missing field's message;
        // borrowed from the record, so a line costs no allocation.
        let mut keys: [Cow<'de, str>; 20] = std::array::from_fn(|_| Cow::Borrowed(""));
        let mut seen = 0;
        let mut has_text = false;
        let target = self.column.name.as_deref().unwrap_or("text");
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            has_text |= key == "text";
            if key == target {
                wanted = Some(map.next_value::<Text>()?);
            } else if first.is_none() && self.column.name.is_none() {
                first = Some((key.to_string(), map.next_value::<Text>()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            if let Some(slot) = keys.get_mut(seen) {
                *slot = key;
                seen += 1;
            }
        }
        let keys = &keys[..seen];
        if self.column.script.is_none() {
            self.column.script = if has_text {
                Some("text".to_string())
            } else {
                keys.first().map(ToString::to_string)
            };
        }
        let decided = self.column.name.is_some();
        let text = match (wanted, first) {
            (Some(t), _) => {
                if !decided {
                    self.column.name = Some("text".to_string());
                }
                t
            }
            (None, Some((name, t))) if !decided => {
                self.column.name = Some(name);
                t
            }
            _ => {
                let target = self.column.name.as_deref().unwrap_or("text");
                return Err(de::Error::custom(format!(
                    "{MISSING_FIELD} `{target}`; fields: {}",
                    keys.join(", ")
                )));
            }
        };
        match text {
            Text::Empty => Ok(Row { is_empty: true }),
            Text::NonEmpty => Ok(Row { is_empty: false }),
            Text::Other(kind) => Err(de::Error::custom(format!(
                "the text field `{}` is {kind}; it must be a string",
                self.column.name.as_deref().unwrap_or("text")
            ))),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Row, A::Error> {
        Err(de::Error::custom(
            "the record is an array, not a JSON object",
        ))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Row, E> {
        Err(E::custom("the record is a string, not a JSON object"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Row, E> {
        Err(E::custom("the record is a number, not a JSON object"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Row, E> {
        Err(E::custom("the record is a number, not a JSON object"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Row, E> {
        Err(E::custom("the record is a number, not a JSON object"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Row, E> {
        Err(E::custom("the record is a boolean, not a JSON object"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Row, E> {
        Err(E::custom("the record is null, not a JSON object"))
    }
}

/// A map key, borrowed when the input allows.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The shape of a text value: only emptiness matters.
enum Text {
    Empty,
    NonEmpty,
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The value as written in the record: no copy and no escape decoding, which is most of
        // the cost of a record otherwise.
        let raw = <&'de serde_json::value::RawValue>::deserialize(d)?;
        Ok(Text::of_json(raw.get()))
    }
}

impl Text {
    /// The shape of a JSON value from its text.
    fn of_json(raw: &str) -> Text {
        match raw.as_bytes().first() {
            Some(b'"') if json_string_is_blank(&raw[1..raw.len() - 1]) => Text::Empty,
            Some(b'"') => Text::NonEmpty,
            Some(b'n') => Text::Empty,
            Some(b't' | b'f') => Text::Other("a boolean"),
            Some(b'[') => Text::Other("an array"),
            Some(b'{') => Text::Other("an object"),
            _ => Text::Other("a number"),
        }
    }
}

/// Whether a JSON string's content (between its quotes, escapes as written) is whitespace only,
/// as `str::trim` sees it.
fn json_string_is_blank(content: &str) -> bool {
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' => match chars.next() {
                Some('n') => '\n',
                Some('t') => '\t',
                Some('r') => '\r',
                Some('f') => '\u{c}',
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('x')
                }
                Some(other) => other,
                None => return false,
            },
            c => c,
        };
        if !c.is_whitespace() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
