# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS layer of the deploy verification: DescribeServices in batches, the verdict on one service's
deployment, and a wait that polls every service still rolling out in the same round.

botocore's services_stable waiter is not enough here: it is satisfied when a service has one deployment
whose running count reaches the desired count, which a service the circuit breaker rolled back also
has. A verified deploy needs the PRIMARY deployment to run the expected task definition with its
rollout COMPLETED, and a failure needs the reason and the service events, per service.
"""

import time

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# DescribeServices takes at most this many services per call.
DESCRIBE_SERVICES_LIMIT = 10

COMPLETED = "completed"
IN_PROGRESS = "in_progress"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
TIMED_OUT = "timed_out"
MISSING = "missing"
INACTIVE = "inactive"
UNSUPPORTED = "unsupported"
SKIPPED = "skipped"


class AnsibleECSDeploymentError(AnsibleAWSError):
    pass


class ECSDeploymentErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSDeploymentError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")


@ECSDeploymentErrorHandler.list_error_handler("describe services")
@AWSRetry.jittered_backoff()
def describe_services(client, cluster, services, include=None):
    """DescribeServices for at most 10 services: (services, failures), or None when the cluster does not exist.
    include: what else to return (["TAGS"]), nothing when None."""
    params = dict(cluster=cluster, services=list(services))
    if include:
        params["include"] = list(include)
    response = client.describe_services(**params)
    return response.get("services", []), response.get("failures", [])


def _matches(service, requested):
    """A described service is the one requested by name or by ARN."""
    return requested in (service.get("serviceName"), service.get("serviceArn"))


def describe_service_batches(client, cluster, names, include=None):
    """{requested name or ARN: the described service, or None when ECS does not know it}, in batches of 10.
    include: what else DescribeServices returns (["TAGS"]), nothing when None."""
    found = {}
    for start in range(0, len(names), DESCRIBE_SERVICES_LIMIT):
        batch = names[start:start + DESCRIBE_SERVICES_LIMIT]
        described = describe_services(client, cluster, batch, include)
        if described is None:
            raise AnsibleECSDeploymentError(message=f"cluster {cluster} does not exist")
        services = described[0]
        for name in batch:
            candidates = [service for service in services if _matches(service, name)]
            # A service deleted and created again under its name is listed once per incarnation.
            candidates.sort(key=lambda service: service.get("status") != "ACTIVE")
            found[name] = candidates[0] if candidates else None
    return found


def task_definition_matches(arn, expected):
    """True when the task definition ARN is the expected one, given as an ARN or as family:revision."""
    if not arn or not expected:
        return False
    if ":task-definition/" in expected:
        return arn == expected
    return arn.split("/")[-1] == expected


def task_definition_problem(expected):
    """Why a task definition cannot identify one revision, or None."""
    if ":task-definition/" in expected:
        expected = expected.split("/")[-1]
    family, _sep, revision = expected.rpartition(":")
    if not family or not revision.isdigit():
        return f"{expected!r} is not a task definition ARN or family:revision (a family alone names no revision)"
    return None


def _event_lines(service, count):
    lines = []
    for event in (service.get("events") or [])[:count]:
        created = event.get("createdAt")
        if hasattr(created, "isoformat"):
            created = created.isoformat(timespec="seconds")
        lines.append(f"{created} {event.get('message', '')}".strip())
    return lines


def judge_service(name, expected, service, events=5):
    """Where one service's deploy of the expected task definition stands.

    outcome is completed (the PRIMARY deployment runs the expected task definition, its rollout is
    COMPLETED and its running count reaches its desired count), in_progress, failed (the deployment of
    the expected task definition is FAILED), rolled_back (the PRIMARY deployment runs another task
    definition and none of the expected one is still rolling out), missing, inactive (deleted or being
    deleted) or unsupported (a deployment controller other than ECS rolling updates).
    rollout_state and rollout_state_reason are those of the deployment of the expected task definition,
    or of the PRIMARY deployment when there is none.
    """
    result = dict(
        name=name,
        task_definition=expected,
        primary_task_definition=None,
        rollout_state=None,
        rollout_state_reason=None,
        running_count=None,
        desired_count=None,
        failed_tasks=None,
        status=None,
        outcome=IN_PROGRESS,
    )
    if service is None:
        result["outcome"] = MISSING
        return result
    result.update(
        status=service.get("status"),
        running_count=service.get("runningCount"),
        desired_count=service.get("desiredCount"),
    )
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    # Newest first, as ECS lists them.
    ours = [d for d in deployments if task_definition_matches(d.get("taskDefinition"), expected)]
    if primary is not None and primary in ours:
        ours.remove(primary)
        ours.insert(0, primary)
    shown = ours[0] if ours else primary
    if primary is not None:
        result["primary_task_definition"] = primary.get("taskDefinition")
    if shown is not None:
        result.update(
            rollout_state=shown.get("rolloutState"),
            rollout_state_reason=shown.get("rolloutStateReason"),
            failed_tasks=shown.get("failedTasks"),
        )

    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    if result["status"] != "ACTIVE":
        result["outcome"] = INACTIVE
    elif controller != "ECS":
        result["outcome"] = UNSUPPORTED
    elif primary is not None and primary in ours:
        running = primary.get("runningCount", result["running_count"]) or 0
        desired = primary.get("desiredCount", result["desired_count"]) or 0
        if primary.get("rolloutState") == "FAILED":
            result["outcome"] = FAILED
        elif primary.get("rolloutState") == "COMPLETED" and running >= desired:
            result["outcome"] = COMPLETED
    elif primary is not None and not any(d.get("rolloutState") == "IN_PROGRESS" for d in ours):
        result["outcome"] = ROLLED_BACK

    if result["outcome"] != COMPLETED:
        result["events"] = _event_lines(service, events)
    return result


def wait_for_deployments(client, cluster, services, timeout, delay, events=5):
    """Poll until every service's deploy is decided or `timeout` seconds have passed.

    services: [{name, task_definition}]. Each round describes every service still in progress, ten per
    call; a decided service is not asked about again. Returns (results in the order given, the number of
    rounds, the seconds spent); a service still in progress at the end has the outcome timed_out.
    """
    start = time.monotonic()
    expected = dict((service["name"], service["task_definition"]) for service in services)
    results = {}
    pending = list(expected)
    polls = 0
    while pending:
        found = describe_service_batches(client, cluster, pending)
        polls += 1
        for name in pending:
            results[name] = judge_service(name, expected[name], found[name], events)
        pending = [name for name in pending if results[name]["outcome"] == IN_PROGRESS]
        elapsed = time.monotonic() - start
        if not pending or elapsed >= timeout:
            break
        time.sleep(min(delay, timeout - elapsed))
    for name in pending:
        results[name]["outcome"] = TIMED_OUT
    return [results[service["name"]] for service in services], polls, round(time.monotonic() - start, 1)


def _failure(result, cluster, timeout):
    name = result["name"]
    expected = result["task_definition"]
    outcome = result["outcome"]
    if outcome == MISSING:
        return f"service {name}: not found in cluster {cluster}"
    if outcome == INACTIVE:
        return f"service {name}: {result['status']} (deleted), expected to run {expected}"
    if outcome == UNSUPPORTED:
        return f"service {name}: its deployment controller is not ECS rolling updates, whose deployments this verifies"
    if outcome == ROLLED_BACK:
        text = f"service {name}: rolled back, the PRIMARY deployment runs {result['primary_task_definition']} instead of {expected}"
    elif outcome == FAILED:
        text = f"service {name}: the deployment of {expected} failed, the PRIMARY deployment runs {result['primary_task_definition']}"
    else:
        running = result["primary_task_definition"]
        text = f"service {name}: {expected} not deployed within {timeout}s, the PRIMARY deployment runs {running}"
        text += f" with {result['running_count']} of {result['desired_count']} tasks running"
    text += f" (rollout {result['rollout_state']}"
    if result["rollout_state_reason"]:
        text += f": {result['rollout_state_reason']}"
    text += ")"
    return text


def failure_message(cluster, results, timeout):
    """One message for every service whose deploy did not complete, with its last events; None when all did."""
    failed = [result for result in results if result["outcome"] != COMPLETED]
    if not failed:
        return None
    parts = []
    for result in failed:
        text = _failure(result, cluster, timeout)
        if result.get("events"):
            text += "; last events: " + " | ".join(result["events"])
        parts.append(text if text.endswith(".") else text + ".")
    services = "service" if len(results) == 1 else "services"
    return f"{len(failed)} of {len(results)} {services} in cluster {cluster} did not deploy. " + " ".join(parts)
