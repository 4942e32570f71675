"""The API contract check: every SageMaker, CloudWatch, CloudWatch Logs and IAM request the
emulator receives is checked against botocore's service model, as the real services would
check it, so a request AWS would reject (after hours of training, at CreateEndpoint) fails the
end-to-end tests instead of passing against a lenient moto.

Checked, per member: required members present, no unknown members, types, string lengths,
enums, number ranges, list and map sizes, and the members' regex patterns (which botocore's own
ParamValidator does not check; Java-style `\\p{L}` classes need the `regex` module). SageMaker
and CloudWatch Logs speak JSON (`X-Amz-Target: SageMaker.Op`, `Logs_20140328.Op`); IAM and
CloudWatch speak the query protocol (`Action=Op&...`), which is parsed back into the
operation's input shape first.
"""

import json
from urllib.parse import parse_qsl

import botocore.session
import regex

_MODELS = {}


def model(service):
    """botocore's service model (`sagemaker`, `iam`), loaded once."""
    if service not in _MODELS:
        _MODELS[service] = botocore.session.get_session().get_service_model(service)
    return _MODELS[service]


def request_of(environ, body):
    """(service, operation, params) for a SageMaker, CloudWatch Logs or IAM request, else None."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    json_services = {"SageMaker": "sagemaker", "Logs_20140328": "logs"}
    prefix, _, op = target.partition(".")
    if prefix in json_services and op:
        service = json_services[prefix]
        try:
            params = json.loads(body or b"{}")
        except ValueError as e:
            return service, op, {"__unparsable__": str(e)}
        return service, op, params
    content_type = environ.get("CONTENT_TYPE", "")
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        for service in ("iam", "cloudwatch"):
            if "Action" in form and form.get("Version") == model(service).api_version:
                op = form.pop("Action")
                form.pop("Version", None)
                shape = _input(model(service), op)
                return service, op, _from_query(shape, form, "") if shape else form
    return None


def _input(service_model, op):
    try:
        return service_model.operation_model(op).input_shape
    except Exception:  # unknown operation
        return None


def violations(service, op, params):
    """Every way `params` breaks the input shape of `service`'s `op`; empty when valid."""
    service_model = model(service)
    if op not in service_model.operation_names:
        return [f"{op} is not a {service} operation"]
    if "__unparsable__" in params:
        return [f"the body is not JSON: {params['__unparsable__']}"]
    shape = service_model.operation_model(op).input_shape
    if shape is None:
        return [] if not params else [f"{op} takes no input"]
    errors = []
    _check(shape, params, op, errors)
    return errors


def _check(shape, value, path, errors):
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a structure, got {type(value).__name__}")
            return
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{path}.{name}: required member missing")
        for name, member in value.items():
            if name not in shape.members:
                errors.append(f"{path}.{name}: unknown member")
                continue
            _check(shape.members[name], member, f"{path}.{name}", errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        _size(shape, len(value), path, "items", errors)
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        _size(shape, len(value), path, "entries", errors)
        for k, v in value.items():
            _check(shape.key, k, f"{path} key {k!r}", errors)
            _check(shape.value, v, f"{path}[{k!r}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {type(value).__name__}")
            return
        _size(shape, len(value), path, "characters", errors)
        if shape.enum and value not in shape.enum:
            shown = ", ".join(shape.enum[:8]) + (", …" if len(shape.enum) > 8 else "")
            errors.append(f"{path}: {value!r} is not one of {shown}")
        pattern = shape.metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            errors.append(f"{path}: {value!r} does not match {pattern}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected an integer, got {value!r}")
            return
        _range(shape, value, path, errors)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number, got {value!r}")
            return
        _range(shape, value, path, errors)
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        if not isinstance(value, (int, float, str)):
            errors.append(f"{path}: expected a timestamp, got {value!r}")
    elif kind == "blob":
        if not isinstance(value, str):
            errors.append(f"{path}: expected base64 text, got {type(value).__name__}")


def _size(shape, n, path, what, errors):
    _bounds(shape, n, errors, lambda bound, low: f"{path}: {n} {what}, at {'least' if low else 'most'} {bound} allowed")


def _range(shape, v, path, errors):
    _bounds(shape, v, errors, lambda bound, low: f"{path}: {v} is {'below the minimum' if low else 'above the maximum'} {bound}")


def _bounds(shape, v, errors, say):
    """The shape's `min`/`max` applied to `v` (a size or a number); `say(bound, low)` words it."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and v < low:
        errors.append(say(low, True))
    if high is not None and v > high:
        errors.append(say(high, False))


_COMPILED = {}


def _matches(pattern, value):
    """AWS patterns are Java regexes that must match the whole value (`String.matches`)."""
    if pattern not in _COMPILED:
        _COMPILED[pattern] = regex.compile(pattern)
    return _COMPILED[pattern].fullmatch(value) is not None


def _from_query(shape, form, prefix):
    """The query protocol's flat `A.member.1.B=v` form back into the shape's nested value."""
    out = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = _member(member, form, key)
        if value is not None:
            out[name] = value
    # Anything the shape does not know is kept, so it is reported as an unknown member.
    if not prefix:
        known = {m.serialization.get("name", n) for n, m in shape.members.items()}
        for key, value in form.items():
            if key.split(".", 1)[0] not in known:
                out[key] = value
    return out


def _member(shape, form, key):
    kind = shape.type_name
    if kind == "structure":
        if not any(k == key or k.startswith(key + ".") for k in form):
            return None
        return _from_query(shape, form, key + ".")
    if kind == "list":
        item = shape.member.serialization.get("name", "member")
        base = key if shape.serialization.get("flattened") else f"{key}.{item}"
        if key in form and form[key] == "":
            return []
        items, i = [], 1
        while any(k == f"{base}.{i}" or k.startswith(f"{base}.{i}.") for k in form):
            items.append(_member(shape.member, form, f"{base}.{i}"))
            i += 1
        return items if items else None
    if kind == "map":
        entries, i = {}, 1
        while f"{key}.entry.{i}.key" in form:
            entries[form[f"{key}.entry.{i}.key"]] = _member(shape.value, form, f"{key}.entry.{i}.value")
            i += 1
        return entries if entries else None
    if key not in form:
        return None
    raw = form[key]
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw
