//! The model step: the model created (or adopted) under the role it runs as, after its
//! artifact is repacked with the inference code when hosting is script mode.

use super::Run;
use crate::apply::{Event, Outcome};
use crate::cloud::requests::CreateModel;
use crate::cloud::{CloudError, Upload};
use crate::plan::{Change, ChangeId};

impl Run<'_> {
    pub(super) fn create_model(
        &self,
        c: &Change,
        model: &CreateModel,
    ) -> Result<Outcome, CloudError> {
        if let Some(r) = &c.repack {
            if let Some(failed) = self.repack(&c.id, r)? {
                return Ok(failed);
            }
        }
        let mut model = model.clone();
        model.execution_role_arn = self.role(&model.execution_role_arn)?;
        let name = &model.model_name;
        Ok(self
            .create_or_adopt(
                "model",
                name,
                || self.with_role_retry(|| self.cloud.create_model(&model)),
                || Ok(self.cloud.describe_model(name)?.map(|m| m.tags)),
            )?
            .said())
    }

    /// Builds the repacked artifact unless it already exists; `Some` when that failed.
    fn repack(
        &self,
        id: &ChangeId,
        r: &crate::cloud::requests::Repack,
    ) -> Result<Option<Outcome>, CloudError> {
        let (bucket, key) = crate::cloud::split_s3(&r.target);
        if self.cloud.head_object(bucket, key)?.is_some() {
            return Ok(None);
        }
        self.progress.event(Event::Note(format!(
            "{id}: repacking {} with the inference code {}",
            r.model_artifact, r.inference_code
        )));
        let dir = scratch_dir(&id.to_string());
        let result = (|| {
            let local = |name: &str| dir.join(name);
            let fail = |what: &str, e: std::io::Error| CloudError::Transport {
                operation: "Repack".into(),
                message: format!("{what}: {e}"),
            };
            std::fs::create_dir_all(&dir).map_err(|e| fail("scratch folder", e))?;
            let (mb, mk) = crate::cloud::split_s3(&r.model_artifact);
            self.cloud.download(mb, mk, &local("model.tar.gz"))?;
            let (cb, ck) = crate::cloud::split_s3(&r.inference_code);
            self.cloud.download(cb, ck, &local("sourcedir.tar.gz"))?;
            crate::model_archive::repack(
                &local("model.tar.gz"),
                &local("sourcedir.tar.gz"),
                &local("repacked.tar.gz"),
            )
            .map_err(|e| fail("repacking", e))?;
            let out = local("repacked.tar.gz");
            let sha256 = crate::files::sha256_file(&out).map_err(|e| fail("hashing", e))?;
            let bytes = std::fs::metadata(&out).map_err(|e| fail("size", e))?.len();
            self.cloud.upload(
                &Upload {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    path: out,
                    sha256,
                    bytes,
                    rows: None,
                    derive_from: None,
                },
                &|_| {},
            )
        })();
        let _ = std::fs::remove_dir_all(&dir);
        result.map(|()| None)
    }
}

/// A private scratch folder for one step of this process.
fn scratch_dir(id: &str) -> std::path::PathBuf {
    let safe: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    std::env::temp_dir().join(format!("sagetune-{}-{safe}", std::process::id()))
}
