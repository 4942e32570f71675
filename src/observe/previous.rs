//! The upload a new dataset object follows: the same channel's object that a job of the stack
//! read last, else the one written last, among the stack's uploads as one listing showed
//! them. Read-only, and only for objects not uploaded yet, so a plan without data changes
//! sends no extra request.

use std::collections::BTreeMap;

use super::{run_all, Got, Observed, Read};
use crate::cloud::{CloudError, CloudRead, StoredObject, TrainingJob};
use crate::desired::{DatasetObject, Desired};

/// Fills [`Observed::previous_uploads`] from `stored` (every object under the stack's
/// datasets prefix): one HEAD of each upload picked (for its row count).
pub(super) fn previous_uploads(
    cloud: &dyn CloudRead,
    desired: &Desired,
    stored: &[StoredObject],
    seen: &mut Observed,
) -> Result<(), CloudError> {
    let picked: Vec<(&DatasetObject, StoredObject)> = desired
        .datasets
        .iter()
        .filter(|d| !seen.objects.contains_key(&uri(&d.bucket, &d.key)))
        .filter_map(|d| pick(d, stored, &seen.jobs).map(|p| (d, p)))
        .collect();
    let heads = picked
        .iter()
        .map(|(_, p)| Read::Head(p.bucket.clone(), p.key.clone()))
        .collect();
    for ((d, listed), got) in picked.iter().zip(run_all(cloud, heads)?) {
        // Deleted between the listing and the HEAD: keep what the listing said.
        let object = match got {
            Got::Object(o) => StoredObject {
                modified: o.modified.or_else(|| listed.modified.clone()),
                ..o
            },
            _ => listed.clone(),
        };
        seen.previous_uploads.insert(d.address.clone(), object);
    }
    Ok(())
}

/// `s3://bucket/key`: how [`Observed::objects`] is keyed.
pub(super) fn uri(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// `<artifacts>datasets/<stack>/<d>/<channel>/`: the folder of every upload of the channel,
/// one `<sha256>/<file>` each.
fn channel_folder(d: &DatasetObject) -> &str {
    let own = format!("{}/", d.sha256);
    d.key.rfind(&own).map_or(d.key.as_str(), |at| &d.key[..at])
}

/// The upload `d` follows among the channel's `listed` objects: the one a described job of
/// the stack read (the latest created, when several did), else the one written last. Only
/// `<folder><sha256>/<file>` objects other than `d` itself count.
fn pick(
    d: &DatasetObject,
    listed: &[StoredObject],
    jobs: &BTreeMap<String, TrainingJob>,
) -> Option<StoredObject> {
    let folder = channel_folder(d);
    let uploads: Vec<&StoredObject> = listed
        .iter()
        .filter(|o| o.key != d.key)
        .filter(|o| {
            o.key
                .strip_prefix(folder)
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(sha, file)| {
                    is_sha256(sha) && !file.is_empty() && !file.contains('/')
                })
        })
        .collect();
    let read_by_job = |o: &StoredObject| {
        let (prefix, _) = o.key.rsplit_once('/').unwrap_or((&o.key, ""));
        let channel_uri = format!("s3://{}/{prefix}/", o.bucket);
        jobs.values()
            .filter(|j| j.channels.values().any(|u| *u == channel_uri))
            .filter_map(|j| j.created_at.clone())
            .max()
    };
    let by_job = uploads
        .iter()
        .filter_map(|o| read_by_job(o).map(|t| (t, *o)))
        .max_by(|a, b| a.0.cmp(&b.0));
    by_job
        .map(|(_, o)| o)
        .or_else(|| {
            uploads
                .iter()
                .copied()
                .max_by(|a, b| a.modified.cmp(&b.modified))
        })
        .cloned()
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLDER: &str = "p/datasets/s/sec/train/";

    fn sha(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn object(c: char, modified: &str) -> StoredObject {
        StoredObject {
            bucket: "b".into(),
            key: format!("{FOLDER}{}/train.txt", sha(c)),
            size: 10,
            sha256: None,
            rows: None,
            modified: Some(modified.into()),
        }
    }

    fn new_object() -> DatasetObject {
        let o = object('c', "");
        DatasetObject {
            address: "dataset.sec.train".into(),
            dataset: "sec".into(),
            channel: "train".into(),
            local_path: "data/train.txt".into(),
            sha256: sha('c'),
            bytes: 12,
            rows: 3,
            bucket: "b".into(),
            key: o.key,
            prefix_uri: format!("s3://b/{FOLDER}{}/", sha('c')),
            derived_from: None,
            derive_from: None,
        }
    }

    fn job_reading(c: char, created_at: &str) -> TrainingJob {
        serde_json::from_value(serde_json::json!({
            "name": format!("s-ft-{c}"), "status": "Completed", "secondary_status": null,
            "failure_reason": null, "tags": {}, "hyper_parameters": {}, "training_image": "i",
            "instance_type": "ml.g5.2xlarge", "instance_count": 1, "volume_size_gb": 30,
            "max_runtime_seconds": 60,
            "channels": {"training": format!("s3://b/{FOLDER}{}/", sha(c))},
            "environment": {}, "output_path": "s3://b/o/", "model_artifacts": null,
            "final_metrics": {}, "billable_seconds": null, "started_at": null,
            "created_at": created_at,
        }))
        .expect("a training job")
    }

    #[test]
    fn the_upload_a_job_read_wins_over_a_later_one() {
        let listed = [
            object('a', "2026-01-01T00:00:01Z"),
            object('b', "2026-01-01T00:00:02Z"),
        ];
        let jobs = BTreeMap::from([("j".to_string(), job_reading('a', "2026-01-01T00:00:03Z"))]);
        assert_eq!(pick(&new_object(), &listed, &jobs), Some(listed[0].clone()));
    }

    #[test]
    fn without_a_job_the_latest_upload_is_compared() {
        let listed = [
            object('b', "2026-01-01T00:00:02Z"),
            object('a', "2026-01-01T00:00:01Z"),
        ];
        assert_eq!(
            pick(&new_object(), &listed, &BTreeMap::new()),
            Some(listed[0].clone())
        );
    }

    #[test]
    fn only_other_uploads_of_the_channel_count() {
        let mut stray = object('a', "2026-01-01T00:00:09Z");
        stray.key = format!("{FOLDER}notes.txt");
        let mut nested = object('a', "2026-01-01T00:00:09Z");
        nested.key = format!("{FOLDER}{}/x/train.txt", sha('a'));
        let itself = object('c', "2026-01-01T00:00:09Z");
        assert_eq!(
            pick(&new_object(), &[stray, nested, itself], &BTreeMap::new()),
            None
        );
        assert_eq!(channel_folder(&new_object()), FOLDER);
    }
}
