# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verdict on one service's deployment, from DescribeServices' answer: no AWS call and no boto3, so
that the controller (the verify role's filters) judges a service read earlier exactly as the deploy wait
(ecs_deployment.py) does."""

COMPLETED = "completed"
IN_PROGRESS = "in_progress"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
TIMED_OUT = "timed_out"
MISSING = "missing"
INACTIVE = "inactive"
UNSUPPORTED = "unsupported"
SKIPPED = "skipped"


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
