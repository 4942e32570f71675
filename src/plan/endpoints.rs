//! The planner's endpoint half: each endpoint's config and the endpoint itself — created,
//! waited for, left, updated, or verified when it serves a config whose promotion checks
//! (gate, smoke test) have not passed — with the gate judged against what is served now.

use super::gate::{self, Baseline, GateCheck};
use super::planner::{change, Planner, Problem};
use super::{diff, Action, ChangeId, FieldDiff, Request, ResourceKind};
use crate::cloud::requests::{CreateEndpointConfig, Tag};
use crate::cloud::{Endpoint, EndpointConfig, EndpointStatus, TrainingStatus};
use crate::desired::naming::TAG_PASSED;
use crate::desired::EndpointResources;
use crate::observe::job_of_artifact;

impl Planner<'_> {
    /// Plans an endpoint: its config (new or kept), then the endpoint that serves it.
    pub(super) fn endpoint(&mut self, e: &EndpointResources) {
        let cfg = &e.endpoint_config;
        let cfg_id = ChangeId::at(format!("endpoint_config.{}", e.name));
        let model_id = ChangeId::at(format!("model.{}", e.fine_tune));
        let current = self.o.endpoints.get(&e.endpoint.endpoint_name);
        let served = current.and_then(|ep| self.o.endpoint_configs.get(&ep.config_name));

        let settled = self.o.settled.contains(&cfg.endpoint_config_name);
        let mut c = match self.o.endpoint_configs.get(&cfg.endpoint_config_name) {
            Some(have)
                if !settled && !self.check_owner("endpoint config", &have.name, &have.tags) =>
            {
                return
            }
            _ if settled => change(
                cfg_id.clone(),
                ResourceKind::EndpointConfig,
                &cfg.endpoint_config_name,
                Action::Noop,
                "exists".into(),
            ),
            Some(_) => change(
                cfg_id.clone(),
                ResourceKind::EndpointConfig,
                &cfg.endpoint_config_name,
                Action::Noop,
                "exists".into(),
            ),
            None => {
                let mut c = change(
                    cfg_id.clone(),
                    ResourceKind::EndpointConfig,
                    &cfg.endpoint_config_name,
                    Action::Create,
                    String::new(),
                );
                match served {
                    Some(old) => {
                        c.diff = diff::endpoint_config(cfg, old);
                        c.supersedes = Some(old.name.clone());
                        c.reason = diff::summarize(&c.diff);
                    }
                    None => c.reason = "new endpoint config".into(),
                }
                if self.pending(&model_id) {
                    c.depends_on.push(model_id.clone());
                }
                c.request = Some(Request::CreateEndpointConfig(cfg.clone()));
                c
            }
        };
        if c.reason.is_empty() {
            c.reason = "new endpoint config".into();
        }
        self.changes.push(c);
        self.serving_endpoint(e, current, served);
    }

    /// Plans the endpoint itself: create it, wait for it, leave it, or update it to the
    /// desired config (freeing the config and models it serves now for rotation).
    fn serving_endpoint(
        &mut self,
        e: &EndpointResources,
        current: Option<&Endpoint>,
        served: Option<&EndpointConfig>,
    ) {
        let cfg = &e.endpoint_config;
        let name = &e.endpoint.endpoint_name;
        let Some(ep) = current else {
            self.new_endpoint(e);
            return;
        };
        if !self.o.settled.contains(name) && !self.check_owner("endpoint", name, &ep.tags) {
            return;
        }
        if ep.config_name == cfg.endpoint_config_name {
            self.endpoint_on_desired_config(e, ep);
            return;
        }
        if !matches!(
            ep.status,
            EndpointStatus::InService | EndpointStatus::Creating
        ) && !ep.status.is_transitional()
        {
            self.problems.push(broken(ep));
            return;
        }
        self.endpoint_update(e, ep, served);
    }

    /// The endpoint's gate judged with what was observed: the fine-tune's job of this run
    /// (once completed) against `baseline`, what the endpoint serves now.
    fn gate(&self, e: &EndpointResources, baseline: Baseline<'_>) -> Option<GateCheck> {
        if e.gate.is_empty() {
            return None;
        }
        let job = self.d.fine_tunes.iter().find(|f| f.name == e.fine_tune)?;
        let name = &job.training_job.training_job_name;
        let new = self
            .o
            .jobs
            .get(name)
            .filter(|j| j.status == TrainingStatus::Completed)
            .map(|j| &j.final_metrics);
        Some(gate::judge(&e.gate, name, new, baseline))
    }

    /// What relative gate rules compare with when the endpoint serves `config`: the job
    /// behind its model, or why that cannot be read (so the rules hold).
    fn baseline(&self, config: &str) -> Baseline<'_> {
        let o = self.o;
        let Some(cfg) = o.endpoint_configs.get(config) else {
            return Baseline::Unreadable(format!(
                "its endpoint config {config} cannot be read (deleted?)"
            ));
        };
        let Some(model) = cfg.variants.first().map(|v| v.model_name.as_str()) else {
            return Baseline::Unreadable(format!("endpoint config {config} names no model"));
        };
        let Some(m) = o.models.get(model) else {
            return Baseline::Unreadable(format!("its model {model} cannot be read (deleted?)"));
        };
        let Some(job) = m.model_data.as_deref().and_then(job_of_artifact) else {
            return Baseline::Unreadable(format!(
                "model {model}'s artifact does not name the training job it came from"
            ));
        };
        match o.jobs.get(&job) {
            Some(j) => Baseline::Job(&j.name, &j.final_metrics),
            None => Baseline::Unreadable(format!(
                "the training job {job} behind model {model} cannot be read"
            )),
        }
    }

    /// The config the endpoint last passed its checks on, when that config still exists
    /// (the rollback target of an unproven promotion).
    fn passed<'e>(&self, ep: &'e Endpoint) -> Option<&'e str> {
        ep.tags
            .get(TAG_PASSED)
            .map(String::as_str)
            .filter(|c| *c == ep.config_name || self.o.endpoint_configs.contains_key(*c))
    }

    /// The endpoint serves the desired config but its checks never passed on it (an update or
    /// create was interrupted after it was sent, or its smoke test failed): apply waits for
    /// it, judges the gate against the config that last passed, runs the smoke test, rolls
    /// back to that config on failure, and only then lets what it superseded go.
    fn verify(&mut self, e: &EndpointResources, ep: &Endpoint) {
        let ep_id = ChangeId::at(format!("endpoint.{}", e.name));
        let passed = self.passed(ep).map(str::to_string);
        let checks = match (e.gate.is_empty(), e.smoke.is_some()) {
            (false, true) => "gate and smoke test",
            (false, false) => "gate",
            _ => "smoke test",
        };
        let serving = &ep.config_name;
        let mut c = change(
                ep_id.clone(),
            ResourceKind::Endpoint,
            &ep.name,
            Action::Verify,
            match &passed {
                Some(p) => format!(
                    "serves {serving}, whose {checks} has not passed (the promotion from {p} was interrupted, or failed); apply checks it now, rolls back to {p} on failure, and removes {p} only after it passes"
                ),
                None => format!(
                    "serves {serving}, whose {checks} has not passed (its creation was interrupted, or the test failed); apply checks it now"
                ),
            },
        );
        c.supersedes = passed.clone();
        c.gate = self.gate(
            e,
            match &passed {
                Some(p) => self.baseline(p),
                None => Baseline::Nothing,
            },
        );
        c.smoke = e.smoke.clone();
        c.request = Some(Request::AddTags {
            endpoint_name: ep.name.clone(),
            tags: vec![passed_tag(serving)],
        });
        self.changes.push(c);
        if let Some(p) = passed {
            self.free_after(&p, &ep_id);
        }
    }

    /// Marks `config` and the models it uses as freed only once change `after` is done.
    fn free_after(&mut self, config: &str, after: &ChangeId) {
        let mut names = vec![config.to_string()];
        if let Some(cfg) = self.o.endpoint_configs.get(config) {
            names.extend(cfg.variants.iter().map(|v| v.model_name.clone()));
        }
        for n in names {
            let deps = self.freed.entry(n).or_default();
            if !deps.iter().any(|d| d == after) {
                deps.push(after.clone());
            }
        }
    }

    /// A new endpoint serving the desired config, judged by its gate and smoke-tested.
    fn new_endpoint(&mut self, e: &EndpointResources) {
        let cfg = &e.endpoint_config;
        let cfg_id = ChangeId::at(format!("endpoint_config.{}", e.name));
        let ep_id = ChangeId::at(format!("endpoint.{}", e.name));
        let mut c = change(
            ep_id,
            ResourceKind::Endpoint,
            &e.endpoint.endpoint_name,
            Action::Create,
            format!("new endpoint serving {}", cfg.endpoint_config_name),
        );
        if self.pending(&cfg_id) {
            c.depends_on.push(cfg_id);
        }
        c.request = Some(Request::CreateEndpoint(e.endpoint.clone()));
        c.gate = self.gate(e, Baseline::Nothing);
        c.smoke = e.smoke.clone();
        self.changes.push(c);
    }

    /// An endpoint already on the desired config: verified when its checks never passed
    /// there, waited for while it changes, left alone in service, a problem otherwise.
    fn endpoint_on_desired_config(&mut self, e: &EndpointResources, ep: &Endpoint) {
        let cfg = &e.endpoint_config.endpoint_config_name;
        let unproven = e.checked() && self.passed(ep) != Some(cfg.as_str());
        if unproven && (ep.status.is_transitional() || ep.status == EndpointStatus::InService) {
            self.verify(e, ep);
            return;
        }
        let (action, reason) = if ep.status.is_transitional() {
            let status = ep.status.as_str();
            (
                Action::Wait,
                format!("endpoint is {status}; apply waits for InService"),
            )
        } else if ep.status == EndpointStatus::InService {
            (Action::Noop, "in service".into())
        } else {
            self.problems.push(broken(ep));
            return;
        };
        let ep_id = ChangeId::at(format!("endpoint.{}", e.name));
        let name = &e.endpoint.endpoint_name;
        (self.changes).push(change(ep_id, ResourceKind::Endpoint, name, action, reason));
    }

    /// Plans an update of `ep` to the desired config.
    fn endpoint_update(
        &mut self,
        e: &EndpointResources,
        ep: &Endpoint,
        served: Option<&EndpointConfig>,
    ) {
        let cfg = &e.endpoint_config;
        let cfg_id = ChangeId::at(format!("endpoint_config.{}", e.name));
        let ep_id = ChangeId::at(format!("endpoint.{}", e.name));
        let name = &e.endpoint.endpoint_name;
        let mut c = change(
            ep_id.clone(),
            ResourceKind::Endpoint,
            name,
            Action::Update,
            String::new(),
        );
        c.reason = update_reason(cfg, ep, served);
        c.diff.push(FieldDiff {
            field: "endpoint_config".into(),
            before: Some(ep.config_name.clone()),
            after: Some(cfg.endpoint_config_name.clone()),
        });
        // The rollback target: the config the endpoint last passed its checks on, else the
        // one it serves now.
        let back = self.passed(ep).unwrap_or(&ep.config_name).to_string();
        c.supersedes = Some(back.clone());
        if self.pending(&cfg_id) {
            c.depends_on.push(cfg_id);
        }
        c.request = Some(Request::UpdateEndpoint {
            endpoint_name: name.clone(),
            endpoint_config_name: cfg.endpoint_config_name.clone(),
        });
        c.gate = self.gate(e, self.baseline(&ep.config_name));
        c.smoke = e.smoke.clone();
        c.guarded = e.guarded.clone();
        self.changes.push(c);
        self.free_after(&ep.config_name, &ep_id);
        if back != ep.config_name {
            self.free_after(&back, &ep_id);
        }
    }
}

/// Why an endpoint is updated: the config it will serve instead, what differs, and what is
/// under way or failed before.
fn update_reason(
    cfg: &CreateEndpointConfig,
    ep: &Endpoint,
    served: Option<&EndpointConfig>,
) -> String {
    let mut reason = match served {
        Some(old) if !diff::endpoint_config(cfg, old).is_empty() => format!(
            "serve {} instead of {}: {}",
            cfg.endpoint_config_name,
            ep.config_name,
            diff::summarize(&diff::endpoint_config(cfg, old))
        ),
        _ => format!(
            "serve {} instead of {}",
            cfg.endpoint_config_name, ep.config_name
        ),
    };
    if ep.status.is_transitional() {
        reason.push_str(&format!(
            " (after the current {} finishes)",
            ep.status.as_str()
        ));
    }
    if let Some(r) = &ep.failure_reason {
        reason.push_str(&format!("; the last update failed: {r}"));
    }
    reason
}

/// The tag that records on an endpoint that `config` passed its checks there.
pub fn passed_tag(config: &str) -> Tag {
    Tag {
        key: TAG_PASSED.into(),
        value: config.into(),
    }
}

/// An endpoint in a state sagetune cannot update (`Failed`, `OutOfService`, …).
fn broken(ep: &Endpoint) -> Problem {
    let name = &ep.name;
    Problem {
        code: "plan::endpoint-broken",
        message: format!(
            "endpoint `{name}` is {} and cannot be updated{}",
            ep.status.as_str(),
            ep.failure_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        help: format!("delete the endpoint (`aws sagemaker delete-endpoint --endpoint-name {name}`) and plan again; sagetune then creates it afresh"),
    }
}
