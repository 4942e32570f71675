//! `sagetune invoke ENDPOINT [PROMPT|-] [--max-new-tokens N] [--raw]`: prompts a deployed
//! model of this stack in the shape its spec wants and prints each answer as it arrives (the
//! generated text, or the whole answer); prompts from stdin are read one line at a time.

use std::io::{BufRead, IsTerminal, Read, Write};

use crate::cli::{Format, InvokeArgs};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::Diagnostic;
use crate::inference::ask;
use crate::prepare::prepare;
use crate::render::invoke::AnswerStream;
use crate::stages::{check_invoke_owner, invoke_target};

use super::{ExitStatus, Outcome};

/// The longest prompt line read from stdin; a longer one is an error, not a memory problem.
pub const MAX_PROMPT_LINE: usize = 1 << 20;

pub fn run(args: &InvokeArgs, aws: &AwsOptions) -> Outcome {
    let mut prompts = match Prompts::of(args.prompt.as_deref()) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&[d], "nothing was sent"),
    };
    let m = &args.manifest;
    let prepared = match prepare(&m.file, m.allow_outside, aws, false, None) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&d, "nothing was sent"),
    };
    let (endpoint, format) = match invoke_target(&prepared, &args.endpoint) {
        Ok(t) => t,
        Err(d) => return Outcome::failed(&d, "nothing was sent"),
    };
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    if let Err(d) = check_invoke_owner(
        &cloud,
        prepared.validated.loaded.manifest.stack.get(),
        &endpoint,
    ) {
        return Outcome::failed(&d, "nothing was sent");
    }
    let mut stream = AnswerStream::new(args.format == Format::Json, args.raw);
    let mut status = ExitStatus::Success;
    let mut asked = 0usize;
    let failure = loop {
        let prompt = match prompts.next_prompt() {
            Ok(Some(p)) => p,
            Ok(None) if asked == 0 => {
                break Some((
                    Diagnostic::new("invoke::no-prompt", "stdin held no prompt")
                        .help("write one prompt per line"),
                    "nothing was sent",
                ))
            }
            Ok(None) => break None,
            Err(d) => break Some((d, "the prompts before it were answered")),
        };
        match ask(&cloud, &endpoint, &format, &prompt, args.max_new_tokens) {
            Ok(answer) => {
                if answer.text.is_err() && (stream.json() || !args.raw) {
                    status = ExitStatus::Failure;
                }
                let (out, err) = stream.answer(&prompt, &answer);
                emit(&out, &err);
                asked += 1;
            }
            Err(e) => break Some((Diagnostic::from(&e), "the endpoint did not answer")),
        }
    };
    match failure {
        None => {
            emit(&stream.end(None), "");
            Outcome {
                status,
                ..Outcome::default()
            }
        }
        // Answers already printed stay valid: the JSON document is closed with the error.
        Some((d, closing)) if stream.json() => {
            emit(&stream.end(Some((closing, &d))), "");
            Outcome {
                status: ExitStatus::Failure,
                ..Outcome::default()
            }
        }
        Some((d, closing)) => Outcome::failed(&[d], closing),
    }
}

/// Writes to stdout and stderr at once (each answer as it arrives).
fn emit(stdout: &str, stderr: &str) {
    if !stdout.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(stdout.as_bytes());
        let _ = out.flush();
    }
    if !stderr.is_empty() {
        let _ = std::io::stderr().write_all(stderr.as_bytes());
    }
}

/// The prompts: the one given, or stdin's non-empty lines read one at a time.
enum Prompts {
    One(Option<String>),
    Lines {
        input: std::io::StdinLock<'static>,
        line: usize,
    },
}

impl Prompts {
    fn of(arg: Option<&str>) -> Result<Self, Diagnostic> {
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
    fn next_prompt(&mut self) -> Result<Option<String>, Diagnostic> {
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
