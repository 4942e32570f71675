//! `invoke`'s prompts: the one on the command line, or stdin's non-empty lines read one at a
//! time with a per-line limit, so memory stays bounded however many are piped in.

use std::io::{BufRead, IsTerminal, Read};

use crate::diagnostics::Diagnostic;

/// The longest prompt line read from stdin; a longer one is an error, not a memory problem.
pub(crate) const MAX_PROMPT_LINE: usize = 1 << 20;

/// The prompts: the one given, or stdin's non-empty lines read one at a time.
pub(super) enum Prompts {
    One(Option<String>),
    Lines {
        input: std::io::StdinLock<'static>,
        line: usize,
    },
}

impl Prompts {
    pub(super) fn of(arg: Option<&str>) -> Result<Self, Diagnostic> {
        match arg {
            Some(p) if p != "-" => Ok(Prompts::One(Some(p.to_string()))),
            None if std::io::stdin().is_terminal() => {
                Err(Diagnostic::new("invoke::no-prompt", "no prompt given")
                    .help("give one (`sagetune invoke ENDPOINT \"Revenue grew\"`) or pipe prompts in, one per line, with `-`"))
            }
            _ => Ok(Prompts::Lines {
                input: std::io::stdin().lock(),
                line: 0,
            }),
        }
    }

    /// The next prompt, `None` at the end; a line over [`MAX_PROMPT_LINE`] bytes or not
    /// UTF-8 is an error naming it.
    pub(super) fn next_prompt(&mut self) -> Result<Option<String>, Diagnostic> {
        let (input, line) = match self {
            Prompts::One(p) => return Ok(p.take()),
            Prompts::Lines { input, line } => (input, line),
        };
        loop {
            let mut buf = Vec::new();
            let limit = MAX_PROMPT_LINE as u64 + 1;
            let n = std::io::Read::by_ref(input)
                .take(limit)
                .read_until(b'\n', &mut buf)
                .map_err(|e| Diagnostic::new("invoke::stdin", format!("cannot read stdin: {e}")))?;
            if n == 0 {
                return Ok(None);
            }
            *line += 1;
            if buf.len() > MAX_PROMPT_LINE && buf.last() != Some(&b'\n') {
                return Err(Diagnostic::new(
                    "invoke::long-prompt",
                    format!(
                        "line {line} of stdin is longer than {} MiB",
                        MAX_PROMPT_LINE >> 20
                    ),
                )
                .help("write one prompt per line; split or shorten that one"));
            }
            let text = String::from_utf8(buf).map_err(|_| {
                Diagnostic::new(
                    "invoke::stdin",
                    format!("line {line} of stdin is not UTF-8"),
                )
                .help("prompts are UTF-8 text, one per line")
            })?;
            let text = text.trim_end_matches(['\n', '\r']);
            if !text.trim().is_empty() {
                return Ok(Some(text.to_string()));
            }
        }
    }
}
