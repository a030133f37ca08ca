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
  metric_filters:
    description:
      - The metric filters, each in the shape of M(amazon.aws.cloudwatchlogs_log_group_metric_filter)'s
        options, with its metric transformation in a list.
    type: list
    elements: dict
    default: []
    suboptions:
      filter_name:
        description:
          - The filter's name, unique in the log group; it cannot contain C(:) or C(*).
        type: str
        required: true
      filter_pattern:
        description:
          - The pattern that selects the log events; an empty string matches every event.
        type: str
        required: true
      metric_transformations:
        description:
          - The metric the filter publishes. CloudWatch Logs takes exactly one per filter.
        type: list
        elements: dict
        required: true
        suboptions:
          metric_name:
            description:
              - The metric's name.
            type: str
            required: true
          metric_namespace:
            description:
              - The metric's namespace.
            type: str
            required: true
          metric_value:
            description:
              - The value published for each matching event, a number or a field such as C($.latency).
            type: str
            required: true
          default_value:
            description:
              - The value published for a period with log events but no match.
              - Mutually exclusive with O(metric_filters[].metric_transformations[].dimensions).
            type: float
          unit:
            description:
              - The metric's unit; AWS's C(None) when omitted.
            type: str
            choices: ['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes',
                      'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count',
                      'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second',
                      'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second',
                      'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']
          dimensions:
            description:
              - The metric's dimensions (at most 3), dimension name to log field (for example
                C($.service)). Only for JSON or space-delimited filter patterns.
              - Mutually exclusive with O(metric_filters[].metric_transformations[].default_value).
            type: dict
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

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import canonical_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import delete_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import find_metric_filters
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import metric_filter_request
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import normalize_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import plan_metric_filters
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import put_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import written_metric_filter

UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]
# CloudWatch Logs' limits on a metric filter.
MAX_DIMENSIONS = 3


def _item_problem(item):
    """Why CloudWatch Logs would refuse this item, or None."""
    name = item["filter_name"]
    if not name or ":" in name or "*" in name:
        return "the name must not be empty nor contain ':' or '*'"
    transformations = item["metric_transformations"]
    if len(transformations) != 1:
        return f"metric_transformations holds {len(transformations)} items; CloudWatch Logs takes exactly one per filter"
    transformation = transformations[0]
    if transformation["default_value"] is not None and transformation["dimensions"]:
        return "default_value and dimensions are mutually exclusive"
    if len(transformation["dimensions"] or {}) > MAX_DIMENSIONS:
        return f"at most {MAX_DIMENSIONS} dimensions"
    return None


def validate(module):
    """Fail, naming the item, on anything CloudWatch Logs would refuse, before any call."""
    items = module.params["metric_filters"]
    for index, item in enumerate(items):
        problem = _item_problem(item)
        if problem:
            module.fail_json(msg=f"metric_filters[{index}] ({item['filter_name']}): {problem}")
    names = [item["filter_name"] for item in items]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        module.fail_json(msg=f"metric filters named more than once: {', '.join(duplicates)}")
    if module.params["purge_prefix"] == "":
        module.fail_json(msg="purge_prefix must not be empty: it would delete every other filter of the log group")


def diff_view(metric_filter):
    """What diff mode shows of a filter: its settable part, snake_cased."""
    return normalize_metric_filter(canonical_metric_filter(metric_filter))


def describe_changes(items, delete, by_name):
    """Before and after of every filter the run changes, keyed by name (absent: not there)."""
    before, after = {}, {}
    for request, existing, changed in items:
        if changed:
            after[request["filterName"]] = diff_view(request)
            if existing is not None:
                before[request["filterName"]] = diff_view(existing)
    for name in delete:
        before[name] = diff_view(by_name[name])
    return {"before": before, "after": after}


def fail_part_way(module, error, what, done, deleted):
    """Fail on an AWS error after some writes, naming what failed and what the run had already done, and
    returning the filters handled so far."""
    written = [entry["filter_name"] for entry in done if entry["changed"]]
    message = (
        f"{error.message} {what} in log group {module.params['log_group_name']}; this run had already "
        f"put: {', '.join(written) or 'none'}; deleted: {', '.join(deleted) or 'none'}"
    )
    result = dict(changed=bool(written or deleted), metric_filters=done, deleted=deleted)
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=message, **result)
    module.fail_json(msg=message, **result)


def apply(client, module, items, delete):
    """Write what differs, in order, then delete; (the result entries in input order, the names deleted)."""
    done, deleted = [], []
    for request, existing, changed in items:
        if changed and not module.check_mode:
            try:
                put_metric_filter(client, request)
            except AnsibleCloudWatchError as e:
                fail_part_way(module, e, request["filterName"], done, deleted)
        after = written_metric_filter(request, existing) if changed else existing
        done.append(dict(normalize_metric_filter(after), changed=changed))
    for name in delete:
        if not module.check_mode:
            try:
                delete_metric_filter(client, module.params["log_group_name"], name)
            except AnsibleCloudWatchError as e:
                fail_part_way(module, e, name, done, deleted)
        deleted.append(name)
    return done, deleted


def main():
    transformation = dict(
        metric_name=dict(type="str", required=True),
        metric_namespace=dict(type="str", required=True),
        metric_value=dict(type="str", required=True),
        default_value=dict(type="float"),
        unit=dict(type="str", choices=UNITS),
        dimensions=dict(type="dict"),
    )
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        metric_filters=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                filter_name=dict(type="str", required=True),
                filter_pattern=dict(type="str", required=True),
                metric_transformations=dict(type="list", elements="dict", required=True, options=transformation),
            ),
        ),
        purge_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    log_group_name = module.params["log_group_name"]
    requests = [metric_filter_request(log_group_name, item) for item in module.params["metric_filters"]]
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())

    try:
        current = find_metric_filters(client, log_group_name)
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)
    if current is None:
        if requests:
            module.fail_json(msg=f"log group {log_group_name} does not exist: create it before its metric filters")
        current = []

    items, delete = plan_metric_filters(current, requests, module.params["purge_prefix"])
    done, deleted = apply(client, module, items, delete)
    result = dict(changed=any(entry["changed"] for entry in done) or bool(deleted), metric_filters=done, deleted=deleted)
    if module._diff:
        result["diff"] = describe_changes(items, delete, {f["filterName"]: f for f in current})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
