//! CloudWatch alarms for guarded endpoint updates, and SageMaker's blue/green
//! DeploymentConfig built from a [`Deployment`].

use aws_sdk_cloudwatch::types as cw;
use aws_sdk_sagemaker::types as sm;

use super::answers::cloud_error;
use super::AwsCloud;
use crate::cloud::Traffic;
use crate::cloud::{Alarm, AlarmRequest, CloudError, Deployment, Tags};

impl AwsCloud {
    pub(super) fn put_metric_alarm(&self, a: &AlarmRequest) -> Result<(), CloudError> {
        let cloudwatch = self.cloudwatch_client()?;
        let dimension =
            |name: &str, value: &str| cw::Dimension::builder().name(name).value(value).build();
        let mut request = cloudwatch
            .put_metric_alarm()
            .alarm_name(&a.name)
            .alarm_description("sagetune: rolls back a guarded update of this endpoint")
            .namespace("AWS/SageMaker")
            .metric_name(&a.metric)
            .statistic(cw::Statistic::from(a.statistic.as_str()))
            .period(60)
            .evaluation_periods(1)
            .threshold(a.threshold)
            .comparison_operator(cw::ComparisonOperator::GreaterThanThreshold)
            .treat_missing_data("notBreaching")
            .dimensions(dimension("EndpointName", &a.endpoint))
            .dimensions(dimension("VariantName", &a.variant));
        for t in &a.tags {
            request = request.tags(cw::Tag::builder().key(&t.key).value(&t.value).build());
        }
        self.block_on(request.send())
            .map(|_| ())
            .map_err(|e| cloud_error("PutMetricAlarm", &a.name, &e))
    }

    /// DescribeAlarms by name prefix (every page), then each alarm's tags.
    pub(super) fn describe_alarms(&self, prefix: &str) -> Result<Vec<Alarm>, CloudError> {
        let cloudwatch = self.cloudwatch_client()?;
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .block_on(
                    cloudwatch
                        .describe_alarms()
                        .alarm_name_prefix(prefix)
                        .alarm_types(cw::AlarmType::MetricAlarm)
                        .set_next_token(token.clone())
                        .send(),
                )
                .map_err(|e| cloud_error("DescribeAlarms", prefix, &e))?;
            found.extend(page.metric_alarms().iter().map(alarm_of));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        found
            .into_iter()
            .map(|(arn, mut alarm)| {
                alarm.tags = self.alarm_tags(cloudwatch, &arn, &alarm.name)?;
                Ok(alarm)
            })
            .collect()
    }

    /// An alarm's tags (ListTagsForResource).
    fn alarm_tags(
        &self,
        cloudwatch: &aws_sdk_cloudwatch::Client,
        arn: &str,
        name: &str,
    ) -> Result<Tags, CloudError> {
        let out = self
            .block_on(cloudwatch.list_tags_for_resource().resource_arn(arn).send())
            .map_err(|e| cloud_error("ListTagsForResource", name, &e))?;
        let pair = |t: &cw::Tag| {
            let text = |v: Option<&str>| v.unwrap_or_default().to_string();
            (text(t.key()), text(t.value()))
        };
        Ok(out.tags().iter().map(pair).collect())
    }

    pub(super) fn delete_metric_alarm(&self, name: &str) -> Result<(), CloudError> {
        let cloudwatch = self.cloudwatch_client()?;
        self.block_on(cloudwatch.delete_alarms().alarm_names(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteAlarms", name, &e))
    }
}

/// SageMaker's DeploymentConfig for a guarded update.
pub(super) fn deployment_config(d: &Deployment) -> sm::DeploymentConfig {
    let capacity = |percent: u32| {
        sm::CapacitySize::builder()
            .r#type(sm::CapacitySizeType::CapacityPercent)
            .value(percent as i32)
            .build()
    };
    let mut routing =
        sm::TrafficRoutingConfig::builder().wait_interval_in_seconds(d.rollout.wait_seconds as i32);
    routing = match d.rollout.traffic {
        Traffic::AllAtOnce => routing.r#type(sm::TrafficRoutingConfigType::AllAtOnce),
        Traffic::Canary { percent } => routing
            .r#type(sm::TrafficRoutingConfigType::Canary)
            .canary_size(capacity(percent)),
        Traffic::Linear { percent } => routing
            .r#type(sm::TrafficRoutingConfigType::Linear)
            .linear_step_size(capacity(percent)),
    };
    let mut rollback = sm::AutoRollbackConfig::builder();
    for a in &d.alarms {
        rollback = rollback.alarms(sm::Alarm::builder().alarm_name(a).build());
    }
    sm::DeploymentConfig::builder()
        .blue_green_update_policy(
            sm::BlueGreenUpdatePolicy::builder()
                .traffic_routing_configuration(routing.build())
                .build(),
        )
        .auto_rollback_configuration(rollback.build())
        .build()
}

/// An alarm as listed (its ARN, and the alarm without its tags yet).
fn alarm_of(a: &cw::MetricAlarm) -> (String, Alarm) {
    let endpoint = (a.dimensions().iter())
        .find(|d| d.name() == Some("EndpointName"))
        .and_then(|d| d.value())
        .map(str::to_string);
    let alarm = Alarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        tags: Tags::new(),
        state: (a.state_value())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        endpoint,
    };
    (a.alarm_arn().unwrap_or_default().to_string(), alarm)
}
