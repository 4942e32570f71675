//! JumpStart content (model manifest and specs) read from S3 with the caller's credentials,
//! as the SageMaker Python SDK reads it.

use std::sync::OnceLock;

use super::answers::cloud_error;
use crate::cloud::{CloudError, ContentStore};

use super::{load_config, s3_client, AwsOptions};

/// A [`ContentStore`] over S3. Nothing is configured or called until the first read, so
/// commands that use local overrides never touch the AWS configuration.
pub(crate) struct S3ContentStore {
    options: AwsOptions,
    region: Option<String>,
    runtime: OnceLock<Result<(tokio::runtime::Runtime, aws_sdk_s3::Client), String>>,
}

impl S3ContentStore {
    pub(crate) fn new(options: AwsOptions, region: Option<String>) -> Self {
        Self {
            options,
            region,
            runtime: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&(tokio::runtime::Runtime, aws_sdk_s3::Client), CloudError> {
        self.runtime
            .get_or_init(|| {
                // Multi-threaded so specs fetched from several threads at once overlap.
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                let config = rt.block_on(load_config(&self.options, self.region.as_deref()));
                let client = s3_client(&config);
                Ok((rt, client))
            })
            .as_ref()
            .map_err(|message| CloudError::Transport {
                operation: "GetObject".into(),
                message: message.clone(),
            })
    }
}

impl ContentStore for S3ContentStore {
    fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, CloudError> {
        let (rt, client) = self.client()?;
        rt.block_on(async {
            let out = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| cloud_error("GetObject", &format!("s3://{bucket}/{key}"), &e))?;
            let body = (out.body.collect().await).map_err(|e| CloudError::Transport {
                operation: "GetObject".into(),
                message: e.to_string(),
            })?;
            Ok(body.into_bytes().to_vec())
        })
    }
}
