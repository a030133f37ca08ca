#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatchlogs_metric_filter_info
version_added: 0.1.0
short_description: List the metric filters of a CloudWatch Logs log group
description:
  - Lists the metric filters of one log group, all of them or those whose name starts with a prefix.
  - M(amazon.aws.cloudwatchlogs_log_group_metric_filter) creates and deletes one filter by name but
    cannot list them; this module finds the filters to delete.
author:
  - Quoin (@quoininc)
options:
  log_group_name:
    description:
      - The log group's name.
    type: str
    required: true
  filter_name_prefix:
    description:
      - Only the filters whose name starts with this prefix.
    type: str
notes:
  - A log group that does not exist has no filters; the module returns an empty list, it does not fail.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
"""

EXAMPLES = r"""
- name: Find the error filters of an environment
  quoin.fargate.cloudwatchlogs_metric_filter_info:
    log_group_name: /quoin/prod
    filter_name_prefix: quoin-prod/
  register: filters

- name: Delete those the plan does not name
  amazon.aws.cloudwatchlogs_log_group_metric_filter:
    state: absent
    log_group_name: /quoin/prod
    filter_name: "{{ item }}"
  loop: "{{ filters.metric_filters | map(attribute='filter_name') | difference(wanted_filter_names) }}"
"""

RETURN = r"""
metric_filters:
  description: The log group's metric filters, in the order CloudWatch Logs lists them (by name); empty
    when the log group does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    filter_name:
      description: The filter's name.
      type: str
      sample: quoin-prod/web/errors
    filter_pattern:
      description: The pattern that selects the log events.
      type: str
      sample: '"ERROR"'
    log_group_name:
      description: The log group's name.
      type: str
      sample: /quoin/prod
    creation_time:
      description: When the filter was created, in milliseconds since the epoch.
      type: int
      sample: 1735689600000
    metric_transformations:
      description: The metrics the filter publishes.
      type: list
      elements: dict
      contains:
        metric_name:
          description: The metric's name.
          type: str
          sample: web-errors
        metric_namespace:
          description: The metric's namespace.
          type: str
          sample: Quoin/prod
        metric_value:
          description: The value published for each matching event.
          type: str
          sample: "1"
        default_value:
          description: The value published when no event matches, if set.
          type: float
          sample: 0.0
        dimensions:
          description: The metric's dimensions, name to log field; names are returned as set.
          type: dict
          sample: {"ServiceName": "$.service"}
        unit:
          description: The metric's unit, if set.
          type: str
          sample: Count
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import describe_metric_filters
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import normalize_metric_filter


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        filter_name_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = describe_metric_filters(client, module.params["log_group_name"], module.params["filter_name_prefix"])
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, metric_filters=[normalize_metric_filter(f) for f in found])


if __name__ == "__main__":
    main()
