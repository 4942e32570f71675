"""Pins each behaviour sagetune's emulator adds to moto (run: python -m unittest discover tests/emulator)."""

import io
import json
import os
import sys
import tarfile
import unittest
import urllib.request

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(__file__))
import sagetune_emulator  # noqa: E402

SERVER, PORT = sagetune_emulator.serve(0)
URL = f"http://127.0.0.1:{PORT}"


def client(service, key="emulator-tests"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="testing",
    )


def control(path, body=None, method="POST"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


# The GPT-J spec's metric definitions.
METRICS = [
    {"Name": "huggingface-textgeneration:eval-loss", "Regex": "'eval_loss': ([0-9]+\\.[0-9]+)"},
    {"Name": "huggingface-textgeneration:train-loss", "Regex": "'loss': ([0-9]+\\.[0-9]+)"},
]


def job(sm, name, env=None):
    sm.create_training_job(
        TrainingJobName=name,
        RoleArn="arn:aws:iam::123456789012:role/r",
        AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File", "MetricDefinitions": METRICS},
        OutputDataConfig={"S3OutputPath": "s3://emu-bucket/out/"},
        ResourceConfig={"InstanceType": "ml.g5.12xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
        Environment=env or {},
    )


def config(sm, name, model="m"):
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.g5.2xlarge"}
        ],
    )


class Emulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = client("s3")
        cls.sm = client("sagemaker")
        cls.s3.create_bucket(Bucket="emu-bucket")
        cls.sm.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
            PrimaryContainer={"Image": "img"},
        )

    def test_jobs_run_through_their_states_and_write_a_model(self):
        job(self.sm, "life-1", {"K": "V"})
        seen = []
        for _ in range(6):
            d = self.sm.describe_training_job(TrainingJobName="life-1")
            seen.append((d["TrainingJobStatus"], d["SecondaryStatus"]))
        self.assertEqual(
            seen,
            [
                ("InProgress", "Starting"),
                ("InProgress", "Downloading"),
                ("InProgress", "Training"),
                ("InProgress", "Uploading"),
                ("Completed", "Completed"),
                ("Completed", "Completed"),
            ],
        )
        self.assertEqual(d["Environment"], {"K": "V"})
        # As SageMaker does: each MetricDefinition's last value in the log.
        final = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
        self.assertEqual(
            final, {"huggingface-textgeneration:eval-loss": 1.5, "huggingface-textgeneration:train-loss": 1.25}
        )
        body = self.s3.get_object(Bucket="emu-bucket", Key="out/life-1/output/model.tar.gz")["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
            self.assertIn("config.json", tar.getnames())

    def test_a_worse_job_logs_and_reports_higher_losses(self):
        control("/_sagetune/worse-job", {"prefix": "worse-", "reason": "1.2"})
        job(self.sm, "worse-1")
        for _ in range(6):
            d = self.sm.describe_training_job(TrainingJobName="worse-1")
        final = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
        self.assertEqual(final["huggingface-textgeneration:eval-loss"], 1.8)

    def test_pace_slows_jobs_and_failures_are_injected(self):
        control("/_sagetune/pace", {"prefix": "slow-", "describes_per_step": 3})
        job(self.sm, "slow-1")
        states = [self.sm.describe_training_job(TrainingJobName="slow-1")["SecondaryStatus"] for _ in range(3)]
        self.assertEqual(states, ["Starting", "Starting", "Starting"])
        self.assertEqual(self.sm.describe_training_job(TrainingJobName="slow-1")["SecondaryStatus"], "Downloading")
        control("/_sagetune/fail-job", {"prefix": "bad-", "reason": "AlgorithmError: boom"})
        job(self.sm, "bad-1")
        for _ in range(6):
            d = self.sm.describe_training_job(TrainingJobName="bad-1")
        self.assertEqual(d["TrainingJobStatus"], "Failed")
        self.assertEqual(d["FailureReason"], "AlgorithmError: boom")

    def test_stop_and_duplicates(self):
        job(self.sm, "stop-1")
        self.sm.stop_training_job(TrainingJobName="stop-1")
        self.assertEqual(self.sm.describe_training_job(TrainingJobName="stop-1")["TrainingJobStatus"], "Stopping")
        self.assertEqual(self.sm.describe_training_job(TrainingJobName="stop-1")["TrainingJobStatus"], "Stopped")
        with self.assertRaises(ClientError) as e:
            job(self.sm, "stop-1")
        self.assertIn("Cannot create already existing", str(e.exception))
        config(self.sm, "dup-c")
        with self.assertRaises(ClientError):
            config(self.sm, "dup-c")

    def test_endpoints_are_created_updated_and_rolled_back(self):
        config(self.sm, "ep-c1")
        config(self.sm, "ep-c2")
        self.sm.create_endpoint(EndpointName="ep-1", EndpointConfigName="ep-c1")
        with self.assertRaises(ClientError) as e:
            self.sm.create_endpoint(EndpointName="ep-1", EndpointConfigName="ep-c1")
        self.assertIn("Cannot create already existing", str(e.exception))
        with self.assertRaises(ClientError):
            self.sm.update_endpoint(EndpointName="ep-1", EndpointConfigName="ep-c2")
        self.assertEqual(self.sm.describe_endpoint(EndpointName="ep-1")["EndpointStatus"], "Creating")
        self.assertEqual(self.sm.describe_endpoint(EndpointName="ep-1")["EndpointStatus"], "InService")
        self.assertNotIn("PendingDeploymentSummary", self.sm.describe_endpoint(EndpointName="ep-1"))
        self.sm.update_endpoint(EndpointName="ep-1", EndpointConfigName="ep-c2")
        d = self.sm.describe_endpoint(EndpointName="ep-1")
        self.assertEqual((d["EndpointStatus"], d["EndpointConfigName"]), ("Updating", "ep-c1"))
        self.assertEqual(d["PendingDeploymentSummary"]["EndpointConfigName"], "ep-c2")
        d = self.sm.describe_endpoint(EndpointName="ep-1")
        self.assertEqual((d["EndpointStatus"], d["EndpointConfigName"]), ("InService", "ep-c2"))
        self.assertNotIn("PendingDeploymentSummary", d)
        control("/_sagetune/rollback-update", {"prefix": "ep-1", "reason": "health check failed"})
        self.sm.update_endpoint(EndpointName="ep-1", EndpointConfigName="ep-c1")
        self.sm.describe_endpoint(EndpointName="ep-1")
        d = self.sm.describe_endpoint(EndpointName="ep-1")
        self.assertEqual((d["EndpointStatus"], d["EndpointConfigName"]), ("InService", "ep-c2"))
        self.assertEqual(d["FailureReason"], "health check failed")
        control("/_sagetune/fail-endpoint", {"prefix": "ep-bad", "reason": "capacity"})
        self.sm.create_endpoint(EndpointName="ep-bad", EndpointConfigName="ep-c1")
        self.sm.describe_endpoint(EndpointName="ep-bad")
        self.assertEqual(self.sm.describe_endpoint(EndpointName="ep-bad")["EndpointStatus"], "Failed")

    def test_a_guarded_update_bakes_and_rolls_back_when_its_alarm_fires(self):
        cw = client("cloudwatch")
        for n in ("bg-c1", "bg-c2"):
            config(self.sm, n)
        self.sm.create_endpoint(EndpointName="bg-1", EndpointConfigName="bg-c1")
        self.sm.describe_endpoint(EndpointName="bg-1")
        cw.put_metric_alarm(
            AlarmName="bg-1-5xx", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
        deployment = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY", "WaitIntervalInSeconds": 60,
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                }
            },
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "bg-1-5xx"}]},
        }
        self.sm.update_endpoint(EndpointName="bg-1", EndpointConfigName="bg-c2", DeploymentConfig=deployment)
        # shift, bake, all: three status reads before it lands.
        states = [self.sm.describe_endpoint(EndpointName="bg-1")["EndpointStatus"] for _ in range(4)]
        self.assertEqual(states, ["Updating", "Updating", "Updating", "InService"])
        self.assertEqual(self.sm.describe_endpoint(EndpointName="bg-1")["EndpointConfigName"], "bg-c2")
        self.sm.update_endpoint(EndpointName="bg-1", EndpointConfigName="bg-c1", DeploymentConfig=deployment)
        self.sm.describe_endpoint(EndpointName="bg-1")
        control("/_sagetune/alarm", {"name": "bg-1-5xx", "state": "ALARM"})
        self.sm.describe_endpoint(EndpointName="bg-1")
        d = self.sm.describe_endpoint(EndpointName="bg-1")
        self.assertEqual((d["EndpointStatus"], d["EndpointConfigName"]), ("InService", "bg-c2"))
        self.assertIn("bg-1-5xx went into ALARM", d["FailureReason"])
        self.assertEqual(control("/_sagetune/alarms", method="GET")["bg-1-5xx"], "ALARM")

    def test_endpoints_answer_prompts_as_their_container_would(self):
        runtime = client("sagemaker-runtime")
        config(self.sm, "inv-c")
        self.sm.create_endpoint(EndpointName="inv-1", EndpointConfigName="inv-c")
        with self.assertRaises(ClientError) as e:
            runtime.invoke_endpoint(EndpointName="inv-1", Body=b'{"inputs": "x"}', ContentType="application/json")
        self.assertIn("not found", str(e.exception))  # still Creating
        self.sm.describe_endpoint(EndpointName="inv-1")

        def ask(body, **kw):
            r = runtime.invoke_endpoint(
                EndpointName="inv-1", Body=json.dumps(body).encode(), ContentType="application/json", **kw
            )
            return json.loads(r["Body"].read())

        tgi = ask({"inputs": "Revenue grew", "parameters": {"max_new_tokens": 5}}, CustomAttributes="accept_eula=true")
        self.assertEqual(len(tgi[0]["generated_text"].split()), 5)
        self.assertEqual(tgi, ask({"inputs": "Revenue grew", "parameters": {"max_new_tokens": 5}}))
        script = ask({"text_inputs": "Revenue grew"})
        self.assertEqual(len(script["generated_texts"]), 1)
        seen = [i for i in control("/_sagetune/invocations", method="GET") if i["endpoint"] == "inv-1"]
        self.assertEqual(seen[1]["custom_attributes"], "accept_eula=true")
        self.assertEqual(seen[1]["content_type"], "application/json")
        control("/_sagetune/invoke", {"prefix": "inv-1", "fail": "CUDA error"})
        with self.assertRaises(ClientError) as e:
            ask({"inputs": "x"})
        self.assertEqual(e.exception.response["Error"]["Code"], "ModelError")
        control("/_sagetune/invoke", {"prefix": "inv-1", "delay_ms": 50})
        self.assertIn("generated_text", ask({"inputs": "x"})[0])

    def test_faults_refuse_or_lose_answers_of_one_key_only(self):
        from botocore.config import Config

        s3 = boto3.client(
            "s3",
            endpoint_url=URL,
            region_name="us-east-1",
            aws_access_key_id="faulty",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        control("/_sagetune/bucket", {"name": "faults-bucket"})
        control("/_sagetune/faults", {"key": "faulty", "rate": 1.0, "seed": 3})
        for i in range(12):
            with self.assertRaises(ClientError):
                s3.put_object(Bucket="faults-bucket", Key=f"k{i}", Body=b"x")
        counts = control("/_sagetune/faults", method="GET")["faulty"]
        control("/_sagetune/faults", {"key": "faulty", "rate": 0.0})
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="faults-bucket").get("Contents", [])]
        # Lost answers were processed (the objects exist); refused requests were not.
        self.assertEqual(counts["refused"] + counts["lost"], 12)
        self.assertEqual(len(keys), counts["lost"])
        self.assertTrue(0 < counts["lost"] < 12, counts)
        # Another key is never touched by the faults of "faulty".
        client("s3").head_bucket(Bucket="faults-bucket")

    def test_jobs_log_progress_and_metric_lines_the_spec_regexes_match(self):
        import re

        logs = client("logs")

        def lines(name):
            streams = logs.describe_log_streams(
                logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=name
            )["logStreams"]
            self.assertEqual(len(streams), 1, streams)
            self.assertTrue(streams[0]["logStreamName"].startswith(f"{name}/algo-1-"))
            events = logs.get_log_events(
                logGroupName="/aws/sagemaker/TrainingJobs",
                logStreamName=streams[0]["logStreamName"],
                startFromHead=True,
            )["events"]
            return [e["message"] for e in events]

        job(self.sm, "logs-ok")
        algorithm = self.sm.describe_training_job(TrainingJobName="logs-ok")["AlgorithmSpecification"]
        self.assertEqual(algorithm.get("MetricDefinitions"), METRICS)
        for _ in range(6):
            self.sm.describe_training_job(TrainingJobName="logs-ok")
        text = lines("logs-ok")
        self.assertEqual(text[-1], "Training job completed")
        # The regexes of the fixture specs (GPT-J / Hugging Face family and Llama 2).
        regexes = {
            "'loss': ([0-9]+\\.[0-9]+)": "1.25",
            "'eval_loss': ([0-9]+\\.[0-9]+)": "1.5",
            "train_epoch_loss=([0-9\\.]+)": "1.25",
            "eval_epoch_loss=tensor\\(([0-9\\.]+)": "1.5",
            "eval_ppl=tensor\\(([0-9\\.]+)": "4.48",
        }
        for regex, last in regexes.items():
            found = [m.group(1) for line in text for m in [re.search(regex, line)] if m]
            self.assertEqual(len(found), 3, f"{regex}: one per epoch in {text}")
            self.assertEqual(found[-1], last, regex)
        written = control("/_sagetune/metrics-written", method="GET")["logs-ok"]
        self.assertEqual(
            written, {"loss": [2.1, 1.6, 1.25], "eval_loss": [2.4, 1.8, 1.5], "eval_ppl": [11.02, 6.05, 4.48]}
        )
        control("/_sagetune/fail-job", {"prefix": "logs-bad", "reason": "AlgorithmError: CUDA out of memory"})
        job(self.sm, "logs-bad")
        for _ in range(6):
            self.sm.describe_training_job(TrainingJobName="logs-bad")
        self.assertEqual(self.sm.describe_training_job(TrainingJobName="logs-bad")["TrainingJobStatus"], "Failed")
        self.assertEqual(lines("logs-bad")[-1], "ERROR: AlgorithmError: CUDA out of memory")

    def test_requests_are_logged_by_access_key(self):
        client("s3", key="logger").list_buckets()
        log = control("/_sagetune/requests", method="GET")
        mine = [r["op"] for r in log if r["key"] == "logger"]
        self.assertEqual(mine, ["S3 GET /"])
        client("iam", key="logger").list_roles()
        log = control("/_sagetune/requests", method="GET")
        self.assertIn("IAM.ListRoles", [r["op"] for r in log if r["key"] == "logger"])


if __name__ == "__main__":
    unittest.main()
