"""An in-memory stand-in for the boto3 ECS client's task definition calls: every call recorded,
requests validated against botocore's model as botocore does, revisions answered the way AWS
describes them (with the defaults AWS fills in), list filters as AWS applies them (familyPrefix is
a prefix)."""

import copy
import datetime

import botocore.session
from botocore.exceptions import ClientError
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

ACCOUNT = "123456789012"
REGION = "eu-central-1"
WRITES = ("register_task_definition", "deregister_task_definition", "tag_resource", "untag_resource")

# The real client's service model and paginator/waiter hooks; creating a client makes no network call.
_META = botocore.session.get_session().create_client(
    "ecs", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
).meta
REGISTER_SHAPE = _META.service_model.operation_model("RegisterTaskDefinition").input_shape


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def arn(family, revision):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def _size(value, unit):
    value = str(value).strip()
    if value.lower().endswith(unit):
        return str(int(float(value[: -len(unit)].strip()) * 1024))
    return value


def as_aws_describes(request, revision, status="ACTIVE"):
    """The taskDefinition that DescribeTaskDefinition returns for a RegisterTaskDefinition request:
    the request with every default AWS fills in and the members it adds."""
    described = copy.deepcopy({k: v for k, v in request.items() if k != "tags"})
    network_mode = described.get("networkMode")
    for container in described["containerDefinitions"]:
        container.setdefault("cpu", 0)
        container.setdefault("essential", True)
        for key in ("portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"):
            container.setdefault(key, [])
        for mapping in container["portMappings"]:
            mapping.setdefault("protocol", "tcp")
            if network_mode in ("awsvpc", "host"):
                mapping.setdefault("hostPort", mapping["containerPort"])
        for mount in container["mountPoints"]:
            mount.setdefault("readOnly", False)
        if "healthCheck" in container:
            for key, value in (("interval", 30), ("timeout", 5), ("retries", 3)):
                container["healthCheck"].setdefault(key, value)
        if "logConfiguration" in container:
            container["logConfiguration"].setdefault("secretOptions", [])
    described.setdefault("volumes", [])
    for volume in described["volumes"]:
        if "efsVolumeConfiguration" in volume:
            volume["efsVolumeConfiguration"].setdefault("rootDirectory", "/")
        elif "dockerVolumeConfiguration" not in volume:
            volume.setdefault("host", {})
    if "cpu" in described:
        described["cpu"] = _size(described["cpu"], "vcpu")
    if "memory" in described:
        described["memory"] = _size(described["memory"], "gb")
    described.update(
        taskDefinitionArn=arn(request["family"], revision),
        revision=revision,
        status=status,
        placementConstraints=described.get("placementConstraints", []),
        compatibilities=["EC2", "FARGATE"],
        requiresAttributes=[
            {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
            {"name": "ecs.capability.execution-role-awslogs"},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
            {"name": "ecs.capability.task-eni"},
        ],
        registeredAt=datetime.datetime(2026, 1, 5, 10, 0, revision % 60, tzinfo=datetime.timezone.utc),
        registeredBy=f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/session",
        enableFaultInjection=False,
    )
    return described


class _Paginator:
    def __init__(self, client):
        self._client = client

    def paginate(self, **kwargs):
        return _PageIterator(self._client, kwargs)


class _PageIterator:
    def __init__(self, client, kwargs):
        self._client = client
        self._kwargs = kwargs

    def build_full_result(self):
        return {"taskDefinitionArns": self._client.list_task_definitions(**self._kwargs)["taskDefinitionArns"]}


class FakeECS:
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    `revisions` maps family -> {revision: {"taskDefinition": ..., "tags": {...}}}. errors: operation ->
    error code raised on every call of that operation; errors_after: operation -> (n, error code)
    raised on every call after the first n. Registering answers without tags when
    `register_answers_tags` is false, as moto does. Describing a family alone answers its latest
    ACTIVE revision, as AWS does, or with `family_answers_any_status` its latest revision whatever its
    status, as moto does.
    """

    meta = _META

    def __init__(self, errors=None, register_answers_tags=True, errors_after=None, family_answers_any_status=False):
        self.revisions = {}
        self.errors = dict(errors or {})
        self.errors_after = dict(errors_after or {})
        self.register_answers_tags = register_answers_tags
        self.family_answers_any_status = family_answers_any_status
        self.calls = []

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)
        if operation in self.errors_after:
            allowed, code = self.errors_after[operation]
            if self.operations().count(operation) > allowed:
                raise client_error(code, api_name)

    # Setting up

    def add(self, request, status="ACTIVE", tags=None, revision=None):
        """A revision registered before the test (not recorded as a call); its ARN."""
        family = self.revisions.setdefault(request["family"], {})
        revision = revision or max(family, default=0) + 1
        family[revision] = {"taskDefinition": as_aws_describes(request, revision, status), "tags": dict(tags or {})}
        return arn(request["family"], revision)

    def add_described(self, task_definition, tags=None):
        """A revision exactly as given (a recorded AWS or moto answer)."""
        described = copy.deepcopy(task_definition)
        self.revisions.setdefault(described["family"], {})[described["revision"]] = {
            "taskDefinition": described,
            "tags": dict(tags or {}),
        }
        return described["taskDefinitionArn"]

    def _find(self, reference, api_name, family_alone=False):
        name = reference.rsplit("/", 1)[-1]
        family, _, revision = name.rpartition(":")
        if family_alone and not family:
            revisions = self.revisions.get(name, {})
            numbers = [number for number, found in revisions.items() if self.family_answers_any_status or found["taskDefinition"]["status"] == "ACTIVE"]
            family, revision = name, str(max(numbers, default=0))
        found = self.revisions.get(family, {}).get(int(revision)) if family else None
        if found is None:
            raise client_error("ClientException", api_name, "Unable to describe task definition.")
        return found

    def status_of(self, family, revision):
        return self.revisions[family][revision]["taskDefinition"]["status"]

    def tags_of(self, family, revision):
        return self.revisions[family][revision]["tags"]

    def active(self, family):
        return sorted(r for r, found in self.revisions.get(family, {}).items() if found["taskDefinition"]["status"] == "ACTIVE")

    # The API

    def get_paginator(self, operation):
        assert operation == "list_task_definitions", operation
        return _Paginator(self)

    def list_task_definitions(self, **kwargs):
        self._record("list_task_definitions", kwargs, "ListTaskDefinitions")
        prefix = kwargs.get("familyPrefix", "")
        status = kwargs.get("status", "ACTIVE")
        return {
            "taskDefinitionArns": [
                found["taskDefinition"]["taskDefinitionArn"]
                for family in sorted(self.revisions)
                if family.startswith(prefix)
                for _, found in sorted(self.revisions[family].items())
                if found["taskDefinition"]["status"] == status
            ]
        }

    def describe_task_definition(self, **kwargs):
        self._record("describe_task_definition", kwargs, "DescribeTaskDefinition")
        found = self._find(kwargs["taskDefinition"], "DescribeTaskDefinition", family_alone=True)
        result = {"taskDefinition": copy.deepcopy(found["taskDefinition"])}
        if "TAGS" in kwargs.get("include", []):
            result["tags"] = [{"key": k, "value": v} for k, v in found["tags"].items()]
        return result

    def register_task_definition(self, **kwargs):
        self._record("register_task_definition", kwargs, "RegisterTaskDefinition")
        report = ParamValidator().validate(kwargs, REGISTER_SHAPE)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        family = self.revisions.setdefault(kwargs["family"], {})
        revision = max(family, default=0) + 1
        tags = {t["key"]: t["value"] for t in kwargs.get("tags", [])}
        family[revision] = {"taskDefinition": as_aws_describes(kwargs, revision), "tags": tags}
        result = {"taskDefinition": copy.deepcopy(family[revision]["taskDefinition"])}
        if self.register_answers_tags:
            result["tags"] = copy.deepcopy(kwargs.get("tags", []))
        return result

    def deregister_task_definition(self, **kwargs):
        self._record("deregister_task_definition", kwargs, "DeregisterTaskDefinition")
        found = self._find(kwargs["taskDefinition"], "DeregisterTaskDefinition")
        found["taskDefinition"]["status"] = "INACTIVE"
        return {"taskDefinition": copy.deepcopy(found["taskDefinition"])}

    def tag_resource(self, **kwargs):
        self._record("tag_resource", kwargs, "TagResource")
        found = self._find(kwargs["resourceArn"], "TagResource")
        found["tags"].update({t["key"]: t["value"] for t in kwargs["tags"]})
        return {}

    def untag_resource(self, **kwargs):
        self._record("untag_resource", kwargs, "UntagResource")
        found = self._find(kwargs["resourceArn"], "UntagResource")
        for key in kwargs["tagKeys"]:
            found["tags"].pop(key, None)
        return {}

