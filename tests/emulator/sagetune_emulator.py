"""moto's server with SageMaker's lifecycle, for sagetune's end-to-end tests and try-it script.

Stock moto 5.2.5 completes training jobs at creation, serves endpoints at once, answers
UpdateEndpoint and StopTrainingJob with HTTP 500, silently overwrites duplicate names, drops a
training job's Environment and rejects newer instance types. This module patches exactly those
points (pinned to moto 5.2.5) and adds a small test-control surface:

  GET    /_sagetune/requests            every AWS request so far: {seq, key, op}
                                        (key = the caller's access key id, op = "S3 PUT /b/k",
                                        "SageMaker.CreateTrainingJob", "IAM.CreateRole", ...)
  DELETE /_sagetune/requests            forget them
  GET    /_sagetune/violations          every SageMaker/IAM request botocore's service model
                                        rejects (contract.py), refused with HTTP 400 as AWS
                                        would: {key, service, op, errors}
  POST   /_sagetune/bucket              {"name": "b"}: create a bucket (test setup)
  POST   /_sagetune/object              {"bucket": "b", "key": "k"}: an object's content, as
                                        {"text": utf-8 (lossy), "sha256": hex of the bytes}
  POST   /_sagetune/multipart           {"bucket": "b", "key": "k"}: leave a multipart upload
                                        behind, as a crash after CreateMultipartUpload does
  GET    /_sagetune/multipart           every multipart upload not completed or aborted
  POST   /_sagetune/faults              {"key": access key, "rate": 0.25, "seed": 7}: that
                                        fraction of the key's requests fail; half are refused
                                        unprocessed (503), half processed with the answer lost
                                        (500); rate 0 ends it
  GET    /_sagetune/faults              {key: {"refused": n, "lost": n}} injected so far
  GET    /_sagetune/alarms              {alarm name: state} of CloudWatch's alarms
  POST   /_sagetune/alarm               {"name": ..., "state": "ALARM" | "OK"}: sets an alarm's state
  GET    /_sagetune/invocations         every InvokeEndpoint request: endpoint, content type,
                                        accept, custom attributes, body
  POST   /_sagetune/invoke              {"prefix": "stack-", "fail": "reason" | null,
                                        "fail_on": "text" | null, "delay_ms": n}: how that
                                        prefix's endpoints answer next (with fail_on, only
                                        requests whose body holds that text fail)
  GET    /_sagetune/metrics-written     {job: {"loss": [..], "eval_loss": [..], "eval_ppl": [..]}}:
                                        the metric values each job's log lines carry
  POST   /_sagetune/pace                {"prefix": "stack-", "describes_per_step": 3}
  POST   /_sagetune/fail-job            {"prefix": "stack-", "reason": "..."}: the next job
                                        created with that name prefix fails
  POST   /_sagetune/alarm-on-update     {"prefix": ..., "reason": ...}: the next guarded update
                                        of such an endpoint finds its first alarm in ALARM
  POST   /_sagetune/worse-job           {"prefix": ..., "reason": "1.3"}: the next job created
                                        with that prefix logs its losses 1.3 times higher
  POST   /_sagetune/fail-endpoint       {"prefix": ..., "reason": ...}: the next endpoint
                                        created with that prefix ends Failed
  POST   /_sagetune/rollback-update     {"prefix": ..., "reason": ...}: the next update of an
                                        endpoint with that prefix rolls back silently
  POST   /_sagetune/iam-user            {"name": ..., "policy": {policy document}}: an IAM user
                                        holding exactly that policy; answers its access keys
                                        (for --enforce-iam, iam_enforcement.py)

While an update deploys, DescribeEndpoint carries PendingDeploymentSummary.EndpointConfigName
(the target config), as real SageMaker does.

Lifecycle: a job moves Starting -> Downloading -> Training -> Uploading -> Completed, one step
per `describes_per_step` DescribeTrainingJob calls, and writes a small model.tar.gz to its output
path on completion. Each job logs to CloudWatch Logs as SageMaker does (group
/aws/sagemaker/TrainingJobs, stream <job>/algo-1-<time>): progress lines per step and, while
training, per-epoch metric lines that JumpStart's MetricDefinitions regexes match; a failed
job's lines end with the error and stay. StopTrainingJob: Stopping, then Stopped. Endpoints: Creating -> InService
(or Failed), Updating -> InService on the new config (or back on the old one with a
FailureReason). An update with a canary or linear DeploymentConfig goes through three phases
(shift, bake, all), and rolls back as SageMaker does when one of its AutoRollbackConfiguration
alarms is in ALARM at the end of a phase. Usage:

  python sagetune_emulator.py [--port 0] [--port-file FILE] [--parent-pid PID]

It binds 127.0.0.1 only, prints "sagetune-emulator listening on http://127.0.0.1:PORT", and
exits when stopped by PID (SIGTERM) or when --parent-pid is gone.
"""

import argparse
import copy
import hashlib
import io
import json
import os
import random
import re
import signal
import sys
import tarfile
import threading
import time

import moto
from moto.sagemaker import models as sm_models
from moto.sagemaker import responses as sm_responses
from moto.sagemaker.exceptions import ValidationError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

import contract

MOTO_VERSION = "5.2.5"
JOB_STEPS = ["Starting", "Downloading", "Training", "Uploading"]

_lock = threading.RLock()
_requests = []
# Requests botocore's service model rejects (see contract.py): {key, service, op, errors}.
_violations = []
_pace = {}  # name prefix -> describes per step
# Fault injection per access key: {"rate": r, "rng": random.Random(seed), "refused": n, "lost": n}.
# Half the faults refuse a request unprocessed (503); half process it and lose the answer
# (500), as a network that drops responses does: the client's retry then meets the result.
_faults = {}
_fail_jobs = []  # (prefix, reason)
_alarm_on_update = []  # (prefix, _): the next guarded update of such an endpoint sees its first alarm fire
_worse_jobs = []  # (prefix, factor): the next job with that prefix logs its losses times factor
_fail_endpoints = []
_rollbacks = []
_jobs = {}  # (account, region, name) -> {"step", "ticks", "fail", "stopping"}
_endpoints = {}  # (account, region, name) -> {"ticks", "target", "previous", "fail"}


def _pop(queue, name):
    for i, (prefix, reason) in enumerate(queue):
        if name.startswith(prefix):
            del queue[i]
            return reason
    return None


def _pace_of(name):
    best = ("", 1)
    for prefix, n in _pace.items():
        if name.startswith(prefix) and len(prefix) >= len(best[0]):
            best = (prefix, n)
    return max(1, best[1])


def _model_tarball():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        body = json.dumps({"model_type": "emulated"}).encode()
        info = tarfile.TarInfo("config.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def _code_tarball():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        body = b"def model_fn(model_dir):\n    return model_dir\n"
        info = tarfile.TarInfo("inference.py")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def _write_s3(account_id, uri, body):
    from moto.s3.models import s3_backends

    bucket, _, key = uri[len("s3://") :].partition("/")
    s3_backends[account_id]["aws"].put_object(bucket, key, body)


def _exists(kind, name):
    return ValidationError(message=f'Cannot create already existing {kind} "{name}".')


# --- training jobs ---------------------------------------------------------------------------

_orig_create_training_job = sm_responses.SageMakerResponse.create_training_job
_orig_describe_training_job = sm_responses.SageMakerResponse.describe_training_job


def create_training_job(self):
    backend = self.sagemaker_backend
    name = self._get_param("TrainingJobName")
    with _lock:
        if name in backend.training_jobs:
            raise _exists("training job", name)
        # moto overwrites the request's MetricDefinitions in place with its own; keep ours.
        algorithm = copy.deepcopy(self._get_param("AlgorithmSpecification"))
        result = _orig_create_training_job(self)
        job = backend.training_jobs[name]
        job.environment = self._get_param("Environment") or {}
        job.algorithm_specification = algorithm
        job.training_job_status = "InProgress"
        job.secondary_status = JOB_STEPS[0]
        job.model_artifacts = None
        job.final_metric_data_list = []
        job.training_end_time = None
        _jobs[(backend.account_id, backend.region_name, name)] = {
            "step": 0,
            "ticks": 0,
            "fail": _pop(_fail_jobs, name),
            "factor": float(_pop(_worse_jobs, name) or 1.0),
            "stopping": False,
        }
        _job_log(backend, name, ["Starting the training job", f"Training job {name} is starting"])
    return result


# --- CloudWatch Logs of training jobs ------------------------------------------------------------
# As SageMaker does, each job writes to /aws/sagemaker/TrainingJobs, stream <job>/algo-1-<epoch s>:
# progress lines at each step and, while training, metric lines in the two formats JumpStart's
# scripts print (Hugging Face: "{'loss': 1.25, …}"; Llama 2: "train_epoch_loss=1.25",
# "eval_epoch_loss=tensor(1.5, …)", "eval_ppl=tensor(4.48, …)"), which the jobs' MetricDefinitions
# regexes match. Lines stay after a job fails.

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
# (epoch, train loss, eval loss, eval perplexity): losses fall, the last epoch ends on the final metrics.
EPOCHS = [(1, 2.1, 2.4, 11.02), (2, 1.6, 1.8, 6.05), (3, 1.25, 1.5, 4.48)]


def _metric_lines(epoch, train_loss, eval_loss, ppl):
    return [
        f"{{'loss': {train_loss}, 'learning_rate': 6e-06, 'epoch': {epoch}.0}}",
        f"{{'eval_loss': {eval_loss}, 'eval_runtime': 12.5, 'epoch': {epoch}.0}}",
        f"Epoch {epoch}: train_perplexity=tensor({ppl + 1.0:.4f}, device='cuda:0'), train_epoch_loss={train_loss}, epoch time 61.2s",
        f"Epoch {epoch}: eval_ppl=tensor({ppl}, device='cuda:0') eval_epoch_loss=tensor({eval_loss}, device='cuda:0')",
    ]


def _job_log(backend, name, lines):
    """Appends `lines` to the job's log stream, creating the group and stream on first use."""
    from moto.logs.models import logs_backends

    logs = logs_backends[backend.account_id][backend.region_name]
    state = _jobs[(backend.account_id, backend.region_name, name)]
    if "stream" not in state:
        state["stream"] = f"{name}/algo-1-{int(time.time())}"
        if LOG_GROUP not in logs.groups:
            logs.create_log_group(LOG_GROUP, {})
        logs.create_log_stream(LOG_GROUP, state["stream"])
    # Strictly increasing timestamps, so readers get the lines in the order they were written.
    events = []
    for line in lines:
        state["last_ms"] = max(int(time.time() * 1000), state.get("last_ms", 0) + 1)
        events.append({"timestamp": state["last_ms"], "message": line})
    if events:
        logs.put_log_events(LOG_GROUP, state["stream"], events)
    state.setdefault("lines", []).extend(lines)


# Metric values each job wrote to its log, by job name: what `sagetune metrics` must read back.
_written_metrics = {}


def _step_lines(name, step, fail, factor=1.0):
    """What a job prints entering `step`."""
    if step == "Downloading":
        return ["Downloading input data", "Downloaded 2 files from the training channel"]
    if step == "Training":
        lines = ["Invoking script with the following command: python transfer_learning.py"]
        for epoch in EPOCHS[: 1 if fail else len(EPOCHS)]:
            epoch = (epoch[0],) + tuple(round(v * factor, 4) for v in epoch[1:])
            lines.extend(_metric_lines(*epoch))
            written = _written_metrics.setdefault(name, {"loss": [], "eval_loss": [], "eval_ppl": []})
            for key, value in zip(("loss", "eval_loss", "eval_ppl"), epoch[1:]):
                written[key].append(value)
        if fail:
            lines.append(f"ERROR: {fail}")
        return lines
    if step == "Uploading":
        return ["Training complete. Saving the model", "Uploading generated training model"]
    if step == "Completed":
        return ["Training job completed"]
    return []


def _final_metrics(job, state):
    """As SageMaker publishes them: for each MetricDefinition, the last value its regex found
    in the job's log; a job without definitions reports the three generic names."""
    definitions = (job.algorithm_specification or {}).get("MetricDefinitions") or []
    if not definitions:
        f = state["factor"]
        return [("train_loss", 1.25 * f), ("eval_loss", 1.5 * f), ("eval_perplexity", 4.48 * f)]
    found = []
    for d in definitions:
        values = [m.group(1) for line in state.get("lines", []) for m in [re.search(d["Regex"], line)] if m]
        if values:
            found.append((d["Name"], float(values[-1])))
    return found


def _advance_job(backend, name):
    job = backend.training_jobs.get(name)
    state = _jobs.get((backend.account_id, backend.region_name, name))
    if job is None or state is None or job.training_job_status not in ("InProgress", "Stopping"):
        return
    state["ticks"] += 1
    if state["ticks"] < _pace_of(name):
        return
    state["ticks"] = 0
    if job.training_job_status == "Stopping":
        job.training_job_status = job.secondary_status = "Stopped"
        return
    state["step"] += 1
    if state["step"] < len(JOB_STEPS):
        if state["fail"] and JOB_STEPS[state["step"]] == "Uploading":
            job.training_job_status = job.secondary_status = "Failed"
            job.failure_reason = state["fail"]
            return
        job.secondary_status = JOB_STEPS[state["step"]]
        _job_log(backend, name, _step_lines(name, job.secondary_status, state["fail"], state["factor"]))
        return
    _job_log(backend, name, _step_lines(name, "Completed", None))
    artifact = job.output_data_config["S3OutputPath"].rstrip("/") + f"/{name}/output/model.tar.gz"
    _write_s3(backend.account_id, artifact, _model_tarball())
    job.model_artifacts = {"S3ModelArtifacts": artifact}
    job.training_job_status = job.secondary_status = "Completed"
    job.training_end_time = sm_models.utcnow()
    job.billable_time_in_seconds = 600
    now = sm_models.utcnow()
    job.final_metric_data_list = [
        {"MetricName": metric, "Value": value, "Timestamp": now} for metric, value in _final_metrics(job, state)
    ]


def describe_training_job(self):
    # Answer with the current state, then move on: the first describe shows "Starting".
    with _lock:
        result = _orig_describe_training_job(self)
        _advance_job(self.sagemaker_backend, self._get_param("TrainingJobName"))
        return result


def stop_training_job(self):
    backend = self.sagemaker_backend
    name = self._get_param("TrainingJobName")
    with _lock:
        job = backend.training_jobs.get(name)
        if job is None:
            raise ValidationError(message=f"Could not find training job '{name}'.")
        if job.training_job_status == "InProgress":
            job.training_job_status = job.secondary_status = "Stopping"
    return sm_responses.ActionResult({})


# --- models and endpoint configs ---------------------------------------------------------------

_orig_create_model = sm_responses.SageMakerResponse.create_model
_orig_create_endpoint_config = sm_responses.SageMakerResponse.create_endpoint_config


def create_model(self):
    name = self._get_param("ModelName")
    with _lock:
        if name in self.sagemaker_backend._models:
            raise _exists("model", name)
        return _orig_create_model(self)


def create_endpoint_config(self):
    name = self._get_param("EndpointConfigName")
    with _lock:
        if name in self.sagemaker_backend.endpoint_configs:
            raise _exists("endpoint configuration", name)
        return _orig_create_endpoint_config(self)


def _any_ml_instance(self, instance_type):
    if not re.fullmatch(r"ml\.[a-z0-9-]+\.[a-z0-9]+", instance_type or ""):
        raise ValidationError(message=f"Value '{instance_type}' at 'instanceType' is not an ml.* type")


# --- endpoints ---------------------------------------------------------------------------------

_orig_create_endpoint = sm_responses.SageMakerResponse.create_endpoint
_orig_describe_endpoint = sm_responses.SageMakerResponse.describe_endpoint


def create_endpoint(self):
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    with _lock:
        if name in backend.endpoints:
            raise _exists("endpoint", name)
        result = _orig_create_endpoint(self)
        endpoint = backend.endpoints[name]
        endpoint.endpoint_status = "Creating"
        _endpoints[(backend.account_id, backend.region_name, name)] = {
            "ticks": 0,
            "target": endpoint.endpoint_config_name,
            "previous": None,
            "fail": _pop(_fail_endpoints, name),
        }
    return result


def _advance_endpoint(backend, name):
    endpoint = backend.endpoints.get(name)
    state = _endpoints.get((backend.account_id, backend.region_name, name))
    if endpoint is None or state is None or endpoint.endpoint_status not in ("Creating", "Updating"):
        return
    state["ticks"] += 1
    if state["ticks"] < _pace_of(name):
        return
    state["ticks"] = 0
    fired = _fired_alarm(backend, state.get("alarms", []))
    if fired and state["previous"] is not None and state["fail"] is None:
        state["fail"] = (
            f"Endpoint update was rolled back because the CloudWatch alarm {fired} went into ALARM state"
        )
    phases = state.get("phases", ["all"])
    if state["fail"] is None and len(phases) > 1:
        phases.pop(0)
        return
    if state["fail"] is None:
        config = backend.endpoint_configs[state["target"]]
        endpoint.endpoint_config_name = state["target"]
        endpoint.production_variants = endpoint._process_production_variants(
            config.production_variants
        )
        endpoint.endpoint_status = "InService"
        endpoint.failure_reason = None
    elif state["previous"] is not None:
        endpoint.endpoint_status = "InService"
        endpoint.failure_reason = state["fail"]
    else:
        endpoint.endpoint_status = "Failed"
        endpoint.failure_reason = state["fail"]
    endpoint.last_modified_time = sm_models.utcnow()


def _fired_alarm(backend, names):
    """The first of `names` in ALARM state (moto's CloudWatch alarms), or None."""
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    return next((n for n in names if n in alarms and alarms[n].state_value == "ALARM"), None)


def describe_endpoint(self):
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    with _lock:
        result = _orig_describe_endpoint(self)
        update = _endpoints.get((backend.account_id, backend.region_name, name))
        endpoint = backend.endpoints.get(name)
        if update and endpoint is not None and endpoint.endpoint_status == "Updating":
            # What real SageMaker reports while an update deploys: its target config.
            result = sm_responses.ActionResult(
                {
                    **backend.describe_endpoint(name),
                    "PendingDeploymentSummary": {
                        "EndpointConfigName": update["target"],
                        "StartTime": time.time(),
                    },
                }
            )
        _advance_endpoint(backend, name)
        return result


def update_endpoint(self):
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    config = self._get_param("EndpointConfigName")
    with _lock:
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f"Could not find endpoint '{name}'.")
        if config not in backend.endpoint_configs:
            raise ValidationError(message=f"Could not find endpoint configuration '{config}'.")
        if endpoint.endpoint_status != "InService":
            raise ValidationError(
                message=f'Cannot update in-progress endpoint "{endpoint.arn}".'
            )
        endpoint.endpoint_status = "Updating"
        deployment = self._get_param("DeploymentConfig") or {}
        routing = ((deployment.get("BlueGreenUpdatePolicy") or {}).get("TrafficRoutingConfiguration") or {}).get("Type")
        alarms = [a["AlarmName"] for a in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms", [])]
        _endpoints[(backend.account_id, backend.region_name, name)] = {
            "ticks": 0,
            "target": config,
            "previous": endpoint.endpoint_config_name,
            "fail": _pop(_rollbacks, name),
            # Blue/green phases of a guarded update: shift part of the traffic, bake, shift the
            # rest; the alarms are checked at the end of each phase.
            "phases": ["shift", "bake", "all"] if routing in ("CANARY", "LINEAR") else ["all"],
            "alarms": alarms,
        }
        if alarms and _pop(_alarm_on_update, name) is not None:
            from moto.cloudwatch.models import cloudwatch_backends

            cloudwatch_backends[backend.account_id][backend.region_name].set_alarm_state(
                alarms[0], "5xx errors on the new variant", None, "ALARM"
            )
    return sm_responses.ActionResult({"EndpointArn": endpoint.arn})


def patch():
    """Applies the SageMaker behaviour above to moto (idempotent)."""
    if moto.__version__ != MOTO_VERSION:
        raise SystemExit(f"sagetune's emulator patches moto {MOTO_VERSION}, found {moto.__version__}")
    R = sm_responses.SageMakerResponse
    R.create_training_job = create_training_job
    R.describe_training_job = describe_training_job
    R.stop_training_job = stop_training_job
    R.create_model = create_model
    R.create_endpoint_config = create_endpoint_config
    R.create_endpoint = create_endpoint
    R.describe_endpoint = describe_endpoint
    R.update_endpoint = update_endpoint
    sm_models.FakeEndpointConfig.validate_instance_type = _any_ml_instance


# --- SageMaker Runtime: InvokeEndpoint -----------------------------------------------------------
# An InService endpoint answers as its model's container would: TGI-style bodies ("inputs") get
# [{"generated_text": …}], JumpStart's text-generation script ("text_inputs") gets
# {"generated_texts": [...]}. The text is deterministic per model and prompt, and at most
# max_new_tokens words. /_sagetune/invoke makes the next answers of an endpoint fail or slow.

_INVOKE_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_invocations = []
_invoke_behaviour = []  # (prefix, {"fail": reason or None, "delay_ms": n})
WORDS = "the quarter revenue grew deposits loans margin rose fell steady income capital ratio".split()


def _generated(model, prompt, max_new_tokens):
    digest = hashlib.sha256(f"{model}\n{prompt}".encode()).digest()
    n = max(1, min(int(max_new_tokens or 12), 12))
    return " ".join(WORDS[b % len(WORDS)] for b in digest[:n])


def _invoke(environ, body, start_response, key):
    name = _INVOKE_PATH.match(environ["PATH_INFO"]).group(1)
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends["123456789012"]["us-east-1"]
    with _lock:
        _invocations.append(
            {
                "key": key,
                "endpoint": name,
                "content_type": environ.get("CONTENT_TYPE"),
                "accept": environ.get("HTTP_ACCEPT"),
                "custom_attributes": environ.get("HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES"),
                "body": body.decode("utf-8", "replace"),
            }
        )
        endpoint = backend.endpoints.get(name)
        if endpoint is None or endpoint.endpoint_status not in ("InService", "Updating"):
            return _json(
                start_response,
                "400 Bad Request",
                {"__type": "ValidationError", "message": f"Endpoint {name} of account 123456789012 not found."},
            )
        config = backend.endpoint_configs[endpoint.endpoint_config_name]
        model = config.production_variants[0]["ModelName"]
        behaviour = next((b for p, b in _invoke_behaviour if name.startswith(p)), {})
    time.sleep(behaviour.get("delay_ms", 0) / 1000)
    fail_on = behaviour.get("fail_on")
    if behaviour.get("fail") and (not fail_on or fail_on.encode() in (body or b"")):
        return _json(
            start_response,
            "424 Failed Dependency",
            {"__type": "ModelError", "message": f"Received client error (400) from primary with message \"{behaviour['fail']}\"", "OriginalStatusCode": 400},
        )
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        request = {}
    if "inputs" in request:
        tokens = (request.get("parameters") or {}).get("max_new_tokens")
        answer = [{"generated_text": _generated(model, request["inputs"], tokens)}]
    elif "text_inputs" in request:
        answer = {"generated_texts": [_generated(model, request["text_inputs"], request.get("max_new_tokens"))]}
    else:
        return _json(
            start_response,
            "424 Failed Dependency",
            {"__type": "ModelError", "message": "Received client error (400) from primary: no inputs", "OriginalStatusCode": 400},
        )
    return _json(start_response, "200 OK", answer)


# --- HTTP: request log and control surface --------------------------------------------------------

_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")


def _operation(environ, body):
    if _INVOKE_PATH.match(environ.get("PATH_INFO", "")):
        return "SageMakerRuntime.InvokeEndpoint"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target
    form = {}
    if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qs

        form = parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        service = "CloudWatch." if form.get("Version") == ["2010-08-01"] else "IAM."
        return service + form["Action"][0]
    return f"S3 {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"


def _contract_check(environ, body, key):
    """A request botocore's service model rejects is recorded and refused as AWS would."""
    request = contract.request_of(environ, body)
    if request is None:
        return None
    service, op, params = request
    errors = contract.violations(service, op, params)
    if not errors:
        return None
    with _lock:
        _violations.append({"key": key, "service": service, "op": op, "errors": errors})
    message = f"{len(errors)} validation error(s) detected: " + "; ".join(errors)
    if service == "sagemaker":
        return lambda start_response: _json(
            start_response, "400 Bad Request", {"__type": "ValidationException", "message": message}
        )
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
        f"<Message>{_xml_escape(message)}</Message></Error><RequestId>contract</RequestId></ErrorResponse>"
    ).encode()

    def refuse(start_response):
        start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
        return [xml]

    return refuse


def _draw_fault(key):
    """None, "refused" or "lost" for one request of `key`, as configured by /_sagetune/faults."""
    with _lock:
        f = _faults.get(key)
        if not f or f["rate"] <= 0:
            return None
        r = f["rng"].random()
        if r >= f["rate"]:
            return None
        kind = "refused" if r < f["rate"] / 2 else "lost"
        f[kind] += 1
        return kind


def _fault_answer(environ, start_response, status, code):
    """An injected error in the protocol of the service the request was for."""
    message = "injected fault"
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("SageMaker."):
        return _json(start_response, status, {"__type": code, "message": message})
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = (
            f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
    else:
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>".encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json(start_response, status, value):
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _control(environ, start_response):
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    args = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    with _lock:
        if path == "/_sagetune/requests" and method == "GET":
            return _json(start_response, "200 OK", list(_requests))
        if path == "/_sagetune/alarms" and method == "GET":
            from moto.cloudwatch.models import cloudwatch_backends

            alarms = cloudwatch_backends["123456789012"]["us-east-1"].alarms
            return _json(start_response, "200 OK", {n: a.state_value for n, a in alarms.items()})
        if path == "/_sagetune/alarm" and method == "POST":
            from moto.cloudwatch.models import cloudwatch_backends

            backend = cloudwatch_backends["123456789012"]["us-east-1"]
            backend.set_alarm_state(args["name"], "set by a test", None, args["state"])
            return _json(start_response, "200 OK", {})
        if path == "/_sagetune/invocations" and method == "GET":
            return _json(start_response, "200 OK", list(_invocations))
        if path == "/_sagetune/invoke" and method == "POST":
            _invoke_behaviour.insert(
                0,
                (
                    args["prefix"],
                    {"fail": args.get("fail"), "fail_on": args.get("fail_on"), "delay_ms": int(args.get("delay_ms", 0))},
                ),
            )
            return _json(start_response, "200 OK", {})
        if path == "/_sagetune/metrics-written" and method == "GET":
            return _json(start_response, "200 OK", _written_metrics)
        if path == "/_sagetune/violations" and method == "GET":
            return _json(start_response, "200 OK", list(_violations))
        if path == "/_sagetune/requests" and method == "DELETE":
            _requests.clear()
            return _json(start_response, "200 OK", {})
        if path == "/_sagetune/iam-user" and method == "POST":
            import iam_enforcement

            return _json(start_response, "200 OK", iam_enforcement.create_user(args["name"], args["policy"]))
        if path == "/_sagetune/bucket" and method == "POST":
            from moto.s3.models import s3_backends

            s3_backends[args.get("account", "123456789012")]["aws"].create_bucket(
                args["name"], args.get("region", "us-east-1")
            )
            return _json(start_response, "200 OK", {})
        if path == "/_sagetune/object" and method == "POST":
            from moto.s3.models import s3_backends

            obj = s3_backends[args.get("account", "123456789012")]["aws"].get_object(
                args["bucket"], args["key"]
            )
            body = obj.value
            return _json(
                start_response,
                "200 OK",
                {"text": body.decode("utf-8", "replace"), "sha256": hashlib.sha256(body).hexdigest()},
            )
        if path == "/_sagetune/multipart" and method == "POST":
            from moto.s3.models import CaseInsensitiveDict
            from moto.s3.models import s3_backends

            backend = s3_backends[args.get("account", "123456789012")]["aws"]
            upload = backend.create_multipart_upload(
                args["bucket"], args["key"], CaseInsensitiveDict(), "STANDARD", {}, None, None, None
            )
            return _json(start_response, "200 OK", {"upload_id": upload.id})
        if path == "/_sagetune/multipart" and method == "GET":
            from moto.s3.models import s3_backends

            backend = s3_backends[args.get("account", "123456789012")]["aws"]
            found = [
                {"bucket": b, "key": u.key_name, "upload_id": u.id}
                for b in list(backend.buckets)
                for u in backend.list_multipart_uploads(b).values()
            ]
            return _json(start_response, "200 OK", found)
        if path == "/_sagetune/faults" and method == "POST":
            _faults[args["key"]] = {
                "rate": float(args.get("rate", 0)),
                "rng": random.Random(args.get("seed", 0)),
                "refused": 0,
                "lost": 0,
            }
            return _json(start_response, "200 OK", {})
        if path == "/_sagetune/faults" and method == "GET":
            return _json(
                start_response,
                "200 OK",
                {k: {"refused": f["refused"], "lost": f["lost"]} for k, f in _faults.items()},
            )
        if path == "/_sagetune/pace" and method == "POST":
            _pace[args["prefix"]] = int(args["describes_per_step"])
            return _json(start_response, "200 OK", {})
        queues = {
            "/_sagetune/fail-job": _fail_jobs,
            "/_sagetune/worse-job": _worse_jobs,
            "/_sagetune/alarm-on-update": _alarm_on_update,
            "/_sagetune/fail-endpoint": _fail_endpoints,
            "/_sagetune/rollback-update": _rollbacks,
        }
        if path in queues and method == "POST":
            queues[path].append((args["prefix"], args["reason"]))
            return _json(start_response, "200 OK", {})
    return _json(start_response, "404 Not Found", {"error": f"no control {method} {path}"})


def make_app():
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ["PATH_INFO"].startswith("/_sagetune/"):
            return _control(environ, start_response)
        if not environ["PATH_INFO"].startswith("/moto-api"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            if "iam_enforcement" in sys.modules:
                sys.modules["iam_enforcement"].note_body(body)
            key = _ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
            key = key.group(1) if key else None
            with _lock:
                _requests.append({"seq": len(_requests) + 1, "key": key, "op": _operation(environ, body)})
            if _INVOKE_PATH.match(environ["PATH_INFO"]) and environ["REQUEST_METHOD"] == "POST":
                return _invoke(environ, body, start_response, key)
            refused = _contract_check(environ, body, key)
            if refused:
                return refused(start_response)
            fault = _draw_fault(key)
            if fault == "refused":
                return _fault_answer(environ, start_response, "503 Service Unavailable", "ServiceUnavailable")
            if fault == "lost":
                result = moto_app(environ, lambda *a, **k: (lambda data: None))
                for _ in result:  # let the request complete; its answer is lost
                    pass
                if hasattr(result, "close"):
                    result.close()
                return _fault_answer(environ, start_response, "500 Internal Server Error", "InternalError")
        return moto_app(environ, start_response)

    return app


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def serve(port=0):
    """Starts the server on 127.0.0.1 in a background thread; returns (server, port)."""
    patch()
    server = make_server("127.0.0.1", port, make_app(), threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def seed_jumpstart(root, content_bucket, gated_bucket, account="123456789012"):
    """JumpStart's content bucket as the SDK reads it: the models manifest and the specs."""
    from moto.s3.models import s3_backends

    s3 = s3_backends[account]["aws"]
    for bucket in (content_bucket, gated_bucket):
        if bucket not in s3.buckets:
            s3.create_bucket(bucket, "us-east-1")
    with open(os.path.join(root, "manifest", "models_manifest.json"), "rb") as f:
        s3.put_object(content_bucket, "models_manifest.json", f.read())
    specs = os.path.join(root, "specs")
    for folder, _, files in os.walk(specs):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                body = f.read()
            s3.put_object(content_bucket, os.path.relpath(path, specs), body)
            # Script-mode hosting reads an inference code tarball from the content bucket.
            script = json.loads(body).get("hosting_script_key")
            if script:
                s3.put_object(content_bucket, script, _code_tarball())


def _watch_parent(pid):
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--parent-pid", type=int)
    parser.add_argument(
        "--seed-jumpstart",
        metavar="DIR",
        help="create the JumpStart content buckets and upload DIR/manifest/models_manifest.json and DIR/specs/**",
    )
    parser.add_argument("--content-bucket", default="jumpstart-cache-prod-us-east-1")
    parser.add_argument("--gated-bucket", default="jumpstart-private-cache-prod-us-east-1")
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        help="authorise every AWS request against the caller's IAM policies (iam_enforcement.py)",
    )
    args = parser.parse_args()
    server, port = serve(args.port)
    if args.enforce_iam:
        import iam_enforcement

        iam_enforcement.enable()
    if args.seed_jumpstart:
        seed_jumpstart(args.seed_jumpstart, args.content_bucket, args.gated_bucket)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"sagetune-emulator listening on http://127.0.0.1:{port}", flush=True)
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid,), daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
