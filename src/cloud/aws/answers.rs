//! How AWS's answers become sagetune's: SDK errors classified into [`CloudError`] ("not
//! found" in any of its shapes kept apart, so reads can make it `None`), and the small
//! conversions of SDK values (timestamps, empty strings, maps, URL-encoded IAM documents).

use std::collections::BTreeMap;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::cloud::{classify, CloudError, ErrorClass};

/// Converts an SDK error into a [`CloudError`]; `NotFound` is kept for callers to turn into
/// `None`.
pub(crate) fn cloud_error<E>(
    operation: &str,
    name: &str,
    err: &SdkError<E, HttpResponse>,
) -> CloudError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    match err {
        // A success status whose body the SDK could not read: not a service error.
        SdkError::ResponseError(_) if status.is_some_and(|s| (200..300).contains(&s)) => {
            CloudError::Service {
                operation: operation.to_string(),
                code: "UnreadableAnswer".into(),
                message: format!(
                    "the answer (HTTP {}) for {name} could not be read: {}; the endpoint may not be AWS's, or it answered in another format",
                    status.unwrap_or_default(),
                    super::describe_error(err)
                ),
            }
        }
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            CloudError::from_service(operation, name, err.code(), err.message(), status)
        }
        _ => {
            let message = super::describe_error(err);
            CloudError::missing_credentials(operation, &format!("{err:?} {message}"))
                .unwrap_or_else(|| CloudError::Transport {
                    operation: operation.to_string(),
                    message,
                })
        }
    }
}

/// An SDK timestamp as RFC 3339 (UTC).
pub(super) fn rfc3339(t: &aws_sdk_sagemaker::primitives::DateTime) -> Option<String> {
    t.fmt(aws_sdk_sagemaker::primitives::DateTimeFormat::DateTime)
        .ok()
}

/// `Ok(None)` for "not found", the error otherwise.
pub(super) fn absent<T, E>(
    operation: &str,
    name: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, CloudError>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            if classify(e.code(), e.message(), status) == ErrorClass::NotFound
                && matches!(e, SdkError::ServiceError(_) | SdkError::ResponseError(_))
            {
                Ok(None)
            } else {
                Err(cloud_error(operation, name, &e))
            }
        }
    }
}

/// An empty string from the SDK (a missing required member) is absence.
pub(super) fn some(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

pub(super) fn sorted(
    map: Option<&std::collections::HashMap<String, String>>,
) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// IAM returns policy documents URL-encoded (RFC 3986; `+` stays `+`).
pub(crate) fn url_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_sagemaker::error::ErrorMetadata;
    use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobError;

    /// A SageMaker service error as the SDK hands it over.
    fn service(
        status: u16,
        code: &str,
        message: &str,
    ) -> SdkError<DescribeTrainingJobError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let response = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(DescribeTrainingJobError::generic(meta), response)
    }

    #[test]
    fn sdk_errors_map_to_absence_or_classified_errors() {
        let absent_job = absent::<(), _>(
            "DescribeTrainingJob",
            "j",
            Err(service(
                400,
                "ValidationException",
                "Could not find training job \"j\"",
            )),
        );
        assert_eq!(absent_job, Ok(None));
        let not_found = absent::<(), _>(
            "DescribeTrainingJob",
            "j",
            Err(service(400, "ResourceNotFound", "no such job")),
        );
        assert_eq!(not_found, Ok(None));
        let throttled = absent::<(), _>(
            "DescribeTrainingJob",
            "j",
            Err(service(400, "ThrottlingException", "Rate exceeded")),
        );
        assert!(matches!(throttled, Err(CloudError::Throttled { .. })));
        let exists = cloud_error(
            "CreateTrainingJob",
            "j",
            &service(400, "ResourceInUse", "Training job names must be unique"),
        );
        assert!(matches!(exists, CloudError::AlreadyExists { .. }));
        let conflict = cloud_error(
            "UpdateEndpoint",
            "e",
            &service(
                400,
                "ValidationException",
                "Cannot update in-progress endpoint \"e\".",
            ),
        );
        assert!(matches!(conflict, CloudError::Conflict { .. }));
        let other = cloud_error(
            "X",
            "j",
            &service(400, "ValidationException", "1 validation error"),
        );
        assert_eq!(
            other.to_string(),
            "X: ValidationException: 1 validation error"
        );
        let dispatch: SdkError<DescribeTrainingJobError, HttpResponse> =
            SdkError::timeout_error("timed out");
        assert!(matches!(
            cloud_error("DescribeTrainingJob", "j", &dispatch),
            CloudError::Transport { .. }
        ));
    }

    #[test]
    fn an_answer_that_cannot_be_read_says_so_instead_of_naming_its_status() {
        let response = HttpResponse::new(200u16.try_into().unwrap(), SdkBody::from("<html>"));
        let err: SdkError<DescribeTrainingJobError, HttpResponse> =
            SdkError::response_error("expected a JSON object", response);
        let said = cloud_error("DescribeTrainingJob", "j", &err).to_string();
        assert!(
            said.contains("the answer (HTTP 200) for j could not be read"),
            "{said}"
        );
        assert!(!said.ends_with("HTTP 200"), "{said}");
    }

    #[test]
    fn iam_documents_are_url_decoded() {
        assert_eq!(
            url_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(url_decode("a%2"), "a%2");
        assert_eq!(url_decode("100%"), "100%");
    }
}
