//! The writes of [`Cloud`] against AWS: uploads (single PUT or parallel multipart, always
//! with S3-verified SHA-256 checksums, aborted on failure), conditional puts for the state
//! lock, IAM roles, and the SageMaker creates, updates and deletes, built from sagetune's
//! request types.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use aws_sdk_sagemaker::types as sm;
use sha2::{Digest, Sha256};

use super::read::{cloud_error, ROWS_METADATA, SHA256_METADATA};
use super::AwsCloud;
use crate::cloud::{AlarmRequest, Cloud, CloudError, Deployment, Invocation, RoleRequest, Upload};
use crate::jumpstart::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};

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

fn build_error(operation: &str, e: impl std::fmt::Display) -> CloudError {
    CloudError::Service {
        operation: operation.into(),
        code: "InvalidRequest".into(),
        message: e.to_string(),
    }
}

fn io_error(operation: &str, e: impl std::fmt::Display) -> CloudError {
    CloudError::Transport {
        operation: operation.into(),
        message: e.to_string(),
    }
}

fn map(pairs: &indexmap::IndexMap<String, String>) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
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

fn sm_tags(tags: &[Tag]) -> Vec<sm::Tag> {
    tags.iter()
        .map(|t| sm::Tag::builder().key(&t.key).value(&t.value).build())
        .collect()
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
    /// AddTags on the endpoint's ARN; the tag cache learns the new values.
    fn add_endpoint_tags(&self, name: &str, add: &[Tag]) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let described = self
            .block_on(sagemaker.describe_endpoint().endpoint_name(name).send())
            .map_err(|e| cloud_error("DescribeEndpoint", name, &e))?;
        let arn = described.endpoint_arn().unwrap_or_default().to_string();
        self.block_on(
            sagemaker
                .add_tags()
                .resource_arn(&arn)
                .set_tags(Some(sm_tags(add)))
                .send(),
        )
        .map_err(|e| cloud_error("AddTags", name, &e))?;
        let mut cache = self
            .tags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(known) = cache.get_mut(&arn) {
            known.extend(add.iter().map(|t| (t.key.clone(), t.value.clone())));
        }
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
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
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
                let checksum = base64(&Sha256::digest(&body));
                let number = (next + 1) as i32;
                let request = s3
                    .upload_part()
                    .bucket(&upload.bucket)
                    .key(&upload.key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .checksum_sha256(&checksum)
                    .body(ByteStream::from(body));
                let key = upload.key.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    let out = request
                        .send()
                        .await
                        .map_err(|e| cloud_error("UploadPart", &key, &e))?;
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
                    .checksum_sha256(checksum)
                    .build(),
            );
        }
        parts.sort_by_key(aws_sdk_s3::types::CompletedPart::part_number);
        // What went up must be what was planned: a file edited mid-upload is never completed
        // under a hash that is not its content's (the caller aborts the upload).
        let sent_sha256 = reader.finish();
        if sent_sha256 != upload.sha256 {
            return Err(CloudError::Conflict {
                operation: "UploadPart".into(),
                message: format!(
                    "{} changed during the upload: the bytes sent hash to {}, not the planned {}; nothing was stored; run `sagetune plan` again",
                    upload.path.display(),
                    &sent_sha256[..12],
                    &upload.sha256[..upload.sha256.len().min(12)]
                ),
            });
        }
        Ok(parts)
    }
}

impl Cloud for AwsCloud {
    fn upload(&self, upload: &Upload, progress: &(dyn Fn(u64) + Sync)) -> Result<(), CloudError> {
        if upload.bytes > MULTIPART_THRESHOLD {
            return self.block_on(self.upload_multipart(upload, progress));
        }
        let (s3, _, _) = self.clients()?;
        let body = read_planned(upload).map_err(|e| io_error("PutObject", e))?;
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

    fn put_if(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        if_match: Option<&str>,
    ) -> Result<String, CloudError> {
        let (s3, _, _) = self.clients()?;
        let mut req = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()));
        req = match if_match {
            Some(etag) => req.if_match(etag),
            None => req.if_none_match("*"),
        };
        let out = self
            .block_on(req.send())
            .map_err(|e| cloud_error("PutObject", key, &e))?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }

    fn delete_object(&self, bucket: &str, key: &str) -> Result<(), CloudError> {
        let (s3, _, _) = self.clients()?;
        self.block_on(s3.delete_object().bucket(bucket).key(key).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteObject", key, &e))
    }

    fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), CloudError> {
        let (s3, _, _) = self.clients()?;
        self.block_on(
            s3.abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("AbortMultipartUpload", key, &e))
    }

    fn download(&self, bucket: &str, key: &str, to: &std::path::Path) -> Result<u64, CloudError> {
        use std::io::Write;
        let (s3, _, _) = self.clients()?;
        self.block_on(async {
            let mut out = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| cloud_error("GetObject", key, &e))?;
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(to).map_err(|e| io_error("GetObject", e))?,
            );
            let mut size = 0u64;
            while let Some(chunk) = out
                .body
                .try_next()
                .await
                .map_err(|e| io_error("GetObject", e))?
            {
                file.write_all(&chunk)
                    .map_err(|e| io_error("GetObject", e))?;
                size += chunk.len() as u64;
            }
            file.flush().map_err(|e| io_error("GetObject", e))?;
            Ok(size)
        })
    }

    fn create_role(&self, role: &RoleRequest) -> Result<String, CloudError> {
        let (_, _, iam) = self.clients()?;
        let tags = role
            .tags
            .iter()
            .map(|t| {
                aws_sdk_iam::types::Tag::builder()
                    .key(&t.key)
                    .value(&t.value)
                    .build()
                    .map_err(|e| build_error("CreateRole", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .block_on(
                iam.create_role()
                    .role_name(&role.role_name)
                    .assume_role_policy_document(&role.trust_policy)
                    .description("SageMaker execution role managed by sagetune")
                    .set_permissions_boundary(role.permissions_boundary.clone())
                    .set_tags(Some(tags))
                    .send(),
            )
            .map_err(|e| cloud_error("CreateRole", &role.role_name, &e))?;
        let arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
        self.block_on(
            iam.put_role_policy()
                .role_name(&role.role_name)
                .policy_name(&role.policy_name)
                .policy_document(&role.policy_document)
                .send(),
        )
        .map_err(|e| cloud_error("PutRolePolicy", &role.role_name, &e))?;
        Ok(arn)
    }

    fn put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        let (_, _, iam) = self.clients()?;
        // The boundary first: the policy and trust below are then written under it.
        if let Some(boundary) = &role.permissions_boundary {
            self.block_on(
                iam.put_role_permissions_boundary()
                    .role_name(&role.role_name)
                    .permissions_boundary(boundary)
                    .send(),
            )
            .map_err(|e| cloud_error("PutRolePermissionsBoundary", &role.role_name, &e))?;
        }
        self.block_on(
            iam.update_assume_role_policy()
                .role_name(&role.role_name)
                .policy_document(&role.trust_policy)
                .send(),
        )
        .map_err(|e| cloud_error("UpdateAssumeRolePolicy", &role.role_name, &e))?;
        self.block_on(
            iam.put_role_policy()
                .role_name(&role.role_name)
                .policy_name(&role.policy_name)
                .policy_document(&role.policy_document)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("PutRolePolicy", &role.role_name, &e))
    }

    fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        let (_, _, iam) = self.clients()?;
        let policies = self
            .block_on(iam.list_role_policies().role_name(name).send())
            .map_err(|e| cloud_error("ListRolePolicies", name, &e))?;
        for p in policies.policy_names() {
            self.block_on(
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send(),
            )
            .map_err(|e| cloud_error("DeleteRolePolicy", p, &e))?;
        }
        self.block_on(iam.delete_role().role_name(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteRole", name, &e))
    }

    fn create_training_job(&self, r: &CreateTrainingJob) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let op = "CreateTrainingJob";
        let name = &r.training_job_name;
        let metrics = r
            .algorithm_specification
            .metric_definitions
            .iter()
            .map(|m| {
                sm::MetricDefinition::builder()
                    .name(&m.name)
                    .regex(&m.regex)
                    .build()
            })
            .collect::<Vec<_>>();
        let algorithm = sm::AlgorithmSpecification::builder()
            .training_image(&r.algorithm_specification.training_image)
            .training_input_mode(sm::TrainingInputMode::from(
                r.algorithm_specification.training_input_mode.as_str(),
            ))
            .set_metric_definitions(Some(metrics))
            .build();
        let channels = r
            .input_data_config
            .iter()
            .map(|c| {
                let s = &c.data_source.s3_data_source;
                let source = sm::S3DataSource::builder()
                    .s3_data_type(sm::S3DataType::from(s.s3_data_type.as_str()))
                    .s3_uri(&s.s3_uri)
                    .s3_data_distribution_type(sm::S3DataDistribution::from(
                        s.s3_data_distribution_type.as_str(),
                    ))
                    .set_model_access_config(s.model_access_config.map(|m| {
                        sm::ModelAccessConfig::builder()
                            .accept_eula(m.accept_eula)
                            .build()
                    }))
                    .build();
                sm::Channel::builder()
                    .channel_name(&c.channel_name)
                    .set_content_type(c.content_type.clone())
                    .set_input_mode(c.input_mode.as_deref().map(sm::TrainingInputMode::from))
                    .data_source(sm::DataSource::builder().s3_data_source(source).build())
                    .build()
            })
            .collect::<Vec<_>>();
        let output = sm::OutputDataConfig::builder()
            .s3_output_path(&r.output_data_config.s3_output_path)
            .set_compression_type(
                r.output_data_config
                    .compression_type
                    .as_deref()
                    .map(sm::OutputCompressionType::from),
            )
            .build();
        let resources = sm::ResourceConfig::builder()
            .volume_size_in_gb(r.resource_config.volume_size_in_gb as i32)
            .instance_count(r.resource_config.instance_count as i32)
            .instance_type(sm::TrainingInstanceType::from(
                r.resource_config.instance_type.as_str(),
            ))
            .build();
        let stopping = sm::StoppingCondition::builder()
            .max_runtime_in_seconds(r.stopping_condition.max_runtime_in_seconds as i32)
            .build();
        let request = sagemaker
            .create_training_job()
            .training_job_name(name)
            .role_arn(&r.role_arn)
            .algorithm_specification(algorithm)
            .set_hyper_parameters(Some(map(&r.hyper_parameters)))
            .set_input_data_config(Some(channels))
            .output_data_config(output)
            .resource_config(resources)
            .stopping_condition(stopping)
            .set_environment((!r.environment.is_empty()).then(|| map(&r.environment)))
            .enable_network_isolation(r.enable_network_isolation)
            .enable_inter_container_traffic_encryption(r.enable_inter_container_traffic_encryption)
            .set_tags(Some(sm_tags(&r.tags)));
        self.block_on(request.send())
            .map(|_| ())
            .map_err(|e| cloud_error(op, name, &e))
    }

    fn stop_training_job(&self, name: &str) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        self.block_on(sagemaker.stop_training_job().training_job_name(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("StopTrainingJob", name, &e))
    }

    fn create_model(&self, r: &CreateModel) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let op = "CreateModel";
        let c = &r.primary_container;
        let source = c.model_data_source.as_ref().map(|d| {
            sm::ModelDataSource::builder()
                .s3_data_source(
                    sm::S3ModelDataSource::builder()
                        .s3_uri(&d.s3_data_source.s3_uri)
                        .s3_data_type(sm::S3ModelDataType::from(
                            d.s3_data_source.s3_data_type.as_str(),
                        ))
                        .compression_type(sm::ModelCompressionType::from(
                            d.s3_data_source.compression_type.as_str(),
                        ))
                        .build(),
                )
                .build()
        });
        let container = sm::ContainerDefinition::builder()
            .image(&c.image)
            .set_model_data_url(c.model_data_url.clone())
            .set_model_data_source(source)
            .set_environment(Some(map(&c.environment)))
            .build();
        self.block_on(
            sagemaker
                .create_model()
                .model_name(&r.model_name)
                .execution_role_arn(&r.execution_role_arn)
                .primary_container(container)
                .enable_network_isolation(r.enable_network_isolation)
                .set_tags(Some(sm_tags(&r.tags)))
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error(op, &r.model_name, &e))
    }

    fn delete_model(&self, name: &str) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        self.block_on(sagemaker.delete_model().model_name(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteModel", name, &e))
    }

    fn create_endpoint_config(&self, r: &CreateEndpointConfig) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let op = "CreateEndpointConfig";
        let variants = r
            .production_variants
            .iter()
            .map(|v| {
                sm::ProductionVariant::builder()
                    .variant_name(&v.variant_name)
                    .model_name(&v.model_name)
                    .initial_variant_weight(v.initial_variant_weight as f32)
                    .initial_instance_count(v.initial_instance_count as i32)
                    .instance_type(sm::ProductionVariantInstanceType::from(
                        v.instance_type.as_str(),
                    ))
                    .set_volume_size_in_gb(v.volume_size_in_gb.map(|g| g as i32))
                    .set_model_data_download_timeout_in_seconds(
                        v.model_data_download_timeout_in_seconds.map(|s| s as i32),
                    )
                    .set_container_startup_health_check_timeout_in_seconds(
                        v.container_startup_health_check_timeout_in_seconds
                            .map(|s| s as i32),
                    )
                    .build()
            })
            .collect::<Vec<_>>();
        self.block_on(
            sagemaker
                .create_endpoint_config()
                .endpoint_config_name(&r.endpoint_config_name)
                .set_production_variants(Some(variants))
                .set_tags(Some(sm_tags(&r.tags)))
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error(op, &r.endpoint_config_name, &e))
    }

    fn delete_endpoint_config(&self, name: &str) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        self.block_on(
            sagemaker
                .delete_endpoint_config()
                .endpoint_config_name(name)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("DeleteEndpointConfig", name, &e))
    }

    fn create_endpoint(&self, r: &CreateEndpoint) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        self.block_on(
            sagemaker
                .create_endpoint()
                .endpoint_name(&r.endpoint_name)
                .endpoint_config_name(&r.endpoint_config_name)
                .set_tags(Some(sm_tags(&r.tags)))
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("CreateEndpoint", &r.endpoint_name, &e))
    }

    fn update_endpoint(
        &self,
        name: &str,
        config_name: &str,
        deployment: Option<&Deployment>,
    ) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let config = deployment.map(super::alarms::deployment_config);
        self.block_on(
            sagemaker
                .update_endpoint()
                .endpoint_name(name)
                .endpoint_config_name(config_name)
                .set_deployment_config(config)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("UpdateEndpoint", name, &e))
    }

    fn put_alarm(&self, alarm: &AlarmRequest) -> Result<(), CloudError> {
        self.put_metric_alarm(alarm)
    }

    fn delete_alarm(&self, name: &str) -> Result<(), CloudError> {
        self.delete_metric_alarm(name)
    }

    fn invoke(&self, request: &Invocation) -> Result<Vec<u8>, CloudError> {
        self.invoke_endpoint(request)
    }

    fn delete_endpoint(&self, name: &str) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        self.block_on(sagemaker.delete_endpoint().endpoint_name(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteEndpoint", name, &e))
    }

    fn tag_endpoint(&self, name: &str, tags: &[Tag]) -> Result<(), CloudError> {
        self.add_endpoint_tags(name, tags)
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
