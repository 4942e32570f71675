//! The pieces every format scanner shares, below them all: a located content error, whether
//! text is blank, and whether the line being read has text yet. Imports no scanner.

use super::report::{ContentError, ScanError};

/// A content problem at `line`:`column` (and the line's byte offset, when known).
pub(super) fn content(
    line: u64,
    column: u64,
    line_offset: Option<u64>,
    message: String,
    help: &str,
) -> ScanError {
    ScanError::Content(ContentError {
        line,
        column,
        line_offset,
        message,
        help: help.to_string(),
    })
}

/// Whether text is empty after trimming whitespace (Unicode whitespace included). UTF-8
/// validity is checked by the scan's reader thread, not here.
pub(super) fn is_blank(text: &[u8]) -> bool {
    matches!(first_text(text), Seen::Blank | Seen::Cut(_))
}

/// What the start of some bytes holds, read character by character only as far as the
/// first one that is not whitespace (a line's text is seldom far in): each byte is looked at
/// once at most, and usually only the first.
enum Seen {
    /// Text (or bytes that are not UTF-8: the reader thread reports those).
    Text,
    /// Whitespace only.
    Blank,
    /// Whitespace, then a character cut off at the end, starting at this offset.
    Cut(usize),
}

fn first_text(bytes: &[u8]) -> Seen {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if !b.is_ascii_whitespace() {
                return Seen::Text;
            }
            i += 1;
            continue;
        }
        let len = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return Seen::Text,
        };
        let Some(encoded) = bytes.get(i..i + len) else {
            return Seen::Cut(i);
        };
        match std::str::from_utf8(encoded)
            .ok()
            .and_then(|s| s.chars().next())
        {
            Some(c) if c.is_whitespace() => i += len,
            _ => return Seen::Text,
        }
    }
    Seen::Blank
}

/// Whether the line being read has text yet, from its pieces; keeps at most the 3 bytes of a
/// character split between two chunks.
#[derive(Default)]
pub(super) struct LineText {
    open: bool,
    has_text: bool,
    split_char: Vec<u8>,
}

impl LineText {
    pub(super) fn see(&mut self, piece: &[u8]) {
        if piece.is_empty() {
            return;
        }
        self.open = true;
        if self.has_text {
            return;
        }
        let joined;
        let piece = if self.split_char.is_empty() {
            piece
        } else {
            self.split_char.extend_from_slice(piece);
            joined = std::mem::take(&mut self.split_char);
            &joined[..]
        };
        // A character cut at the chunk's end waits for its other bytes.
        match first_text(piece) {
            Seen::Text => self.has_text = true,
            Seen::Blank => {}
            Seen::Cut(at) => self.split_char = piece[at..].to_vec(),
        }
    }

    /// Whether a line has begun and not ended (a last line without its `\n`).
    pub(super) fn is_open(&self) -> bool {
        self.open
    }

    /// Ends the line: whether it had text.
    pub(super) fn end(&mut self) -> bool {
        let had = self.has_text;
        *self = Self::default();
        had
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_unicode_whitespace_only_and_looks_no_further_than_the_first_text() {
        assert!(is_blank(b""));
        assert!(is_blank(" \t\u{3000}\u{a0}".as_bytes()));
        assert!(!is_blank(" 字".as_bytes()));
        assert!(!is_blank("\u{3000}x".as_bytes()));
        // Bytes after the first text are not read: invalid UTF-8 there is the reader's to find.
        assert!(!is_blank(b"a\xff\xfe"));
    }

    #[test]
    fn a_character_split_between_chunks_is_judged_once_whole() {
        let ideographic_space = "\u{3000}".as_bytes();
        let mut line = LineText::default();
        line.see(&ideographic_space[..1]);
        line.see(&ideographic_space[1..]);
        assert!(!line.end(), "an ideographic space alone is blank");
        let han = "字".as_bytes();
        line.see(b" ");
        line.see(&han[..2]);
        line.see(&han[2..]);
        assert!(line.end(), "a Han character split in two is text");
    }
}
