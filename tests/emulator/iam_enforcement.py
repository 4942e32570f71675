"""IAM enforcement for the emulator (`--enforce-iam`): every AWS request is authorised against
the caller's IAM policies with moto's policy engine, plus what moto leaves out for the services
sagetune calls, so that a least-privilege policy can be tested:

- SageMaker, CloudWatch Logs and CloudWatch requests are checked against their resource's ARN
  (moto checks them against `*`, which no scoped statement matches); IAM role requests against
  the role's ARN even when the role does not exist yet (moto falls back to `*`);
- signatures are checked on the request's bytes as sent (moto re-encodes form posts);
- CloudWatch actions are `cloudwatch:…` (moto uses the signing name, `monitoring:…`), and S3's
  HeadBucket needs `s3:ListBucket`, as in IAM;
- IAM role requests carry `iam:PermissionsBoundary` (the boundary a CreateRole or
  PutRolePermissionsBoundary sets, else the named role's);
- SageMaker requests carry the condition values AWS gives them: `aws:RequestTag/<key>` for the
  tags a create call sends, `aws:ResourceTag/<key>` for the tags the named resource has; a
  statement whose condition does not hold does not apply (moto treats it as an explicit deny);
- the permissions AWS checks implicitly: `iam:PassRole` (with `iam:PassedToService`) for the
  role a training job or model runs as, `sagemaker:AddTags` for tags given to a create call,
  `cloudwatch:TagResource` for tags given to an alarm.

Not enforced: InvokeEndpoint (the emulator answers it before moto sees it).
"""

import json
import threading

from moto import settings
from moto.cloudwatch import responses as cw_responses
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import access_control
from moto.iam import responses as iam_responses
from moto.iam.models import iam_backends
from moto.logs import responses as logs_responses
from moto.sagemaker import responses as sm_responses

ACCOUNT = "123456789012"

# The request body as it came over the wire, per server thread: moto signs a form POST (IAM,
# CloudWatch) again from its parsed fields, encoded as botocore would, which is not how every
# SDK encodes them (the Rust SDK writes spaces as %20); the signature is checked on the real bytes.
_wire = threading.local()


def note_body(body):
    """Called by the emulator for every request before moto sees it."""
    _wire.body = body

# The resource type in a SageMaker ARN for each name field of a request.
_SAGEMAKER_NAMES = {
    "TrainingJobName": "training-job",
    "ModelName": "model",
    "EndpointConfigName": "endpoint-config",
    "EndpointName": "endpoint",
}


def create_user(name, policy, account=ACCOUNT):
    """An IAM user holding exactly `policy` (a policy document) inline; returns its keys."""
    iam = iam_backends[account]["aws"]
    iam.create_user("us-east-1", name)
    iam.put_user_policy(name, "sagetune", json.dumps(policy))
    key = iam.create_access_key(name)
    return {"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key}


def _sagemaker_resource(self):
    body = json.loads(self.body or "{}")
    if "ResourceArn" in body:
        return body["ResourceArn"]
    for field, kind in _SAGEMAKER_NAMES.items():
        if field in body:
            return f"arn:aws:sagemaker:{self.region}:{self.current_account}:{kind}/{body[field].lower()}"
    return "*"


def _logs_resource(self):
    body = json.loads(self.body or "{}")
    group = body.get("logGroupName")
    if not group:
        return "*"
    arn = f"arn:aws:logs:{self.region}:{self.current_account}:log-group:{group}"
    stream = body.get("logStreamName")
    return f"{arn}:log-stream:{stream}" if stream else arn


def _cloudwatch_resource(self):
    arn = (self.querystring.get("ResourceARN") or [None])[0]
    if arn:
        return arn
    name = (self.querystring.get("AlarmName") or self.querystring.get("AlarmNames.member.1") or [None])[0]
    if not name:
        return "*"
    return f"arn:aws:cloudwatch:{self.region}:{self.current_account}:alarm:{name}"


def _iam_resource(self):
    name = (self.data.get("RoleName") or [None])[0]
    return f"arn:aws:iam::{self.current_account}:role/{name}" if name else "*"


def _implied(self):
    """(action, resource, condition values) AWS checks beside a request's own action."""
    action = self._get_action()
    out = []
    if self.__class__ is sm_responses.SageMakerResponse:
        body = json.loads(self.body or "{}")
        role = body.get("RoleArn") or body.get("ExecutionRoleArn")
        if role and action in ("CreateTrainingJob", "CreateModel"):
            out.append(("iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"}))
        if action.startswith("Create") and body.get("Tags"):
            out.append(("sagemaker:AddTags", _sagemaker_resource(self), None))
    elif self.__class__ is cw_responses.CloudWatchResponse:
        if action == "PutMetricAlarm" and any(k.startswith("Tags.member") for k in self.querystring):
            out.append(("cloudwatch:TagResource", _cloudwatch_resource(self), None))
    return out


def _existing_tags(self, body):
    """The tags of the SageMaker resource a request names (empty when it does not exist yet)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[self.current_account][self.region]
    kinds = {
        "training-job": backend.training_jobs,
        "model": backend._models,
        "endpoint-config": backend.endpoint_configs,
        "endpoint": backend.endpoints,
    }
    if "ResourceArn" in body:
        try:
            return list(backend._get_resource_from_arn(body["ResourceArn"]).tags)
        except Exception:
            return []
    for field, kind in _SAGEMAKER_NAMES.items():
        if field in body:
            found = kinds[kind].get(body[field])
            return list(found.tags) if found is not None else []
    return []


def _sagemaker_conditions(self):
    """`aws:RequestTag/*` from the request's tags and `aws:ResourceTag/*` from the resource's."""
    body = json.loads(self.body or "{}")
    values = {}
    for t in _existing_tags(self, body):
        values[f"aws:ResourceTag/{t['Key']}"] = t.get("Value", "")
    for t in body.get("Tags") or []:
        values[f"aws:RequestTag/{t['Key']}"] = t.get("Value", "")
    return values


def _iam_conditions(self):
    """`iam:PermissionsBoundary`: the boundary a CreateRole or PutRolePermissionsBoundary sets,
    else the boundary of the role the request names."""
    boundary = (self.data.get("PermissionsBoundary") or [None])[0]
    name = (self.data.get("RoleName") or [None])[0]
    if boundary is None and name and self._get_action() != "CreateRole":
        try:
            role = iam_backends[self.current_account]["aws"].get_role(name)
            boundary = role.permissions_boundary_arn
        except Exception:
            boundary = None
    return {"iam:PermissionsBoundary": boundary} if boundary else {}


def _iam_request(self):
    """moto's view of the request: its caller, signature and action as IAM names it."""
    return access_control.IAMRequest(
        account_id=self.current_account,
        method=self.method,
        path=self.raw_path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=self._get_action(),
    )


def _check(self, action, resource, conditions):
    """Authorises `action` on `resource` with IAM's semantics: an explicit Deny wins, else an
    Allow whose action, resource and conditions all match; a statement whose condition does not
    hold does not apply."""
    request = _iam_request(self)
    # The request's own action as IAM names it (`sagemaker:ListModels`), or an implied one.
    action = action or request._action
    request._action = action
    permitted = False
    for policy in request._access_key.collect_policies():
        document = access_control.IAMPolicy(policy)._policy_json
        statements = document["Statement"]
        for st in statements if isinstance(statements, list) else [statements]:
            s = access_control.IAMPolicyStatement(st)
            if "Action" not in st or not s._check_element_matches("Action", action):
                continue
            if not s._check_conditions(conditions):
                continue
            if st.get("Resource") and not s._check_element_matches("Resource", resource):
                continue
            if st.get("Effect") == "Deny":
                request._raise_access_denied()
            permitted = True
    if not permitted:
        request._raise_access_denied()


def _authorize(self, resource="*"):
    conditions = {
        sm_responses.SageMakerResponse: _sagemaker_conditions,
        iam_responses.IamResponse: _iam_conditions,
    }.get(self.__class__)
    if conditions is not None:
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        # The signature as moto checks it, then the action with its condition values.
        _iam_request(self).check_signature()
        _check(self, None, resource, conditions(self))
    else:
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, resource)
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return
    for action, arn, conditions in _implied(self):
        _check(self, action, arn, conditions)


_IAM_ACTIONS = {"monitoring:": "cloudwatch:", "s3:HeadBucket": "s3:ListBucket"}


def _patch_action_names(cls):
    original = cls.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not self._body and getattr(_wire, "body", None):
            self._body = _wire.body
        for moto_name, iam_name in _IAM_ACTIONS.items():
            if self._action.startswith(moto_name):
                self._action = iam_name + self._action[len(moto_name):]

    cls.__init__ = init


def enable():
    """Turns enforcement on for every request from now on (idempotent)."""
    if getattr(enable, "done", False):
        return
    enable.done = True
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    sm_responses.SageMakerResponse._determine_resource = _sagemaker_resource
    logs_responses.LogsResponse._determine_resource = _logs_resource
    cw_responses.CloudWatchResponse._determine_resource = _cloudwatch_resource
    iam_responses.IamResponse._determine_resource = _iam_resource
    for cls in (sm_responses.SageMakerResponse, cw_responses.CloudWatchResponse, iam_responses.IamResponse):
        cls._authenticate_and_authorize_normal_action = _authorize
    for cls in (access_control.IAMRequest, access_control.S3IAMRequest):
        _patch_action_names(cls)
