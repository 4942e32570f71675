//! The fake's writes, each logged, refused as AWS refuses them, and moved along the
//! lifecycles by later reads.

use super::*;

impl Cloud for FakeCloud {
    fn upload(&self, upload: &Upload, progress: &(dyn Fn(u64) + Sync)) -> Result<(), CloudError> {
        let body = std::fs::read(&upload.path).map_err(|e| CloudError::Transport {
            operation: "PutObject".into(),
            message: format!("cannot read {}: {e}", upload.path.display()),
        })?;
        let actual = crate::files::sha256_hex(&body);
        if actual != upload.sha256 {
            return Err(CloudError::Service {
                operation: "PutObject".into(),
                code: "BadDigest".into(),
                message: "the SHA-256 checksum does not match the content".into(),
            });
        }
        let mut s = self.write(format!("PutObject s3://{}/{}", upload.bucket, upload.key))?;
        if !s.buckets.contains(&upload.bucket) {
            return Err(missing("PutObject", &format!("bucket {}", upload.bucket)));
        }
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            (upload.bucket.clone(), upload.key.clone()),
            Object {
                body,
                sha256: Some(upload.sha256.clone()),
                rows: upload.rows,
                etag,
            },
        );
        drop(s);
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
        let mut s = self.write(format!("PutObject s3://{bucket}/{key}"))?;
        let id = (bucket.to_string(), key.to_string());
        let current = s.objects.get(&id).map(|o| o.etag.clone());
        let allowed = match (if_match, &current) {
            (None, None) => true,
            (Some(want), Some(have)) => want == have,
            _ => false,
        };
        if !allowed {
            return Err(CloudError::PreconditionFailed {
                operation: "PutObject".into(),
            });
        }
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            id,
            Object {
                body: body.to_vec(),
                sha256: None,
                rows: None,
                etag: etag.clone(),
            },
        );
        if std::mem::take(&mut s.lose_next_put_answer) {
            return Err(CloudError::PreconditionFailed {
                operation: "PutObject".into(),
            });
        }
        Ok(etag)
    }

    fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!(
            "AbortMultipartUpload s3://{bucket}/{key} {upload_id}"
        ))?;
        let id = (bucket.to_string(), key.to_string(), upload_id.to_string());
        if s.pending_uploads.remove(&id) {
            Ok(())
        } else {
            Err(missing("AbortMultipartUpload", upload_id))
        }
    }

    fn delete_object(&self, bucket: &str, key: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteObject s3://{bucket}/{key}"))?;
        s.objects.remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }

    fn download(&self, bucket: &str, key: &str, to: &std::path::Path) -> Result<u64, CloudError> {
        let s = self.read(format!("GetObject s3://{bucket}/{key}"));
        let o = s
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(|| missing("GetObject", &format!("s3://{bucket}/{key}")))?;
        std::fs::write(to, &o.body).map_err(|e| CloudError::Transport {
            operation: "GetObject".into(),
            message: e.to_string(),
        })?;
        Ok(o.body.len() as u64)
    }

    fn create_role(&self, role: &RoleRequest) -> Result<String, CloudError> {
        let mut s = self.write(format!("CreateRole {}", role.role_name))?;
        if s.roles.contains_key(&role.role_name) {
            return Err(exists("CreateRole", &role.role_name));
        }
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{}", role.role_name);
        s.roles.insert(
            role.role_name.clone(),
            Role {
                name: role.role_name.clone(),
                arn: arn.clone(),
                tags: tags_of(&role.tags),
                trust_policy: role.trust_policy.clone(),
                inline_policies: BTreeMap::from([(
                    role.policy_name.clone(),
                    role.policy_document.clone(),
                )]),
                permissions_boundary: role.permissions_boundary.clone(),
            },
        );
        Ok(arn)
    }

    fn put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        let mut s = self.write(format!("PutRolePolicy {}", role.role_name))?;
        let r = s
            .roles
            .get_mut(&role.role_name)
            .ok_or_else(|| missing("PutRolePolicy", &role.role_name))?;
        r.inline_policies
            .insert(role.policy_name.clone(), role.policy_document.clone());
        r.trust_policy = role.trust_policy.clone();
        if role.permissions_boundary.is_some() {
            r.permissions_boundary = role.permissions_boundary.clone();
        }
        Ok(())
    }

    fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteRole {name}"))?;
        s.roles.remove(name);
        Ok(())
    }

    fn create_training_job(&self, request: &CreateTrainingJob) -> Result<(), CloudError> {
        let name = &request.training_job_name;
        let mut s = self.write(format!("CreateTrainingJob {name}"))?;
        if s.jobs.contains_key(name) {
            return Err(exists("CreateTrainingJob", name));
        }
        if s.unassumable_role > 0 {
            s.unassumable_role -= 1;
            return Err(CloudError::Service {
                operation: "CreateTrainingJob".into(),
                code: "ValidationException".into(),
                message: format!("Could not assume role {}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.", request.role_arn),
            });
        }
        let fails = s.job_failures.pop_front();
        s.jobs.insert(
            name.clone(),
            Job {
                job: job_from_request(request),
                step: 0,
                ticks: 0,
                fails,
                log: vec![LogEvent {
                    timestamp_ms: LOG_START_MS - 1000,
                    message: format!("Starting the training job {name}"),
                }],
            },
        );
        Ok(())
    }

    fn stop_training_job(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("StopTrainingJob {name}"))?;
        let j = s
            .jobs
            .get_mut(name)
            .ok_or_else(|| missing("StopTrainingJob", name))?;
        if j.job.status == TrainingStatus::InProgress {
            j.job.status = TrainingStatus::Stopping;
            j.job.secondary_status = Some("Stopping".into());
        }
        Ok(())
    }

    fn create_model(&self, request: &CreateModel) -> Result<(), CloudError> {
        let name = &request.model_name;
        let mut s = self.write(format!("CreateModel {name}"))?;
        if s.models.contains_key(name) {
            return Err(exists("CreateModel", name));
        }
        let c = &request.primary_container;
        s.models.insert(
            name.clone(),
            Model {
                name: name.clone(),
                tags: tags_of(&request.tags),
                image: c.image.clone(),
                model_data: c.model_data_url.clone().or_else(|| {
                    c.model_data_source
                        .as_ref()
                        .map(|d| d.s3_data_source.s3_uri.clone())
                }),
                environment: c
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        );
        Ok(())
    }

    fn delete_model(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteModel {name}"))?;
        s.models
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteModel", name))
    }

    fn create_endpoint_config(&self, request: &CreateEndpointConfig) -> Result<(), CloudError> {
        let name = &request.endpoint_config_name;
        let mut s = self.write(format!("CreateEndpointConfig {name}"))?;
        if s.configs.contains_key(name) {
            return Err(exists("CreateEndpointConfig", name));
        }
        s.configs.insert(
            name.clone(),
            EndpointConfig {
                name: name.clone(),
                tags: tags_of(&request.tags),
                variants: request
                    .production_variants
                    .iter()
                    .map(|v| Variant {
                        model_name: v.model_name.clone(),
                        instance_type: v.instance_type.clone(),
                        instance_count: v.initial_instance_count,
                    })
                    .collect(),
            },
        );
        Ok(())
    }

    fn delete_endpoint_config(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteEndpointConfig {name}"))?;
        s.configs
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteEndpointConfig", name))
    }

    fn create_endpoint(&self, request: &CreateEndpoint) -> Result<(), CloudError> {
        let name = &request.endpoint_name;
        let mut s = self.write(format!("CreateEndpoint {name}"))?;
        if s.endpoints.contains_key(name) {
            return Err(exists("CreateEndpoint", name));
        }
        if !s.configs.contains_key(&request.endpoint_config_name) {
            return Err(missing(
                "CreateEndpoint",
                &format!("endpoint config {}", request.endpoint_config_name),
            ));
        }
        s.endpoints.insert(
            name.clone(),
            Ep {
                endpoint: Endpoint {
                    name: name.clone(),
                    tags: tags_of(&request.tags),
                    status: EndpointStatus::Creating,
                    config_name: request.endpoint_config_name.clone(),
                    failure_reason: None,
                    pending_config: None,
                },
                pending: Some(Pending {
                    target: request.endpoint_config_name.clone(),
                    previous: None,
                    ticks: 0,
                    fails: None,
                }),
            },
        );
        Ok(())
    }

    fn update_endpoint(
        &self,
        name: &str,
        config_name: &str,
        _deployment: Option<&Deployment>,
    ) -> Result<(), CloudError> {
        let mut s = self.write(format!("UpdateEndpoint {name} {config_name}"))?;
        if !s.configs.contains_key(config_name) {
            return Err(missing(
                "UpdateEndpoint",
                &format!("endpoint config {config_name}"),
            ));
        }
        let fails = s.rollbacks.pop_front();
        let e = s
            .endpoints
            .get_mut(name)
            .ok_or_else(|| missing("UpdateEndpoint", name))?;
        if e.endpoint.status != EndpointStatus::InService {
            return Err(CloudError::Conflict {
                operation: "UpdateEndpoint".into(),
                message: format!(
                    "Cannot update endpoint {name} while it is {}",
                    e.endpoint.status.as_str()
                ),
            });
        }
        e.endpoint.status = EndpointStatus::Updating;
        e.endpoint.pending_config = Some(config_name.to_string());
        e.pending = Some(Pending {
            target: config_name.to_string(),
            previous: Some(e.endpoint.config_name.clone()),
            ticks: 0,
            fails,
        });
        Ok(())
    }

    fn delete_endpoint(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteEndpoint {name}"))?;
        s.endpoints
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteEndpoint", name))
    }

    fn tag_endpoint(&self, name: &str, tags: &[Tag]) -> Result<(), CloudError> {
        let mut s = self.write(format!("AddTags {name}"))?;
        let e = s
            .endpoints
            .get_mut(name)
            .ok_or_else(|| missing("AddTags", name))?;
        for t in tags {
            e.endpoint.tags.insert(t.key.clone(), t.value.clone());
        }
        Ok(())
    }

    fn put_alarm(&self, alarm: &AlarmRequest) -> Result<(), CloudError> {
        let mut s = self.write(format!("PutMetricAlarm {}", alarm.name))?;
        s.alarms.insert(
            alarm.name.clone(),
            Alarm {
                name: alarm.name.clone(),
                tags: alarm
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                state: "OK".into(),
                endpoint: Some(alarm.endpoint.clone()),
            },
        );
        Ok(())
    }

    fn delete_alarm(&self, name: &str) -> Result<(), CloudError> {
        let mut s = self.write(format!("DeleteAlarms {name}"))?;
        s.alarms
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing("DeleteAlarms", name))
    }

    /// Answers as a text-generation container would: the prompt, continued with the name of
    /// the config serving it; a list of `generated_text` for TGI-style bodies (`inputs`),
    /// `generated_texts` for JumpStart's script (`text_inputs`).
    fn invoke(&self, r: &Invocation) -> Result<Vec<u8>, CloudError> {
        let s = self.read(format!("InvokeEndpoint {}", r.endpoint));
        let Some(e) = s.endpoints.get(&r.endpoint) else {
            return Err(missing("InvokeEndpoint", &r.endpoint));
        };
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let text = |prompt: &serde_json::Value| {
            format!(
                "{} … continued by {}",
                prompt.as_str().unwrap_or_default(),
                e.endpoint.config_name
            )
        };
        if let Some(error) = &s.invoke_error {
            return Ok(serde_json::json!({ "error": error })
                .to_string()
                .into_bytes());
        }
        let answer = match (body.get("inputs"), body.get("text_inputs")) {
            (Some(p), _) => serde_json::json!([{ "generated_text": text(p) }]),
            (None, Some(p)) => serde_json::json!({ "generated_texts": [text(p)] }),
            (None, None) => serde_json::json!({ "error": "no inputs" }),
        };
        Ok(answer.to_string().into_bytes())
    }
}
