#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_metric_alarms
version_added: 0.1.0
short_description: Manage a set of CloudWatch metric alarms, removing the ones no longer wanted
description:
  - Creates or updates each alarm in O(alarms) so that it matches its request, and with O(purge_prefix)
    deletes every other metric alarm whose name starts with that prefix, so alarms of removed services
    do not linger.
  - Compares every setting PutMetricAlarm takes, metric math queries included, with AWS's defaults
    filled in, so a second run reports no change. The stock M(amazon.aws.cloudwatch_metric_alarm) leaves
    metric math queries out of its comparison (a change to them is never applied), handles one alarm per
    call and shows no diff.
author:
  - Quoin (@quoininc)
options:
  purge_prefix:
    description:
      - Delete the metric alarms whose names start with this prefix and that O(alarms) does not name.
      - Without it, no alarm is deleted.
    type: str
notes:
  - Alarm tags are not managed.
  - A bad request (no or a repeated C(AlarmName), C(Tags), anything PutMetricAlarm's model refuses) fails
    the module naming it, before any call.
  - An AWS error part-way fails the module with a message naming the alarm and what the run had already
    put and deleted; RV(created), RV(updated) and RV(deleted) then hold what was done until then.
extends_documentation_fragment:
  - quoin.fargate.cloudwatch.alarms
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reports what would be created, updated and deleted, and changes nothing.
    support: full
  diff_mode:
    description: Shows each changed alarm's settings before and after.
    support: full
"""

EXAMPLES = r"""
- name: Alarm on the site's CPU, and remove the environment's other alarms
  quoin.fargate.cloudwatch_metric_alarms:
    purge_prefix: quoin-prod/
    alarms:
      - AlarmName: quoin-prod/site/cpu
        Namespace: AWS/ECS
        MetricName: CPUUtilization
        Dimensions:
          - {Name: ClusterName, Value: quoin-prod}
          - {Name: ServiceName, Value: site}
        Statistic: Average
        Period: 300
        EvaluationPeriods: 3
        Threshold: 80
        ComparisonOperator: GreaterThanThreshold
        AlarmActions: [arn:aws:sns:eu-central-1:123456789012:quoin-prod-alerts]
        OKActions: [arn:aws:sns:eu-central-1:123456789012:quoin-prod-alerts]
"""

RETURN = r"""
created:
  description: Names of the alarms created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
updated:
  description: Names of the alarms updated, each with the settings that differed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The alarm's name.
      type: str
    changed_settings:
      description: The PutMetricAlarm settings that differed.
      type: list
      elements: str
  sample: [{"name": "quoin-prod/site/cpu", "changed_settings": ["Threshold"]}]
deleted:
  description: Names of the alarms deleted because O(purge_prefix) matched and O(alarms) did not name them.
  returned: always
  type: list
  elements: str
alarms:
  description: The requested alarms as AWS describes them after the run (snake_cased); in check mode, as they were.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import ensure_parts
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import MetricAlarms


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            alarms=dict(type="list", elements="dict", default=[]),
            purge_prefix=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    client = module.client("cloudwatch")
    ensure_parts(module, [MetricAlarms(client, module.params["alarms"], module.params["purge_prefix"])])


if __name__ == "__main__":
    main()
