//! Reading a manifest file and turning YAML/shape errors into located diagnostics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, SourceText};

use super::model::Manifest;

/// A manifest that parsed, with its text (for diagnostics and exact values) and its folder
/// (the base of every relative path in it).
#[derive(Debug)]
pub struct LoadedManifest {
    pub(crate) manifest: Manifest,
    pub(crate) source: Arc<SourceText>,
    /// The path as the user gave it.
    pub(crate) path: PathBuf,
    /// The folder the manifest is in; relative paths in the manifest start here.
    pub(crate) dir: PathBuf,
}

impl LoadedManifest {
    /// The exact text of a node, e.g. `1.10` for a number the parser read as a float.
    pub(crate) fn text_of(&self, span: std::ops::Range<usize>) -> &str {
        self.source.text.get(span).unwrap_or("")
    }
}

/// Reads and parses `path`; every failure is a diagnostic naming the file.
/// The largest manifest read; anything bigger is not a manifest someone wrote.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A folder, a FIFO, a device or a huge file is refused before it is read (reading a FIFO or
/// `/dev/zero` would block or never end).
fn refuse_unreadable_kinds(path: &Path, name: &str) -> Result<(), Vec<Diagnostic>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // the read below reports it
    };
    let problem = if meta.is_dir() {
        Some((
            format!("{name} is a folder, not a manifest file"),
            format!(
                "pass the manifest itself: -f {}",
                path.join("sagetune.yaml").display()
            ),
        ))
    } else if let Some(kind) = crate::data::special_kind(&meta) {
        Some((
            format!("{name} is a {kind}, not a manifest file"),
            "pass a regular YAML file with -f PATH".to_string(),
        ))
    } else if meta.len() > MAX_MANIFEST_BYTES {
        Some((
            format!(
                "{name} is {} bytes; a manifest is at most 4 MiB",
                meta.len()
            ),
            "pass the sagetune.yaml manifest with -f PATH".to_string(),
        ))
    } else {
        None
    };
    match problem {
        Some((message, help)) => Err(vec![
            Diagnostic::new("manifest::unreadable", message).help(help)
        ]),
        None => Ok(()),
    }
}

pub fn load(path: &Path) -> Result<LoadedManifest, Vec<Diagnostic>> {
    let name = path.display().to_string();
    refuse_unreadable_kinds(path, &name)?;
    let text = std::fs::read(path).map_err(|e| {
        let help = if e.kind() == std::io::ErrorKind::NotFound {
            "run sagetune in the folder of your sagetune.yaml, or pass its path with -f PATH"
        } else {
            "check the file's permissions"
        };
        vec![Diagnostic::new("manifest::unreadable", format!("cannot read {name}: {e}")).help(help)]
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        let src = SourceText::whole(&name, String::from_utf8_lossy(e.as_bytes()).into_owned());
        let at = e.utf8_error().valid_up_to();
        vec![
            Diagnostic::new("manifest::not-utf8", format!("{name} is not valid UTF-8"))
                .at(&src, at..at + 1, "invalid byte here")
                .help("save the manifest as UTF-8"),
        ]
    })?;
    let source = SourceText::whole(&name, text);
    let manifest = parse(&source)?;
    let dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok(LoadedManifest {
        manifest,
        source,
        path: path.to_path_buf(),
        dir,
    })
}

fn parse(source: &Arc<SourceText>) -> Result<Manifest, Vec<Diagnostic>> {
    let has_content = source.text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
    });
    if !has_content {
        return Err(vec![Diagnostic::new(
            "manifest::empty",
            format!("{} is empty", source.name),
        )
        .at(source, 0..source.text.len().max(1), "no YAML document here")
        .help("start from examples/quickstart/sagetune.yaml; `stack`, `artifacts` and `role` are required")]);
    }
    if let Some(d) = text_problem(source) {
        return Err(vec![d]);
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Manifest>(&source.text, options)
        .map_err(|e| vec![parse_error(source, &e)])
}

/// What the YAML parser would report confusingly, found in the text first: control
/// characters, tabs used for indentation, and a second YAML document.
fn text_problem(source: &Arc<SourceText>) -> Option<Diagnostic> {
    let text = &source.text;
    if let Some((at, ch)) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Some(
            Diagnostic::new(
                "manifest::syntax",
                format!(
                    "the manifest contains the control character U+{:04X}",
                    ch as u32
                ),
            )
            .at(source, at..at + ch.len_utf8(), "control character")
            .help("a manifest is plain text: remove the character (save the file as UTF-8 text)"),
        );
    }
    let mut offset = 0;
    let mut seen_content = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let indent = bare.len() - bare.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = bare[..indent].find('\t') {
            return Some(
                Diagnostic::new("manifest::syntax", "a tab in the indentation")
                    .at(source, offset + tab..offset + tab + 1, "tab")
                    .help("YAML indents with spaces only: replace the tab with spaces"),
            );
        }
        let t = bare.trim();
        let marker = t == "---" || t.starts_with("--- ") || t == "...";
        if marker && seen_content {
            return Some(
                Diagnostic::new(
                    "manifest::syntax",
                    "a second YAML document starts here; a manifest is one document",
                )
                .at(source, offset..offset + bare.len().max(1), "second document")
                .help("put every key in one document: remove this `---` (or `...`) line, or split the stacks into separate manifest files"),
            );
        }
        seen_content |= !t.is_empty() && !t.starts_with('#') && !marker;
        offset += line.len();
    }
    None
}

/// One located diagnostic for a YAML syntax or shape error.
fn parse_error(source: &Arc<SourceText>, err: &serde_saphyr::Error) -> Diagnostic {
    let raw = err.without_snippet().to_string();
    let message = strip_location_suffix(&raw);
    // The offending text: the error's span, else the rest of its line.
    let value = err.location().and_then(|loc| {
        let start = loc.span().byte_offset()? as usize;
        let rest = source.text.get(start..)?;
        let len = match loc.span().byte_len().unwrap_or(0) as usize {
            0 => rest.find('\n').unwrap_or(rest.len()),
            n => n,
        };
        rest.get(..len)
    });
    let (code, message, help) = classify(&message, value.map(str::trim));
    let top_level_missing = code == "manifest::missing-field"
        && TOP_LEVEL_REQUIRED.iter().any(|k| message.ends_with(k));
    let mut d = Diagnostic::new(code, message).help(help);
    if top_level_missing {
        let first_line = source.text.find('\n').unwrap_or(source.text.len()).max(1);
        d = d.at(source, 0..first_line, "this manifest");
    } else if let Some(loc) = err.location() {
        let span = loc.span();
        let start = span
            .byte_offset()
            .map(|b| b as usize)
            .unwrap_or_else(|| byte_offset_of(&source.text, loc.line(), loc.column()));
        let len = span.byte_len().unwrap_or(1).max(1) as usize;
        let start = start.min(source.text.len().saturating_sub(1));
        d = d.at(source, start..start + len, label_for(code));
    }
    d
}

fn strip_location_suffix(raw: &str) -> String {
    // The parser appends " at line L, column C"; the diagnostic shows the position itself.
    let first = raw.lines().next().unwrap_or(raw).trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].trim_end_matches(':').to_string(),
        None => first.to_string(),
    }
}

/// The diagnostic code, a clearer message where the parser's is terse (naming `value`, the
/// offending text, where it is known), and the help line.
fn classify(message: &str, value: Option<&str>) -> (&'static str, String, String) {
    let m = message.to_ascii_lowercase();
    if m.contains("unknown field") {
        (
            "manifest::unknown-field",
            message.to_string(),
            "remove the key or fix its spelling; `sagetune schema` lists every allowed key".into(),
        )
    } else if m.contains("duplicate") {
        let msg = message
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(message);
        (
            "manifest::duplicate-key",
            msg.to_string(),
            "each key may appear once in a mapping; remove or rename one of them".into(),
        )
    } else if m.contains("missing field") {
        (
            "manifest::missing-field",
            message.to_string(),
            "add the required key; examples/quickstart/sagetune.yaml shows a complete manifest"
                .into(),
        )
    } else if m.contains("budget") || m.contains("recursion") || m.contains("depth") {
        (
            "manifest::too-complex",
            "the manifest is too large or nests (or repeats aliases) too deeply to be a manifest"
                .into(),
            "write the manifest out plainly: no deeply nested values and no YAML aliases (`*name`)"
                .into(),
        )
    } else if m.starts_with("while ")
        || m.contains("did not find")
        || m.contains("unclosed")
        || m.contains("scanning")
        || m.contains("unexpected character")
    {
        (
            "manifest::syntax",
            message.to_string(),
            "fix the YAML syntax here: indentation, a missing `:`, or an unclosed quote or bracket"
                .into(),
        )
    } else {
        value_problem(&m, message, value)
    }
}

/// A value of the wrong type: a number, boolean or mapping where the key takes another.
fn value_problem(m: &str, message: &str, value: Option<&str>) -> (&'static str, String, String) {
    let wrong_type = |msg: String, help: &str| ("manifest::wrong-type", msg, help.to_string());
    if m.contains("invalid u32") || m.contains("invalid u64") {
        wrong_type(
            not_a_count(m.contains("invalid u32"), value),
            "write a number such as `1`, without quotes",
        )
    } else if m.contains("non-finite float") {
        let v = value.unwrap_or(".nan");
        wrong_type(
            format!("`{v}` is not a number (YAML's NaN or infinity)"),
            "write a finite number such as `0.0001`, or quote it if the text is meant",
        )
    } else if m.contains("invalid boolean") {
        wrong_type(
            "expected `true` or `false`".into(),
            "sagetune reads YAML 1.2 booleans only: write `true` or `false` (not yes/no/on/off)",
        )
    } else if m.contains("mapping") && m.contains("expected") {
        let what = shape(value);
        wrong_type(
            format!("expected a mapping (`key: value` lines), found {what}"),
            &format!("write this as named entries (`name:` then indented keys), not as {what}"),
        )
    } else {
        wrong_type(
            message.to_string(),
            "write the value with the type the key takes (`sagetune schema` shows it); quote text that looks like a number or boolean",
        )
    }
}

/// Why `value` is not a count (a `u32`, or a `u64` when not `small`): negative, too large,
/// or not a whole number.
fn not_a_count(small: bool, value: Option<&str>) -> String {
    let max = if small { u64::from(u32::MAX) } else { u64::MAX };
    match value.map(|v| (v, v.parse::<i128>())) {
        Some((v, Ok(n))) if n < 0 => {
            format!("`{v}` is negative: expected a whole number of 0 or more")
        }
        Some((v, Ok(_))) => format!("`{v}` is too large: the largest allowed is {max}"),
        Some((v, Err(_))) if !v.is_empty() => {
            format!("`{v}` is not a whole number: expected a whole number of 0 or more")
        }
        _ => "expected a whole number of 0 or more".into(),
    }
}

/// What a YAML node that should have been a mapping is, from its text.
fn shape(value: Option<&str>) -> &'static str {
    match value {
        Some(v) if v.starts_with('-') || v.starts_with('[') => "a list",
        Some(v) if !v.is_empty() => "a single value",
        _ => "something else",
    }
}

/// Top-level keys whose absence is best shown at the top of the file.
const TOP_LEVEL_REQUIRED: [&str; 3] = ["`stack`", "`artifacts`", "`role`"];

fn label_for(code: &str) -> &'static str {
    match code {
        "manifest::unknown-field" => "unknown key",
        "manifest::duplicate-key" => "duplicate key",
        "manifest::missing-field" => "in this mapping",
        "manifest::wrong-type" => "wrong type",
        "manifest::syntax" => "syntax error",
        _ => "here",
    }
}

fn byte_offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map(|(b, _)| b)
                    .unwrap_or(l.len());
        }
        offset += l.len();
    }
    text.len()
}
