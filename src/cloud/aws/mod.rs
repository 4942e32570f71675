//! The AWS implementation of the cloud boundary: configuration, clients, and the
//! conversion of SDK answers to sagetune's types. The only code that imports `aws_sdk_*`.

mod alarms;
mod answers;
mod iam;
mod logs;
mod read;
mod runtime;
mod s3_content;
mod sagemaker_read;
mod training_job;
mod upload;
mod write;

use std::future::Future;
use std::sync::OnceLock;

pub(crate) use s3_content::S3ContentStore;

/// SageMaker's training instance types, as the SageMaker API model of the SDK build lists them.
pub fn training_instance_types() -> &'static [&'static str] {
    aws_sdk_sagemaker::types::TrainingInstanceType::values()
}

/// SageMaker's hosting (production variant) instance types, as the API model lists them.
pub fn hosting_instance_types() -> &'static [&'static str] {
    aws_sdk_sagemaker::types::ProductionVariantInstanceType::values()
}

use super::{AwsOptions, CloudError};

struct Clients {
    runtime: tokio::runtime::Runtime,
    s3: aws_sdk_s3::Client,
    sagemaker: aws_sdk_sagemaker::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    runtime_api: aws_sdk_sagemakerruntime::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
}

/// The cloud as AWS: S3, SageMaker (and its runtime), IAM, CloudWatch and CloudWatch Logs
/// clients from the standard configuration chain, created on first use, with the SDK's
/// adaptive retry for throttling and 5xx answers.
pub struct AwsCloud {
    options: AwsOptions,
    region: String,
    clients: OnceLock<Result<Clients, String>>,
    /// SageMaker tags by ARN, read once per run: sagetune sets tags only when it creates an
    /// object, and a name recreated in one run carries the same tags.
    tags: std::sync::Mutex<std::collections::HashMap<String, crate::cloud::Tags>>,
}

/// Attempts per call, first included, before a throttling, 5xx or connection failure is an
/// error; with the backoff cap below an unreachable endpoint fails within seconds.
const MAX_ATTEMPTS: u32 = 4;
/// The longest pause between two attempts.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(4);

impl AwsCloud {
    /// A cloud for `region`; nothing is configured or called until the first request.
    pub fn new(options: AwsOptions, region: &str) -> Self {
        Self {
            options,
            region: region.to_string(),
            clients: OnceLock::new(),
            tags: std::sync::Mutex::default(),
        }
    }

    fn inner(&self) -> Result<&Clients, CloudError> {
        self.clients
            .get_or_init(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                let config = runtime.block_on(load_config(&self.options, Some(&self.region)));
                let retry = aws_config::retry::RetryConfig::adaptive()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_max_backoff(MAX_BACKOFF);
                let sagemaker = aws_sdk_sagemaker::Client::from_conf(
                    aws_sdk_sagemaker::config::Builder::from(&config)
                        .retry_config(retry.clone())
                        .build(),
                );
                let iam = aws_sdk_iam::Client::from_conf(
                    aws_sdk_iam::config::Builder::from(&config)
                        .retry_config(retry.clone())
                        .build(),
                );
                let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
                    aws_sdk_cloudwatchlogs::config::Builder::from(&config)
                        .retry_config(retry.clone())
                        .build(),
                );
                let runtime_api = aws_sdk_sagemakerruntime::Client::from_conf(
                    aws_sdk_sagemakerruntime::config::Builder::from(&config)
                        .retry_config(retry.clone())
                        .build(),
                );
                let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
                    aws_sdk_cloudwatch::config::Builder::from(&config)
                        .retry_config(retry.clone())
                        .build(),
                );
                let s3 = s3_client_with(&config, Some(retry));
                Ok(Clients {
                    runtime,
                    s3,
                    sagemaker,
                    iam,
                    logs,
                    runtime_api,
                    cloudwatch,
                })
            })
            .as_ref()
            .map_err(|e| CloudError::Transport {
                operation: "configure".into(),
                message: e.clone(),
            })
    }

    fn clients(
        &self,
    ) -> Result<
        (
            &aws_sdk_s3::Client,
            &aws_sdk_sagemaker::Client,
            &aws_sdk_iam::Client,
        ),
        CloudError,
    > {
        let c = self.inner()?;
        Ok((&c.s3, &c.sagemaker, &c.iam))
    }

    fn cloudwatch_client(&self) -> Result<&aws_sdk_cloudwatch::Client, CloudError> {
        Ok(&self.inner()?.cloudwatch)
    }

    fn runtime_client(&self) -> Result<&aws_sdk_sagemakerruntime::Client, CloudError> {
        Ok(&self.inner()?.runtime_api)
    }

    fn logs_client(&self) -> Result<&aws_sdk_cloudwatchlogs::Client, CloudError> {
        Ok(&self.inner()?.logs)
    }

    /// Runs a request to completion on the adapter's runtime; callable from any thread.
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        let c = self
            .inner()
            .expect("clients exist once a client was handed out");
        c.runtime.block_on(f)
    }
}

/// Loads the AWS configuration for `region` (or the chain's region).
pub(crate) async fn load_config(
    options: &AwsOptions,
    region: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let named = region
        .map(str::to_string)
        .or_else(|| options.region.clone());
    crate::cloud::error::note_tried(options.profile.as_deref(), named.as_deref());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(r) = region
        .map(str::to_string)
        .or_else(|| options.region.clone())
    {
        loader = loader.region(aws_config::Region::new(r));
    }
    loader.load().await
}

/// An S3 client; path-style addressing whenever an endpoint override is in effect, since
/// virtual-host names do not resolve for local endpoints.
pub(crate) fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    s3_client_with(config, None)
}

fn s3_client_with(
    config: &aws_config::SdkConfig,
    retry: Option<aws_config::retry::RetryConfig>,
) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if let Some(retry) = retry {
        builder = builder.retry_config(retry);
    }
    if config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() {
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// An SDK error as one readable line: the service's code and message when there is one,
/// else the outermost description and the innermost cause ("dispatch failure: Connection
/// refused (os error 111)").
pub(crate) fn describe_error<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if let Some(service) = err.as_service_error() {
        let code = service.code().unwrap_or("error");
        return match service.message() {
            Some(m) => format!("{code}: {m}"),
            None => code.to_string(),
        };
    }
    let mut innermost: &dyn std::error::Error = err;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let outer = err.to_string();
    let inner = innermost.to_string();
    if inner == outer {
        outer
    } else {
        format!("{outer}: {inner}")
    }
}
