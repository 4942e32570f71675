//! The AWS implementation of the cloud boundary: configuration, clients, and the
//! conversion of SDK answers to sagetune's types. The only code that imports `aws_sdk_*`.

mod s3_content;

pub use s3_content::S3ContentStore;

use super::AwsOptions;

/// Loads the AWS configuration for `region` (or the chain's region).
pub(crate) async fn load_config(
    options: &AwsOptions,
    region: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
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
    let mut builder = aws_sdk_s3::config::Builder::from(config);
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
