#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_monitoring
version_added: 0.1.0
short_description: Manage the metric filters of a log group, a set of CloudWatch alarms and a dashboard in one run
description:
  - Does in one module run what M(quoin.fargate.cloudwatchlogs_metric_filters),
    M(quoin.fargate.cloudwatch_metric_alarms) and M(quoin.fargate.cloudwatch_dashboard) do, with the same
    comparison and the same results, so a monitoring set-up costs one Python start and one boto3 import
    instead of three.
  - Checks every input first (filters, alarms against PutMetricAlarm's API model, the dashboard's name and
    body), then reads the log group's filters, the alarms and the dashboard, then writes in this order
    the metric filters (C(PutMetricFilter), C(DeleteMetricFilter)), the alarms (C(PutMetricAlarm),
    C(DeleteAlarms)) and the dashboard (C(PutDashboard)), each only where it differs. A refused input or a
    failed read writes nothing.
  - With O(purge_prefix), the log group's filters and the metric alarms under that prefix that the lists
    do not name are deleted.
author:
  - Quoin (@quoininc)
options:
  log_group_name:
    description:
      - The log group of O(metric_filters). It must exist when O(metric_filters) is not empty.
    type: str
    required: true
  dashboard:
    description:
      - The dashboard, created or replaced when its body differs (compared as data, as
        M(quoin.fargate.cloudwatch_dashboard) does).
      - Without it, no dashboard is read or written.
    type: dict
    suboptions:
      name:
        description:
          - The dashboard's name (letters, digits, C(-) and C(_), at most 255).
        type: str
        required: true
      body:
        description:
          - The dashboard body as data, with its list of C(widgets).
        type: dict
        required: true
  purge_prefix:
    description:
      - Delete the log group's metric filters and the metric alarms whose names start with this prefix and
        that O(metric_filters) and O(alarms) do not name.
      - Without it, nothing is deleted.
    type: str
notes:
  - Alarm tags are not managed. The whole dashboard body is managed.
  - A bad input fails the module naming every problem found, before any call.
  - An AWS error while writing fails the module with a message naming what failed, what the run had
    already put and deleted, and the parts it had not reached; the parts' results then hold what was done.
  - When CloudWatch answers the dashboard with validation messages, the module fails after the filters
    and alarms are written, and returns them in RV(dashboard.validation_messages).
extends_documentation_fragment:
  - quoin.fargate.cloudwatch.metric_filters
  - quoin.fargate.cloudwatch.alarms
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reports what each part would create, replace and delete, and changes nothing.
    support: full
  diff_mode:
    description:
      - One diff a part, headed C(metric filters), C(alarms) and C(dashboard), each as the part's own module
        shows it.
    support: full
"""

EXAMPLES = r"""
- name: Plan the monitoring
  ansible.builtin.set_fact:
    plan: "{{ quoin_model | quoin.fargate.monitoring_plan(quoin_stack, 'eu-central-1') }}"

- name: Ensure every service's error filter, its alarms and the dashboard, and no others
  quoin.fargate.cloudwatch_monitoring:
    log_group_name: /quoin/prod
    metric_filters: "{{ plan.metric_filters }}"
    alarms: "{{ plan.alarms }}"
    dashboard: "{{ plan.dashboard }}"
    purge_prefix: "{{ plan.prefix }}"

- name: Remove the metric filters and alarms under a prefix, and leave the dashboard alone
  quoin.fargate.cloudwatch_monitoring:
    log_group_name: /quoin/prod
    purge_prefix: quoin-prod/
"""

RETURN = r"""
metric_filters:
  description: What the metric filters part did, as M(quoin.fargate.cloudwatchlogs_metric_filters) returns it.
  returned: always, once the filters were reached
  type: dict
  contains:
    changed:
      description: Whether a filter was (or would be) created, replaced or deleted.
      type: bool
      sample: false
    metric_filters:
      description: The requested filters in input order, snake_cased, each with its own C(changed).
      type: list
      elements: dict
    deleted:
      description: Names of the filters deleted because O(purge_prefix) matched, sorted.
      type: list
      elements: str
      sample: [quoin-prod/old-service/errors]
alarms:
  description: What the alarms part did, as M(quoin.fargate.cloudwatch_metric_alarms) returns it.
  returned: always, once the alarms were reached
  type: dict
  contains:
    changed:
      description: Whether an alarm was (or would be) created, updated or deleted.
      type: bool
      sample: false
    created:
      description: Names of the alarms created.
      type: list
      elements: str
    updated:
      description: The alarms updated, each as C(name) and the C(changed_settings) that differed.
      type: list
      elements: dict
      sample: [{"name": "quoin-prod/site/cpu", "changed_settings": ["Threshold"]}]
    deleted:
      description: Names of the alarms deleted because O(purge_prefix) matched.
      type: list
      elements: str
    alarms:
      description: The requested alarms as AWS describes them after the run (snake_cased); in check mode, as they were.
      type: list
      elements: dict
dashboard:
  description: What the dashboard part did, as M(quoin.fargate.cloudwatch_dashboard) returns it.
  returned: when O(dashboard) is given and the dashboard was reached
  type: dict
  contains:
    changed:
      description: Whether the body was (or would be) written.
      type: bool
      sample: false
    dashboard:
      description: The dashboard (name, arn, body) after the run, predicted in check mode.
      type: dict
      sample: {"name": "quoin-prod", "arn": "arn:aws:cloudwatch::123456789012:dashboard/quoin-prod", "body": {"widgets": []}}
    validation_messages:
      description: What CloudWatch reported about the body (C(data_path), C(message)); the module failed.
      type: list
      elements: dict
      returned: when CloudWatch reported validation messages
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import Dashboard
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import MetricFilters
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import ensure_parts
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import metric_filters_option
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import MetricAlarms


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        metric_filters=metric_filters_option(),
        alarms=dict(type="list", elements="dict", default=[]),
        dashboard=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                body=dict(type="dict", required=True),
            ),
        ),
        purge_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    logs = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    cloudwatch = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    parts = [
        MetricFilters(logs, params["log_group_name"], params["metric_filters"], params["purge_prefix"]),
        MetricAlarms(cloudwatch, params["alarms"], params["purge_prefix"]),
    ]
    if params["dashboard"] is not None:
        parts.append(Dashboard(cloudwatch, params["dashboard"]["name"], params["dashboard"]["body"]))
    ensure_parts(module, parts, nested=True)


if __name__ == "__main__":
    main()
