//! `init`: a new manifest from a data folder and a model id. Checks the inputs, writes the
//! manifest to a temporary file beside it, validates that, and only then renames it into
//! place (and writes the schema for editors, never over a schema file it did not write); on
//! any problem, or an interruption, the user's files are as they were.

use std::path::{Path, PathBuf};

use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::files::write_atomic;
use crate::jumpstart::catalog;
use crate::manifest::scaffold::{self, Scaffold};

use super::{validate, Validated};

/// The schema file `init` writes beside the manifest; the modeline points to it.
pub(crate) const SCHEMA_FILE: &str = "sagetune.schema.json";
/// The warning's code when a schema file sagetune did not write is kept.
pub(crate) const SCHEMA_KEPT: &str = "init::schema-kept";

/// What `sagetune init` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct InitRequest {
    pub(crate) file: PathBuf,
    /// The data folder (or file), relative to the manifest's folder.
    pub(crate) data: String,
    pub(crate) model: String,
    pub(crate) artifacts: String,
    pub(crate) stack: Option<String>,
    pub(crate) role_arn: Option<String>,
    pub(crate) permissions_boundary: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) accept_eula: bool,
    pub(crate) force: bool,
    /// The CSV column or JSON field with the text.
    pub(crate) text_column: Option<String>,
}

/// Writes the manifest and returns it validated, or the problems (nothing written).
pub(crate) fn init(req: &InitRequest) -> Result<Validated, Vec<Diagnostic>> {
    let folder = match req.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if req.file.exists() && !req.force {
        return Err(vec![Diagnostic::new(
            "init::exists",
            format!("{} exists already", req.file.display()),
        )
        .help("edit it, or pass --force to replace it")]);
    }
    let model = known_model(req)?;
    let (train, validation) = data_entries(&folder, &req.data)?;
    let canonical = folder.canonicalize().unwrap_or_else(|_| folder.clone());
    let folder_name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let dataset = scaffold::name_from(
        Path::new(&req.data)
            .file_name()
            .map(|n| n.to_string_lossy())
            .as_deref()
            .unwrap_or("data"),
        40,
        "data",
    );
    let stack = match &req.stack {
        Some(s) => s.clone(),
        None => stack_from_folder(folder_name.as_deref().unwrap_or(""))?,
    };
    let text = scaffold::render(&Scaffold {
        schema: SCHEMA_FILE.to_string(),
        stack,
        region: req.region.clone(),
        artifacts: req.artifacts.clone(),
        role_arn: req.role_arn.clone(),
        permissions_boundary: req.permissions_boundary.clone(),
        dataset,
        train,
        validation,
        text_column: req.text_column.clone(),
        name: scaffold::name_from(model.name, 40, "model"),
        model: model.id.to_string(),
        gated: model.gated,
        training_instance: model.default_training_instance.to_string(),
        hosting_instance: model.default_inference_instance.to_string(),
    });
    write_and_validate(req, &folder.join(SCHEMA_FILE), &text)
}

/// The catalog entry of the model asked for, its license accepted when it is gated.
fn known_model(req: &InitRequest) -> Result<&'static catalog::CatalogModel, Vec<Diagnostic>> {
    let Some(model) = catalog::find(&req.model) else {
        let ids: Vec<&str> = catalog::MODELS.iter().map(|m| m.id).collect();
        let hint = ids
            .iter()
            .copied()
            .find(|id| id.contains(req.model.as_str()))
            .or_else(|| crate::manifest::closest(&req.model, &ids))
            .map(|id| format!("did you mean `{id}`? "))
            .unwrap_or_default();
        return Err(vec![Diagnostic::new(
            "init::unknown-model",
            format!(
                "`{}` is not a JumpStart model sagetune can fine-tune",
                req.model
            ),
        )
        .help(format!(
            "{hint}`sagetune models` lists the {} ids",
            ids.len()
        ))]);
    };
    if model.gated && !req.accept_eula {
        return Err(vec![Diagnostic::new(
            "init::eula",
            format!(
                "{} is gated behind its end-user license agreement",
                model.name
            ),
        )
        .help(
            "read the license, then pass --accept-eula to accept it in the manifest",
        )]);
    }
    Ok(model)
}

/// The stack name a folder's name gives, or an error when it gives none (only digits or
/// punctuation): two such folders would otherwise share one name, one lock and one stack.
fn stack_from_folder(folder: &str) -> Result<String, Vec<Diagnostic>> {
    let name = scaffold::name_from(folder, 24, "");
    if name.is_empty() {
        return Err(vec![Diagnostic::new(
            "init::stack-name",
            format!("cannot derive a stack name from the folder name `{folder}`: a stack name starts with a letter"),
        )
        .help("pass --stack NAME (lowercase letters, digits and `-`, starting with a letter; it prefixes every AWS name and tags ownership)")]);
    }
    Ok(name)
}

/// Where init writes the new manifest before it is validated: a hidden file beside it.
pub(crate) fn staging_path(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sagetune.yaml".into());
    file.with_file_name(format!(".{name}.init.tmp"))
}

/// The train and validation entries for a data path: its `train/` and `validation/` when it
/// has them, else the path itself as train.
fn data_entries(folder: &Path, data: &str) -> Result<(String, Option<String>), Vec<Diagnostic>> {
    let path = folder.join(data);
    let entry = |p: &Path, rel: String| {
        if p.is_dir() {
            format!("{}/", rel.trim_end_matches('/'))
        } else {
            rel
        }
    };
    if !path.exists() {
        return Err(vec![Diagnostic::new(
            "init::data",
            format!("{} does not exist", path.display()),
        )
        .help("pass --data with the folder (or file) of the domain text, relative to the manifest's folder")]);
    }
    let base = data.trim_end_matches('/');
    let train = path.join("train");
    if train.exists() {
        let validation = path.join("validation");
        let v = validation
            .exists()
            .then(|| entry(&validation, format!("{base}/validation")));
        return Ok((entry(&train, format!("{base}/train")), v));
    }
    Ok((entry(&path, base.to_string()), None))
}

/// Writes the manifest to its staging file, validates that, and renames it into place only
/// when it is valid; then writes the schema unless a schema file sagetune did not write is
/// there (a warning then says it was kept).
fn write_and_validate(
    req: &InitRequest,
    schema: &Path,
    text: &str,
) -> Result<Validated, Vec<Diagnostic>> {
    let write_error = |path: &Path, e: std::io::Error| {
        vec![Diagnostic::new(
            "init::write",
            format!("cannot write {}: {e}", path.display()),
        )
        .help("check that the folder exists and is writable")]
    };
    let staged = staging_path(&req.file);
    std::fs::write(&staged, text).map_err(|e| write_error(&staged, e))?;
    let offline = AwsOptions {
        profile: None,
        region: req.region.clone(),
    };
    if let Err(diags) = validate(&staged, false, &offline) {
        let _ = std::fs::remove_file(&staged);
        let (from, to) = (staged.display().to_string(), req.file.display().to_string());
        return Err(diags.into_iter().map(|d| d.renamed(&from, &to)).collect());
    }
    std::fs::rename(&staged, &req.file).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        write_error(&req.file, e)
    })?;
    // The same bytes validated above; read again under their real name (the data's hashes
    // are cached by now).
    let mut v = validate(&req.file, false, &offline)?;
    match (schema_file(schema), req.force) {
        (SchemaFile::Missing, _) | (SchemaFile::Ours, true) => {
            write_atomic(schema, crate::manifest::schema_text().as_bytes())
                .map_err(|e| write_error(schema, e))?;
        }
        (SchemaFile::Ours, false) => {}
        (SchemaFile::Someone, _) => v.warnings.push(
            Diagnostic::new(
                SCHEMA_KEPT,
                format!("{} exists and is not a schema sagetune wrote: it was left as it is", schema.display()),
            )
            .warning()
            .help(format!("the manifest's modeline points editors to it; move it aside and run `sagetune schema > {SCHEMA_FILE}` for sagetune's")),
        ),
    }
    Ok(v)
}

/// What is at the schema's path.
enum SchemaFile {
    Missing,
    /// A schema sagetune wrote (its title), of this version or an earlier one.
    Ours,
    /// Anything else: the user's file, never overwritten.
    Someone,
}

fn schema_file(path: &Path) -> SchemaFile {
    let Ok(text) = std::fs::read_to_string(path) else {
        return match path.exists() {
            true => SchemaFile::Someone,
            false => SchemaFile::Missing,
        };
    };
    let ours = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("title")?
                .as_str()
                .map(|t| t.starts_with("sagetune manifest"))
        })
        .unwrap_or(false);
    if ours {
        SchemaFile::Ours
    } else {
        SchemaFile::Someone
    }
}
