//! The smoke test after an endpoint change: each prompt sent and its answer checked. After
//! an update, a failure rolls the endpoint back to the config it served before and waits for
//! it; after a create, the endpoint is left for inspection.

use super::{Run, Waited};
use crate::apply::{Did, Event, Outcome};
use crate::inference::{ask, check};
use crate::jumpstart::payload::Smoke;

impl Run<'_> {
    /// `outcome` of creating or updating endpoint `name`, followed by its smoke test when it
    /// is in service; `previous` is the config it served before an update.
    pub(super) fn smoke_tested(
        &self,
        name: &str,
        smoke: Option<&Smoke>,
        previous: Option<&str>,
        outcome: Outcome,
    ) -> Outcome {
        let (Some(smoke), Outcome::Done(did)) = (smoke, &outcome) else {
            return outcome;
        };
        let failure = match (self.smoke_test(name, smoke), did) {
            (Ok(()), Did::Said(what)) => {
                let n = smoke.cases.len();
                return Outcome::Done(format!("{what}; smoke test passed ({n} prompts)").into());
            }
            (Ok(()), _) => return outcome,
            (Err(why), _) => why,
        };
        let Some(previous) = previous else {
            return Outcome::Failed(format!(
                "smoke test failed: {failure}; the new endpoint {name} is left as it is for inspection (`sagetune invoke`)"
            ));
        };
        self.progress.event(Event::Note(format!(
            "smoke test failed on {name}: rolling back to {previous}"
        )));
        let back = match self.cloud.update_endpoint(name, previous, None) {
            Ok(()) => self.wait_endpoint(name, Some(previous)),
            Err(e) => Waited::Failed(e.to_string()),
        };
        Outcome::Failed(match back {
            Waited::Done(_) => {
                format!("smoke test failed: {failure}; rolled back: {name} serves {previous} again")
            }
            Waited::Failed(w) | Waited::Interrupted(w) => format!(
                "smoke test failed: {failure}; the rollback to {previous} did not finish: {w}"
            ),
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
