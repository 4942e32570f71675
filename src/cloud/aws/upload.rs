//! Uploads to S3 as AWS verifies them: the planned bytes only, a single PUT or parallel
//! multipart parts read from one handle, S3's SHA-256 checksums, and the upload aborted (with
//! any sibling left by an interrupted run) on failure. The planned SHA-256 is verified from
//! the bytes sent, in the one pass that reads them (no read of the file beforehand): a file
//! edited since planning is never stored under the planned hash.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use sha2::{Digest, Sha256};

use super::answers::cloud_error;
use super::read::{ROWS_METADATA, SHA256_METADATA};
use super::write::io_error;
use super::AwsCloud;
use crate::cloud::{CloudError, Upload};

/// Files above this size go up in parts.
const MULTIPART_THRESHOLD: u64 = 64 << 20;
/// The smallest part; S3 allows 10,000 parts, so large files get larger parts.
const MIN_PART: u64 = 8 << 20;
/// Parts in flight at once (memory is at most this many parts).
const PARALLEL_PARTS: usize = 4;

/// Reads a file's parts in order from one handle, hashing every byte read, so the whole of
/// what was sent can be checked against the planned hash before the upload is completed.
struct PartReader {
    file: std::fs::File,
    left: u64,
    size: u64,
    whole: Sha256,
}

impl PartReader {
    fn open(path: &std::path::Path, bytes: u64, size: u64) -> std::io::Result<Self> {
        Ok(Self {
            file: crate::files::open_planned(path, bytes)?,
            left: bytes,
            size,
            whole: Sha256::new(),
        })
    }

    /// The next part (empty once `bytes` were read); a file now shorter is an error.
    fn next_part(&mut self) -> std::io::Result<Vec<u8>> {
        let len = self.size.min(self.left);
        let mut body = vec![0u8; len as usize];
        self.file.read_exact(&mut body)?;
        self.whole.update(&body);
        self.left -= len;
        Ok(body)
    }

    /// Lowercase hex SHA-256 of everything read.
    fn finish(self) -> String {
        crate::files::hex(&self.whole.finalize())
    }
}

/// Part size for a file: at least [`MIN_PART`], whole MiB, at most 9,000 parts.
pub(crate) fn part_size(bytes: u64) -> u64 {
    let mib = 1 << 20;
    let needed = bytes.div_ceil(9_000).div_ceil(mib) * mib;
    needed.max(MIN_PART)
}

/// Standard base64 (S3 checksums are base64 of the raw digest).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// The upload's file, exactly its planned bytes (never more, whatever the file became).
fn read_planned(upload: &Upload) -> std::io::Result<Vec<u8>> {
    let file = crate::files::open_planned(&upload.path, upload.bytes)?;
    let mut body = Vec::with_capacity(upload.bytes as usize);
    file.take(upload.bytes).read_to_end(&mut body)?;
    if body.len() as u64 != upload.bytes {
        return Err(std::io::Error::other(
            "the file ended before its planned size",
        ));
    }
    Ok(body)
}

/// The object metadata of an upload: its SHA-256 and, for a dataset, its rows.
fn metadata(upload: &Upload) -> std::collections::HashMap<String, String> {
    let mut out =
        std::collections::HashMap::from([(SHA256_METADATA.to_string(), upload.sha256.clone())]);
    if let Some(rows) = upload.rows {
        out.insert(ROWS_METADATA.to_string(), rows.to_string());
    }
    out
}

impl AwsCloud {
    /// A single PUT, or parts in parallel above [`MULTIPART_THRESHOLD`]; `progress` learns the
    /// bytes sent.
    pub(super) fn upload_file(
        &self,
        upload: &Upload,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), CloudError> {
        if upload.bytes > MULTIPART_THRESHOLD {
            return self.block_on(self.upload_multipart(upload, progress));
        }
        let (s3, _, _) = self.clients()?;
        let body = read_planned(upload).map_err(|e| io_error("PutObject", e))?;
        // S3 checks the body against the checksum too; a stand-in may not.
        let sent_sha256 = crate::files::sha256_hex(&body);
        if sent_sha256 != upload.sha256 {
            return Err(changed(upload, &sent_sha256));
        }
        self.block_on(
            s3.put_object()
                .bucket(&upload.bucket)
                .key(&upload.key)
                .set_metadata(Some(metadata(upload)))
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .checksum_sha256(base64(&hex_to_bytes(&upload.sha256)))
                .body(ByteStream::from(body))
                .send(),
        )
        .map_err(|e| cloud_error("PutObject", &upload.key, &e))?;
        progress(upload.bytes);
        Ok(())
    }

    async fn upload_multipart(
        &self,
        upload: &Upload,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), CloudError> {
        let (s3, _, _) = self.clients()?;
        let created = s3
            .create_multipart_upload()
            .bucket(&upload.bucket)
            .key(&upload.key)
            .set_metadata(Some(metadata(upload)))
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .send()
            .await
            .map_err(|e| cloud_error("CreateMultipartUpload", &upload.key, &e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let result = self.send_parts(upload, &upload_id, progress).await;
        let completed = match result {
            Ok(parts) => s3
                .complete_multipart_upload()
                .bucket(&upload.bucket)
                .key(&upload.key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| cloud_error("CompleteMultipartUpload", &upload.key, &e)),
            Err(e) => {
                // Never leave a half upload behind (it would be billed forever).
                let _ = s3
                    .abort_multipart_upload()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        };
        if completed.is_ok() {
            self.abort_siblings(upload, &upload_id).await;
        }
        completed
    }

    /// Best effort: aborts other uploads of the same key, which only this apply can have
    /// started (the state lock), e.g. when the answer to a CreateMultipartUpload was lost and
    /// the SDK's retry started a second one. What this misses, the next plan aborts.
    async fn abort_siblings(&self, upload: &Upload, kept: &str) {
        let Ok((s3, _, _)) = self.clients() else {
            return;
        };
        let Ok(out) = s3
            .list_multipart_uploads()
            .bucket(&upload.bucket)
            .prefix(&upload.key)
            .send()
            .await
        else {
            return;
        };
        for u in out.uploads() {
            if u.key() == Some(upload.key.as_str()) && u.upload_id() != Some(kept) {
                let _ = s3
                    .abort_multipart_upload()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .set_upload_id(u.upload_id().map(str::to_string))
                    .send()
                    .await;
            }
        }
    }

    async fn send_parts(
        &self,
        upload: &Upload,
        upload_id: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<CompletedPart>, CloudError> {
        let (s3, _, _) = self.clients()?;
        let size = part_size(upload.bytes);
        let count = upload.bytes.div_ceil(size).max(1);
        let sent = Arc::new(AtomicU64::new(0));
        let mut reader = PartReader::open(&upload.path, upload.bytes, size)
            .map_err(|e| io_error("UploadPart", e))?;
        let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL_PARTS));
        let mut tasks = tokio::task::JoinSet::new();
        let mut parts: Vec<CompletedPart> = Vec::with_capacity(count as usize);
        let mut next = 0u64;
        loop {
            while next < count && tasks.len() < PARALLEL_PARTS {
                let permit = limit
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| io_error("UploadPart", e))?;
                let body = reader.next_part().map_err(|e| io_error("UploadPart", e))?;
                let len = body.len() as u64;
                let number = (next + 1) as i32;
                let request = s3
                    .upload_part()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .upload_id(upload_id)
                    .part_number(number);
                let key = upload.key.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    let out = request
                        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
                        .body(ByteStream::from(body))
                        .send()
                        .await
                        .map_err(|e| cloud_error("UploadPart", &key, &e))?;
                    let checksum = out.checksum_crc32_c().map(str::to_string);
                    Ok::<_, CloudError>((number, len, out.e_tag().map(str::to_string), checksum))
                });
                next += 1;
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (number, len, etag, checksum) = joined.map_err(|e| io_error("UploadPart", e))??;
            progress(sent.fetch_add(len, Ordering::SeqCst) + len);
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(etag)
                    .set_checksum_crc32_c(checksum)
                    .build(),
            );
        }
        parts.sort_by_key(aws_sdk_s3::types::CompletedPart::part_number);
        // What went up must be what was planned: a file edited mid-upload is never completed
        // under a hash that is not its content's (the caller aborts the upload).
        let sent_sha256 = reader.finish();
        if sent_sha256 != upload.sha256 {
            return Err(changed(upload, &sent_sha256));
        }
        Ok(parts)
    }
}

/// The error for a file whose bytes, as read for the upload, are not the planned ones.
fn changed(upload: &Upload, sent_sha256: &str) -> CloudError {
    CloudError::Conflict {
        operation: "PutObject".into(),
        message: format!(
            "{} changed since planning: the bytes read for the upload hash to {}, not the planned {}; nothing was stored; run `sagetune plan` again",
            upload.path.display(),
            &sent_sha256[..12],
            &upload.sha256[..upload.sha256.len().min(12)]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_hash_what_was_read_so_an_edit_mid_upload_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.txt");
        let original = vec![b'a'; 10_000];
        std::fs::write(&path, &original).unwrap();
        let planned = crate::files::sha256_hex(&original);
        let mut reader = PartReader::open(&path, 10_000, 4_000).unwrap();
        assert_eq!(reader.next_part().unwrap().len(), 4_000);
        // Bytes in a later part change after the first part went up.
        let mut edited = original.clone();
        edited[9_000] = b'b';
        std::fs::write(&path, &edited).unwrap();
        assert_eq!(reader.next_part().unwrap().len(), 4_000);
        assert_eq!(reader.next_part().unwrap().len(), 2_000);
        assert_ne!(
            reader.finish(),
            planned,
            "what was sent is not what was planned"
        );
        let mut unchanged = PartReader::open(&path, 10_000, 4_000).unwrap();
        for _ in 0..3 {
            unchanged.next_part().unwrap();
        }
        assert_eq!(unchanged.finish(), crate::files::sha256_hex(&edited));
    }

    #[test]
    fn checksums_are_base64_of_the_raw_digest() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // SHA-256 of the empty string, as S3 expects it.
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            base64(&hex_to_bytes(empty)),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn parts_stay_within_s3_limits() {
        assert_eq!(part_size(100 << 20), MIN_PART);
        let huge: u64 = 5 << 40; // 5 TiB, S3's object limit
        let size = part_size(huge);
        assert!(huge.div_ceil(size) <= 10_000);
        assert_eq!(size % (1 << 20), 0);
    }
}
