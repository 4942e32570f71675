//! The text of a new manifest (`sagetune init`): a pure function of the choices made, with the
//! schema modeline and a comment on every line a team is likely to edit. Reads and writes
//! nothing; `prepare::init` checks the inputs and validates the result.

use std::fmt::Write;

/// What a new manifest is made of; every field is already checked by the caller.
#[derive(Debug, Clone)]
pub(crate) struct Scaffold {
    /// The schema file the modeline points to, relative to the manifest.
    pub(crate) schema: String,
    pub(crate) stack: String,
    pub(crate) region: Option<String>,
    /// `s3://bucket/prefix/`.
    pub(crate) artifacts: String,
    /// An existing execution role, or `None` for a role sagetune manages.
    pub(crate) role_arn: Option<String>,
    /// The managed role's permissions boundary (with no `role_arn`).
    pub(crate) permissions_boundary: Option<String>,
    pub(crate) dataset: String,
    /// Train and (optional) validation entries, relative to the manifest's folder.
    pub(crate) train: String,
    pub(crate) validation: Option<String>,
    /// The CSV column or JSON field with the text (`init --text-column`).
    pub(crate) text_column: Option<String>,
    /// The fine-tune's and endpoint's name.
    pub(crate) name: String,
    pub(crate) model: String,
    /// Whether the model is gated (its EULA is accepted by `accept_eula: true`).
    pub(crate) gated: bool,
    pub(crate) training_instance: String,
    pub(crate) hosting_instance: String,
}

/// The manifest's YAML text.
pub(crate) fn render(s: &Scaffold) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={}", s.schema);
    let _ = writeln!(
        out,
        "# Made by `sagetune init`; every key: `sagetune schema`, docs/manifest.md."
    );
    let _ = writeln!(out, "stack: {}", s.stack);
    match &s.region {
        Some(r) => writeln!(out, "region: {r}"),
        None => writeln!(
            out,
            "# region: us-east-1                  # default: AWS_REGION, then the AWS configuration"
        ),
    }
    .ok();
    let _ = writeln!(
        out,
        "artifacts: {}   # an existing bucket: datasets, outputs, state lock",
        s.artifacts
    );
    match (&s.role_arn, &s.permissions_boundary) {
        (Some(arn), _) => writeln!(out, "role:\n  arn: {arn}"),
        (None, Some(boundary)) => writeln!(
            out,
            "role:\n  create: true                       # sagetune manages <stack>-sagemaker-execution\n  permissions_boundary: {boundary}"
        ),
        (None, None) => writeln!(
            out,
            "role:\n  create: true                       # sagetune manages <stack>-sagemaker-execution\n  # permissions_boundary: arn:aws:iam::<account>:policy/<name>   # needed by `sagetune iam-policy --for apply`"
        ),
    }
    .ok();
    out.push_str(&workload(s));
    out
}

/// The datasets, fine-tunes and endpoints of the manifest.
fn workload(s: &Scaffold) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\ndatasets:\n  {}:\n    train: {}", s.dataset, s.train);
    if let Some(v) = &s.validation {
        let _ = writeln!(out, "    validation: {v}");
    }
    if let Some(c) = &s.text_column {
        let _ = writeln!(out, "    text_column: {}", yaml_scalar(c));
    }
    let _ = writeln!(out, "\nfine_tunes:\n  {}:", s.name);
    let _ = writeln!(out, "    model: {}", s.model);
    let _ = writeln!(
        out,
        "    model_version: \"*\"                # `sagetune lock` pins it"
    );
    let _ = writeln!(out, "    dataset: {}", s.dataset);
    let _ = writeln!(out, "    instance_type: {}", s.training_instance);
    let _ = writeln!(
        out,
        "    hyperparameters: {{}}               # e.g. {{epoch: 3, learning_rate: 0.0001}}"
    );
    let _ = writeln!(out, "    max_runtime: 10h");
    if s.gated {
        let _ = writeln!(
            out,
            "    accept_eula: true                  # you accept the model's license (init --accept-eula)"
        );
    }
    let _ = writeln!(
        out,
        "\nendpoints:\n  {}:\n    fine_tune: {}\n    instance_type: {}",
        s.name, s.name, s.hosting_instance
    );
    out
}

/// A name for the manifest from free text (a folder or model family): lowercase letters,
/// digits and `-`, starting with a letter, at most `max` characters; `fallback` when nothing
/// is left.
pub(crate) fn name_from(text: &str, max: usize, fallback: &str) -> String {
    let mut name = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if (c == '-' && (name.is_empty() || name.ends_with('-')))
            || (name.is_empty() && c.is_ascii_digit())
        {
            continue;
        }
        name.push(c);
    }
    name.truncate(max);
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

/// A value as a YAML scalar: plain when YAML reads it back as the same text, quoted otherwise.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-')
        && ![
            "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
        ]
        .contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("strings serialize")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_text_column_is_quoted_only_when_yaml_would_read_it_otherwise() {
        assert_eq!(yaml_scalar("body"), "body");
        assert_eq!(yaml_scalar("claim_text"), "claim_text");
        for (name, quoted) in [
            ("yes", "\"yes\""),
            ("1st", "\"1st\""),
            ("my text", "\"my text\""),
            ("a:b", "\"a:b\""),
        ] {
            assert_eq!(yaml_scalar(name), quoted);
        }
    }
    use super::*;

    #[test]
    fn names_follow_the_manifest_rules() {
        assert_eq!(name_from("My Project_2", 24, "x"), "my-project-2");
        assert_eq!(name_from("42 GPT-J!", 24, "x"), "gpt-j");
        assert_eq!(name_from("__", 24, "stack"), "stack");
        assert_eq!(
            name_from("a-very-long-folder-name-indeed", 24, "x").len(),
            23
        );
    }
}
