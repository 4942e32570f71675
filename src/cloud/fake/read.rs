//! The fake's reads: what `plan` and the waits see.

use super::*;

impl CloudRead for FakeCloud {
    fn head_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, CloudError> {
        let s = self.read(format!("HeadObject s3://{bucket}/{key}"));
        Ok(s.objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|o| StoredObject {
                bucket: bucket.into(),
                key: key.into(),
                size: o.body.len() as u64,
                sha256: o.sha256.clone(),
                rows: o.rows,
                modified: Some(o.modified()),
            }))
    }

    fn list_pending_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<PendingUpload>, CloudError> {
        let s = self.read(format!("ListMultipartUploads s3://{bucket}/{prefix}"));
        if s.no_upload_listing {
            return Err(CloudError::Service {
                operation: "ListMultipartUploads".into(),
                code: "NotImplemented".into(),
                message: "A header you provided implies functionality that is not implemented"
                    .into(),
            });
        }
        Ok(s.pending_uploads
            .iter()
            .filter(|(b, k, _)| b == bucket && k.starts_with(prefix))
            .map(|(b, k, id)| PendingUpload {
                bucket: b.clone(),
                key: k.clone(),
                upload_id: id.clone(),
                initiated: None,
            })
            .collect())
    }

    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<StoredObject>>, CloudError> {
        let s = self.read(format!("ListObjectsV2 s3://{bucket}/{prefix}"));
        if !s.buckets.contains(bucket) {
            return Ok(None);
        }
        Ok(Some(
            s.objects
                .iter()
                .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
                .map(|((b, k), o)| StoredObject {
                    bucket: b.clone(),
                    key: k.clone(),
                    size: o.body.len() as u64,
                    sha256: None,
                    rows: None,
                    modified: Some(o.modified()),
                })
                .collect(),
        ))
    }

    fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Blob>, CloudError> {
        let s = self.read(format!("GetObject s3://{bucket}/{key}"));
        Ok(s.objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|o| Blob {
                body: o.body.clone(),
                etag: o.etag.clone(),
            }))
    }

    fn list_training_jobs(&self, fragment: &str) -> Result<Vec<JobSummary>, CloudError> {
        let s = self.read(format!("ListTrainingJobs {fragment}"));
        Ok(s.jobs
            .values()
            .filter(|j| j.job.name.contains(fragment))
            .map(|j| JobSummary {
                name: j.job.name.clone(),
                status: j.job.status,
            })
            .collect())
    }

    fn list_names(&self, kind: Kind, fragment: &str) -> Result<Vec<String>, CloudError> {
        let op = match kind {
            Kind::TrainingJob => "ListTrainingJobs",
            Kind::Model => "ListModels",
            Kind::EndpointConfig => "ListEndpointConfigs",
            Kind::Endpoint => "ListEndpoints",
        };
        drop(self.read(format!("{op} {fragment}")));
        Ok(self
            .names(kind)
            .into_iter()
            .filter(|n| n.contains(fragment))
            .collect())
    }

    fn describe_training_job(&self, name: &str) -> Result<Option<TrainingJob>, CloudError> {
        let mut s = self.status_read(format!("DescribeTrainingJob {name}"), |s| {
            s.jobs.get(name).is_some_and(|j| j.job.status.is_running())
        })?;
        let pace = s.pace;
        let State {
            jobs,
            objects,
            next_etag,
            ..
        } = &mut *s;
        Ok(jobs.get_mut(name).map(|j| {
            let seen = j.job.clone();
            advance_job(j, objects, next_etag, pace);
            seen
        }))
    }

    fn describe_model(&self, name: &str) -> Result<Option<Model>, CloudError> {
        Ok(self
            .read(format!("DescribeModel {name}"))
            .models
            .get(name)
            .cloned())
    }

    fn describe_endpoint_config(&self, name: &str) -> Result<Option<EndpointConfig>, CloudError> {
        Ok(self
            .read(format!("DescribeEndpointConfig {name}"))
            .configs
            .get(name)
            .cloned())
    }

    fn endpoint_status(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        // A plan-time read: it does not move an endpoint along as a status poll does.
        let s = self.read(format!("DescribeEndpoint {name}"));
        Ok(s.endpoints.get(name).map(|e| Endpoint {
            tags: Tags::new(),
            ..e.endpoint.clone()
        }))
    }

    fn search_endpoints(&self, key: &str, value: &str) -> Result<Vec<Endpoint>, CloudError> {
        let s = self.read(format!("Search Endpoint Tags.{key}={value}"));
        if s.no_search {
            return Err(CloudError::Denied {
                operation: "Search".into(),
                what: String::new(),
                message: "not authorized to perform: sagemaker:Search".into(),
            });
        }
        let indexed: Vec<&Endpoint> = match &s.search_snapshot {
            Some(then) => then.iter().collect(),
            None => s.endpoints.values().map(|e| &e.endpoint).collect(),
        };
        Ok(indexed
            .into_iter()
            .filter(|e| e.tags.get(key).map(String::as_str) == Some(value))
            .map(|e| Endpoint {
                pending_config: None,
                ..e.clone()
            })
            .collect())
    }

    fn describe_endpoint(&self, name: &str) -> Result<Option<Endpoint>, CloudError> {
        let mut s = self.status_read(format!("DescribeEndpoint {name}"), |s| {
            s.endpoints
                .get(name)
                .is_some_and(|e| e.endpoint.status.is_transitional())
        })?;
        let pace = s.pace;
        Ok(s.endpoints.get_mut(name).map(|e| {
            let seen = e.endpoint.clone();
            advance_endpoint(e, pace);
            seen
        }))
    }

    fn get_role(&self, name: &str) -> Result<Option<Role>, CloudError> {
        Ok(self
            .read(format!("GetRole {name}"))
            .roles
            .get(name)
            .cloned())
    }

    fn list_alarms(&self, prefix: &str) -> Result<Vec<Alarm>, CloudError> {
        Ok(self
            .read(format!("DescribeAlarms {prefix}"))
            .alarms
            .values()
            .filter(|a| a.name.starts_with(prefix))
            .cloned()
            .collect())
    }

    fn log_streams(&self, _group: &str, prefix: &str) -> Result<Vec<String>, CloudError> {
        Ok(self
            .read(format!("DescribeLogStreams {prefix}"))
            .jobs
            .keys()
            .map(|j| stream_of(j))
            .filter(|s| s.starts_with(prefix))
            .collect())
    }

    fn log_events(
        &self,
        _group: &str,
        stream: &str,
        from: &LogCursor,
    ) -> Result<LogPage, CloudError> {
        let s = self.read(format!("GetLogEvents {stream}"));
        let Some(job) = s.jobs.keys().find(|j| stream_of(j) == stream) else {
            return Err(CloudError::NotFound {
                operation: "GetLogEvents".into(),
                message: format!("The specified log stream does not exist: {stream}"),
            });
        };
        let log = &s.jobs[job].log;
        // Positions count only the events from `since_ms` on, as CloudWatch's tokens do.
        let log: Vec<&LogEvent> = log
            .iter()
            .filter(|e| from.since_ms.is_none_or(|t| e.timestamp_ms >= t))
            .collect();
        let start = from
            .token
            .as_deref()
            .and_then(|t| t.strip_prefix("f/"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let events: Vec<LogEvent> = log.into_iter().skip(start).take(PAGE).cloned().collect();
        Ok(LogPage {
            next: Some(format!("f/{}", start + events.len())),
            events,
        })
    }
}

/// Events per GetLogEvents page (small, so tests see reads that take several pages).
const PAGE: usize = 50;
