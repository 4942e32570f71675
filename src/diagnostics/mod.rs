//! Diagnostics as plain data (what is wrong, where, how to fix it) and the one place they are
//! rendered; no other module formats an error for the user. Each stage's typed error becomes a
//! diagnostic with its help beside its own definition (`impl From<&E> for Diagnostic`); the
//! cloud door's and dataset discovery's, which know nothing of diagnostics, in `from_beneath`.
//! Located diagnostics add a span where the manifest is known.

mod codes;
mod from_beneath;

pub use codes::CODES;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

/// A text a diagnostic points into: a whole manifest, or an excerpt of a large data file
/// that starts at `first_line` (0-based) and byte `first_offset` of the real file.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The path shown to the user, as they would type it.
    pub(crate) name: String,
    /// The text itself (an excerpt for data files, never the whole multi-GB file).
    pub(crate) text: String,
    /// 0-based line number of the first line of `text` in the real file.
    pub(crate) first_line: usize,
    /// Byte offset of the start of `text` in the real file.
    pub(crate) first_offset: usize,
}

impl SourceText {
    /// A complete file held in memory.
    pub(crate) fn whole(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
            first_line: 0,
            first_offset: 0,
        })
    }

    /// 1-based line and column (in characters) of a byte offset of the real file.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let local = offset
            .saturating_sub(self.first_offset)
            .min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, local)];
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().unwrap_or("").chars().count();
        (self.first_line + line + 1, col + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where a diagnostic points: a byte range of a source text and the label shown under it.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) source: Arc<SourceText>,
    /// Byte range in the real file (not in the excerpt).
    pub(crate) span: Range<usize>,
    pub(crate) label: String,
}

/// Whether a diagnostic stops the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    /// The input is wrong; nothing proceeds.
    Error,
    /// Worth knowing, but the input is usable as it is.
    Warning,
}

/// One problem found in the user's input; every diagnostic says what is wrong and, where it
/// can, where (file, line, column) and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable machine-readable code, e.g. `manifest::unknown-field`.
    pub code: &'static str,
    pub(crate) severity: Severity,
    pub message: String,
    pub(crate) location: Option<Location>,
    pub(crate) help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a location (a file that cannot be read, for instance).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            help: None,
        }
    }

    /// Points the diagnostic at `span` of `source`, with a short label.
    pub fn at(
        mut self,
        source: &Arc<SourceText>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.location = Some(Location {
            source: source.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// The same diagnostic under another code (a conversion's default code, made specific).
    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Turns the diagnostic into a warning, which does not stop the command.
    pub(crate) fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Whether this diagnostic stops the command.
    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same diagnostic with the file named `from` called `to` (its location's source name
    /// and its words): what a check of a staging copy says of the file it becomes.
    pub(crate) fn renamed(mut self, from: &str, to: &str) -> Self {
        self.message = self.message.replace(from, to);
        if let Some(l) = self.location.as_mut() {
            if l.source.name.contains(from) {
                let mut source = (*l.source).clone();
                source.name = source.name.replace(from, to);
                l.source = Arc::new(source);
            }
        }
        self
    }

    /// The diagnostic as one plain line, for documents that carry it (a plan's warnings):
    /// `file:line:col: message (code); help`.
    pub(crate) fn one_line(&self) -> String {
        let at = match &self.location {
            Some(l) => {
                let (line, col) = l.source.line_col(l.span.start);
                format!("{}:{line}:{col}: ", l.source.name)
            }
            None => String::new(),
        };
        let help = (self.help.as_deref())
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        format!("{at}{} ({}){help}", self.message, self.code)
    }

    /// The byte range in the manifest the diagnostic points at, when it has one.
    pub(crate) fn span(&self) -> Option<std::ops::Range<usize>> {
        self.location.as_ref().map(|l| l.span.clone())
    }

    /// Adds the line that tells the user how to fix the problem.
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// How diagnostics are drawn: colours only on a terminal that wants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Color,
    Plain,
}

impl Style {
    /// Colour on a terminal unless `NO_COLOR` is set; plain text otherwise.
    pub(crate) fn for_stderr() -> Self {
        use std::io::IsTerminal;
        if colour_wanted(std::io::stderr().is_terminal()) {
            Style::Color
        } else {
            Style::Plain
        }
    }
}

/// Whether output to a stream may be coloured: it is a terminal and `NO_COLOR` is not set
/// (to anything but empty). The one rule for diagnostics and the human plan.
pub(crate) fn colour_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders diagnostics, one after another, followed by nothing else: the caller adds the
/// summary line. Output is stable for a given input (tests snapshot it).
pub fn render(diagnostics: &[Diagnostic], style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diagnostics {
        let d = &displayable(d);
        let report = Report(d);
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
        if d.location.is_none() {
            out.push('\n');
        }
    }
    out
}

/// Diagnostics as JSON values, for `--format json`: `code`, `severity`, `message`, `help`, and
/// where a location is known `file`, `line`, `column` (1-based) and `label`; texts are bounded
/// as in the human rendering.
pub(crate) fn to_json(diagnostics: &[Diagnostic]) -> serde_json::Value {
    let one = |d: &Diagnostic| {
        // JSON stays exact: bounded, but control characters are JSON's to escape.
        let mut d = d.clone();
        d.message = bounded(&d.message);
        d.help = d.help.as_deref().map(bounded);
        if let Some(l) = d.location.as_mut() {
            l.label = bounded(&l.label);
        }
        let mut v = serde_json::json!({
            "code": d.code,
            "severity": match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            "message": d.message,
            "help": d.help,
        });
        if let Some(l) = &d.location {
            let (line, column) = l.source.line_col(l.span.start);
            v["file"] = l.source.name.clone().into();
            v["line"] = line.into();
            v["column"] = column.into();
            v["label"] = l.label.clone().into();
        }
        v
    };
    diagnostics.iter().map(one).collect()
}

/// Longest message, help or label shown; hostile input (a 50 MB tag value) stays bounded.
const MAX_TEXT: usize = 1000;
/// Longest source line shown as a snippet; a longer one is named by position instead.
const MAX_SNIPPET_LINE: usize = 400;

/// A diagnostic as it is safe to print: control characters in its texts escaped (a YAML
/// `"\e[2J"` must not reach the terminal), long texts cut, control characters in the snippet
/// replaced, and a snippet whose line is huge replaced by the position.
fn displayable(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.message = clean(&d.message);
    d.help = d.help.as_deref().map(clean);
    let Some(loc) = d.location.take() else {
        return d;
    };
    let src = &loc.source;
    let local = loc
        .span
        .start
        .saturating_sub(src.first_offset)
        .min(src.text.len());
    let local = floor_char_boundary(&src.text, local);
    let line_start = src.text[..local].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src.text[local..]
        .find('\n')
        .map_or(src.text.len(), |i| local + i);
    if line_end - line_start > MAX_SNIPPET_LINE {
        let (line, col) = src.line_col(loc.span.start);
        d.message = format!(
            "{} ({}:{line}:{col}; the line is too long to show)",
            d.message,
            clean(&src.name)
        );
        return d;
    }
    let source = if src.text.chars().any(is_hostile) {
        Arc::new(SourceText {
            name: clean(&src.name),
            // Same byte length per character, so spans still point where they did.
            text: src
                .text
                .chars()
                .map(|c| {
                    if is_hostile(c) {
                        "?".repeat(c.len_utf8())
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
            first_line: src.first_line,
            first_offset: src.first_offset,
        })
    } else {
        loc.source.clone()
    };
    d.location = Some(Location {
        source,
        span: loc.span,
        label: clean(&loc.label),
    });
    d
}

/// Control characters a source snippet must not carry to the terminal (line breaks are the
/// snippet's own).
fn is_hostile(c: char) -> bool {
    crate::escape::is_unsafe(c) && c != '\r'
}

/// `text` cut to [`MAX_TEXT`] characters, its control characters shown escaped by the one
/// rule of [`crate::escape`].
fn clean(text: &str) -> String {
    crate::escape::controls(&bounded(text)).into_owned()
}

/// `text` cut to [`MAX_TEXT`] characters.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => {
            let more = text[at..].chars().count();
            format!("{}… ({more} more characters)", &text[..at])
        }
        None => text.to_string(),
    }
}

struct Report<'a>(&'a Diagnostic);

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.0.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0
            .location
            .as_ref()
            .map(|l| &*l.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let l = self.0.location.as_ref()?;
        let len = l.span.end.saturating_sub(l.span.start);
        let label = LabeledSpan::new_primary_with_span(
            Some(l.label.clone()),
            SourceSpan::new(l.span.start.into(), len),
        );
        Some(Box::new(std::iter::once(label)))
    }
}

impl SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local_start = span
            .offset()
            .saturating_sub(self.first_offset)
            .min(self.text.len());
        let local_len = span.len().min(self.text.len() - local_start);
        let local = SourceSpan::new(local_start.into(), local_len);
        let inner =
            self.text
                .as_str()
                .read_span(&local, context_lines_before, context_lines_after)?;
        let shifted = SourceSpan::new(
            (inner.span().offset() + self.first_offset).into(),
            inner.span().len(),
        );
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            shifted,
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_bounded() {
        let src = SourceText::whole("m.yaml", "stack: \"\u{1b}[2J\"\nx: y\n");
        let d = Diagnostic::new("manifest::x", "stack `\u{1b}[2J` is not allowed")
            .at(&src, 7..13, "bad \u{7}")
            .help("use \u{1b}]0;title\u{7} never");
        let out = render(&[d], Style::Plain);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
        assert!(out.contains("\\u{1b}[2J"), "{out}");
        let huge = "v".repeat(50_000);
        let long = SourceText::whole("m.yaml", format!("tags:\n  k: {huge}\n"));
        let d = Diagnostic::new("manifest::invalid-tag", format!("value `{huge}` is bad")).at(
            &long,
            12..50_012,
            "invalid value",
        );
        let out = render(&[d], Style::Plain);
        assert!(out.len() < 3_000, "{} bytes", out.len());
        assert!(out.contains("the line is too long to show"), "{out}");
        assert!(out.contains("(m.yaml:2:7;"), "{out}");
        assert!(out.contains("more characters"), "{out}");
    }

    #[test]
    fn line_col_counts_characters_from_one() {
        let src = SourceText::whole("m.yaml", "a: 1\nbé: x\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(5), (2, 1));
        assert_eq!(src.line_col(9), (2, 4));
    }

    #[test]
    fn excerpt_reports_real_line_numbers() {
        let src = Arc::new(SourceText {
            name: "data.csv".into(),
            text: "x,y,z\n".into(),
            first_line: 41,
            first_offset: 1000,
        });
        assert_eq!(src.line_col(1002), (42, 3));
        let d = Diagnostic::new("data::csv", "bad row").at(&src, 1002..1003, "here");
        let out = render(&[d], Style::Plain);
        assert!(out.contains("[data.csv:42:3]"), "{out}");
        assert!(out.contains("42 │ x,y,z"), "{out}");
    }
}
