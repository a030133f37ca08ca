#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_deployment_wait
version_added: 0.1.0
short_description: Wait until Amazon ECS services run their new task definitions, or fail saying why
description:
  - Verifies ECS deploys. A deploy is verified when the service's PRIMARY deployment runs the expected
    task definition, its C(rolloutState) is C(COMPLETED) and its running count reaches its desired count.
  - Fails when a deploy fails (the deployment of the expected task definition is C(FAILED)), is rolled
    back (the PRIMARY deployment runs another task definition and no deployment of the expected one is
    still rolling out, as after the deployment circuit breaker's rollback), when a service is missing or
    deleted, or when O(timeout) passes first. One message then names every such service with the task
    definition it should run, what its PRIMARY deployment runs instead, the rollout state and its reason,
    the last O(events) service events, and why its newest stopped tasks stopped, with the last log lines
    of each container that failed (O(stopped_tasks)).
  - All services are waited on together; each round asks about every service still rolling out, ten per
    C(DescribeServices) call. A failed service does not end the wait for the others.
  - community.aws.ecs_service waits for nothing when it deploys, and the C(services_stable) waiter is
    satisfied by a service the circuit breaker rolled back, so neither can verify a deploy.
  - Only services that use the ECS rolling update deployment controller can be verified.
author:
  - Quoin (@quoininc)
options:
  cluster:
    description:
      - The cluster's name or ARN.
    type: str
    required: true
  services:
    description:
      - The services to wait for, each with the task definition its PRIMARY deployment must run.
      - An empty list returns at once.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The service's name or ARN.
        type: str
        required: true
      task_definition:
        description:
          - The task definition the deploy started, as an ARN (as quoin.fargate.ecs_service returns it) or
            as C(family:revision). A family alone is refused, because it names no revision.
        type: str
        required: true
  timeout:
    description:
      - How many seconds to wait for all services together before failing.
      - There is always at least one round of polls, also with O(timeout=0).
    type: int
    default: 600
  delay:
    description:
      - Seconds between two rounds of polls.
    type: int
    default: 10
  events:
    description:
      - How many of a service's most recent events a failure quotes (and RV(services[].events) holds).
    type: int
    default: 5
  stopped_tasks:
    description:
      - For a service that failed, rolled back or timed out, how many of its newest stopped tasks of the
        expected task definition the failure describes (RV(services[].stopped_tasks)), saying why each
        stopped, and each container that exited with a code other than 0 or with a reason, with the last
        O(log_lines) lines of its C(awslogs) stream (C(<prefix>/<container>/<task id>), read with
        C(GetLogEvents)). A stream that is missing or cannot be read is said so; it never fails the
        message. V(0) reads no tasks.
    type: int
    default: 3
  log_lines:
    description:
      - How many of a failed container's last log lines O(stopped_tasks) quotes; V(0) reads no logs.
    type: int
    default: 5
notes:
  - The module never changes anything, so C(changed) is always false.
  - In check mode it calls no API and returns at once with RV(skipped=true) and every service's
    RV(services[].outcome) C(skipped), because the deploy it would verify did not happen.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode; it then neither waits nor calls the API, and reports the services as skipped.
    support: partial
    details: In check mode the deploy did not happen, so there is nothing to verify.
  diff_mode:
    description: Changes nothing, so there is no difference to show.
    support: N/A
"""

EXAMPLES = r"""
- name: Verify the deploys that quoin.fargate.ecs_service started
  quoin.fargate.ecs_deployment_wait:
    cluster: quoin-prod
    services:
      - name: site
        task_definition: arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-site:42
      - name: cms
        task_definition: quoin-prod-cms:17
    timeout: 900
    delay: 15
  register: verified

- name: Wait for every service a loop of quoin.fargate.ecs_service deployed
  quoin.fargate.ecs_deployment_wait:
    cluster: quoin-prod
    services: "{{ deployed.results | quoin.fargate.started_deployments }}"
  when: not ansible_check_mode
"""

RETURN = r"""
services:
  description: Each service in the order given, as the last poll found it.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The service, as given.
      type: str
      sample: site
    task_definition:
      description: The task definition the PRIMARY deployment must run, as given.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-site:42
    primary_task_definition:
      description: The task definition the PRIMARY deployment runs; null when not polled or there is none.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-site:41
    rollout_state:
      description:
        - The C(rolloutState) of the deployment of the expected task definition (of the PRIMARY deployment
          when there is none), one of C(IN_PROGRESS), C(COMPLETED) or C(FAILED).
      type: str
      sample: COMPLETED
    rollout_state_reason:
      description: Why the rollout is in that state, as ECS says.
      type: str
      sample: "ECS deployment circuit breaker: tasks failed to start."
    running_count:
      description: The service's running tasks.
      type: int
      sample: 2
    desired_count:
      description: The service's desired tasks.
      type: int
      sample: 2
    failed_tasks:
      description: Tasks of the deployment of the expected task definition that failed to start.
      type: int
      sample: 0
    status:
      description: The service's status (C(ACTIVE), C(DRAINING) or C(INACTIVE)); null when it is missing.
      type: str
      sample: ACTIVE
    outcome:
      description:
        - C(completed), C(failed), C(rolled_back), C(timed_out), C(missing), C(inactive), C(unsupported),
          or C(skipped) in check mode. Anything but C(completed) fails the module.
      type: str
      sample: completed
    events:
      description: The service's most recent events, newest first, each as C(time message).
      returned: when the deploy did not complete
      type: list
      elements: str
      sample: ["2025-01-31T10:02:11+00:00 (service site) rolling back to deployment ecs-svc/4125093284910."]
    stopped_tasks:
      description:
        - Why the newest stopped tasks of the expected task definition stopped, one line per task, with
          its failed containers and their last log lines (see O(stopped_tasks)).
      returned: when the deploy failed, was rolled back or timed out, and O(stopped_tasks) is not 0
      type: list
      elements: str
      sample:
        - >-
          stopped task 0123456789abcdef: Essential container in task exited; container check-connections exited
          with code 1; last log lines in /quoin/prod proxy/check-connections/0123456789abcdef:
          proxy -> cms: cms.prod.quoin.internal:8080 did not answer
polls:
  description: How many rounds of DescribeServices calls were made.
  returned: always
  type: int
  sample: 7
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 61.3
skipped:
  description: True in check mode, where nothing is waited for.
  returned: in check mode
  type: bool
  sample: true
msg:
  description: Why nothing was waited for.
  returned: in check mode
  type: str
  sample: "Check mode: the deploy did not happen, so there is nothing to verify."
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import EXPLAINED_BY_TASKS
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import SKIPPED
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import AnsibleECSDeploymentError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import failure_message
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import stopped_task_reports
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import task_definition_problem
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import wait_for_deployments


def validate(params):
    """Problems with the parameters that the argument spec cannot express, one line each."""
    problems = []
    for name in ("timeout", "events", "stopped_tasks", "log_lines"):
        if params[name] < 0:
            problems.append(f"{name}: {params[name]} must not be negative")
    if params["delay"] < 1:
        problems.append(f"delay: {params['delay']} must be at least 1 second")
    seen = set()
    for index, service in enumerate(params["services"]):
        if service["name"] in seen:
            problems.append(f"services[{index}]: {service['name']} is listed more than once")
        seen.add(service["name"])
        problem = task_definition_problem(service["task_definition"])
        if problem:
            problems.append(f"services[{index}].task_definition: {problem}")
    return problems


def skipped(services):
    return [
        dict(name=service["name"], task_definition=service["task_definition"], outcome=SKIPPED)
        for service in services
    ]


def explain(module, client, results):
    """Adds each failed service's stopped tasks and their containers' last log lines to its result."""
    logs_clients = {}

    def logs_for(region):
        if region not in logs_clients:
            extra = dict(region=region) if region else {}
            logs_clients[region] = module.client("logs", retry_decorator=AWSRetry.jittered_backoff(), **extra)
        return logs_clients[region]

    for result in results:
        if result["outcome"] in EXPLAINED_BY_TASKS:
            result["stopped_tasks"] = stopped_task_reports(
                client, logs_for, module.params["cluster"], result, module.params["stopped_tasks"], module.params["log_lines"]
            )


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        services=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                task_definition=dict(type="str", required=True),
            ),
        ),
        timeout=dict(type="int", default=600),
        delay=dict(type="int", default=10),
        events=dict(type="int", default=5),
        stopped_tasks=dict(type="int", default=3),
        log_lines=dict(type="int", default=5),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    if module.check_mode:
        module.exit_json(
            changed=False,
            skipped=True,
            msg="Check mode: the deploy did not happen, so there is nothing to verify.",
            services=skipped(params["services"]),
            polls=0,
            elapsed=0.0,
        )

    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        results, polls, elapsed = wait_for_deployments(
            client, params["cluster"], params["services"], params["timeout"], params["delay"], params["events"]
        )
    except AnsibleECSDeploymentError as e:
        module.fail_json_aws_error(e)

    if params["stopped_tasks"] and any(result["outcome"] in EXPLAINED_BY_TASKS for result in results):
        explain(module, client, results)
    message = failure_message(params["cluster"], results, params["timeout"])
    if message:
        module.fail_json(msg=message, changed=False, services=results, polls=polls, elapsed=elapsed)
    module.exit_json(changed=False, services=results, polls=polls, elapsed=elapsed)


if __name__ == "__main__":
    main()
