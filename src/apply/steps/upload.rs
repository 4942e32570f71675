//! A dataset file's upload: skipped when the object is there already; a derived file (the
//! chosen text column alone) written first, checked against the plan; then checked right
//! before it is read (still a regular file of the planned size; its SHA-256 is verified by the
//! upload from the bytes it sends).

use super::{done, Run};
use crate::apply::{Did, Event, Outcome};
use crate::cloud::{CloudError, Upload};
use crate::plan::Change;

impl Run<'_> {
    pub(super) fn upload(&self, c: &Change, u: &Upload) -> Result<Outcome, CloudError> {
        if let Some(have) = self.cloud.head_object(&u.bucket, &u.key)? {
            if have.sha256.as_deref() == Some(u.sha256.as_str()) {
                return Ok(done("already uploaded"));
            }
        }
        if let Some(from) = &u.derive_from {
            // Validation only hashed it: the file is written now, once, and must be the
            // content planned.
            let format = crate::data::Format::from_extension(&from.format);
            let written = match format {
                Some(f) => {
                    crate::data::materialize(&from.source, f, &from.column, &u.path, &u.sha256)
                        .map_err(|e| match e {
                            crate::data::ScanError::Io(why) => why,
                            other => format!("{other:?}"),
                        })
                }
                None => Err(format!("`{}` is not a format with columns", from.format)),
            };
            if let Err(why) = written {
                return Ok(Outcome::Failed(format!(
                    "cannot write the `{}` column of {} for its upload: {why}",
                    from.column,
                    from.source.display()
                )));
            }
        }
        // Checked right before it is read: still a regular file of the planned size. Its
        // content is checked against the planned SHA-256 as it is read for the upload (the
        // one pass over its bytes), and never read past that size.
        if let Err(e) = crate::files::open_planned(&u.path, u.bytes) {
            return Ok(Outcome::Failed(format!(
                "cannot upload {}: {e}; run `sagetune plan` again",
                u.path.display()
            )));
        }
        let id = c.id.clone();
        let total = u.bytes;
        self.cloud.upload(u, &|sent| {
            self.progress.event(Event::Uploaded {
                id: id.clone(),
                sent,
                total,
            });
        })?;
        Ok(done(Did::Uploaded { bytes: u.bytes }))
    }
}
