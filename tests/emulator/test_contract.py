"""The contract check refuses what AWS would refuse, and only that (run with the emulator's tests)."""

import json
import os
import sys
import unittest
from urllib.parse import urlencode

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(__file__))
import contract  # noqa: E402
import sagetune_emulator  # noqa: E402

SERVER, PORT = sagetune_emulator.serve(0)


def unvalidated(service):
    """A boto3 client that sends whatever it is given (no client-side checks), as a buggy caller would."""
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{PORT}",
        region_name="us-east-1",
        aws_access_key_id="contract-tests",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def tags(n, value="v"):
    return [{"Key": f"k{i}", "Value": value} for i in range(n)]


class Shapes(unittest.TestCase):
    def endpoint(self, **extra):
        params = {"EndpointName": "e", "EndpointConfigName": "c", **extra}
        return contract.violations("sagemaker", "CreateEndpoint", params)

    def test_valid_requests_pass(self):
        self.assertEqual(self.endpoint(Tags=tags(50)), [])
        self.assertEqual(self.endpoint(Tags=[{"Key": "équipe", "Value": "données 2026"}]), [])
        name = "a" * 63
        self.assertEqual(self.endpoint(EndpointName=name), [])

    def test_sizes_lengths_patterns_required_and_unknown_members_are_refused(self):
        self.assertIn("at most 50 allowed", " ".join(self.endpoint(Tags=tags(51))))
        self.assertIn("at most 63 allowed", " ".join(self.endpoint(EndpointName="a" * 64)))
        self.assertIn("does not match", " ".join(self.endpoint(EndpointName="-bad")))
        self.assertIn("at most 256 allowed", " ".join(self.endpoint(Tags=tags(1, "v" * 257))))
        self.assertIn("does not match", " ".join(self.endpoint(Tags=tags(1, "bell\u0007"))))
        missing = contract.violations("sagemaker", "CreateEndpoint", {"EndpointName": "e"})
        self.assertEqual(missing, ["CreateEndpoint.EndpointConfigName: required member missing"])
        self.assertIn("unknown member", " ".join(self.endpoint(Colour="red")))
        job = {"ResourceConfig": {"InstanceType": "ml.nope", "KeepAlivePeriodInSeconds": 30000}}
        errors = " ".join(contract.violations("sagemaker", "CreateTrainingJob", job))
        self.assertIn("'ml.nope' is not one of ml.m4.xlarge,", errors)
        self.assertIn("30000 is above the maximum 21600", errors)

    def test_cloudwatch_logs_reads_are_checked_too(self):
        read = {"logGroupName": "/aws/sagemaker/TrainingJobs", "logStreamName": "j/algo-1-1", "startFromHead": True}
        self.assertEqual(contract.violations("logs", "GetLogEvents", read), [])
        missing = contract.violations("logs", "GetLogEvents", {"logGroupName": "/aws/sagemaker/TrainingJobs"})
        self.assertEqual(missing, ["GetLogEvents.logStreamName: required member missing"])
        environ = {"HTTP_X_AMZ_TARGET": "Logs_20140328.GetLogEvents"}
        self.assertEqual(contract.request_of(environ, json.dumps(read).encode()), ("logs", "GetLogEvents", read))

    def test_the_query_protocol_is_read_back_into_the_input_shape(self):
        form = {
            "RoleName": "r",
            "AssumeRolePolicyDocument": "{}",
            "Tags.member.1.Key": "a",
            "Tags.member.1.Value": "1",
            "Tags.member.2.Key": "b",
            "Tags.member.2.Value": "2",
        }
        shape = contract.model("iam").operation_model("CreateRole").input_shape
        self.assertEqual(
            contract._from_query(shape, form, ""),
            {
                "RoleName": "r",
                "AssumeRolePolicyDocument": "{}",
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
            },
        )
        environ = {"CONTENT_TYPE": "application/x-www-form-urlencoded"}
        body = urlencode({"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "r" * 65}).encode()
        service, op, params = contract.request_of(environ, body)
        errors = contract.violations(service, op, params)
        self.assertIn("CreateRole.RoleName: 65 characters, at most 64 allowed", errors)
        self.assertIn("CreateRole.AssumeRolePolicyDocument: required member missing", errors)


class Server(unittest.TestCase):
    def test_a_request_aws_would_refuse_is_refused_and_recorded(self):
        sm = unvalidated("sagemaker")
        with self.assertRaises(ClientError) as caught:
            sm.create_endpoint(EndpointName="contract-e", EndpointConfigName="c", Tags=tags(51))
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        iam = unvalidated("iam")
        with self.assertRaises(ClientError) as caught:
            iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationError")
        import json
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/_sagetune/violations") as r:
            seen = [v for v in json.loads(r.read()) if v["key"] == "contract-tests"]
        self.assertEqual([v["op"] for v in seen], ["CreateEndpoint", "CreateRole"])

    def test_a_valid_request_goes_through(self):
        iam = unvalidated("iam")
        iam.create_role(RoleName="contract-ok", AssumeRolePolicyDocument="{}", Tags=tags(50))
        self.assertEqual(iam.get_role(RoleName="contract-ok")["Role"]["RoleName"], "contract-ok")


if __name__ == "__main__":
    unittest.main()
