# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS task API layer of the ecs_run_task module: RunTask, DescribeTasks and the task
definitions' essential containers, each retried and wrapped by an error handler; the RunTask request
for the module's parameters; a wait until every task has stopped; the verdict on stopped tasks.

botocore's tasks_stopped waiter is not used: on a timeout it does not tell which tasks still run, and
the verdict needs every task's containers anyway, so the wait keeps the last DescribeTasks answer.
"""

import time
import uuid

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.quoin.fargate.plugins.module_utils.awslogs import container_outcome
from ansible_collections.quoin.fargate.plugins.module_utils.results import jsonable

# DescribeTasks takes at most this many tasks per call; RunTask starts at most 10.
DESCRIBE_TASKS_LIMIT = 100


class AnsibleECSTaskError(AnsibleAWSError):
    pass


class ECSTaskErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSTaskError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")


@ECSTaskErrorHandler.common_error_handler("run the task")
@AWSRetry.jittered_backoff()
def run_task(client, **request):
    """RunTask's answer: (tasks, failures). Retrying is safe: the request carries a client token."""
    response = client.run_task(**request)
    return response.get("tasks") or [], response.get("failures") or []


@ECSTaskErrorHandler.common_error_handler("describe the tasks")
@AWSRetry.jittered_backoff()
def _describe_tasks(client, cluster, arns):
    response = client.describe_tasks(cluster=cluster, tasks=list(arns), include=["TAGS"])
    return response.get("tasks") or [], response.get("failures") or []


def describe_tasks(client, cluster, arns):
    """(tasks, failures) for the task ARNs, in batches DescribeTasks accepts."""
    tasks, failures = [], []
    for start in range(0, len(arns), DESCRIBE_TASKS_LIMIT):
        found, failed = _describe_tasks(client, cluster, arns[start:start + DESCRIBE_TASKS_LIMIT])
        tasks += found
        failures += failed
    return tasks, failures


@ECSTaskErrorHandler.common_error_handler("describe the task definition")
@AWSRetry.jittered_backoff()
def describe_task_definition(client, task_definition):
    return client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]


def essential_containers(client, tasks):
    """{task definition ARN: names of its essential containers} for the tasks' task definitions."""
    essential = {}
    for task in tasks:
        arn = task.get("taskDefinitionArn")
        if arn and arn not in essential:
            definitions = describe_task_definition(client, arn).get("containerDefinitions") or []
            # A container definition without `essential` is essential.
            essential[arn] = {c["name"] for c in definitions if c.get("essential", True)}
    return essential


# Requests


def _environment(environment):
    """A dict of variables as ECS takes them; booleans as true/false, as a shell would see them."""
    result = []
    for name, value in (environment or {}).items():
        if isinstance(value, bool):
            value = str(value).lower()
        result.append({"name": str(name), "value": "" if value is None else str(value)})
    return result


def container_override(override):
    request = {"name": override["name"]}
    if override.get("command") is not None:
        request["command"] = list(override["command"])
    if override.get("environment") is not None:
        request["environment"] = _environment(override["environment"])
    for option, key in (("cpu", "cpu"), ("memory", "memory"), ("memory_reservation", "memoryReservation")):
        if override.get(option) is not None:
            request[key] = override[option]
    return request


def overrides_request(overrides):
    """RunTask's overrides for the overrides option, or None."""
    if not overrides:
        return None
    request = {"containerOverrides": [container_override(o) for o in overrides.get("container_overrides") or []]}
    for option, key in (
        ("task_role_arn", "taskRoleArn"),
        ("execution_role_arn", "executionRoleArn"),
        ("cpu", "cpu"),
        ("memory", "memory"),
    ):
        if overrides.get(option) is not None:
            request[key] = overrides[option]
    return request


def run_task_request(params, client_token=None):
    """RunTask's arguments for the module parameters."""
    request = {
        "cluster": params["cluster"],
        "taskDefinition": params["task_definition"],
        "count": params["count"],
        "launchType": params["launch_type"],
        # One token per module run: a retried RunTask does not start the tasks twice.
        "clientToken": client_token or str(uuid.uuid4()),
    }
    if params.get("platform_version") is not None:
        request["platformVersion"] = params["platform_version"]
    network = params.get("network_configuration")
    if network:
        awsvpc = {"subnets": list(network["subnets"]), "assignPublicIp": network["assign_public_ip"]}
        if network.get("security_groups") is not None:
            awsvpc["securityGroups"] = list(network["security_groups"])
        request["networkConfiguration"] = {"awsvpcConfiguration": awsvpc}
    overrides = overrides_request(params.get("overrides"))
    if overrides:
        request["overrides"] = overrides
    if params.get("started_by") is not None:
        request["startedBy"] = params["started_by"]
    if params.get("tags"):
        request["tags"] = ansible_dict_to_boto3_tag_list(params["tags"], "key", "value")
    if params.get("propagate_tags") is not None:
        request["propagateTags"] = params["propagate_tags"]
    if params.get("enable_ecs_managed_tags") is not None:
        request["enableECSManagedTags"] = params["enable_ecs_managed_tags"]
    return request


# Waiting and the verdict


def is_stopped(task):
    return task.get("lastStatus") == "STOPPED"


def wait_for_tasks(client, cluster, arns, timeout, delay):
    """Poll until every task has stopped or `timeout` seconds have passed.

    Returns (tasks, missing, polls): the last DescribeTasks answer for each task, the ARNs ECS no
    longer knows, and how many times it asked. The caller tells a timeout by the tasks not stopped.
    """
    start = time.monotonic()
    polls = 0
    while True:
        tasks, failures = describe_tasks(client, cluster, arns)
        polls += 1
        missing = [f.get("arn") for f in failures if f.get("reason") == "MISSING"]
        elapsed = time.monotonic() - start
        if missing or all(is_stopped(task) for task in tasks) or elapsed >= timeout:
            return tasks, missing, polls
        time.sleep(min(delay, timeout - elapsed))


def failures_message(failures):
    """RunTask's failures, one per entry: "arn: reason (detail)"."""
    lines = []
    for failure in failures:
        line = f"{failure.get('arn') or 'the task'}: {failure.get('reason') or 'unknown reason'}"
        if failure.get("detail"):
            line += f" ({failure['detail']})"
        lines.append(line)
    return "; ".join(lines)


def task_problems(tasks, essential, explain=None):
    """Why stopped tasks failed, one line each: an essential container that exited with a code other
    than 0 or without one (it never ran), or a task that failed to start. [] when all succeeded.

    essential: {task definition ARN: names of its essential containers}; a task definition not in it
    counts every container as essential. explain(task, container name), when given, returns what to add
    to a failed container's line (its last log lines).
    """
    problems = []
    for task in tasks:
        if not is_stopped(task):
            continue
        arn = task.get("taskArn")
        reason = task.get("stoppedReason") or "no reason given"
        stop_code = task.get("stopCode") or "no stop code"
        names = essential.get(task.get("taskDefinitionArn"))
        containers = [c for c in task.get("containers") or [] if names is None or c.get("name") in names]
        for container in containers:
            if container.get("exitCode") != 0:
                problems.append(
                    f"task {arn}: essential container {container_outcome(container)}; {stop_code}: {reason}"
                    + (explain(task, container.get("name")) if explain else "")
                )
        if not containers and task.get("stopCode") == "TaskFailedToStart":
            problems.append(f"task {arn}: failed to start; {stop_code}: {reason}")
    return problems


def timeout_message(tasks, timeout):
    running = [f"{task.get('taskArn')} ({task.get('lastStatus')})" for task in tasks if not is_stopped(task)]
    return f"timed out after {timeout} seconds waiting for the tasks to stop; still running: " + ", ".join(running)


# Conversions


def normalize_task(task):
    """The API's task as the module returns it: snake_cased, tags as a dict, times as ISO 8601."""
    result = camel_dict_to_snake_dict(jsonable({key: value for key, value in task.items() if key != "tags"}))
    result["tags"] = boto3_tag_list_to_ansible_dict(task.get("tags") or [], "key", "value")
    return result
