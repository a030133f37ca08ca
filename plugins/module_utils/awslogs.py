# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A stopped container's last log lines, from the awslogs stream its definition names, for the messages
that say why a task failed (ecs_deployment_wait, ecs_run_task). They only explain a failure already
found: a stream that is missing (the container never wrote) or cannot be read (no logs:GetLogEvents
permission) is said so, never raised."""


def why_not(error):
    """An AWS error, briefly: its code, or the exception's text."""
    response = getattr(error, "response", None) or {}
    return (response.get("Error") or {}).get("Code") or str(error) or type(error).__name__


def awslogs_stream(container_definition, task_id):
    """(group, region, stream) of a container's awslogs output, or None when it has none it can be found by:
    with a stream prefix, ECS names the stream <prefix>/<container name>/<task id>."""
    configuration = container_definition.get("logConfiguration") or {}
    options = configuration.get("options") or {}
    if configuration.get("logDriver") != "awslogs" or not options.get("awslogs-group") or not options.get("awslogs-stream-prefix"):
        return None
    stream = f"{options['awslogs-stream-prefix']}/{container_definition['name']}/{task_id}"
    return options["awslogs-group"], options.get("awslogs-region"), stream


def last_log_lines(logs, group, stream, count):
    """The stream's last `count` lines, oldest first."""
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=count, startFromHead=False).get("events") or []
    return [event.get("message", "").rstrip("\n") for event in events][-count:]


def container_outcome(container):
    """'site exited with code 1 (reason)', or 'stopped without an exit code'."""
    code = container.get("exitCode")
    text = container.get("name") or "(unnamed)"
    text += f" exited with code {code}" if code is not None else " stopped without an exit code"
    return text + (f" ({container['reason']})" if container.get("reason") else "")


def _container_definitions(ecs, definitions, arn):
    """{container name: definition} of a task definition, read once per ARN into `definitions`; {} when
    it cannot be read."""
    if arn not in definitions:
        try:
            described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            definitions[arn] = {c["name"]: c for c in described.get("containerDefinitions") or []}
        except Exception:  # pylint: disable=broad-except
            definitions[arn] = {}
    return definitions[arn]


def failed_container_logs(ecs, logs_for, definitions, task, name, lines):
    """'; last log lines in <group> <stream>: a | b', or why there are none; '' when lines is 0 or the
    container logs nowhere this can read (no awslogs driver with a stream prefix). logs_for(region) gives
    a CloudWatch Logs client (region None: the caller's own); definitions caches the task definitions'
    containers by ARN."""
    if not lines:
        return ""
    definition = _container_definitions(ecs, definitions, task.get("taskDefinitionArn")).get(name)
    where = awslogs_stream(definition, task["taskArn"].split("/")[-1]) if definition else None
    if where is None:
        return ""
    group, region, stream = where
    try:
        found = last_log_lines(logs_for(region), group, stream, lines)
    except Exception as e:  # pylint: disable=broad-except
        return f"; its log lines could not be read from {group} {stream} ({why_not(e)})"
    if not found:
        return f"; {group} {stream} holds no log lines"
    return f"; last log lines in {group} {stream}: " + " | ".join(found)
