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
  alarms:
    description:
      - The alarms, each a PutMetricAlarm request in the API's shape (C(AlarmName), C(Namespace),
        C(MetricName), C(Dimensions), C(Metrics), C(AlarmActions), ...), without C(Tags).
    type: list
    elements: dict
    default: []
  purge_prefix:
    description:
      - Delete the metric alarms whose names start with this prefix and that O(alarms) does not name.
      - Without it, no alarm is deleted.
    type: str
notes:
  - Alarm tags are not managed.
extends_documentation_fragment:
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

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import AnsibleCloudWatchAlarmError
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import canonical
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import delete_alarms
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import describe_alarms
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import plan
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import put_alarm


def validate(module, alarms):
    names = [alarm.get("AlarmName") for alarm in alarms]
    for index, alarm in enumerate(alarms):
        if not alarm.get("AlarmName"):
            module.fail_json(msg=f"alarms[{index}] has no AlarmName")
        if "Tags" in alarm:
            module.fail_json(msg=f"alarms[{index}] ({alarm['AlarmName']}): Tags are not managed by this module")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        module.fail_json(msg=f"alarms named more than once: {', '.join(duplicates)}")
    prefix = module.params["purge_prefix"]
    if prefix == "":
        module.fail_json(msg="purge_prefix must not be empty: it would delete every alarm of the account and region")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            alarms=dict(type="list", elements="dict", default=[]),
            purge_prefix=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    alarms = module.params["alarms"]
    prefix = module.params["purge_prefix"]
    validate(module, alarms)
    client = module.client("cloudwatch")

    try:
        current = describe_alarms(client, names=[a["AlarmName"] for a in alarms], prefix=prefix)
        create, update, delete = plan(current, alarms, prefix)
        diff = describe_changes(current, create, update, delete)
        if not module.check_mode:
            for request in create + [request for request, _changed in update]:
                put_alarm(client, request)
            if delete:
                delete_alarms(client, delete)
            if create or update or delete:
                current = describe_alarms(client, names=[a["AlarmName"] for a in alarms])
    except AnsibleCloudWatchAlarmError as e:
        module.fail_json_aws_error(e)

    by_name = {alarm["AlarmName"]: alarm for alarm in current}
    module.exit_json(
        changed=bool(create or update or delete),
        created=[request["AlarmName"] for request in create],
        updated=[{"name": request["AlarmName"], "changed_settings": changed} for request, changed in update],
        deleted=delete,
        alarms=[camel_dict_to_snake_dict(by_name[a["AlarmName"]]) for a in alarms if a["AlarmName"] in by_name],
        diff=diff,
    )


def describe_changes(current, create, update, delete):
    """Before and after of every alarm the run changes, keyed by name (absent: not there)."""
    by_name = {alarm["AlarmName"]: alarm for alarm in current}
    before, after = {}, {}
    for request in create:
        after[request["AlarmName"]] = canonical(request)
    for request, _changed in update:
        before[request["AlarmName"]] = canonical(by_name[request["AlarmName"]])
        after[request["AlarmName"]] = canonical(request)
    for name in delete:
        before[name] = canonical(by_name[name])
    return {"before": before, "after": after}


if __name__ == "__main__":
    main()
