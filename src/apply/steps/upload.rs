//! A dataset file's upload: checked against the plan right before it is read (still a
//! regular file of the planned size and SHA-256), skipped when the object is there already.

use super::{done, Run};
use crate::apply::{Did, Event, Outcome};
use crate::cloud::{CloudError, Upload};
use crate::plan::Change;

impl Run<'_> {
    pub(super) fn upload(&self, c: &Change, u: &Upload) -> Result<Outcome, CloudError> {
        // Checked right before it is read: still a regular file of the planned size, and
        // never read past that size.
        let planned = crate::files::open_planned(&u.path, u.bytes)
            .and_then(|f| crate::files::sha256_planned(f, u.bytes));
        match planned {
            Ok(sha) if sha == u.sha256 => {}
            Ok(sha) => {
                return Ok(Outcome::Failed(format!(
                    "{} changed since planning (sha256 {} → {}); run `sagetune plan` again",
                    u.path.display(),
                    &u.sha256[..12],
                    &sha[..12]
                )))
            }
            Err(e) => {
                return Ok(Outcome::Failed(format!(
                    "cannot upload {}: {e}; run `sagetune plan` again",
                    u.path.display()
                )))
            }
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
