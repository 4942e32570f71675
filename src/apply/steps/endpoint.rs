//! The endpoint steps: create (adopting one of ours), update to a config (waiting for an
//! update already under way instead of sending it again, putting a guarded update's alarms
//! first), and the waits that check the endpoint ends in service on the config it should.

use std::time::Instant;

use super::{done, unowned, Creation, Look, Run, Waited};
use crate::apply::{Event, Outcome};
use crate::cloud::requests::CreateEndpoint;
use crate::cloud::{CloudError, Endpoint, EndpointStatus};
use crate::desired::GuardedUpdate;

impl Run<'_> {
    pub(super) fn create_endpoint(&self, e: &CreateEndpoint) -> Result<Outcome, CloudError> {
        let name = &e.endpoint_name;
        let creation = self.create_or_adopt(
            "endpoint",
            name,
            || self.cloud.create_endpoint(e),
            || Ok(self.cloud.describe_endpoint(name)?.map(|x| x.tags)),
        )?;
        if let Creation::Refused(outcome) = creation {
            return Ok(outcome);
        }
        Ok(if self.options.wait {
            self.wait_endpoint(name, Some(&e.endpoint_config_name))
                .into()
        } else {
            Outcome::Started("creation started".into())
        })
    }

    pub(super) fn update_endpoint(
        &self,
        name: &str,
        config: &str,
        guarded: Option<&GuardedUpdate>,
    ) -> Result<Outcome, CloudError> {
        let Some(mut now) = self.cloud.describe_endpoint(name)? else {
            return Ok(Outcome::Failed(format!("endpoint {name} no longer exists")));
        };
        if !self.owned(&now.tags) {
            return Ok(unowned("endpoint", name));
        }
        if now.status.is_transitional() && now.pending_config.as_deref() == Some(config) {
            // The update to this config is already under way (an earlier run sent it and was
            // interrupted, or its answer was lost): wait for it rather than send it again.
            self.progress.event(Event::Note(format!(
                "endpoint {name} is already updating to {config}; waiting for that update"
            )));
            if !self.options.wait {
                return Ok(Outcome::Started(format!("update to {config} under way")));
            }
            return Ok(self.wait_endpoint(name, Some(config)).into());
        }
        if now.status.is_transitional() {
            if let Waited::Interrupted(w) | Waited::Failed(w) = self.settle_endpoint(name) {
                return Ok(Outcome::Failed(w));
            }
            match self.cloud.describe_endpoint(name)? {
                Some(settled) => now = settled,
                None => return Ok(Outcome::Failed(format!("endpoint {name} no longer exists"))),
            }
        }
        if now.config_name == config && now.status == EndpointStatus::InService {
            return Ok(done(format!("already serves {config}")));
        }
        // A guarded update's alarms go first; alarms nothing wants are the plan's deletions.
        for alarm in guarded.iter().flat_map(|g| &g.alarms) {
            self.cloud.put_alarm(alarm)?;
        }
        self.cloud
            .update_endpoint(name, config, guarded.map(|g| &g.deployment))?;
        if !self.options.wait {
            return Ok(Outcome::Started(format!("update to {config} started")));
        }
        Ok(self.wait_endpoint(name, Some(config)).into())
    }

    /// Waits until an endpoint is no longer changing, whatever it ends on (gone included).
    fn settle_endpoint(&self, name: &str) -> Waited {
        let subject = format!("endpoint {name}");
        let read = || self.cloud.describe_endpoint(name).map(Some);
        self.poll((&subject, CHANGING), read, |e| match e {
            Some(e) if e.status.is_transitional() => Look::Again,
            _ => Look::Ended(Waited::Done("settled".into())),
        })
    }

    /// Waits for an endpoint to settle and, with `expect`, checks it serves that config: a
    /// silent rollback (InService on another config) is a failure.
    pub(super) fn wait_endpoint(&self, name: &str, expect: Option<&str>) -> Waited {
        let start = Instant::now();
        let mut last: Option<EndpointStatus> = None;
        let subject = format!("endpoint {name}");
        self.poll(
            (&subject, CHANGING),
            || self.cloud.describe_endpoint(name),
            |e| {
                if last != Some(e.status) {
                    self.progress.event(Event::Endpoint {
                        name: name.to_string(),
                        status: e.status.as_str().to_string(),
                        elapsed: start.elapsed(),
                    });
                    last = Some(e.status);
                }
                if e.status.is_transitional() {
                    return Look::Again;
                }
                Look::Ended(settled_endpoint(name, &e, expect))
            },
        )
    }
}

/// What an endpoint does after a wait for it stops.
const CHANGING: &str = "keeps changing in AWS";

/// How a wait for an endpoint that stopped changing ends: in service on the config it should
/// serve, or failed (a silent rollback to another config is a failure).
fn settled_endpoint(name: &str, e: &Endpoint, expect: Option<&str>) -> Waited {
    let reason = (e.failure_reason.as_deref())
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match (e.status, expect) {
        (EndpointStatus::InService, Some(want)) if e.config_name != want => Waited::Failed(format!(
            "endpoint {name} rolled back: it is InService on {} instead of {want}{reason}; the old config and model are kept",
            e.config_name
        )),
        (EndpointStatus::InService, _) => Waited::Done(format!("in service on {}", e.config_name)),
        (status, _) => Waited::Failed(format!("endpoint {name} is {}{reason}", status.as_str())),
    }
}
