# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch dashboard and CloudWatch Logs metric filter API layer of quoin.fargate.cloudwatch_dashboard
and quoin.fargate.cloudwatchlogs_metric_filter_info.

One small function per API call, each retried with jittered backoff and wrapped by an error handler
(a missing dashboard or log group is None or [] on a read and False on a delete), and the snake_cased
shapes the modules return.
"""

import json

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleCloudWatchError(AnsibleAWSError):
    pass


class DashboardErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchError

    # GetDashboard and DeleteDashboards answer a missing dashboard with ResourceNotFound (HTTP 404).
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFound")


class LogsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def canonical_body(body):
    """The body as CloudWatch will store it, as data: through JSON, so that tuples, key order and
    whitespace do not count."""
    return json.loads(json.dumps(body))


def normalize_dashboard(dashboard):
    return {
        "name": dashboard["DashboardName"],
        "arn": dashboard.get("DashboardArn"),
        "body": json.loads(dashboard["DashboardBody"]),
    }


@DashboardErrorHandler.list_error_handler("get dashboard")
@AWSRetry.jittered_backoff()
def get_dashboard(client, name):
    """The dashboard ({name, arn, body as data}), or None when there is none by that name."""
    return normalize_dashboard(client.get_dashboard(DashboardName=name))


@DashboardErrorHandler.common_error_handler("put dashboard")
@AWSRetry.jittered_backoff()
def put_dashboard(client, name, body):
    """Create or replace the dashboard; the validation messages CloudWatch reports (snake_cased)."""
    answer = client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True, separators=(",", ":")))
    return [camel_dict_to_snake_dict(message) for message in answer.get("DashboardValidationMessages") or []]


@DashboardErrorHandler.deletion_error_handler("delete dashboard")
@AWSRetry.jittered_backoff()
def delete_dashboard(client, name):
    client.delete_dashboards(DashboardNames=[name])
    return True


def normalize_metric_filter(metric_filter):
    """A DescribeMetricFilters entry snake_cased, except the dimension names: they are the user's own
    metric dimensions, not API keys (and camel_dict_to_snake_dict's ignore_list does not reach into lists)."""
    metric_filter = dict(metric_filter)
    transformations = metric_filter.pop("metricTransformations", [])
    result = camel_dict_to_snake_dict(metric_filter)
    result["metric_transformations"] = []
    for transformation in transformations:
        transformation = dict(transformation)
        dimensions = transformation.pop("dimensions", None)
        snake = camel_dict_to_snake_dict(transformation)
        if dimensions is not None:
            snake["dimensions"] = dict(dimensions)
        result["metric_transformations"].append(snake)
    return result


@LogsErrorHandler.list_error_handler("describe metric filters", [])
@AWSRetry.jittered_backoff()
def describe_metric_filters(client, log_group_name, filter_name_prefix=None):
    """Every metric filter of the log group (DescribeMetricFilters shape), [] when the log group does
    not exist."""
    params = {"logGroupName": log_group_name}
    if filter_name_prefix:
        params["filterNamePrefix"] = filter_name_prefix
    paginator = client.get_paginator("describe_metric_filters")
    return paginator.paginate(**params).build_full_result()["metricFilters"]
