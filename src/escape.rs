//! The one escape rule for human and Markdown output: text from outside sagetune (training
//! log lines, failure reasons, file and key names, model answers, AWS messages) never reaches
//! a terminal as control sequences. C0 controls other than newline and tab, DEL and the C1
//! controls (ESC, CSI, OSC, BEL, carriage return, backspace…) are shown as Rust writes them
//! (`\u{1b}`). JSON output never goes through this: it stays exact.

use std::borrow::Cow;

/// `text` with every control character but `\n` and `\t` shown escaped (`\u{1b}`, `\u{7f}`,
/// `\u{9b}`); borrowed unchanged when there is none.
pub(crate) fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is a control character this rule escapes (every one but `\n` and `\t`).
pub(crate) fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_shown_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(controls("loss 1.5\n\tok é 漢"), Cow::Borrowed(_)));
        assert_eq!(
            controls("\u{1b}]0;owned\u{7}title\u{1b}[2J\r\u{8}\u{7f}\u{9b}31m"),
            "\\u{1b}]0;owned\\u{7}title\\u{1b}[2J\\u{d}\\u{8}\\u{7f}\\u{9b}31m"
        );
        assert_eq!(controls("a\u{0}b"), "a\\u{0}b");
    }
}
