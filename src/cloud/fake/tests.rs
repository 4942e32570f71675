//! The fake's own lifecycles, checked.

use super::*;
use crate::cloud::requests::{
    AlgorithmSpecification, OutputDataConfig, ProductionVariant, ResourceConfig, StoppingCondition,
};

fn job(name: &str) -> CreateTrainingJob {
    CreateTrainingJob {
        training_job_name: name.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        algorithm_specification: AlgorithmSpecification {
            training_image: "img".into(),
            training_input_mode: "File".into(),
            metric_definitions: vec![],
        },
        hyper_parameters: Default::default(),
        input_data_config: vec![],
        output_data_config: OutputDataConfig {
            s3_output_path: "s3://b/out/".into(),
            compression_type: None,
        },
        resource_config: ResourceConfig {
            volume_size_in_gb: 30,
            instance_count: 1,
            instance_type: "ml.g5.2xlarge".into(),
        },
        stopping_condition: StoppingCondition {
            max_runtime_in_seconds: 60,
        },
        environment: [("K".to_string(), "V".to_string())].into_iter().collect(),
        enable_network_isolation: false,
        enable_inter_container_traffic_encryption: false,
        tags: vec![],
    }
}

fn config(name: &str) -> CreateEndpointConfig {
    CreateEndpointConfig {
        endpoint_config_name: name.into(),
        production_variants: vec![ProductionVariant {
            variant_name: "AllTraffic".into(),
            model_name: "m".into(),
            initial_variant_weight: 1.0,
            initial_instance_count: 1,
            instance_type: "ml.g5.2xlarge".into(),
            volume_size_in_gb: None,
            model_data_download_timeout_in_seconds: None,
            container_startup_health_check_timeout_in_seconds: None,
        }],
        tags: vec![],
    }
}

fn endpoint(config: &str) -> CreateEndpoint {
    CreateEndpoint {
        endpoint_name: "e".into(),
        endpoint_config_name: config.into(),
        tags: vec![],
    }
}

#[test]
fn jobs_move_through_their_states_and_write_a_model_on_completion() {
    let c = FakeCloud::new();
    c.add_bucket("b");
    c.create_training_job(&job("j")).unwrap();
    let seen: Vec<String> = (0..6)
        .map(|_| {
            let j = c.describe_training_job("j").unwrap().unwrap();
            format!("{}/{}", j.status.as_str(), j.secondary_status.unwrap())
        })
        .collect();
    assert_eq!(
        seen,
        [
            "InProgress/Starting",
            "InProgress/Downloading",
            "InProgress/Training",
            "InProgress/Uploading",
            "Completed/Completed",
            "Completed/Completed"
        ]
    );
    let done = c.describe_training_job("j").unwrap().unwrap();
    assert_eq!(done.environment["K"], "V", "Environment is kept");
    assert_eq!(
        done.model_artifacts.as_deref(),
        Some("s3://b/out/j/output/model.tar.gz")
    );
    assert!(c
        .object_keys("b")
        .contains(&"out/j/output/model.tar.gz".to_string()));
    assert!(matches!(
        c.create_training_job(&job("j")),
        Err(CloudError::AlreadyExists { .. })
    ));
}

#[test]
fn jobs_fail_or_stop_on_request() {
    let c = FakeCloud::new();
    c.fail_next_job("AlgorithmError: boom");
    c.create_training_job(&job("f")).unwrap();
    c.settle();
    let f = c.describe_training_job("f").unwrap().unwrap();
    assert_eq!(f.status, TrainingStatus::Failed);
    assert_eq!(f.failure_reason.as_deref(), Some("AlgorithmError: boom"));
    c.create_training_job(&job("s")).unwrap();
    c.stop_training_job("s").unwrap();
    assert_eq!(
        c.describe_training_job("s").unwrap().unwrap().status,
        TrainingStatus::Stopping
    );
    c.settle();
    assert_eq!(
        c.describe_training_job("s").unwrap().unwrap().status,
        TrainingStatus::Stopped
    );
}

#[test]
fn endpoints_update_or_roll_back_silently() {
    let c = FakeCloud::new();
    c.set_pace(3);
    c.create_endpoint_config(&config("c1")).unwrap();
    c.create_endpoint_config(&config("c2")).unwrap();
    c.create_endpoint(&endpoint("c1")).unwrap();
    assert_eq!(
        c.describe_endpoint("e").unwrap().unwrap().status,
        EndpointStatus::Creating
    );
    assert!(matches!(
        c.update_endpoint("e", "c2", None),
        Err(CloudError::Conflict { .. })
    ));
    c.settle();
    c.update_endpoint("e", "c2", None).unwrap();
    assert_eq!(
        c.describe_endpoint("e").unwrap().unwrap().status,
        EndpointStatus::Updating
    );
    c.settle();
    let e = c.describe_endpoint("e").unwrap().unwrap();
    assert_eq!(
        (e.status, e.config_name.as_str()),
        (EndpointStatus::InService, "c2")
    );

    c.roll_back_next_update("the new model failed its health check");
    c.update_endpoint("e", "c1", None).unwrap();
    c.settle();
    let e = c.describe_endpoint("e").unwrap().unwrap();
    assert_eq!(
        (e.status, e.config_name.as_str()),
        (EndpointStatus::InService, "c2")
    );
    assert_eq!(
        e.failure_reason.as_deref(),
        Some("the new model failed its health check")
    );
}

#[test]
fn a_crash_fails_every_later_write_and_is_logged() {
    let c = FakeCloud::new();
    c.crash_after_writes(1);
    c.create_endpoint_config(&config("c1")).unwrap();
    assert!(matches!(
        c.create_endpoint_config(&config("c2")),
        Err(CloudError::Transport { .. })
    ));
    c.recover();
    c.create_endpoint_config(&config("c2")).unwrap();
    assert_eq!(
        c.writes(),
        [
            "CreateEndpointConfig c1",
            "CreateEndpointConfig c2",
            "CreateEndpointConfig c2"
        ]
    );
}
