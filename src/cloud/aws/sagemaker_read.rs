//! The SageMaker reads beneath the `CloudRead` methods: an endpoint with or without its
//! tags, the endpoints `Search` finds by tag, an object's tags, and one page of a name
//! listing.

use super::answers::{absent, cloud_error, some};
use super::AwsCloud;
use crate::cloud::{CloudError, Endpoint, EndpointStatus, Kind, Tags};

impl AwsCloud {
    /// DescribeEndpoint, and its tags when `with_tags`.
    pub(super) fn read_endpoint(
        &self,
        name: &str,
        with_tags: bool,
    ) -> Result<Option<Endpoint>, CloudError> {
        let (_, sm, _) = self.clients()?;
        let r = self.block_on(sm.describe_endpoint().endpoint_name(name).send());
        let Some(e) = absent("DescribeEndpoint", name, r)? else {
            return Ok(None);
        };
        let status = e
            .endpoint_status()
            .and_then(|s| EndpointStatus::parse(s.as_str()))
            .ok_or_else(|| CloudError::Service {
                operation: "DescribeEndpoint".into(),
                code: "UnknownStatus".into(),
                message: format!("endpoint {name} has no status sagetune knows"),
            })?;
        Ok(Some(Endpoint {
            name: name.to_string(),
            tags: if with_tags {
                self.tags(e.endpoint_arn())?
            } else {
                Tags::new()
            },
            status,
            config_name: e.endpoint_config_name().unwrap_or_default().to_string(),
            failure_reason: some(e.failure_reason()),
            pending_config: e
                .pending_deployment_summary()
                .and_then(|p| some(p.endpoint_config_name())),
        }))
    }

    /// Search for endpoints tagged `key` = `value`, every page followed.
    pub(super) fn search_tagged_endpoints(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<Endpoint>, CloudError> {
        use aws_sdk_sagemaker::types::{Filter, Operator, ResourceType, SearchExpression};
        let (_, sm, _) = self.clients()?;
        let filter = Filter::builder()
            .name(format!("Tags.{key}"))
            .operator(Operator::Equals)
            .value(value)
            .build();
        let expression = SearchExpression::builder().filters(filter).build();
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .block_on(
                    sm.search()
                        .resource(ResourceType::Endpoint)
                        .search_expression(expression.clone())
                        .max_results(100)
                        .set_next_token(token)
                        .send(),
                )
                .map_err(|e| cloud_error("Search", value, &e))?;
            for e in out.results().iter().filter_map(|r| r.endpoint()) {
                let (Some(name), Some(status)) = (
                    some(e.endpoint_name()),
                    e.endpoint_status()
                        .and_then(|s| EndpointStatus::parse(s.as_str())),
                ) else {
                    continue;
                };
                all.push(Endpoint {
                    name,
                    tags: e
                        .tags()
                        .iter()
                        .filter_map(|t| Some((some(t.key())?, t.value()?.to_string())))
                        .collect(),
                    status,
                    config_name: e.endpoint_config_name().unwrap_or_default().to_string(),
                    failure_reason: some(e.failure_reason()),
                    pending_config: None,
                });
            }
            token = some(out.next_token());
            if token.is_none() {
                return Ok(all);
            }
        }
    }

    pub(super) fn tags(&self, arn: Option<&str>) -> Result<Tags, CloudError> {
        let Some(arn) = arn.filter(|a| !a.is_empty()) else {
            return Ok(Tags::new());
        };
        let cache = || {
            self.tags
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(known) = cache().get(arn) {
            return Ok(known.clone());
        }
        let tags = self.list_tags(arn)?;
        cache().insert(arn.to_string(), tags.clone());
        Ok(tags)
    }

    pub(super) fn list_tags(&self, arn: &str) -> Result<Tags, CloudError> {
        let (_, sm, _) = self.clients()?;
        let mut tags = Tags::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .block_on(
                    sm.list_tags()
                        .resource_arn(arn)
                        .set_next_token(token.clone())
                        .max_results(100)
                        .send(),
                )
                .map_err(|e| cloud_error("ListTags", arn, &e))?;
            for t in out.tags() {
                tags.insert(
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                );
            }
            token = some(out.next_token());
            if token.is_none() {
                return Ok(tags);
            }
        }
    }

    /// One page of the names of models, endpoint configs or endpoints containing `fragment`,
    /// and the next page's token.
    pub(super) fn names_page(
        &self,
        kind: Kind,
        fragment: &str,
        token: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), CloudError> {
        let (_, sm, _) = self.clients()?;
        let page = match kind {
            Kind::Model => {
                let out = self
                    .block_on(
                        sm.list_models()
                            .name_contains(fragment)
                            .max_results(100)
                            .set_next_token(token)
                            .send(),
                    )
                    .map_err(|e| cloud_error("ListModels", fragment, &e))?;
                let names = out.models().iter().filter_map(|m| some(m.model_name()));
                (names.collect(), some(out.next_token()))
            }
            Kind::EndpointConfig => {
                let out = self
                    .block_on(
                        sm.list_endpoint_configs()
                            .name_contains(fragment)
                            .max_results(100)
                            .set_next_token(token)
                            .send(),
                    )
                    .map_err(|e| cloud_error("ListEndpointConfigs", fragment, &e))?;
                let names =
                    (out.endpoint_configs().iter()).filter_map(|c| some(c.endpoint_config_name()));
                (names.collect(), some(out.next_token()))
            }
            Kind::Endpoint => {
                let out = self
                    .block_on(
                        sm.list_endpoints()
                            .name_contains(fragment)
                            .max_results(100)
                            .set_next_token(token)
                            .send(),
                    )
                    .map_err(|e| cloud_error("ListEndpoints", fragment, &e))?;
                let names = out
                    .endpoints()
                    .iter()
                    .filter_map(|e| some(e.endpoint_name()));
                (names.collect(), some(out.next_token()))
            }
            Kind::TrainingJob => (Vec::new(), None), // listed with their status instead
        };
        Ok(page)
    }
}
