//! The managed role's steps: create it (adopting ours), learn its ARN once, and retry the
//! creates that pass it while IAM has not yet let SageMaker assume it.

use std::time::{Duration, Instant};

use super::{done, unowned, Run};
use crate::apply::{Event, Outcome};
use crate::cloud::{CloudError, RoleRequest};
use crate::desired::{managed_role_arn, managed_role_name};

impl Run<'_> {
    pub(super) fn create_role(&self, r: &RoleRequest) -> Result<Outcome, CloudError> {
        let arn = match self.cloud.create_role(r) {
            Ok(arn) => arn,
            Err(CloudError::AlreadyExists { .. }) => match self.cloud.get_role(&r.role_name)? {
                Some(role) if self.owned(&role.tags) => {
                    self.cloud.put_role_policy(r)?;
                    role.arn
                }
                _ => return Ok(unowned("IAM role", &r.role_name)),
            },
            Err(e) => return Err(e),
        };
        *self
            .role_arn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(arn.clone());
        Ok(done(format!("created {arn}")))
    }

    /// The real ARN for a request's role: the managed role's placeholder becomes the ARN
    /// `CreateRole` returned (or the existing role's).
    pub(super) fn role(&self, arn: &str) -> Result<String, CloudError> {
        if arn != managed_role_arn(&self.plan.stack) {
            return Ok(arn.to_string());
        }
        if let Some(known) = self
            .role_arn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            return Ok(known);
        }
        let name = managed_role_name(&self.plan.stack);
        match self.cloud.get_role(&name)? {
            Some(r) => {
                *self
                    .role_arn
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r.arn.clone());
                Ok(r.arn)
            }
            None => Err(CloudError::NotFound {
                operation: "GetRole".into(),
                message: format!("the managed role {name} does not exist"),
            }),
        }
    }

    /// CreateTrainingJob, retried while IAM has not yet propagated a new role.
    /// A create that passes a role (CreateTrainingJob, CreateModel), retried while IAM has not
    /// yet let SageMaker assume a new role.
    pub(super) fn with_role_retry(
        &self,
        send: impl Fn() -> Result<(), CloudError>,
    ) -> Result<(), CloudError> {
        let start = Instant::now();
        loop {
            match send() {
                Err(e)
                    if is_role_not_ready(&e) && start.elapsed() < self.options.role_propagation =>
                {
                    self.progress.event(Event::Note(
                        "waiting for IAM to let SageMaker assume the new role…".into(),
                    ));
                    self.pause(Duration::from_secs(5).min(self.options.role_propagation));
                }
                other => return other,
            }
        }
    }
}

/// Whether SageMaker refused a job because the new role cannot be assumed yet.
fn is_role_not_ready(e: &CloudError) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("assume") && (text.contains("role") || text.contains("sts"))
}
