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
    match text.iter().position(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(i) if text[i].is_ascii() => false,
        Some(i) => std::str::from_utf8(&text[i..]).is_ok_and(|s| s.trim().is_empty()),
    }
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
        let whole = match std::str::from_utf8(piece) {
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            _ => piece.len(),
        };
        self.has_text = !is_blank(&piece[..whole]);
        if !self.has_text {
            self.split_char = piece[whole..].to_vec();
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
