# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EventBridge Scheduler API layer of the scheduler_schedule module.

One small function per API call, retried with jittered backoff and wrapped by an error handler; the
schedule definition the module's parameters ask for, built on top of the current one (UpdateSchedule
replaces the whole definition, so whatever the module does not manage is carried over); the
comparison of two definitions once AWS's defaults are filled in; the shape the module returns.
"""

import copy
import json

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.results import jsonable


class AnsibleSchedulerError(AnsibleAWSError):
    pass


class SchedulerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSchedulerError

    # A missing schedule and a missing schedule group both answer ResourceNotFoundException.
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@SchedulerErrorHandler.list_error_handler("get the schedule", None)
@AWSRetry.jittered_backoff()
def get_schedule(client, name, group_name):
    """The schedule as GetSchedule returns it, or None when it (or its group) does not exist."""
    schedule = client.get_schedule(Name=name, GroupName=group_name)
    schedule.pop("ResponseMetadata", None)
    return schedule


@SchedulerErrorHandler.common_error_handler("create the schedule")
@AWSRetry.jittered_backoff()
def create_schedule(client, **request):
    return client.create_schedule(**request)["ScheduleArn"]


@SchedulerErrorHandler.common_error_handler("update the schedule")
@AWSRetry.jittered_backoff()
def update_schedule(client, **request):
    return client.update_schedule(**request)["ScheduleArn"]


@SchedulerErrorHandler.deletion_error_handler("delete the schedule")
@AWSRetry.jittered_backoff()
def delete_schedule(client, name, group_name):
    client.delete_schedule(Name=name, GroupName=group_name)
    return True


# Requests

# What GetSchedule returns that UpdateSchedule takes back.
DEFINITION_KEYS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)

# What AWS reports for a schedule created without these settings.
DEFAULT_TIMEZONE = "UTC"
DEFAULT_RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def current_definition(schedule):
    """The part of a GetSchedule answer that UpdateSchedule takes, as a request."""
    return {key: copy.deepcopy(schedule[key]) for key in DEFINITION_KEYS if schedule and schedule.get(key) is not None}


def input_text(value):
    """The target's Input as the API takes it: a dict or list is sent as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _network_request(network, current):
    awsvpc = copy.deepcopy((current or {}).get("awsvpcConfiguration") or {})
    awsvpc["Subnets"] = list(network["subnets"])
    if network.get("security_groups") is not None:
        awsvpc["SecurityGroups"] = list(network["security_groups"])
    awsvpc["AssignPublicIp"] = network["assign_public_ip"]
    return {"awsvpcConfiguration": awsvpc}


def _ecs_request(ecs, current):
    """EcsParameters for the ecs_parameters option, on top of the current ones."""
    request = copy.deepcopy(current or {})
    request["TaskDefinitionArn"] = ecs["task_definition_arn"]
    request["TaskCount"] = ecs["task_count"]
    request["LaunchType"] = ecs["launch_type"]
    for option, key in (
        ("platform_version", "PlatformVersion"),
        ("enable_ecs_managed_tags", "EnableECSManagedTags"),
        ("propagate_tags", "PropagateTags"),
    ):
        if ecs.get(option) is not None:
            request[key] = ecs[option]
    if ecs.get("network_configuration"):
        request["NetworkConfiguration"] = _network_request(ecs["network_configuration"], request.get("NetworkConfiguration"))
    return request


def _target_request(target, current):
    """Target for the target option, on top of the current one (its DeadLetterConfig and the like stay)."""
    request = copy.deepcopy(current or {})
    request["Arn"] = target["arn"]
    request["RoleArn"] = target["role_arn"]
    if target.get("input") is not None:
        request["Input"] = input_text(target["input"])
    retry = target.get("retry_policy")
    if retry:
        policy = copy.deepcopy(request.get("RetryPolicy") or DEFAULT_RETRY_POLICY)
        if retry.get("maximum_retry_attempts") is not None:
            policy["MaximumRetryAttempts"] = retry["maximum_retry_attempts"]
        if retry.get("maximum_event_age_in_seconds") is not None:
            policy["MaximumEventAgeInSeconds"] = retry["maximum_event_age_in_seconds"]
        request["RetryPolicy"] = policy
    if target.get("ecs_parameters"):
        request["EcsParameters"] = _ecs_request(target["ecs_parameters"], request.get("EcsParameters"))
    return request


def schedule_request(params, schedule=None):
    """The full definition (CreateSchedule or UpdateSchedule arguments) the parameters ask for.

    `schedule` is the current schedule (GetSchedule) or None. Options left unset keep what the
    schedule has, since UpdateSchedule would reset anything it is not given.
    """
    request = current_definition(schedule)
    request["Name"] = params["name"]
    request["GroupName"] = params["group_name"]
    request["ScheduleExpression"] = params["schedule_expression"]
    request["ScheduleExpressionTimezone"] = params["schedule_expression_timezone"]
    request["State"] = "ENABLED" if params["enabled"] else "DISABLED"
    window = params["flexible_time_window"]
    request["FlexibleTimeWindow"] = {"Mode": window["mode"]}
    if window["mode"] == "FLEXIBLE":
        request["FlexibleTimeWindow"]["MaximumWindowInMinutes"] = window["maximum_window_in_minutes"]
    # An empty description clears it: UpdateSchedule drops what it is not given.
    if params.get("description"):
        request["Description"] = params["description"]
    elif params.get("description") is not None:
        request.pop("Description", None)
    if params.get("kms_key_arn") is not None:
        request["KmsKeyArn"] = params["kms_key_arn"]
    request["Target"] = _target_request(params["target"], request.get("Target"))
    return request


# Comparison


def with_defaults(definition):
    """The definition as GetSchedule reports it once AWS has filled in its defaults."""
    result = copy.deepcopy(definition)
    result.setdefault("ScheduleExpressionTimezone", DEFAULT_TIMEZONE)
    result.setdefault("State", "ENABLED")
    result.setdefault("ActionAfterCompletion", "NONE")
    target = result.get("Target")
    if target is not None:
        target.setdefault("RetryPolicy", copy.deepcopy(DEFAULT_RETRY_POLICY))
        ecs = target.get("EcsParameters")
        if ecs is not None:
            ecs.setdefault("TaskCount", 1)
            awsvpc = (ecs.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
            if awsvpc is not None:
                awsvpc.setdefault("AssignPublicIp", "DISABLED")
    return result


def _parsed_input(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def comparable(definition):
    """A definition reduced to what matters: defaults filled in, lists AWS does not keep in order
    sorted, the Input as parsed JSON, only what UpdateSchedule takes."""
    result = with_defaults(current_definition(definition))
    result.setdefault("Description", "")
    target = result.get("Target") or {}
    if "Input" in target:
        target["Input"] = _parsed_input(target["Input"])
    ecs = target.get("EcsParameters") or {}
    if "EcsParameters" in target:
        ecs.setdefault("EnableECSManagedTags", False)
    awsvpc = (ecs.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
    if awsvpc is not None:
        for key in ("Subnets", "SecurityGroups"):
            if key in awsvpc:
                awsvpc[key] = sorted(awsvpc[key])
    return result


# Compared and shown whole: the parsed Input is the user's data, not part of the definition's structure.
_LEAVES = ("Target.Input",)


def _flatten(value, path=""):
    if isinstance(value, dict) and value and path not in _LEAVES:
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{path}.{key}" if path else key))
        return flat
    return {path: value}


def _show(value):
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def definition_changes(schedule, request):
    """What differs between the current schedule and the requested definition, one line each
    ("Target.EcsParameters.TaskCount from 1 to 2"); [] when nothing does."""
    have = _flatten(comparable(schedule))
    want = _flatten(comparable(request))
    changes = []
    for key in sorted(set(have) | set(want)):
        if have.get(key) != want.get(key):
            changes.append(f"{key} from {_show(have.get(key))} to {_show(want.get(key))}")
    return changes


def predicted_schedule(request, schedule=None):
    """The schedule GetSchedule will return once `request` is applied (no ARN or dates for a new one)."""
    result = with_defaults(request)
    for key in ("Arn", "CreationDate", "LastModificationDate"):
        if schedule and key in schedule:
            result[key] = schedule[key]
    return result


# Conversions


def normalize_schedule(schedule):
    """A GetSchedule answer as the module returns it: snake_cased, dates as ISO 8601."""
    if not schedule:
        return {}
    return camel_dict_to_snake_dict(jsonable(schedule))


def diff_view(schedule):
    """A returned schedule without the dates that change on every update."""
    return {key: value for key, value in schedule.items() if key not in ("creation_date", "last_modification_date")}
