//! The errors of the modules beneath the pipeline's stages (the cloud door, dataset
//! discovery) as diagnostics with their code and the way out. Every stage's own error type
//! converts beside its definition. Callers that know the manifest node an error is about add
//! the location with [`Diagnostic::at`].

use crate::cloud::CloudError;
use crate::data::DiscoverError;

use super::Diagnostic;

impl From<&CloudError> for Diagnostic {
    /// An AWS failure; nothing that failed was changed.
    fn from(e: &CloudError) -> Self {
        let help = match e {
            CloudError::Credentials { .. } => "sign in (`aws sso login --profile NAME`), or name a profile with credentials (`--profile NAME` or AWS_PROFILE), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows who the AWS CLI is with the same settings",
            CloudError::Denied { .. } => "check who the credentials are (profile, AWS_PROFILE, environment; `aws sts get-caller-identity`) and grant them the policy `sagetune iam-policy --for plan|apply|destroy` prints",
            CloudError::Transport { .. } => "check the network and the endpoint (AWS_ENDPOINT_URL, if set)",
            CloudError::Throttled { .. } => "wait a moment and run the command again",
            _ => "nothing was changed; run the command again once the cause is fixed",
        };
        Diagnostic::new("aws::call", e.to_string()).help(help)
    }
}

impl From<&DiscoverError> for Diagnostic {
    /// A `train`/`validation` path that does not lead to exactly one data file.
    fn from(e: &DiscoverError) -> Self {
        Diagnostic::new("data::path", e.to_string()).help(e.help())
    }
}
