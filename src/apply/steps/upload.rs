//! A dataset file's upload: checked against the plan right before it is read (still a
//! regular file of the planned size; its SHA-256 is verified by the upload from the bytes it
//! sends), skipped when the object is there already.

use super::{done, Run};
use crate::apply::{Did, Event, Outcome};
use crate::cloud::{CloudError, Upload};
use crate::plan::Change;

impl Run<'_> {
    pub(super) fn upload(&self, c: &Change, u: &Upload) -> Result<Outcome, CloudError> {
        // Checked right before it is read: still a regular file of the planned size. Its
        // content is checked against the planned SHA-256 as it is read for the upload (the
        // one pass over its bytes), and never read past that size.
        if let Err(e) = crate::files::open_planned(&u.path, u.bytes) {
            return Ok(Outcome::Failed(format!(
                "cannot upload {}: {e}; run `sagetune plan` again",
                u.path.display()
            )));
        }
        if let Some(have) = self.cloud.head_object(&u.bucket, &u.key)? {
            if have.sha256.as_deref() == Some(u.sha256.as_str()) {
                return Ok(done("already uploaded"));
            }
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
