//! The planner's data half: each dataset file uploaded or kept by its SHA-256, and the
//! multipart uploads an interrupted run left behind, aborted.

use super::planner::{change, Planner};
use super::{diff, Action, Change, ChangeId, DataChange, Request, ResourceKind};
use crate::desired::DatasetObject;

impl Planner<'_> {
    /// Multipart uploads an interrupted run left under the stack's datasets: their parts are
    /// stored and billed but form no object. Only one apply per stack runs at a time (the
    /// state lock), so none of them is still being written.
    pub(super) fn interrupted_uploads(&mut self) {
        if let Some(why) = &self.o.uploads_unlisted {
            self.warnings.push(format!(
                "the artifacts store cannot list multipart uploads ({why}): parts an interrupted apply left behind could not be looked for; if one was interrupted mid-upload, abort its upload with the store's own tools"
            ));
        }
        for u in &self.o.pending_uploads {
            let mut c = change(
                ChangeId::instance("upload", &u.upload_id),
                ResourceKind::Dataset,
                &format!("s3://{}/{}", u.bucket, u.key),
                Action::Delete,
                format!(
                    "an upload interrupted before it completed{}: its parts are stored and billed but form no object",
                    u.initiated
                        .as_deref()
                        .map(|t| format!(" (started {t})"))
                        .unwrap_or_default()
                ),
            );
            c.request = Some(Request::AbortMultipartUpload {
                bucket: u.bucket.clone(),
                key: u.key.clone(),
                upload_id: u.upload_id.clone(),
            });
            self.changes.push(c);
        }
    }

    /// Each dataset file: uploaded already (same SHA-256), or uploaded by apply.
    pub(super) fn datasets(&mut self) {
        for ds in &self.d.datasets {
            let c = self.dataset(ds);
            self.changes.push(c);
        }
    }

    /// One dataset file's change.
    fn dataset(&self, ds: &DatasetObject) -> Change {
        let uri = format!("s3://{}/{}", ds.bucket, ds.key);
        let (action, reason) = match self.o.objects.get(&uri) {
            Some(obj) if obj.sha256.as_deref() == Some(ds.sha256.as_str()) => {
                (Action::Noop, upload_reason("uploaded", ds))
            }
            Some(obj) => (
                Action::Update,
                format!(
                    "the object's sagetune-sha256 is {}; uploaded again",
                    diff::short(obj.sha256.as_deref())
                ),
            ),
            None => (Action::Create, upload_reason("upload", ds)),
        };
        let mut c = change(
            ChangeId::at(&ds.address),
            ResourceKind::Dataset,
            &uri,
            action,
            reason,
        );
        if action != Action::Noop {
            c.request = Some(Request::PutObject(crate::cloud::Upload {
                bucket: ds.bucket.clone(),
                key: ds.key.clone(),
                path: ds.local_path.clone().into(),
                sha256: ds.sha256.clone(),
                bytes: ds.bytes,
                rows: Some(ds.rows),
                derive_from: ds.derive_from.clone(),
            }));
        }
        if action == Action::Create {
            c.data = self
                .o
                .previous_uploads
                .get(&ds.address)
                .map(|p| DataChange {
                    previous: format!("s3://{}/{}", p.bucket, p.key),
                    bytes_before: p.size,
                    bytes_after: ds.bytes,
                    rows_before: p.rows,
                    rows_after: ds.rows,
                });
        }
        c
    }
}

/// `upload <file> (<bytes> bytes, sha256 …)`, or `uploaded (sha256 …)` for one in place. A
/// derived upload is named by the user's file and column (what people edit), never by the
/// derived file in the cache.
fn upload_reason(verb: &str, ds: &DatasetObject) -> String {
    let short = &ds.sha256[..12];
    match (verb, &ds.derived_from) {
        ("uploaded", Some(from)) => {
            format!("uploaded ({from}, its text column alone; sha256 {short})")
        }
        ("uploaded", None) => format!("uploaded (sha256 {short})"),
        (_, Some(from)) => format!(
            "{verb} {from} (its text column alone; {} bytes, sha256 {short})",
            ds.bytes
        ),
        (_, None) => format!(
            "{verb} {} ({} bytes, sha256 {short})",
            ds.local_path, ds.bytes
        ),
    }
}
