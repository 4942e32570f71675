//! The planner's second half: stack objects the manifest no longer wants. Endpoints are
//! deleted (protected ones are a problem unless forced), configs and models after whatever
//! used them, running jobs stopped only on request; training jobs are never deleted.

use std::collections::BTreeSet;

use super::planner::{change, Options, Planner, Problem};
use super::{Action, Change, ChangeId, Request, ResourceKind};
use crate::cloud::{Tags, TrainingStatus};
use crate::desired::naming::{TAG_ADDRESS, TAG_PROTECT};

/// Deletions of every dataset object under the stack's `datasets/<stack>/` prefix (`destroy
/// --purge-data`).
pub(crate) fn purge_datasets(objects: &[crate::cloud::StoredObject]) -> Vec<Change> {
    objects
        .iter()
        .map(|o| {
            let uri = format!("s3://{}/{}", o.bucket, o.key);
            let mut c = change(
                ChangeId::instance("dataset", &o.key),
                ResourceKind::Dataset,
                &uri,
                Action::Delete,
                "--purge-data".into(),
            );
            c.request = Some(Request::DeleteObject {
                bucket: o.bucket.clone(),
                key: o.key.clone(),
            });
            c
        })
        .collect()
}

impl Planner<'_> {
    /// Stack objects nothing in the manifest wants: deleted after whatever used them, except
    /// protected endpoints (a problem) and training jobs (history; running ones stopped only
    /// on request).
    pub(super) fn orphans(&mut self, opts: &Options) {
        let deleted = self.orphan_endpoints(opts);
        self.orphan_alarms(&deleted);
        self.orphan_configs_and_models(&deleted);
        self.orphan_jobs(opts);
    }

    /// Deletes endpoints the manifest no longer has (protected ones only with `--force`);
    /// returns their names, and marks what they served as freed.
    fn orphan_endpoints(&mut self, opts: &Options) -> BTreeSet<String> {
        let o = self.o;
        let wanted: BTreeSet<&str> = self
            .d
            .endpoints
            .iter()
            .map(|e| e.endpoint.endpoint_name.as_str())
            .collect();
        let mut deleted_endpoints = BTreeSet::new();
        for ep in o.endpoints.values() {
            if wanted.contains(ep.name.as_str()) || !self.owned(&ep.tags) {
                continue;
            }
            let id = self.orphan_id(&ep.tags, &ep.name, "endpoint");
            let protected = ep.tags.get(TAG_PROTECT).map(String::as_str) == Some("true");
            if protected && !opts.delete_protected {
                self.problems.push(Problem {
                    code: "plan::protected",
                    message: format!("endpoint `{}` ({}) is protected and the manifest no longer has it", ep.name, id),
                    help: "put the endpoint back in the manifest, or set `protect: false` on it and apply before removing it".into(),
                });
                continue;
            }
            let reason = if protected {
                format!("{}; protected, deleted because of --force", self.gone())
            } else {
                self.gone().to_string()
            };
            let mut c = change(
                id.clone(),
                ResourceKind::Endpoint,
                &ep.name,
                Action::Delete,
                reason,
            );
            c.request = Some(Request::DeleteEndpoint {
                endpoint_name: ep.name.clone(),
            });
            self.changes.push(c);
            deleted_endpoints.insert(ep.name.clone());
            self.freed
                .entry(ep.config_name.clone())
                .or_default()
                .push(id.clone());
            if let Some(cfg) = o.endpoint_configs.get(&ep.config_name) {
                for v in &cfg.variants {
                    self.freed
                        .entry(v.model_name.clone())
                        .or_default()
                        .push(id.clone());
                }
            }
        }
        deleted_endpoints
    }

    /// Deletes configs no endpoint keeps serving and models no kept config uses, each after
    /// what freed it and after every endpoint still changing (a rollback may need them).
    fn orphan_configs_and_models(&mut self, deleted_endpoints: &BTreeSet<String>) {
        let kept_configs = self.orphan_configs(deleted_endpoints);
        self.orphan_models(&kept_configs);
    }

    /// Deletes the stack's alarms no guarded endpoint of the manifest wants (the endpoint left
    /// the manifest, or its rollout did), after whatever still changes that endpoint; so an
    /// interrupted destroy's re-run finds and deletes them too.
    fn orphan_alarms(&mut self, deleted_endpoints: &BTreeSet<String>) {
        let wanted: BTreeSet<&str> = self
            .d
            .endpoints
            .iter()
            .filter_map(|e| e.guarded.as_ref())
            .flat_map(|g| g.alarms.iter().map(|a| a.name.as_str()))
            .collect();
        for a in self.o.alarms.values() {
            if wanted.contains(a.name.as_str()) || !self.owned(&a.tags) {
                continue;
            }
            let endpoint = a.endpoint.as_deref().unwrap_or_default();
            let reason = if deleted_endpoints.contains(endpoint) {
                format!("goes with endpoint {endpoint}")
            } else if self.o.endpoints.contains_key(endpoint) {
                format!("endpoint {endpoint} no longer has a rollout that uses it")
            } else {
                format!("its endpoint {endpoint} no longer exists")
            };
            let mut c = change(
                ChangeId::instance("alarm", &a.name),
                ResourceKind::Alarm,
                &a.name,
                Action::Delete,
                reason,
            );
            c.depends_on = self
                .changes
                .iter()
                .filter(|c| c.kind == ResourceKind::Endpoint && c.name == endpoint)
                .filter(|c| c.action != Action::Noop)
                .map(|c| c.id.clone())
                .collect();
            c.request = Some(Request::DeleteAlarms {
                alarm_names: vec![a.name.clone()],
            });
            self.changes.push(c);
        }
    }

    /// Deletes configs nothing wants or keeps serving; returns the names of those kept.
    fn orphan_configs(&mut self, deleted_endpoints: &BTreeSet<String>) -> Vec<String> {
        let o = self.o;
        let wanted_configs: BTreeSet<&str> = self
            .d
            .endpoints
            .iter()
            .map(|e| e.endpoint_config.endpoint_config_name.as_str())
            .collect();
        // Configs still served by an endpoint that stays on them.
        let updated: BTreeSet<&str> = self
            .changes
            .iter()
            .filter(|c| c.kind == ResourceKind::Endpoint && c.action == Action::Update)
            .map(|c| c.name.as_str())
            .collect();
        let served: BTreeSet<&str> = o
            .endpoints
            .values()
            .filter(|ep| {
                !deleted_endpoints.contains(&ep.name) && !updated.contains(ep.name.as_str())
            })
            .map(|ep| ep.config_name.as_str())
            .collect();
        let mut kept_configs = Vec::new();
        for cfg in o.endpoint_configs.values() {
            let name = cfg.name.as_str();
            if wanted_configs.contains(name) || served.contains(name) || !self.owned(&cfg.tags) {
                kept_configs.push(name.to_string());
                continue;
            }
            let (id, reason) = self.rotation_id(&cfg.tags, name, "endpoint_config");
            let mut c = change(
                id.clone(),
                ResourceKind::EndpointConfig,
                name,
                Action::Delete,
                reason,
            );
            c.depends_on = self.freed.get(name).cloned().unwrap_or_default();
            c.request = Some(Request::DeleteEndpointConfig {
                endpoint_config_name: name.to_string(),
            });
            self.changes.push(c);
        }
        kept_configs
    }

    /// Deletes models nothing wants and no kept config uses.
    fn orphan_models(&mut self, kept_configs: &[String]) {
        let o = self.o;
        let wanted_models: BTreeSet<&str> = self
            .d
            .fine_tunes
            .iter()
            .filter_map(|f| f.model.as_ref().map(|m| m.model_name.as_str()))
            .collect();
        // Nothing is deleted while an endpoint is still changing: a rollback may need it.
        let in_flight: Vec<ChangeId> = self
            .changes
            .iter()
            .filter(|c| {
                c.kind == ResourceKind::Endpoint
                    && matches!(c.action, Action::Update | Action::Wait | Action::Verify)
            })
            .map(|c| c.id.clone())
            .collect();
        let after = |freed: Option<&Vec<ChangeId>>| {
            let mut deps: Vec<ChangeId> = freed.cloned().unwrap_or_default();
            deps.extend(in_flight.iter().cloned());
            deps.sort();
            deps.dedup();
            deps
        };
        let used: BTreeSet<&str> = kept_configs
            .iter()
            .filter_map(|n| o.endpoint_configs.get(n))
            .flat_map(|c| c.variants.iter().map(|v| v.model_name.as_str()))
            .collect();
        for m in o.models.values() {
            let name = m.name.as_str();
            if wanted_models.contains(name) || used.contains(name) || !self.owned(&m.tags) {
                continue;
            }
            let (id, reason) = self.rotation_id(&m.tags, name, "model");
            let mut c = change(
                id.clone(),
                ResourceKind::Model,
                name,
                Action::Delete,
                reason,
            );
            c.depends_on = after(self.freed.get(name));
            c.request = Some(Request::DeleteModel {
                model_name: name.to_string(),
            });
            self.changes.push(c);
        }
    }

    /// Running jobs nothing wants: stopped with `--stop-orphaned-jobs`, else a warning.
    fn orphan_jobs(&mut self, opts: &Options) {
        let (d, o) = (self.d, self.o);
        let wanted_jobs: BTreeSet<&str> = d
            .fine_tunes
            .iter()
            .map(|f| f.training_job.training_job_name.as_str())
            .collect();
        for (name, status) in &o.job_list {
            if !status.is_running() || wanted_jobs.contains(name.as_str()) {
                continue;
            }
            let Some(job) = o.jobs.get(name) else {
                continue;
            };
            if !self.owned(&job.tags) || job.status != TrainingStatus::InProgress {
                continue;
            }
            let address = job
                .tags
                .get(TAG_ADDRESS)
                .cloned()
                .unwrap_or_else(|| "fine_tune".into());
            if opts.stop_orphaned_jobs {
                let mut c = change(
                    ChangeId::instance(address, name),
                    ResourceKind::TrainingJob,
                    name,
                    Action::Stop,
                    "still running, and no fine-tune in the manifest wants its result".into(),
                );
                c.request = Some(Request::StopTrainingJob {
                    training_job_name: name.clone(),
                });
                self.changes.push(c);
            } else {
                self.warnings.push(format!(
                    "training job {name} ({address}) is still running but no fine-tune wants its result; it keeps running (and billing) unless you pass --stop-orphaned-jobs"
                ));
            }
        }
    }

    /// The id of an orphan: its address from the tag, with `[name]` when the address is
    /// one the manifest still uses.
    fn orphan_id(&self, tags: &Tags, name: &str, kind: &str) -> ChangeId {
        let address = tags
            .get(TAG_ADDRESS)
            .cloned()
            .unwrap_or_else(|| format!("{kind}.{name}"));
        if self.changes.iter().any(|c| c.id == address.as_str()) {
            ChangeId::instance(address, name)
        } else {
            ChangeId::at(address)
        }
    }

    /// Id and reason for deleting a superseded or orphaned config or model.
    fn rotation_id(&self, tags: &Tags, name: &str, kind: &str) -> (ChangeId, String) {
        let address = tags
            .get(TAG_ADDRESS)
            .cloned()
            .unwrap_or_else(|| format!("{kind}.{name}"));
        let still_used = self.changes.iter().any(|c| c.address == address);
        let listed = |ids: &Vec<ChangeId>| {
            let ids: Vec<String> = ids.iter().map(ChangeId::to_string).collect();
            ids.join(", ")
        };
        let reason = match self.freed.get(name) {
            Some(after) if still_used => format!(
                "superseded; removed after {} no longer uses it",
                listed(after)
            ),
            Some(after) => format!("{}; removed after {}", self.gone(), listed(after)),
            None if still_used => "superseded and unused".into(),
            None => self.gone().into(),
        };
        (ChangeId::instance(address, name), reason)
    }
}
