#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatchlogs_metric_filters
version_added: 0.1.0
short_description: Manage the set of metric filters of a CloudWatch Logs log group
description:
  - Creates or replaces each metric filter in O(metric_filters) on one log group so that it matches its
    request, and with O(purge_prefix) deletes every other filter of the log group whose name starts with
    that prefix, so the filters of removed services do not linger.
  - Reads the log group's filters once (C(DescribeMetricFilters), every page), then calls
    C(PutMetricFilter) only for the filters that are new or differ, and C(DeleteMetricFilter) for those
    purged.
  - Compares every setting C(PutMetricFilter) takes, with AWS's defaults filled in (a filter without a
    unit has the unit C(None)), so a second run reports no change. A filter is replaced whole, so a
    setting this module does not take (C(applyOnTransformedLogs), C(fieldSelectionCriteria),
    C(emitSystemFieldDimensions)) that is set on AWS counts as a difference and is reset.
  - Replaces a loop of M(amazon.aws.cloudwatchlogs_log_group_metric_filter), which handles one filter per
    call and cannot find the filters to delete.
author:
  - Quoin (@quoininc)
options:
  log_group_name:
    description:
      - The log group's name. It must exist when O(metric_filters) is not empty.
    type: str
    required: true
  purge_prefix:
    description:
      - Delete the log group's metric filters whose names start with this prefix and that
        O(metric_filters) does not name.
      - Without it, no filter is deleted.
    type: str
notes:
  - Every item is checked before the first call (duplicate names, one metric transformation per filter,
    C(default_value) with C(dimensions)); a bad item fails the module naming it, and nothing is read or
    written.
  - An AWS error part-way fails the module with a message naming the filter and what the run had already
    written; RV(metric_filters) and RV(deleted) then hold what was done until then.
extends_documentation_fragment:
  - quoin.fargate.cloudwatch.metric_filters
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reports what would be created, replaced and deleted, and changes nothing.
    support: full
  diff_mode:
    description: Shows each changed filter's settings before and after, keyed by filter name.
    support: full
"""

EXAMPLES = r"""
- name: Count each service's error lines, and remove the environment's other error filters
  quoin.fargate.cloudwatchlogs_metric_filters:
    log_group_name: /quoin/prod
    purge_prefix: quoin-prod/
    metric_filters:
      - filter_name: quoin-prod/site/errors
        filter_pattern: '"ERROR"'
        metric_transformations:
          - metric_name: site-errors
            metric_namespace: Quoin/prod
            metric_value: "1"
            default_value: 0
      - filter_name: quoin-prod/api/errors
        filter_pattern: '{ $.level = "ERROR" }'
        metric_transformations:
          - metric_name: errors
            metric_namespace: Quoin/prod
            metric_value: "1"
            unit: Count
            dimensions:
              ServiceName: $.service

- name: Remove every filter under the prefix
  quoin.fargate.cloudwatchlogs_metric_filters:
    log_group_name: /quoin/prod
    purge_prefix: quoin-prod/
    metric_filters: []
"""

RETURN = r"""
metric_filters:
  description:
    - The requested filters in the order of O(metric_filters), each as CloudWatch Logs holds it after the
      run (or would, in check mode), snake_cased, and whether this run changed it.
    - A filter the run wrote is returned as written, without reading it again.
  returned: always
  type: list
  elements: dict
  contains:
    filter_name:
      description: The filter's name.
      type: str
      sample: quoin-prod/site/errors
    filter_pattern:
      description: The pattern that selects the log events.
      type: str
      sample: '"ERROR"'
    log_group_name:
      description: The log group's name.
      type: str
      sample: /quoin/prod
    creation_time:
      description: When the filter was created, in milliseconds since the epoch; absent for a filter this run creates.
      type: int
      sample: 1735689600000
    metric_transformations:
      description: The metric the filter publishes.
      type: list
      elements: dict
      contains:
        metric_name:
          description: The metric's name.
          type: str
          sample: site-errors
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
        unit:
          description: The metric's unit, if AWS reports one.
          type: str
          sample: Count
        dimensions:
          description: The metric's dimensions, name to log field; names are returned as set.
          type: dict
          sample: {"ServiceName": "$.service"}
    changed:
      description: Whether this run created or replaced the filter (or would, in check mode).
      type: bool
      sample: false
deleted:
  description: Names of the filters deleted (or that would be, in check mode) because O(purge_prefix) matched
    and O(metric_filters) did not name them, sorted.
  returned: always
  type: list
  elements: str
  sample: [quoin-prod/old-service/errors]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import MetricFilters
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import ensure_parts
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import metric_filters_option


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        metric_filters=metric_filters_option(),
        purge_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    params = module.params
    ensure_parts(module, [MetricFilters(client, params["log_group_name"], params["metric_filters"], params["purge_prefix"])])


if __name__ == "__main__":
    main()
