//! `sagetune invoke ENDPOINT [PROMPT] [--max-new-tokens N] [--raw]`: prompts a deployed
//! model in the shape its spec wants and prints the generated text (or the whole answer).

use std::io::{IsTerminal, Read};

use crate::cli::{Format, InvokeArgs};
use crate::cloud::{AwsCloud, AwsOptions};
use crate::diagnostics::Diagnostic;
use crate::inference::ask;
use crate::prepare::prepare;
use crate::render::invoke::{answered, answers_json};
use crate::stages::invoke_target;

use super::Outcome;

pub fn run(args: &InvokeArgs, aws: &AwsOptions) -> Outcome {
    let prompts = match prompts(args.prompt.as_deref()) {
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
    let json = args.format == Format::Json;
    let mut out = Outcome::default();
    let mut asked = Vec::new();
    for prompt in &prompts {
        match ask(&cloud, &endpoint, &format, prompt, args.max_new_tokens) {
            Ok(answer) => {
                if answer.text.is_err() && (json || !args.raw) {
                    out.status = super::ExitStatus::Failure;
                }
                if !json {
                    let (stdout, stderr) = answered(&answer, args.raw);
                    out.stdout.push_str(&stdout);
                    out.stderr.push_str(&stderr);
                }
                asked.push((prompt.as_str(), answer));
            }
            Err(e) => {
                return Outcome::failed(&[Diagnostic::from(&e)], "the endpoint did not answer")
                    .after(out);
            }
        }
    }
    if json {
        out.stdout = answers_json(&asked);
    }
    out
}

/// The prompt given, or one per non-empty line of stdin for `-` (or none, off a terminal).
fn prompts(arg: Option<&str>) -> Result<Vec<String>, Diagnostic> {
    match arg {
        Some(p) if p != "-" => return Ok(vec![p.to_string()]),
        None if std::io::stdin().is_terminal() => {
            return Err(Diagnostic::new("invoke::no-prompt", "no prompt given")
                .help("give one (`sagetune invoke ENDPOINT \"Revenue grew\"`) or pipe prompts in, one per line, with `-`"));
        }
        _ => {}
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Diagnostic::new("invoke::stdin", format!("cannot read stdin: {e}")))?;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return Err(Diagnostic::new("invoke::no-prompt", "stdin held no prompt")
            .help("write one prompt per line"));
    }
    Ok(lines)
}
