# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options that several CloudWatch modules of the collection take in the same shape."""

    # quoin.fargate.cloudwatchlogs_metric_filters and quoin.fargate.cloudwatch_monitoring.
    METRIC_FILTERS = r"""
options:
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
"""

    # quoin.fargate.cloudwatch_metric_alarms and quoin.fargate.cloudwatch_monitoring.
    ALARMS = r"""
options:
  alarms:
    description:
      - The alarms, each a PutMetricAlarm request in the API's shape (C(AlarmName), C(Namespace),
        C(MetricName), C(Dimensions), C(Metrics), C(AlarmActions), ...), without C(Tags).
      - Each request is checked against PutMetricAlarm's API model (unknown keys, wrong types, missing
        required settings) before the first call, as botocore checks it when sending.
    type: list
    elements: dict
    default: []
"""
