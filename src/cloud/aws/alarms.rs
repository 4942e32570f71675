//! CloudWatch alarms for guarded endpoint updates, and SageMaker's blue/green
//! DeploymentConfig built from a [`Deployment`].

use aws_sdk_cloudwatch::types as cw;
use aws_sdk_sagemaker::types as sm;

use super::read::cloud_error;
use super::AwsCloud;
use crate::cloud::{AlarmRequest, CloudError, Deployment};
use crate::manifest::Traffic;

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
