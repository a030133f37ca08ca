#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_run_task
version_added: 0.1.0
short_description: Run a one-off Amazon ECS task and wait until it stops
description:
  - Starts one or more tasks of a task definition with C(RunTask), by default on Fargate, and waits
    until they have stopped.
  - The run fails when ECS cannot place a task, when an essential container of a task exits with a
    code other than 0 or stops without an exit code (for example because its image could not be
    pulled), or when the tasks are still running after O(wait_timeout) seconds. The message names the
    task, the container, the exit code and the reason ECS gives.
  - Running a task is an action, not a state, so this module is not idempotent by nature. Every run
    starts new tasks and reports a change; guard it with C(when) if it should run only sometimes.
author:
  - Quoin (@quoininc)
options:
  cluster:
    description:
      - The name or ARN of the cluster the tasks run in.
    type: str
    required: true
  task_definition:
    description:
      - The task definition to run, as C(family:revision), an ARN, or a C(family) alone for its latest
        ACTIVE revision.
    type: str
    required: true
  count:
    description:
      - How many tasks to start, 1 to 10.
    type: int
    default: 1
  launch_type:
    description:
      - The launch type.
    type: str
    choices: ['FARGATE', 'EC2', 'EXTERNAL']
    default: FARGATE
  platform_version:
    description:
      - The Fargate platform version; AWS's C(LATEST) when omitted.
    type: str
  network_configuration: &network_configuration
    description:
      - The awsvpc network configuration of the tasks (required for Fargate).
    type: dict
    suboptions:
      subnets:
        description: The IDs of the subnets the tasks run in.
        type: list
        elements: str
        required: true
      security_groups:
        description: The IDs of the tasks' security groups; the VPC's default group when omitted.
        type: list
        elements: str
      assign_public_ip:
        description: Whether the tasks get a public IP address.
        type: str
        choices: ['ENABLED', 'DISABLED']
        default: DISABLED
  overrides: &overrides
    description:
      - What differs from the task definition for these tasks.
    type: dict
    suboptions:
      container_overrides:
        description:
          - Per container, what differs from its definition.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The container's name in the task definition.
            type: str
            required: true
          command:
            description: The command, replacing the definition's.
            type: list
            elements: str
          environment:
            description:
              - Environment variables, added to the definition's (a name given here wins).
              - Values are sent as strings; V(true) and V(false) as C(true) and C(false).
            type: dict
          cpu:
            description: The container's CPU units.
            type: int
          memory:
            description: The container's hard memory limit in MiB.
            type: int
          memory_reservation:
            description: The container's soft memory limit in MiB.
            type: int
      task_role_arn:
        description: The IAM role the tasks' containers use, replacing the definition's.
        type: str
      execution_role_arn:
        description: The IAM role ECS uses to start the tasks, replacing the definition's.
        type: str
      cpu:
        description: The tasks' CPU units, as a string (for example C("512")).
        type: str
      memory:
        description: The tasks' memory in MiB, as a string (for example C("1024")).
        type: str
  started_by:
    description:
      - Who started the tasks (at most 36 characters), shown in the console and usable in ListTasks.
    type: str
  runs:
    description:
      - Several runs of the task definition at once, each with its own network configuration, overrides
        and O(started_by) (replacing the top-level ones it gives). Each starts O(count) tasks; every run
        is started first, then all are waited on together, and a failure names the run of each failed task.
      - Omitted, the module makes one run from the top-level options.
    type: list
    elements: dict
    suboptions:
      name:
        description: What the run is, for messages and RV(runs).
        type: str
        required: true
      network_configuration: *network_configuration
      overrides: *overrides
      started_by:
        description: As O(started_by).
        type: str
  log_lines:
    description:
      - For an essential container that failed, how many of its last log lines the failure quotes, read
        with C(GetLogEvents) from the C(awslogs) stream its definition names (C(<prefix>/<container>/<task id>)).
        A stream that is missing or cannot be read is said so. V(0) reads no logs.
    type: int
    default: 5
  tags:
    description:
      - Tags for the tasks.
    type: dict
    aliases: ['resource_tags']
  propagate_tags:
    description:
      - Whether the tasks also get the task definition's tags. Not set when omitted.
    type: str
    choices: ['TASK_DEFINITION', 'NONE']
  enable_ecs_managed_tags:
    description:
      - Whether ECS tags the tasks with their cluster. Not set when omitted.
    type: bool
  wait:
    description:
      - Wait until every task has stopped, and fail if one failed.
      - With V(false), the module returns once ECS has accepted the tasks.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait with O(wait=true). The tasks keep running after a timeout.
    type: int
    default: 3600
  wait_delay:
    description:
      - How many seconds to wait between two looks at the tasks.
    type: int
    default: 15
notes:
  - Check mode starts nothing and reports a change, since a real run always starts tasks.
  - A non-essential container's exit code does not fail the run.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Starts nothing in check mode and reports the change a real run would make.
    support: full
  diff_mode:
    description: A task run has no before and after.
    support: none
"""

EXAMPLES = r"""
- name: Back up the file system now and wait for the result
  quoin.fargate.ecs_run_task:
    cluster: prod
    task_definition: prod-backup
    network_configuration:
      subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
      security_groups: [sg-0123456789abcdef0]
    overrides:
      container_overrides:
        - name: backup
          environment:
            BACKUP_MODE: manual
    started_by: ansible-backup
    tags:
      quoin:trigger: manual
    propagate_tags: TASK_DEFINITION
    wait_timeout: 7200
  register: backup_run

- name: Show the backup task's exit code
  ansible.builtin.debug:
    msg: "{{ backup_run.tasks[0].containers | map(attribute='exit_code') | list }}"

- name: Start a task and do not wait for it
  quoin.fargate.ecs_run_task:
    cluster: prod
    task_definition: prod-restore:3
    network_configuration:
      subnets: [subnet-0123456789abcdef0]
      security_groups: [sg-0123456789abcdef0]
    wait: false
"""

RETURN = r"""
task_arns:
  description: The ARNs of the tasks started; empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:ecs:eu-central-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"]
stopped:
  description: Whether every task started has stopped.
  returned: always
  type: bool
  sample: true
polls:
  description: How many times the module looked at the tasks while it waited.
  returned: when the module waited
  type: int
  sample: 12
failures:
  description: The failures RunTask reported, as it reported them (C(arn), C(reason), C(detail)).
  returned: when RunTask could not start every task
  type: list
  elements: dict
  sample: [{"arn": "arn:aws:ecs:eu-central-1:123456789012:container-instance/prod/0123", "reason": "RESOURCE:MEMORY"}]
runs:
  description: With O(runs), each run's name and the ARNs of the tasks it started.
  returned: when O(runs) is given
  type: list
  elements: dict
  sample: [{"name": "proxy", "task_arns": ["arn:aws:ecs:eu-central-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"]}]
tasks:
  description:
    - The tasks, snake_cased as DescribeTasks returns them (as RunTask returned them with O(wait=false));
      empty in check mode.
  returned: always
  type: list
  elements: dict
  contains:
    task_arn:
      description: The task's ARN.
      type: str
    task_definition_arn:
      description: The task definition's ARN.
      type: str
    last_status:
      description: The task's status, C(STOPPED) once it has stopped.
      type: str
      sample: STOPPED
    stop_code:
      description: Why the task stopped, for example C(EssentialContainerExited) or C(TaskFailedToStart).
      type: str
      sample: EssentialContainerExited
    stopped_reason:
      description: ECS's explanation of why the task stopped.
      type: str
      sample: Essential container in task exited
    containers:
      description: The containers, each with its C(name), C(last_status) and C(exit_code).
      type: list
      elements: dict
    overrides:
      description: The overrides the task runs with.
      type: dict
    launch_type:
      description: The launch type.
      type: str
      sample: FARGATE
    attachments:
      description: The task's network interface, with its subnet and private address.
      type: list
      elements: dict
    tags:
      description: The task's tags, as a dict.
      type: dict
      sample: {"quoin:trigger": "manual"}
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.awslogs import failed_container_logs
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import AnsibleECSTaskError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import essential_containers
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import failures_message
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import is_stopped
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import normalize_task
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import run_task
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import run_task_request
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import task_problems
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import timeout_message
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import wait_for_tasks


def validate(params):
    problems = []
    if not 1 <= params["count"] <= 10:
        problems.append(f"count must be 1 to 10, not {params['count']}")
    if params["wait_timeout"] < 0:
        problems.append("wait_timeout must not be negative")
    if params["wait_delay"] < 1:
        problems.append("wait_delay must be at least 1")
    if params["log_lines"] < 0:
        problems.append("log_lines must not be negative")
    names = [run["name"] for run in params["runs"] or []]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"runs: {name} is listed more than once")
    return problems


def run_parameters(module):
    """[(run name or None, the parameters of that run)]: the runs, or the top-level options alone."""
    params = module.params
    if not params["runs"]:
        return [(None, params)]
    runs = []
    for run in params["runs"]:
        own = {key: run[key] for key in ("network_configuration", "overrides", "started_by") if run.get(key) is not None}
        runs.append((run["name"], dict(params, **own)))
    return runs


def result_of(tasks, stopped, arns=None, **extra):
    """The module's result; `arns` are the tasks started, when ECS no longer describes them all."""
    arns = [task["taskArn"] for task in tasks] if arns is None else arns
    return dict(changed=bool(arns), tasks=[normalize_task(task) for task in tasks], task_arns=arns, stopped=stopped, **extra)


def fail_after_start(module, error, tasks):
    extra = result_of(tasks, False)
    if error.exception:
        module.fail_json_aws(error.exception, msg=error.message, **extra)
    module.fail_json(msg=error.message, **extra)


def run(client, module):
    """Start the tasks and, with wait, wait for them: the module's result, or a failure."""
    params = module.params
    tasks, runs = [], []
    for name, run_params in run_parameters(module):
        started, failures = run_task(client, **run_task_request(run_params, str(uuid.uuid4())))
        tasks += started
        runs.append(dict(name=name, task_arns=[task["taskArn"] for task in started]))
        if failures:
            module.fail_json(
                msg=f"RunTask could not start every task of {params['task_definition']} in cluster {params['cluster']}"
                + (f" for run {name}" if name else "") + ": " + failures_message(failures),
                failures=failures,
                **result_of(tasks, False, **runs_result(params, runs)),
            )
    extra = runs_result(params, runs)
    if not params["wait"]:
        return result_of(tasks, all(is_stopped(task) for task in tasks), **extra)

    arns = [task["taskArn"] for task in tasks]
    try:
        tasks, missing, polls = wait_for_tasks(client, params["cluster"], arns, params["wait_timeout"], params["wait_delay"])
        essential = essential_containers(client, tasks) if all(is_stopped(task) for task in tasks) else {}
    except AnsibleECSTaskError as e:
        # The tasks run: say which, so that the caller can look after them.
        fail_after_start(module, e, tasks)
    if missing:
        module.fail_json(
            msg=f"ECS no longer knows the tasks {', '.join(missing)} in cluster {params['cluster']}",
            **result_of(tasks, False, arns, polls=polls, **extra),
        )
    if not all(is_stopped(task) for task in tasks):
        module.fail_json(msg=timeout_message(tasks, params["wait_timeout"]), **result_of(tasks, False, polls=polls, **extra))
    explain = log_explainer(module, client)
    problems = []
    for started in runs:
        of_run = [task for task in tasks if task["taskArn"] in started["task_arns"]]
        prefix = f"run {started['name']}: " if started["name"] else ""
        problems += [prefix + line for line in task_problems(of_run, essential, explain)]
    if problems:
        module.fail_json(msg="; ".join(problems), **result_of(tasks, True, polls=polls, **extra))
    return result_of(tasks, True, polls=polls, **extra)


def runs_result(params, runs):
    return dict(runs=runs) if params["runs"] else {}


def log_explainer(module, client):
    """explain(task, container name) for task_problems: the container's last log lines."""
    logs_clients, definitions = {}, {}

    def logs_for(region):
        if region not in logs_clients:
            extra = dict(region=region) if region else {}
            logs_clients[region] = module.client("logs", retry_decorator=AWSRetry.jittered_backoff(), **extra)
        return logs_clients[region]

    def explain(task, name):
        return failed_container_logs(client, logs_for, definitions, task, name, module.params["log_lines"])

    return explain


def main():
    network_options = dict(
        subnets=dict(type="list", elements="str", required=True),
        security_groups=dict(type="list", elements="str"),
        assign_public_ip=dict(type="str", choices=["ENABLED", "DISABLED"], default="DISABLED"),
    )
    container_options = dict(
        name=dict(type="str", required=True),
        command=dict(type="list", elements="str"),
        environment=dict(type="dict"),
        cpu=dict(type="int"),
        memory=dict(type="int"),
        memory_reservation=dict(type="int"),
    )
    overrides_options = dict(
        container_overrides=dict(type="list", elements="dict", default=[], options=container_options),
        task_role_arn=dict(type="str"),
        execution_role_arn=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
    )
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str", required=True),
        count=dict(type="int", default=1),
        launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"], default="FARGATE"),
        platform_version=dict(type="str"),
        network_configuration=dict(type="dict", options=network_options),
        overrides=dict(type="dict", options=overrides_options),
        started_by=dict(type="str"),
        runs=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                network_configuration=dict(type="dict", options=network_options),
                overrides=dict(type="dict", options=overrides_options),
                started_by=dict(type="str"),
            ),
        ),
        log_lines=dict(type="int", default=5),
        tags=dict(type="dict", aliases=["resource_tags"]),
        propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "NONE"]),
        enable_ecs_managed_tags=dict(type="bool"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        wait_delay=dict(type="int", default=15),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    if module.check_mode:
        names = [run["name"] for run in module.params["runs"] or []]
        module.exit_json(
            changed=True,
            tasks=[],
            task_arns=[],
            stopped=False,
            msg=f"Check mode: would run {module.params['count']} task(s) of {module.params['task_definition']}"
            f" in cluster {module.params['cluster']}" + (f" for each run: {', '.join(names)}." if names else "."),
            **runs_result(module.params, [dict(name=name, task_arns=[]) for name in names]),
        )

    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = run(client, module)
    except AnsibleECSTaskError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
