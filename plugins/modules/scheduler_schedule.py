#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scheduler_schedule
version_added: 0.1.0
short_description: Manage Amazon EventBridge Scheduler schedules
description:
  - Creates, updates and deletes EventBridge Scheduler schedules, for example one that runs an ECS
    task on Fargate at a fixed time.
  - Unlike amazon.aws.cloudwatchevent_rule, the target can be an ECS cluster with a launch type and a
    network configuration, so Fargate tasks can be scheduled.
  - An existing schedule is compared with the requested definition once AWS's defaults are filled in
    (time zone C(UTC), retry policy, task count and so on), so a second run with the same parameters
    changes nothing. C(UpdateSchedule) replaces the whole definition; settings this module does not
    manage (for example a dead-letter queue or a start date) are sent back as they are.
author:
  - Quoin (@quoininc)
options:
  name:
    description:
      - The name of the schedule, unique in its group.
    type: str
    required: true
  group_name:
    description:
      - The schedule group. It must exist; every account has the group C(default).
    type: str
    default: default
  state:
    description:
      - Whether the schedule should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  schedule_expression:
    description:
      - When the schedule runs, as C(cron(...)), C(rate(...)) or C(at(...)).
      - Required with O(state=present).
    type: str
  schedule_expression_timezone:
    description:
      - The time zone O(schedule_expression) is read in, for example C(Europe/Berlin).
    type: str
    default: UTC
  description:
    description:
      - A description of the schedule. An empty string removes it; not compared when omitted.
    type: str
  enabled:
    description:
      - Whether the schedule runs its target (C(ENABLED)) or is paused (C(DISABLED)).
    type: bool
    default: true
  flexible_time_window:
    description:
      - Whether the target runs at the scheduled time or within a window after it.
    type: dict
    default: {mode: 'OFF'}
    suboptions:
      mode:
        description:
          - V(OFF) runs the target at the scheduled time; V(FLEXIBLE) at some time in the window.
        type: str
        choices: ['OFF', 'FLEXIBLE']
        default: 'OFF'
      maximum_window_in_minutes:
        description:
          - The window's length, 1 to 1440 minutes. Required with O(flexible_time_window.mode=FLEXIBLE).
        type: int
  kms_key_arn:
    description:
      - The customer managed KMS key that encrypts the target's input. Not compared when omitted.
    type: str
  target:
    description:
      - What the schedule runs. Required with O(state=present).
    type: dict
    suboptions:
      arn:
        description:
          - The target's ARN; for an ECS task, the cluster's ARN.
        type: str
        required: true
      role_arn:
        description:
          - The IAM role EventBridge Scheduler assumes to run the target. For an ECS task it needs
            C(ecs:RunTask) on the task definition and C(iam:PassRole) on the task's roles.
        type: str
        required: true
      input:
        description:
          - The input the target receives. For an ECS task, the C(overrides) of RunTask as JSON
            (for example C(containerOverrides)).
          - A dict or list is sent as JSON. Compared as JSON, so formatting does not matter.
          - Not compared when omitted.
        type: raw
      retry_policy:
        description:
          - How often and for how long a failed invocation is retried. A value left out keeps the
            current one (AWS's default, 185 attempts within 86400 seconds, for a new schedule).
        type: dict
        suboptions:
          maximum_retry_attempts:
            description: How many times to retry, 0 to 185.
            type: int
          maximum_event_age_in_seconds:
            description: How long to keep retrying, 60 to 86400 seconds.
            type: int
      ecs_parameters:
        description:
          - The ECS task to run, when O(target.arn) is an ECS cluster.
        type: dict
        suboptions:
          task_definition_arn:
            description:
              - The task definition's ARN, with or without a revision (without, the latest ACTIVE
                revision runs).
            type: str
            required: true
          task_count:
            description: How many tasks to run.
            type: int
            default: 1
          launch_type:
            description: The launch type.
            type: str
            choices: ['FARGATE', 'EC2', 'EXTERNAL']
            default: FARGATE
          platform_version:
            description: The Fargate platform version. Not compared when omitted.
            type: str
          enable_ecs_managed_tags:
            description: Whether ECS tags the task with its cluster and service. Not compared when omitted.
            type: bool
          propagate_tags:
            description: Whether the task gets the task definition's tags. Not compared when omitted.
            type: str
            choices: ['TASK_DEFINITION']
          network_configuration:
            description:
              - The awsvpc network configuration of the task (required for Fargate).
              - Not compared when omitted.
            type: dict
            suboptions:
              subnets:
                description: The IDs of the subnets the task runs in. Compared without regard to order.
                type: list
                elements: str
                required: true
              security_groups:
                description:
                  - The IDs of the task's security groups. Compared without regard to order.
                  - When omitted, the current ones are kept.
                type: list
                elements: str
              assign_public_ip:
                description: Whether the task gets a public IP address.
                type: str
                choices: ['ENABLED', 'DISABLED']
                default: DISABLED
notes:
  - Check mode predicts the result without writing; a predicted new schedule has no ARN.
  - Diff mode shows the schedule before and after.
  - Schedules themselves carry no tags in EventBridge Scheduler; only schedule groups do.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and predict the result without changing anything.
    support: full
  diff_mode:
    description: Returns the schedule before and after the change (or the predicted change in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Back up the file system every night at 03:00 Berlin time, on Fargate
  quoin.fargate.scheduler_schedule:
    name: prod-backup
    schedule_expression: cron(0 3 * * ? *)
    schedule_expression_timezone: Europe/Berlin
    description: Nightly EFS backup
    flexible_time_window:
      mode: FLEXIBLE
      maximum_window_in_minutes: 15
    target:
      arn: arn:aws:ecs:eu-central-1:123456789012:cluster/prod
      role_arn: arn:aws:iam::123456789012:role/prod-backup-scheduler
      input:
        containerOverrides:
          - name: backup
            environment:
              - name: BACKUP_MODE
                value: nightly
      retry_policy:
        maximum_retry_attempts: 2
        maximum_event_age_in_seconds: 3600
      ecs_parameters:
        task_definition_arn: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-backup:4
        platform_version: LATEST
        propagate_tags: TASK_DEFINITION
        network_configuration:
          subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
          security_groups: [sg-0123456789abcdef0]
  register: backup_schedule

- name: Pause the backups
  quoin.fargate.scheduler_schedule:
    name: prod-backup
    enabled: false
    schedule_expression: cron(0 3 * * ? *)
    schedule_expression_timezone: Europe/Berlin
    target:
      arn: arn:aws:ecs:eu-central-1:123456789012:cluster/prod
      role_arn: arn:aws:iam::123456789012:role/prod-backup-scheduler
      ecs_parameters:
        task_definition_arn: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-backup:4

- name: Delete the schedule
  quoin.fargate.scheduler_schedule:
    name: prod-backup
    state: absent
"""

RETURN = r"""
schedule:
  description:
    - The schedule after the change (predicted in check mode), snake_cased as GetSchedule returns it;
      empty with O(state=absent).
  returned: always
  type: dict
  contains:
    arn:
      description: The schedule's ARN; absent for a schedule check mode predicts.
      type: str
      sample: arn:aws:scheduler:eu-central-1:123456789012:schedule/default/prod-backup
    name:
      description: The name.
      type: str
      sample: prod-backup
    group_name:
      description: The schedule group.
      type: str
      sample: default
    schedule_expression:
      description: When the schedule runs.
      type: str
      sample: cron(0 3 * * ? *)
    schedule_expression_timezone:
      description: The time zone of the expression.
      type: str
      sample: Europe/Berlin
    description:
      description: The description; absent when there is none.
      type: str
      sample: Nightly EFS backup
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
      sample: ENABLED
    flexible_time_window:
      description: The flexible time window.
      type: dict
      sample: {"mode": "FLEXIBLE", "maximum_window_in_minutes": 15}
    kms_key_arn:
      description: The KMS key; absent when there is none.
      type: str
    target:
      description: The target, with its input as a JSON string.
      type: dict
      sample: {"arn": "arn:aws:ecs:eu-central-1:123456789012:cluster/prod",
               "role_arn": "arn:aws:iam::123456789012:role/prod-backup-scheduler",
               "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
               "ecs_parameters": {"task_definition_arn": "arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-backup:4",
                                  "task_count": 1, "launch_type": "FARGATE",
                                  "network_configuration": {"awsvpc_configuration": {"subnets": ["subnet-0123456789abcdef0"],
                                                                                     "security_groups": ["sg-0123456789abcdef0"],
                                                                                     "assign_public_ip": "DISABLED"}}}}
    creation_date:
      description: When the schedule was created (ISO 8601).
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    last_modification_date:
      description: When the schedule was last changed (ISO 8601).
      type: str
      sample: "2025-01-31T12:00:00+00:00"
changes:
  description: What differed and was changed (or would be, in check mode), one line each, in the API's names.
  returned: always
  type: list
  elements: str
  sample: ["State from ENABLED to DISABLED", "Target.EcsParameters.TaskCount from 1 to 2"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import AnsibleSchedulerError
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import create_schedule
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import definition_changes
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import delete_schedule
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import diff_view
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import get_schedule
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import normalize_schedule
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import predicted_schedule
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import schedule_request
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import update_schedule


def read_back(client, module, fallback):
    """The schedule as AWS now reports it; `fallback` if it does not report it yet."""
    return get_schedule(client, module.params["name"], module.params["group_name"]) or fallback


def ensure_present(client, module, existing, result):
    request = schedule_request(module.params, existing)
    if existing is None:
        result["changes"] = [f"create schedule {module.params['name']} in group {module.params['group_name']}"]
    else:
        result["changes"] = definition_changes(existing, request)
        if not result["changes"]:
            return existing
    result["changed"] = True
    predicted = predicted_schedule(request, existing)
    if module.check_mode:
        return predicted
    if existing is None:
        predicted["Arn"] = create_schedule(client, **request)
    else:
        update_schedule(client, **request)
    return read_back(client, module, predicted)


def ensure_absent(client, module, existing, result):
    if existing is None:
        return {}
    result["changed"] = True
    result["changes"] = [f"delete schedule {module.params['name']} from group {module.params['group_name']}"]
    if not module.check_mode:
        delete_schedule(client, module.params["name"], module.params["group_name"])
    return {}


def main():
    network_options = dict(
        subnets=dict(type="list", elements="str", required=True),
        security_groups=dict(type="list", elements="str"),
        assign_public_ip=dict(type="str", choices=["ENABLED", "DISABLED"], default="DISABLED"),
    )
    ecs_options = dict(
        task_definition_arn=dict(type="str", required=True),
        task_count=dict(type="int", default=1),
        launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"], default="FARGATE"),
        platform_version=dict(type="str"),
        enable_ecs_managed_tags=dict(type="bool"),
        propagate_tags=dict(type="str", choices=["TASK_DEFINITION"]),
        network_configuration=dict(type="dict", options=network_options),
    )
    target_options = dict(
        arn=dict(type="str", required=True),
        role_arn=dict(type="str", required=True),
        input=dict(type="raw"),
        retry_policy=dict(
            type="dict",
            options=dict(
                maximum_retry_attempts=dict(type="int"),
                maximum_event_age_in_seconds=dict(type="int"),
            ),
        ),
        ecs_parameters=dict(type="dict", options=ecs_options),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        group_name=dict(type="str", default="default"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        schedule_expression=dict(type="str"),
        schedule_expression_timezone=dict(type="str", default="UTC"),
        description=dict(type="str"),
        enabled=dict(type="bool", default=True),
        flexible_time_window=dict(
            type="dict",
            default=dict(mode="OFF"),
            options=dict(
                mode=dict(type="str", choices=["OFF", "FLEXIBLE"], default="OFF"),
                maximum_window_in_minutes=dict(type="int"),
            ),
            required_if=[("mode", "FLEXIBLE", ["maximum_window_in_minutes"])],
        ),
        kms_key_arn=dict(type="str", no_log=False),
        target=dict(type="dict", options=target_options),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["schedule_expression", "target"])],
    )

    client = module.client("scheduler", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, changes=[])
    try:
        existing = get_schedule(client, module.params["name"], module.params["group_name"])
        if module.params["state"] == "present":
            after = ensure_present(client, module, existing, result)
        else:
            after = ensure_absent(client, module, existing, result)
    except AnsibleSchedulerError as e:
        module.fail_json_aws_error(e)

    result["schedule"] = normalize_schedule(after)
    if module._diff:
        result["diff"] = dict(before=diff_view(normalize_schedule(existing)), after=diff_view(result["schedule"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
