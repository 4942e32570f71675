//! The reads of [`CloudRead`] against AWS: S3 heads and listings, SageMaker describes and
//! listings with tags, IAM roles with their inline policies. SDK answers become sagetune
//! types here (errors and small conversions in `answers`); "not found" becomes `None`.

use std::collections::BTreeMap;

use super::answers::{absent, cloud_error, rfc3339, some, sorted, url_decode};
use super::training_job::training_job_of;
use super::AwsCloud;
use crate::cloud::{
    Alarm, Blob, CloudError, CloudRead, Endpoint, EndpointConfig, JobSummary, Kind, LogCursor,
    LogPage, Model, PendingUpload, Role, StoredObject, TrainingJob, TrainingStatus, Variant,
};

/// The metadata key that carries a dataset object's SHA-256 (S3 lower-cases keys).
pub(crate) const SHA256_METADATA: &str = "sagetune-sha256";
/// The metadata key that carries a dataset object's row count.
pub(crate) const ROWS_METADATA: &str = "sagetune-rows";

impl CloudRead for AwsCloud {
    fn head_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, CloudError> {
        let (s3, _, _) = self.clients()?;
        let r = self.block_on(s3.head_object().bucket(bucket).key(key).send());
        Ok(absent("HeadObject", key, r)?.map(|o| StoredObject {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: o.content_length().unwrap_or(0).max(0) as u64,
            sha256: o
                .metadata()
                .and_then(|m| m.get(SHA256_METADATA))
                .and_then(|v| some(Some(v))),
            rows: o
                .metadata()
                .and_then(|m| m.get(ROWS_METADATA))
                .and_then(|v| v.parse().ok()),
            modified: o.last_modified().and_then(rfc3339),
        }))
    }

    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<StoredObject>>, CloudError> {
        let (s3, _, _) = self.clients()?;
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = self.block_on(
                s3.list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_continuation_token(token.clone())
                    .send(),
            );
            // NoSuchBucket is the one "not found" a listing can answer.
            let Some(out) = absent("ListObjectsV2", prefix, r)? else {
                return Ok(None);
            };
            all.extend(out.contents().iter().filter_map(|o| {
                Some(StoredObject {
                    bucket: bucket.to_string(),
                    key: o.key()?.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    sha256: None,
                    rows: None,
                    modified: o.last_modified().and_then(rfc3339),
                })
            }));
            token = some(out.next_continuation_token());
            if token.is_none() {
                return Ok(Some(all));
            }
        }
    }

    fn list_pending_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<PendingUpload>, CloudError> {
        let (s3, _, _) = self.clients()?;
        let mut all = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let out = self
                .block_on(
                    s3.list_multipart_uploads()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_key_marker(key_marker.clone())
                        .set_upload_id_marker(id_marker.clone())
                        .send(),
                )
                .map_err(|e| cloud_error("ListMultipartUploads", prefix, &e))?;
            all.extend(out.uploads().iter().filter_map(|u| {
                Some(PendingUpload {
                    bucket: bucket.to_string(),
                    key: u.key()?.to_string(),
                    upload_id: u.upload_id()?.to_string(),
                    initiated: u.initiated().map(ToString::to_string),
                })
            }));
            if !out.is_truncated().unwrap_or(false) {
                return Ok(all);
            }
            key_marker = some(out.next_key_marker());
            id_marker = some(out.next_upload_id_marker());
            if key_marker.is_none() && id_marker.is_none() {
                return Ok(all);
            }
        }
    }

    fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Blob>, CloudError> {
        let (s3, _, _) = self.clients()?;
        let r = self.block_on(s3.get_object().bucket(bucket).key(key).send());
        let Some(out) = absent("GetObject", key, r)? else {
            return Ok(None);
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = self
            .block_on(out.body.collect())
            .map_err(|e| CloudError::Transport {
                operation: "GetObject".into(),
                message: e.to_string(),
            })?;
        Ok(Some(Blob {
            body: body.into_bytes().to_vec(),
            etag,
        }))
    }

    fn list_training_jobs(&self, fragment: &str) -> Result<Vec<JobSummary>, CloudError> {
        let (_, sm, _) = self.clients()?;
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .block_on(
                    sm.list_training_jobs()
                        .name_contains(fragment)
                        .max_results(100)
                        .set_next_token(token.clone())
                        .send(),
                )
                .map_err(|e| cloud_error("ListTrainingJobs", fragment, &e))?;
            all.extend(out.training_job_summaries().iter().filter_map(|j| {
                Some(JobSummary {
                    name: some(j.training_job_name())?,
                    status: TrainingStatus::parse(j.training_job_status()?.as_str())?,
                })
            }));
            token = some(out.next_token());
            if token.is_none() {
                return Ok(all);
            }
        }
    }

    fn list_names(&self, kind: Kind, fragment: &str) -> Result<Vec<String>, CloudError> {
        if kind == Kind::TrainingJob {
            let jobs = self.list_training_jobs(fragment)?;
            return Ok(jobs.into_iter().map(|j| j.name).collect());
        }
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let (names, next) = self.names_page(kind, fragment, token)?;
            all.extend(names);
            token = next;
            if token.is_none() {
                return Ok(all);
            }
        }
    }

    fn describe_training_job(&self, name: &str) -> Result<Option<TrainingJob>, CloudError> {
        let (_, sm, _) = self.clients()?;
        let r = self.block_on(sm.describe_training_job().training_job_name(name).send());
        let Some(j) = absent("DescribeTrainingJob", name, r)? else {
            return Ok(None);
        };
        let Some(status) = j
            .training_job_status()
            .and_then(|s| TrainingStatus::parse(s.as_str()))
        else {
            return Err(CloudError::Service {
                operation: "DescribeTrainingJob".into(),
                code: "UnknownStatus".into(),
                message: format!("training job {name} has no status sagetune knows"),
            });
        };
        let tags = self.tags(j.training_job_arn())?;
        Ok(Some(training_job_of(name, &j, status, tags)))
    }

    fn describe_model(&self, name: &str) -> Result<Option<Model>, CloudError> {
        let (_, sm, _) = self.clients()?;
        let r = self.block_on(sm.describe_model().model_name(name).send());
        let Some(m) = absent("DescribeModel", name, r)? else {
            return Ok(None);
        };
        let c = m.primary_container();
        Ok(Some(Model {
            name: name.to_string(),
            tags: self.tags(m.model_arn())?,
            image: c.and_then(|c| c.image()).unwrap_or_default().to_string(),
            model_data: c.and_then(|c| {
                some(c.model_data_url()).or_else(|| {
                    c.model_data_source()
                        .and_then(|d| d.s3_data_source())
                        .and_then(|s| some(s.s3_uri()))
                })
            }),
            environment: sorted(c.and_then(|c| c.environment())),
        }))
    }

    fn describe_endpoint_config(&self, name: &str) -> Result<Option<EndpointConfig>, CloudError> {
        let (_, sm, _) = self.clients()?;
        let r = self.block_on(
            sm.describe_endpoint_config()
                .endpoint_config_name(name)
                .send(),
        );
        let Some(c) = absent("DescribeEndpointConfig", name, r)? else {
            return Ok(None);
        };
        Ok(Some(EndpointConfig {
            name: name.to_string(),
            tags: self.tags(c.endpoint_config_arn())?,
            variants: c
                .production_variants()
                .iter()
                .map(|v| Variant {
                    model_name: v.model_name().unwrap_or_default().to_string(),
                    instance_type: v
                        .instance_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    instance_count: v.initial_instance_count().unwrap_or(0).max(0) as u32,
                })
                .collect(),
        }))
    }

    fn describe_endpoint(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        self.read_endpoint(name, true)
    }

    fn endpoint_status(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        self.read_endpoint(name, false)
    }

    fn search_endpoints(&self, key: &str, value: &str) -> Result<Vec<Endpoint>, CloudError> {
        self.search_tagged_endpoints(key, value)
    }

    fn list_alarms(&self, prefix: &str) -> Result<Vec<Alarm>, CloudError> {
        self.describe_alarms(prefix)
    }

    fn log_streams(&self, group: &str, prefix: &str) -> Result<Vec<String>, CloudError> {
        self.read_log_streams(group, prefix)
    }

    fn log_events(
        &self,
        group: &str,
        stream: &str,
        from: &LogCursor,
    ) -> Result<LogPage, CloudError> {
        self.read_log_events(group, stream, from)
    }

    fn get_role(&self, name: &str) -> Result<Option<Role>, CloudError> {
        let (_, _, iam) = self.clients()?;
        let r = self.block_on(iam.get_role().role_name(name).send());
        let Some(out) = absent("GetRole", name, r)? else {
            return Ok(None);
        };
        let Some(role) = out.role() else {
            return Ok(None);
        };
        let names = self
            .block_on(iam.list_role_policies().role_name(name).send())
            .map_err(|e| cloud_error("ListRolePolicies", name, &e))?;
        let mut inline_policies = BTreeMap::new();
        for policy in names.policy_names() {
            let doc = self
                .block_on(
                    iam.get_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .map_err(|e| cloud_error("GetRolePolicy", policy, &e))?;
            inline_policies.insert(policy.clone(), url_decode(doc.policy_document()));
        }
        Ok(Some(Role {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            trust_policy: url_decode(role.assume_role_policy_document().unwrap_or_default()),
            inline_policies,
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
        }))
    }
}
