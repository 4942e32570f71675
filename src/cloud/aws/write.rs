//! The writes of [`Cloud`] against AWS: uploads (in `upload`), conditional puts for the
//! state lock, IAM roles, and the SageMaker creates, updates and deletes, built from
//! sagetune's request types.

use std::collections::HashMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sagemaker::types as sm;

use super::answers::cloud_error;
use super::{training_job, AwsCloud};
use crate::cloud::requests::{
    CreateEndpoint, CreateEndpointConfig, CreateModel, CreateTrainingJob, Tag,
};
use crate::cloud::{AlarmRequest, Cloud, CloudError, Deployment, Invocation, RoleRequest, Upload};

pub(super) fn build_error(operation: &str, e: impl std::fmt::Display) -> CloudError {
    CloudError::Service {
        operation: operation.into(),
        code: "InvalidRequest".into(),
        message: e.to_string(),
    }
}

pub(super) fn io_error(operation: &str, e: impl std::fmt::Display) -> CloudError {
    CloudError::Transport {
        operation: operation.into(),
        message: e.to_string(),
    }
}

fn map(pairs: &indexmap::IndexMap<String, String>) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn sm_tags(tags: &[Tag]) -> Vec<sm::Tag> {
    tags.iter()
        .map(|t| sm::Tag::builder().key(&t.key).value(&t.value).build())
        .collect()
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
}

impl Cloud for AwsCloud {
    fn upload(&self, upload: &Upload, progress: &(dyn Fn(u64) + Sync)) -> Result<(), CloudError> {
        self.upload_file(upload, progress)
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
        self.iam_create_role(role)
    }

    fn put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        self.iam_put_role_policy(role)
    }

    fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        self.iam_delete_role(name)
    }

    fn create_training_job(&self, r: &CreateTrainingJob) -> Result<(), CloudError> {
        let (_, sagemaker, _) = self.clients()?;
        let op = "CreateTrainingJob";
        let name = &r.training_job_name;
        let (output, resources, stopping) = training_job::output_and_resources(r);
        let channels = r.input_data_config.iter().map(training_job::channel);
        let request = sagemaker
            .create_training_job()
            .training_job_name(name)
            .role_arn(&r.role_arn)
            .algorithm_specification(training_job::algorithm(r))
            .set_hyper_parameters(Some(map(&r.hyper_parameters)))
            .set_input_data_config(Some(channels.collect()))
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
