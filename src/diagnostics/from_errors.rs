//! Every typed error a stage returns, as a diagnostic with its code and the way out. Callers
//! that know the manifest node an error is about add the location with [`Diagnostic::at`].

use crate::apply::state_lock::LockError;
use crate::cloud::CloudError;
use crate::data::DiscoverError;
use crate::jumpstart::pins::PinsError;
use crate::jumpstart::ResolveError;
use crate::plan::file::PlanFileError;
use crate::plan::Problem;

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

impl From<&LockError> for Diagnostic {
    /// The state lock could not be taken or removed.
    fn from(e: &LockError) -> Self {
        match e {
            LockError::Held(info) => Diagnostic::new("apply::locked", e.to_string()).help(format!(
                "wait for that run to finish; if it crashed, remove the lock with `sagetune unlock {}`",
                info.id
            )),
            LockError::Cloud(c) => c.into(),
            _ => Diagnostic::new("apply::lock", e.to_string())
                .help("`sagetune unlock LOCK_ID` removes a stuck lock; the id is in the \"stack is locked\" message"),
        }
    }
}

impl From<&PlanFileError> for Diagnostic {
    /// A plan file that cannot be read, a saved plan that is stale, or a step apply cannot do.
    fn from(e: &PlanFileError) -> Self {
        match e {
            // The code `show` has always used; `apply PLANFILE` says `apply::plan-file`.
            PlanFileError::Unreadable(_) => Diagnostic::new("show::read", e.to_string())
                .help("pass a file written by `sagetune plan --out FILE`"),
            PlanFileError::Unsupported { .. } => Diagnostic::new("apply::unsupported", e.to_string())
                .help("nothing was changed; serve this fine-tune with a model whose spec hosts without an inference script, or drop its endpoint"),
            _ => Diagnostic::new("apply::stale-plan", e.to_string())
                .help("run `sagetune plan --out FILE` again, review it, and apply the new file"),
        }
    }
}

impl From<Problem> for Diagnostic {
    /// Something that makes a plan impossible, with the planner's own way out.
    fn from(p: Problem) -> Self {
        Diagnostic::new(p.code, p.message).help(p.help)
    }
}

impl From<&PinsError> for Diagnostic {
    /// `sagetune.lock` exists but cannot be used.
    fn from(e: &PinsError) -> Self {
        Diagnostic::new("lock::invalid", e.to_string())
            .help("delete it and run `sagetune lock` to write a new one")
    }
}

impl From<&ResolveError> for Diagnostic {
    /// A model that cannot be resolved (unlocated; see `prepare::models` for the location).
    fn from(e: &ResolveError) -> Self {
        Diagnostic::new("jumpstart::resolve", e.to_string()).help(e.help())
    }
}

impl From<&DiscoverError> for Diagnostic {
    /// A `train`/`validation` path that does not lead to exactly one data file.
    fn from(e: &DiscoverError) -> Self {
        Diagnostic::new("data::path", e.to_string()).help(e.help())
    }
}

impl From<&crate::observe::logs::JobLookupError> for Diagnostic {
    fn from(e: &crate::observe::logs::JobLookupError) -> Self {
        use crate::observe::logs::JobLookupError as E;
        match e {
            E::Cloud(c) => Diagnostic::from(c),
            E::NoJob { .. } => Diagnostic::new("logs::no-job", e.to_string())
                .help("`sagetune apply` starts its training job; `sagetune status` lists the stack's jobs"),
            E::NotOurs { .. } => Diagnostic::new("logs::not-our-job", e.to_string())
                .help("`sagetune status` lists the stack's jobs with the fine-tune each belongs to"),
        }
    }
}
