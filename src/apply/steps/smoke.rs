//! The promotion checks after an endpoint change: the smoke test (each prompt sent and its
//! answer checked), the rollback to the config that last passed when a check fails, and the
//! record of a pass on the endpoint (the `sagetune:passed` tag), written only after every
//! check passed so an interrupted run is finished by the next one. After a create with
//! nothing to roll back to, a failing endpoint is left for inspection.

use super::{done, Run, Waited};
use crate::apply::{Did, Event, Outcome};
use crate::cloud::{CloudError, EndpointStatus};
use crate::inference::{ask, check};
use crate::plan::{Change, Request};
use crate::prepare::Smoke;

impl Run<'_> {
    /// `outcome` of creating or updating endpoint `name` to `config`, followed by its smoke
    /// test when it is in service and the record of the pass when the change has checks;
    /// `previous` is the config to roll back to.
    pub(super) fn checked(
        &self,
        c: &Change,
        name: &str,
        config: &str,
        previous: Option<&str>,
        outcome: Outcome,
    ) -> Result<Outcome, CloudError> {
        let Outcome::Done(did) = &outcome else {
            return Ok(outcome);
        };
        let tested = match (&c.smoke, did) {
            (None, _) => outcome.clone(),
            (Some(smoke), Did::Said(what)) => match self.smoke_test(name, smoke) {
                Ok(()) => {
                    let n = smoke.cases.len();
                    done(format!("{what}; smoke test passed ({n} prompts)"))
                }
                Err(failure) => {
                    return Ok(self.failed_check(name, previous, "smoke test", &failure))
                }
            },
            (Some(_), Did::Uploaded { .. }) => outcome.clone(),
        };
        if c.gate.is_some() || c.smoke.is_some() {
            self.cloud
                .tag_endpoint(name, &[crate::plan::passed_tag(config)])?;
        }
        Ok(tested)
    }

    /// Finishes an unproven promotion (a verify change): waits for the endpoint, judges its
    /// gate against the config that last passed, runs its smoke test, and records the pass;
    /// a failure rolls back to that config.
    pub(super) fn verify(&self, c: &Change) -> Result<Outcome, CloudError> {
        let Some(Request::AddTags {
            endpoint_name,
            tags,
        }) = &c.request
        else {
            return Ok(Outcome::Failed("a verify change without its tags".into()));
        };
        let name = endpoint_name.as_str();
        let Some(config) = tags.iter().find(|t| t.key == crate::plan::TAG_PASSED) else {
            return Ok(Outcome::Failed(
                "a verify change without the config it verifies".into(),
            ));
        };
        let config = config.value.as_str();
        let previous = c.supersedes.as_deref();
        let Some(now) = self.cloud.describe_endpoint(name)? else {
            return Ok(Outcome::Failed(format!("endpoint {name} no longer exists")));
        };
        let ready = if now.status.is_transitional() {
            if !self.options.wait {
                return Ok(Outcome::Started(format!(
                    "{name} is {}; a later apply checks it",
                    now.status.as_str()
                )));
            }
            self.wait_endpoint(name, Some(config)).into()
        } else if now.status == EndpointStatus::InService && now.config_name == config {
            done(format!("in service on {config}"))
        } else {
            Outcome::Failed(format!(
                "endpoint {name} is {} on {} since the plan was made, not on {config}; plan again",
                now.status.as_str(),
                now.config_name
            ))
        };
        if !matches!(ready, Outcome::Done(_)) {
            return Ok(ready);
        }
        if let Some(planned) = &c.gate {
            match self.gate(planned)? {
                Some(Outcome::Held(why)) => {
                    return Ok(self.failed_check(name, previous, "gate", &why));
                }
                Some(stop) => return Ok(stop),
                None => {}
            }
        }
        self.checked(c, name, config, previous, ready)
    }

    /// A failed check on `name`: rolled back to `previous` when there is one (and waited
    /// for), else the endpoint is left for inspection.
    fn failed_check(&self, name: &str, previous: Option<&str>, what: &str, why: &str) -> Outcome {
        let Some(previous) = previous else {
            return Outcome::Failed(format!(
                "{what} failed: {why}; endpoint {name} is left as it is for inspection (`sagetune invoke`), and no config passed on it before to roll back to"
            ));
        };
        self.progress.event(Event::Note(format!(
            "{what} failed on {name}: rolling back to {previous}"
        )));
        let back = match self.cloud.update_endpoint(name, previous, None) {
            Ok(()) => self.wait_endpoint(name, Some(previous)),
            Err(e) => Waited::Failed(e.to_string()),
        };
        Outcome::Failed(match back {
            Waited::Done(_) => {
                format!("{what} failed: {why}; rolled back: {name} serves {previous} again")
            }
            Waited::Failed(w) | Waited::Interrupted(w) => {
                format!("{what} failed: {why}; the rollback to {previous} did not finish: {w}")
            }
        })
    }

    /// Every case of `smoke` against `name`; the first failure says which prompt and why.
    fn smoke_test(&self, name: &str, smoke: &Smoke) -> Result<(), String> {
        for (i, case) in smoke.cases.iter().enumerate() {
            let n = i + 1;
            let answer = ask(
                self.cloud,
                name,
                &smoke.format,
                &case.prompt,
                case.max_new_tokens,
            )
            .map_err(|e| format!("prompt {n} ({:?}): {e}", case.prompt))?;
            match check(case, &answer) {
                Ok(summary) => self.progress.event(Event::Note(format!(
                    "smoke test {n}/{} on {name}: passed ({summary})",
                    smoke.cases.len()
                ))),
                Err(why) => return Err(format!("prompt {n} ({:?}): {why}", case.prompt)),
            }
        }
        Ok(())
    }
}
