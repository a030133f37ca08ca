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

# The verdict itself, shared with the controller side (the modules import these from here).
from ansible_collections.quoin.fargate.plugins.module_utils.awslogs import container_outcome
from ansible_collections.quoin.fargate.plugins.module_utils.awslogs import failed_container_logs
from ansible_collections.quoin.fargate.plugins.module_utils.awslogs import why_not
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import COMPLETED  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import FAILED  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import IN_PROGRESS  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import INACTIVE  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import MISSING  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import ROLLED_BACK  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import SKIPPED  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import TIMED_OUT  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import UNSUPPORTED  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import judge_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import task_definition_matches  # noqa: F401  pylint: disable=unused-import
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import task_definition_problem  # noqa: F401  pylint: disable=unused-import

# DescribeServices takes at most this many services per call.
DESCRIBE_SERVICES_LIMIT = 10
# The outcomes whose stopped tasks may say why: the service exists and tasks of the deployment ran.
EXPLAINED_BY_TASKS = (FAILED, ROLLED_BACK, TIMED_OUT)


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
        if result.get("stopped_tasks"):
            text += "; " + "; ".join(result["stopped_tasks"])
        parts.append(text if text.endswith(".") else text + ".")
    services = "service" if len(results) == 1 else "services"
    return f"{len(failed)} of {len(results)} {services} in cluster {cluster} did not deploy. " + " ".join(parts)


# Why tasks stopped: the newest stopped tasks of the expected task definition, and for each container
# that exited with a code other than 0 (or that ECS gives a reason for) the last lines of its awslogs
# stream. It only explains a failure already found: what cannot be read is said, never raised.


def stopped_tasks(client, cluster, name, task_definition, count):
    """The newest `count` stopped tasks of the service that ran the task definition, newest first.
    ECS keeps stopped tasks for about an hour. Filtered here by the service's group too, since not
    every ECS implementation filters ListTasks by service."""
    arns = client.list_tasks(cluster=cluster, serviceName=name, desiredStatus="STOPPED", maxResults=100).get("taskArns") or []
    tasks = client.describe_tasks(cluster=cluster, tasks=arns).get("tasks") or [] if arns else []
    tasks = [
        task
        for task in tasks
        if task.get("group") in (None, f"service:{name}") and task_definition_matches(task.get("taskDefinitionArn"), task_definition)
    ]
    tasks.sort(key=lambda task: str(task.get("stoppedAt") or task.get("createdAt") or ""), reverse=True)
    return tasks[:count]


def stopped_task_reports(client, logs_for, cluster, result, tasks=3, lines=5):
    """One line per stopped task of the deployment: its stop reason and its failed containers, each with
    the last `lines` lines of its log. logs_for(region) gives a CloudWatch Logs client (region None: the
    module's own)."""
    try:
        found = stopped_tasks(client, cluster, result["name"], result["task_definition"], tasks)
    except Exception as e:  # pylint: disable=broad-except
        return [f"its stopped tasks could not be read ({why_not(e)})"]
    definitions = {}
    reports = []
    for task in found:
        failed = [c for c in task.get("containers") or [] if c.get("exitCode") not in (None, 0) or c.get("reason")]
        text = f"stopped task {task['taskArn'].split('/')[-1]}: {task.get('stoppedReason') or task.get('stopCode') or 'no reason given'}"
        parts = [
            f"container {container_outcome(c)}" + failed_container_logs(client, logs_for, definitions, task, c.get("name"), lines)
            for c in failed
        ]
        reports.append(text + ("; " + "; ".join(parts) if parts else ""))
    return reports
