//! `sagetune invoke ENDPOINT [PROMPT|-] [--max-new-tokens N] [--raw]`: prompts a deployed
//! model of this stack in the shape its spec wants and prints each answer as it arrives (the
//! generated text, or the whole answer); prompts from stdin are read one line at a time.

use std::io::Write;

use crate::cli::{Format, InvokeArgs};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::Diagnostic;
use crate::inference::ask;
use crate::jumpstart::payload::PayloadFormat;
use crate::prepare::prepare;
use crate::render::invoke::AnswerStream;
use crate::stages::{check_invoke_owner, invoke_target};

use super::prompts::Prompts;
use super::{ExitStatus, Outcome};

pub fn run(args: &InvokeArgs, aws: &AwsOptions) -> Outcome {
    let mut prompts = match Prompts::of(args.prompt.as_deref()) {
        Ok(p) => p,
        Err(d) => return Outcome::failed(&[d], "nothing was sent"),
    };
    let (cloud, endpoint, format) = match target(args, aws) {
        Ok(t) => t,
        Err(d) => return Outcome::failed(&d, "nothing was sent"),
    };
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
    finish(stream, status, failure)
}

/// The endpoint to prompt, checked to be this stack's, and the payload format of its model.
fn target(
    args: &InvokeArgs,
    aws: &AwsOptions,
) -> Result<(AwsCloud, String, PayloadFormat), Vec<Diagnostic>> {
    let m = &args.manifest;
    let prepared = prepare(&m.file, m.allow_outside, aws, false, None)?;
    let (endpoint, format) = invoke_target(&prepared, &args.endpoint)?;
    let cloud = AwsCloud::new(aws.clone(), &prepared.ctx.region);
    let stack = prepared.validated.loaded.manifest.stack.get();
    check_invoke_owner(&cloud, stack, &endpoint)?;
    Ok((cloud, endpoint, format))
}

/// Closes the output: the JSON document (with the error, if any) or the error.
fn finish(
    stream: AnswerStream,
    status: ExitStatus,
    failure: Option<(Diagnostic, &str)>,
) -> Outcome {
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
