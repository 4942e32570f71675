//! `init`: a new manifest from a data folder and a model id. Checks the inputs, writes the
//! manifest (and the schema beside it for editors), and validates it at once; on any problem
//! what was there before is put back, so a failed init changes nothing.

use std::path::{Path, PathBuf};

use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::files::write_atomic;
use crate::jumpstart::catalog;
use crate::manifest::scaffold::{self, Scaffold};

use super::{validate, Validated};

/// The schema file `init` writes beside the manifest; the modeline points to it.
pub const SCHEMA_FILE: &str = "sagetune.schema.json";

/// What `sagetune init` was asked for.
#[derive(Debug, Clone)]
pub struct InitRequest {
    pub file: PathBuf,
    /// The data folder (or file), relative to the manifest's folder.
    pub data: String,
    pub model: String,
    pub artifacts: String,
    pub stack: Option<String>,
    pub role_arn: Option<String>,
    pub region: Option<String>,
    pub accept_eula: bool,
    pub force: bool,
}

/// Writes the manifest and returns it validated, or the problems (nothing written).
pub fn init(req: &InitRequest) -> Result<Validated, Vec<Diagnostic>> {
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
    let text = scaffold::render(&Scaffold {
        schema: SCHEMA_FILE.to_string(),
        stack: req.stack.clone().unwrap_or_else(|| {
            scaffold::name_from(folder_name.as_deref().unwrap_or(""), 24, "stack")
        }),
        region: req.region.clone(),
        artifacts: req.artifacts.clone(),
        role_arn: req.role_arn.clone(),
        dataset,
        train,
        validation,
        name: scaffold::name_from(model.name, 40, "model"),
        model: model.id.to_string(),
        gated: model.gated,
        training_instance: model.default_training_instance.to_string(),
        hosting_instance: model.default_inference_instance.to_string(),
    });
    write_and_validate(req, &folder.join(SCHEMA_FILE), &text)
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

/// Writes the manifest (and the schema when missing), validates it, and puts back what was
/// there before when it does not validate.
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
    let before = std::fs::read(&req.file).ok();
    write_atomic(&req.file, text.as_bytes()).map_err(|e| write_error(&req.file, e))?;
    let offline = AwsOptions {
        profile: None,
        region: req.region.clone(),
    };
    match validate(&req.file, false, &offline) {
        Ok(v) => {
            if !schema.exists() || req.force {
                write_atomic(schema, crate::manifest::schema_text().as_bytes())
                    .map_err(|e| write_error(schema, e))?;
            }
            Ok(v)
        }
        Err(diags) => {
            let _ = match before {
                Some(old) => write_atomic(&req.file, &old),
                None => std::fs::remove_file(&req.file),
            };
            Err(diags)
        }
    }
}
