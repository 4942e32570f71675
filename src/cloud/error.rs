//! What can go wrong talking to AWS, in sagetune's terms, and the one place that decides
//! which service answers mean "absent", "already exists", "throttled" and so on.

/// An AWS call that failed, classified. "Not found" never becomes an error: readers return
/// `None` for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    /// A create met an object of the same name (SageMaker `ResourceInUse`, "Cannot create
    /// already existing …", IAM `EntityAlreadyExists`).
    #[error("{operation}: {name} already exists")]
    AlreadyExists { operation: String, name: String },
    /// A conditional write lost (S3 412 `PreconditionFailed`, 409 `ConditionalRequestConflict`).
    #[error("{operation}: the object changed or already exists (precondition failed)")]
    PreconditionFailed { operation: String },
    /// The object a write needed is missing.
    #[error("{operation}: {message}")]
    NotFound { operation: String, message: String },
    /// Throttling that persisted through the SDK's retries.
    #[error("{operation}: throttled by AWS and retries ran out: {message}")]
    Throttled { operation: String, message: String },
    /// Credentials missing or expired, or the caller lacks a permission.
    #[error("{operation}: access denied{}{} (`sagetune iam-policy` prints the permissions this manifest needs)", on(what), suffix(message))]
    Denied {
        operation: String,
        /// The object the call was on (a name or key), when known.
        what: String,
        message: String,
    },
    /// The object is in a state that does not allow the call (e.g. updating an endpoint
    /// that is still `Creating`).
    #[error("{operation}: {message}")]
    Conflict { operation: String, message: String },
    /// Any other answer from the service.
    #[error("{operation}: {code}{}", suffix(message))]
    Service {
        operation: String,
        code: String,
        message: String,
    },
    /// The request never got an answer (network, DNS, endpoint down).
    #[error("{operation}: {message}")]
    Transport { operation: String, message: String },
    /// No credentials were found (nothing in the environment, the profile, SSO, web identity,
    /// ECS or instance metadata), or AWS rejected them as unknown or expired.
    #[error("{operation}: {message}")]
    Credentials { operation: String, message: String },
}

/// Which profile and region this process's AWS configuration was loaded with, for the
/// credentials message (set once, when the first client is configured).
static TRIED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Records the profile (from `--profile`, else `AWS_PROFILE`) and region the AWS configuration
/// is loaded with; the first call wins.
pub(crate) fn note_tried(profile: Option<&str>, region: Option<&str>) {
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let profile = match (profile, env_profile) {
        (Some(p), _) => format!("profile `{p}` from --profile"),
        (None, Some(p)) => format!("profile `{p}` from AWS_PROFILE"),
        (None, None) => "the default credential chain".into(),
    };
    let region = region.map_or("with no region".to_string(), |r| format!("in {r}"));
    let _ = TRIED.set(format!("{profile} {region}"));
}

impl CloudError {
    /// Whether the service does not implement the operation at all (HTTP 501, as S3-compatible
    /// stores answer for what they lack): retrying cannot help, going without may.
    pub(crate) fn is_not_implemented(&self) -> bool {
        matches!(self, Self::Service { code, .. } if code == "NotImplemented" || code == "HTTP 501")
    }

    /// The error for a request that never left because no credentials could be loaded, when
    /// `chain` (the SDK's whole error text) says so; `None` for any other transport failure.
    /// Instance metadata that refuses or is disabled counts: it is the chain's last link.
    pub(crate) fn missing_credentials(operation: &str, chain: &str) -> Option<Self> {
        let lower = chain.to_ascii_lowercase();
        let sso = lower.contains("sso") && lower.contains("token");
        let missing = lower.contains("no credentials")
            || lower.contains("credentials provider")
            || lower.contains("credential provider")
            || lower.contains("imds")
            || lower.contains("instance metadata")
            || sso;
        let tried = TRIED
            .get()
            .map(|t| format!(" (tried {t})"))
            .unwrap_or_default();
        missing.then(|| Self::Credentials {
            operation: operation.to_string(),
            message: if sso {
                format!("the AWS SSO session has no valid token (it expired or was never started){tried}")
            } else {
                format!("no AWS credentials were found{tried}: not in the environment, a profile, SSO, web identity, ECS or instance metadata")
            },
        })
    }
}

fn on(what: &str) -> String {
    if what.is_empty() {
        String::new()
    } else {
        format!(" on {what}")
    }
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// The class of a service error, decided from its code, message and HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    NotFound,
    AlreadyExists,
    PreconditionFailed,
    Throttled,
    Denied,
    Conflict,
    Other,
}

/// Classifies a service answer; SageMaker reports "not found" as a `ValidationException`
/// whose message starts "Could not find", so the message matters as much as the code.
pub(crate) fn classify(
    code: Option<&str>,
    message: Option<&str>,
    http_status: Option<u16>,
) -> ErrorClass {
    let code = code.unwrap_or("");
    let msg = message.unwrap_or("").to_ascii_lowercase();
    match code {
        "NoSuchKey"
        | "NotFound"
        | "NoSuchBucket"
        | "NoSuchEntity"
        | "ResourceNotFound"
        | "ResourceNotFoundException"
        | "NoSuchUpload" => return ErrorClass::NotFound,
        "EntityAlreadyExists" | "ResourceInUse" | "ResourceInUseException" => {
            return ErrorClass::AlreadyExists
        }
        "PreconditionFailed" | "ConditionalRequestConflict" => {
            return ErrorClass::PreconditionFailed
        }
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "RequestThrottled" => return ErrorClass::Throttled,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException" => return ErrorClass::Denied,
        "ConflictException" | "DeleteConflict" => return ErrorClass::Conflict,
        _ => {}
    }
    if code == "ValidationException" {
        if msg.starts_with("could not find") || msg.contains("does not exist") {
            return ErrorClass::NotFound;
        }
        if msg.contains("cannot create already existing") || msg.contains("already exists") {
            return ErrorClass::AlreadyExists;
        }
        if msg.contains("cannot update in-progress") || msg.contains("cannot update endpoint") {
            return ErrorClass::Conflict;
        }
    }
    match http_status {
        Some(404) if code.is_empty() => ErrorClass::NotFound,
        Some(412) => ErrorClass::PreconditionFailed,
        Some(429) => ErrorClass::Throttled,
        Some(403) if code.is_empty() => ErrorClass::Denied,
        _ => ErrorClass::Other,
    }
}

/// Codes that mean "who you are" failed, not "what you may do".
fn rejected_credentials(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
        )
    )
}

impl CloudError {
    /// Builds the error for a classified service answer (callers handle `NotFound` first
    /// where absence is an answer).
    pub(crate) fn from_service(
        operation: &str,
        name: &str,
        code: Option<&str>,
        message: Option<&str>,
        http_status: Option<u16>,
    ) -> Self {
        let operation = operation.to_string();
        let text = message.unwrap_or_default().to_string();
        match classify(code, message, http_status) {
            ErrorClass::NotFound => Self::NotFound {
                operation,
                message: if text.is_empty() {
                    format!("{name} not found")
                } else {
                    text
                },
            },
            ErrorClass::AlreadyExists => Self::AlreadyExists {
                operation,
                name: name.to_string(),
            },
            ErrorClass::PreconditionFailed => Self::PreconditionFailed { operation },
            ErrorClass::Throttled => Self::Throttled {
                operation,
                message: text,
            },
            ErrorClass::Denied if rejected_credentials(code) => Self::Credentials {
                operation,
                message: format!(
                    "AWS rejected the credentials ({}): {text}",
                    code.unwrap_or("denied")
                ),
            },
            ErrorClass::Denied => Self::Denied {
                operation,
                what: name.to_string(),
                message: text,
            },
            ErrorClass::Conflict => Self::Conflict {
                operation,
                message: text,
            },
            ErrorClass::Other => Self::Service {
                operation,
                code: code
                    .map(str::to_string)
                    .or_else(|| http_status.map(|s| format!("HTTP {s}")))
                    .unwrap_or_else(|| "error".into()),
                message: text,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_metadata_that_refuses_is_missing_credentials() {
        let chain = "dispatch failure: request forbidden: IMDS is disabled (the IMDS credentials provider was not enabled)";
        assert!(matches!(
            CloudError::missing_credentials("GetObject", chain),
            Some(CloudError::Credentials { .. })
        ));
    }

    #[test]
    fn credentials_missing_or_rejected_are_their_own_error() {
        let chain = "DispatchFailure { source: ConnectorError { kind: Other(None), source: NoCredentials(NoCredentials { source: \"no credentials found in chain\" }) } }";
        assert!(matches!(
            CloudError::missing_credentials("HeadBucket", chain),
            Some(CloudError::Credentials { .. })
        ));
        assert_eq!(
            CloudError::missing_credentials("HeadBucket", "Connection refused"),
            None
        );
        let expired = CloudError::from_service(
            "ListModels",
            "m",
            Some("ExpiredTokenException"),
            Some("The security token included in the request is expired"),
            Some(400),
        );
        assert!(
            matches!(expired, CloudError::Credentials { .. }),
            "{expired:?}"
        );
        let denied = CloudError::from_service(
            "ListModels",
            "m",
            Some("AccessDeniedException"),
            Some("not authorized"),
            Some(400),
        );
        assert!(matches!(denied, CloudError::Denied { .. }), "{denied:?}");
    }

    use ErrorClass::*;

    type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<u16>, ErrorClass);

    #[test]
    fn every_shape_aws_uses_is_classified() {
        let cases: &[Case<'_>] = &[
            (Some("ValidationException"), Some("Could not find training job \"x\""), Some(400), NotFound),
            (Some("ValidationException"), Some("Could not find endpoint \"arn:aws:sagemaker:us-east-1:123456789012:endpoint/x\"."), Some(400), NotFound),
            (Some("ValidationException"), Some("Could not find model \"x\"."), Some(400), NotFound),
            (Some("ResourceNotFound"), Some("Amazon SageMaker can't find a training job"), Some(400), NotFound),
            (Some("NoSuchKey"), None, Some(404), NotFound),
            (None, None, Some(404), NotFound),
            (Some("NotFound"), None, Some(404), NotFound),
            (Some("NoSuchEntity"), Some("The role with name x cannot be found."), Some(404), NotFound),
            (Some("ValidationException"), Some("Cannot create already existing training job \"x\""), Some(400), AlreadyExists),
            (Some("ResourceInUse"), Some("Training job names must be unique"), Some(400), AlreadyExists),
            (Some("EntityAlreadyExists"), Some("Role with name x already exists."), Some(409), AlreadyExists),
            (Some("PreconditionFailed"), None, Some(412), PreconditionFailed),
            (None, None, Some(412), PreconditionFailed),
            (Some("ConditionalRequestConflict"), None, Some(409), PreconditionFailed),
            (Some("ThrottlingException"), Some("Rate exceeded"), Some(400), Throttled),
            (Some("SlowDown"), None, Some(503), Throttled),
            (None, None, Some(429), Throttled),
            (Some("AccessDeniedException"), Some("not authorized"), Some(400), Denied),
            (Some("ExpiredToken"), None, Some(400), Denied),
            (None, None, Some(403), Denied),
            (Some("ValidationException"), Some("Cannot update in-progress endpoint \"x\"."), Some(400), Conflict),
            (Some("DeleteConflict"), None, Some(409), Conflict),
            (Some("ValidationException"), Some("1 validation error detected"), Some(400), Other),
            (Some("InternalFailure"), None, Some(500), Other),
        ];
        for (code, msg, status, want) in cases {
            assert_eq!(
                classify(*code, *msg, *status),
                *want,
                "{code:?} {msg:?} {status:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_operation() {
        let e = CloudError::from_service(
            "CreateTrainingJob",
            "s-f-1",
            Some("ResourceInUse"),
            None,
            Some(400),
        );
        assert_eq!(e.to_string(), "CreateTrainingJob: s-f-1 already exists");
        let e = CloudError::from_service("GetObject", "k", None, None, Some(500));
        assert_eq!(e.to_string(), "GetObject: HTTP 500");
    }
}
