# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS task definition API layer of the ecs_taskdefinition module.

One small function per API call, each retried with jittered backoff and wrapped by an error handler;
the canonical form in which a desired and a registered task definition are compared (only the
members of RegisterTaskDefinition's input shape, without the values AWS fills in as defaults, types
as the API's model declares them, unordered lists sorted); the differences between two canonical
definitions as readable paths; the snake_cased shape the module returns.
"""

import json
import re

try:
    import botocore  # pylint: disable=unused-import
    from botocore.validate import ParamValidator
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE
from ansible.module_utils.parsing.convert_bool import BOOLEANS_TRUE

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

OPERATION = "RegisterTaskDefinition"
# Members of the request that the module's own options carry.
OWN_OPTIONS = ("family", "tags")

# Lists whose items are identified by a member: sorted by it, and compared item by item.
LIST_KEYS = {
    "containerDefinitions": "name",
    "environment": "name",
    "secrets": "name",
    "ulimits": "name",
    "systemControls": "namespace",
    "volumes": "name",
    "mountPoints": "containerPath",
    "volumesFrom": "sourceContainer",
    "dependsOn": "containerName",
    "resourceRequirements": "type",
    "inferenceAccelerators": "deviceName",
    "extraHosts": "hostname",
    "properties": "name",
    "secretOptions": "name",
    "tmpfs": "containerPath",
    "devices": "containerPath",
}
# Of those, the name/value pairs: one value per name, shown as name: old -> new.
PAIR_VALUES = {
    "environment": "value",
    "secrets": "valueFrom",
    "systemControls": "value",
    "extraHosts": "ipAddress",
    "properties": "value",
    "secretOptions": "valueFrom",
}
# Lists whose order means nothing to ECS.
UNORDERED = {"requiresCompatibilities", "links", "add", "drop", "permissions", "ignoredExitCodes", "placementConstraints"}

# Values AWS fills in when they are omitted, by the member that holds them.
DEFAULTS = {
    "": {"networkMode": "bridge"},
    "containerDefinitions": {"cpu": 0, "versionConsistency": "enabled"},
    "portMappings": {"protocol": "tcp", "hostPort": 0},
    "healthCheck": {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0},
    "efsVolumeConfiguration": {"rootDirectory": "/", "transitEncryption": "DISABLED"},
    "authorizationConfig": {"iam": "DISABLED"},
    "dockerVolumeConfiguration": {"scope": "task"},
}
# Booleans whose omission means true (a container is essential); every other boolean of the model is
# false when omitted.
TRUE_BY_DEFAULT = {"essential"}
# Network modes in which a port mapping's host port is its container port.
HOST_PORT_IS_CONTAINER_PORT = ("awsvpc", "host")

# Members the returned task definition keeps as they are: their keys are the user's, not the API's.
SNAKE_IGNORE = ("dockerLabels", "options", "driverOpts", "labels", "systemControls")

_CPU_UNITS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$", re.I)
_MEMORY_GB = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*gb\s*$", re.I)
_NONE = "(none)"


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSTaskDefinitionErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError


class ECSFamilyErrorHandler(ECSTaskDefinitionErrorHandler):
    # DescribeTaskDefinition's answer for a family without an ACTIVE revision (a ClientException).
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_message("Unable to describe task definition")


def register_shape(client):
    """RegisterTaskDefinition's input shape in the client's service model."""
    return client.meta.service_model.operation_model(OPERATION).input_shape


def revision_of(arn):
    """(family, revision) of a task definition ARN."""
    family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
    return family, int(revision)


@ECSTaskDefinitionErrorHandler.common_error_handler("list task definitions")
@AWSRetry.jittered_backoff()
def list_revisions(client, family, status="ACTIVE"):
    """[(revision, arn)] of the family, oldest first. familyPrefix matches other families that start
    with the same name: only this family's revisions are kept."""
    paginator = client.get_paginator("list_task_definitions")
    arns = paginator.paginate(familyPrefix=family, status=status).build_full_result()["taskDefinitionArns"]
    found = [(revision_of(arn), arn) for arn in arns]
    return sorted((revision, arn) for (name, revision), arn in found if name == family)


@ECSTaskDefinitionErrorHandler.common_error_handler("describe task definition")
@AWSRetry.jittered_backoff()
def describe_task_definition(client, task_definition):
    """(taskDefinition, tags as a dict) of a family:revision or an ARN."""
    response = client.describe_task_definition(taskDefinition=task_definition, include=["TAGS"])
    return response["taskDefinition"], boto3_tag_list_to_ansible_dict(response.get("tags") or [], "key", "value")


@ECSFamilyErrorHandler.list_error_handler("describe task definition")
@AWSRetry.jittered_backoff()
def describe_family(client, family):
    """(taskDefinition, tags as a dict) of what DescribeTaskDefinition answers for a family alone,
    which AWS documents as its latest ACTIVE revision; None when the family has none."""
    response = client.describe_task_definition(taskDefinition=family, include=["TAGS"])
    return response["taskDefinition"], boto3_tag_list_to_ansible_dict(response.get("tags") or [], "key", "value")


@ECSTaskDefinitionErrorHandler.common_error_handler("register task definition")
@AWSRetry.jittered_backoff()
def register_task_definition(client, request):
    """(taskDefinition, tags as a dict) of the new revision."""
    response = client.register_task_definition(**request)
    # AWS answers with the new revision's tags; an endpoint that leaves them out has the ones sent.
    tags = response["tags"] if "tags" in response else request.get("tags") or []
    return response["taskDefinition"], boto3_tag_list_to_ansible_dict(tags, "key", "value")


@ECSTaskDefinitionErrorHandler.common_error_handler("deregister task definition")
@AWSRetry.jittered_backoff()
def deregister_task_definition(client, arn):
    return client.deregister_task_definition(taskDefinition=arn)["taskDefinition"]


@ECSTaskDefinitionErrorHandler.common_error_handler("tag task definition")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=ansible_dict_to_boto3_tag_list(tags, "key", "value"))
    return True


@ECSTaskDefinitionErrorHandler.common_error_handler("untag task definition")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn, tag_keys):
    client.untag_resource(resourceArn=arn, tagKeys=list(tag_keys))
    return True


# Types


def _scalar(value, shape):
    """The value in the type the model declares, where the conversion is unambiguous: 256 for a
    string member is "256", "30" for an integer member is 30, "true" for a boolean member is true."""
    type_name = shape.type_name
    if type_name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
    elif type_name in ("integer", "long"):
        if isinstance(value, str) and re.match(r"^-?\d+$", value.strip()):
            return int(value)
    elif type_name == "boolean":
        if isinstance(value, str) and value.lower() in BOOLEANS_TRUE:
            return True
        if isinstance(value, str) and value.lower() in BOOLEANS_FALSE:
            return False
    return value


def coerce(value, shape):
    """The value with every scalar in the model's type (see _scalar); members outside the model are
    kept as they are, for the validation to name."""
    if value is None:
        return None
    type_name = shape.type_name
    if type_name == "structure" and isinstance(value, dict):
        return {k: coerce(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if type_name == "list" and isinstance(value, list):
        return [coerce(item, shape.member) for item in value]
    if type_name == "map" and isinstance(value, dict):
        return {str(k): coerce(v, shape.value) for k, v in value.items()}
    return _scalar(value, shape)


def unknown_members(value, shape, path=""):
    """Paths of the members that the model does not have, e.g. containerDefinitions[0].enviroment."""
    found = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, member in value.items():
            where = f"{path}.{key}" if path else key
            if key not in shape.members:
                found.append(where)
            else:
                found.extend(unknown_members(member, shape.members[key], where))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(unknown_members(item, shape.member, f"{path}[{index}]"))
    return found


def request_problems(task_definition, shape):
    """What is wrong with the task_definition option, one line each, before anything is sent."""
    problems = []
    for key in OWN_OPTIONS:
        if key in task_definition:
            problems.append(f"task_definition.{key}: give it as the module's {key} option")
    unknown = unknown_members(task_definition, shape)
    if unknown:
        problems.append(
            "task_definition has members that RegisterTaskDefinition does not know (the API's camelCase names are expected): "
            + ", ".join(unknown)
        )
    if problems:
        return problems
    request = dict(coerce(task_definition, shape), family="family")
    report = ParamValidator().validate(request, shape)
    if report.has_errors():
        problems.extend(f"task_definition: {line.strip()}" for line in report.generate_report().splitlines() if line.strip())
    return problems


def task_definition_request(family, task_definition, shape, tags=None):
    """RegisterTaskDefinition's arguments: the user's definition in the model's types, the family and
    the tags (keys starting with aws: are AWS's own and cannot be set)."""
    request = coerce(task_definition, shape)
    request["family"] = family
    tags = {k: v for k, v in (tags or {}).items() if not k.startswith("aws:")}
    if tags:
        request["tags"] = ansible_dict_to_boto3_tag_list(tags, "key", "value")
    return request


# The canonical form


def _task_size(value, pattern):
    """A task's cpu or memory in the units AWS reports: '1 vCPU' is '1024', '2 GB' is '2048'."""
    if isinstance(value, str):
        match = pattern.match(value)
        if match:
            return str(int(round(float(match.group(1)) * 1024)))
        return value.strip()
    return value


def _empty(value):
    return value is None or value == [] or value == {}


def _is_default(holder, key, value, parent, shape, network_mode):
    """Whether AWS would fill in this value if it were omitted, so that both mean the same."""
    if shape.type_name == "boolean":
        return value is (key in TRUE_BY_DEFAULT)
    if key in DEFAULTS.get(holder, {}) and value == DEFAULTS[holder][key]:
        return True
    if holder == "portMappings" and network_mode in HOST_PORT_IS_CONTAINER_PORT:
        if key == "hostPort" and value == parent.get("containerPort"):
            return True
        if key == "hostPortRange" and value == parent.get("containerPortRange"):
            return True
    return False


def _sort_key(holder, item):
    if holder == "portMappings" and isinstance(item, dict):
        port = item.get("containerPort", item.get("containerPortRange"))
        return (0, str(port).zfill(12), item.get("protocol", "tcp"), json.dumps(item, sort_keys=True))
    key = LIST_KEYS.get(holder)
    if key and isinstance(item, dict) and key in item:
        return (0, str(item[key]), "", json.dumps(item, sort_keys=True))
    return (1, "", "", json.dumps(item, sort_keys=True))


def _canonical(value, shape, holder, network_mode):
    if value is None:
        return None
    type_name = shape.type_name
    if type_name == "structure":
        if not isinstance(value, dict):
            return value
        members = {k: _canonical(v, shape.members[k], k, network_mode) for k, v in value.items() if k in shape.members}
        return {
            key: member
            for key, member in members.items()
            if not _empty(member) and not _is_default(holder, key, member, members, shape.members[key], network_mode)
        }
    if type_name == "list":
        if not isinstance(value, list):
            return value
        items = [_canonical(item, shape.member, holder, network_mode) for item in value]
        items = [item for item in items if item is not None]
        if holder in LIST_KEYS or holder == "portMappings" or holder in UNORDERED:
            items.sort(key=lambda item: _sort_key(holder, item))
        return items
    if type_name == "map":
        if not isinstance(value, dict):
            return value
        return {str(k): _canonical(v, shape.value, k, network_mode) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return _scalar(value, shape)


def canonical_task_definition(task_definition, shape):
    """The task definition as it is compared: a request or a described revision (with or without the
    members AWS adds) gives the same result when ECS would run the same thing.

    Only the members of RegisterTaskDefinition's input shape are kept, without family and tags; the
    values AWS fills in when they are omitted are dropped (container essential true and cpu 0, port
    mapping protocol tcp and the host port that awsvpc sets to the container port, the healthCheck
    interval 30, timeout 5, retries 3 and startPeriod 0, an EFS root directory of /, booleans that
    are false, empty lists and dicts, ...); scalars take the model's types; the task's cpu and memory
    are strings of CPU units and MiB; lists whose order means nothing are sorted.
    """
    if not task_definition:
        return {}
    network_mode = _scalar(task_definition.get("networkMode"), shape.members["networkMode"])
    result = _canonical(task_definition, shape, "", network_mode)
    for key in OWN_OPTIONS:
        result.pop(key, None)
    if "cpu" in result:
        result["cpu"] = _task_size(result["cpu"], _CPU_UNITS)
    if "memory" in result:
        result["memory"] = _task_size(result["memory"], _MEMORY_GB)
    return result


# Differences


def _show(value):
    if value is None:
        return _NONE
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _keyed(holder, items):
    """{key: item} for a list of items identified by a member, or None when they are not (a missing
    or repeated key): such lists are compared whole."""
    if not all(isinstance(item, dict) for item in items):
        return None
    if holder == "portMappings":
        keys = []
        for item in items:
            port = item.get("containerPort", item.get("containerPortRange"))
            keys.append(f"{port}/{item.get('protocol', 'tcp')}")
    elif holder in LIST_KEYS:
        member = LIST_KEYS[holder]
        if not all(member in item for item in items):
            return None
        keys = [str(item[member]) for item in items]
    else:
        return None
    if len(set(keys)) != len(keys):
        return None
    return dict(zip(keys, items))


def _diff(before, after, path, holder, changes):
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            where = f"{path}.{key}" if path else key
            _diff(before.get(key), after.get(key), where, key, changes)
        return
    if isinstance(before, list) or isinstance(after, list):
        old = _keyed(holder, before or [])
        new = _keyed(holder, after or [])
        if old is not None and new is not None:
            value = PAIR_VALUES.get(holder)
            for key in sorted(set(old) | set(new)):
                where = f"{path}[{key}]"
                if value:
                    _diff((old.get(key) or {}).get(value), (new.get(key) or {}).get(value), where, key, changes)
                elif key not in old:
                    changes.append(f"{where}: added")
                elif key not in new:
                    changes.append(f"{where}: removed")
                else:
                    _diff(old[key], new[key], where, holder, changes)
            return
    if isinstance(before, dict) and after is None:
        _diff(before, {}, path, holder, changes)
        return
    if isinstance(after, dict) and before is None:
        _diff({}, after, path, holder, changes)
        return
    changes.append(f"{path}: {_show(before)} -> {_show(after)}")


def differences(before, after):
    """What differs between two canonical task definitions, one readable line per value, e.g.
    'containerDefinitions[site].environment[NODE_ENV]: production -> staging'."""
    changes = []
    _diff(before or {}, after or {}, "", "", changes)
    return changes


# The returned shape


def _snake_key(key):
    return next(iter(camel_dict_to_snake_dict({key: None})))


def _snake(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {_snake_key(k): (v if k in SNAKE_IGNORE else _snake(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(item) for item in value]
    return value


def snake_task_definition(task_definition, tags=None):
    """A task definition as the module returns it: snake_cased, except the keys that are the user's
    (docker labels, log driver options, ...), with its tags as a dict."""
    if not task_definition:
        return {}
    result = _snake({k: v for k, v in task_definition.items() if k != "ResponseMetadata"})
    result["tags"] = dict(tags or {})
    return result
