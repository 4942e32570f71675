//! The stack's dataset objects, from one listing of its datasets prefix rather than one HEAD
//! each: what a no-op plan reads does not grow with the number of datasets. Read-only.

use super::previous::uri;
use super::{run_all, Got, Observed, Read};
use crate::cloud::{CloudError, CloudRead, StoredObject};
use crate::desired::Desired;

/// Fills [`Observed::objects`] with the desired dataset objects `stored` shows. An object at
/// the desired key with the desired size is taken to hold the content its key names: keys
/// are `…/<sha256>/<file>`, S3 writes are whole, and sagetune writes a key only with that
/// content. Any other listed one (a size that differs) is read by HEAD, for the
/// `sagetune-sha256` the plan reports.
pub(super) fn dataset_objects(
    cloud: &dyn CloudRead,
    desired: &Desired,
    stored: &[StoredObject],
    seen: &mut Observed,
) -> Result<(), CloudError> {
    let by_key: std::collections::BTreeMap<(&str, &str), &StoredObject> = stored
        .iter()
        .map(|o| ((o.bucket.as_str(), o.key.as_str()), o))
        .collect();
    let mut heads = Vec::new();
    for d in &desired.datasets {
        let Some(listed) = by_key.get(&(d.bucket.as_str(), d.key.as_str())) else {
            continue;
        };
        match named_hash(&d.key).filter(|_| listed.size == d.bytes) {
            Some(sha256) => {
                let object = StoredObject {
                    sha256: Some(sha256.to_string()),
                    ..(*listed).clone()
                };
                seen.objects.insert(uri(&d.bucket, &d.key), object);
            }
            None => heads.push(Read::Head(d.bucket.clone(), d.key.clone())),
        }
    }
    for got in run_all(cloud, heads)? {
        if let Got::Object(o) = got {
            seen.objects.insert(uri(&o.bucket, &o.key), o);
        }
    }
    Ok(())
}

/// The SHA-256 a dataset key names: the folder its file is in (`…/<sha256>/<file>`).
fn named_hash(key: &str) -> Option<&str> {
    let mut parts = key.rsplit('/');
    let (_file, sha) = (parts.next()?, parts.next()?);
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
}

#[cfg(test)]
mod tests {
    use super::named_hash;

    #[test]
    fn a_dataset_key_names_its_hash_by_its_folder() {
        let sha = "ab".repeat(32);
        assert_eq!(
            named_hash(&format!("p/datasets/s/d/train/{sha}/train.txt")),
            Some(sha.as_str())
        );
        assert_eq!(named_hash("p/datasets/s/d/train/abc/train.txt"), None);
        assert_eq!(named_hash(&sha), None);
        assert_eq!(named_hash(&format!("p/{}/t.txt", "g".repeat(64))), None);
    }
}
