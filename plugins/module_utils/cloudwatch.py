# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch dashboard and CloudWatch Logs metric filter API layer of quoin.fargate.cloudwatch_dashboard,
quoin.fargate.cloudwatchlogs_metric_filter_info and quoin.fargate.cloudwatchlogs_metric_filters.

One small function per API call, each retried with jittered backoff and wrapped by an error handler
(a missing dashboard, log group or filter is None or [] on a read and False on a delete), the comparison
of requested metric filters with AWS's answer in one canonical form, and the snake_cased shapes the
modules return.
"""

import copy
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


@LogsErrorHandler.list_error_handler("describe metric filters")
@AWSRetry.jittered_backoff()
def find_metric_filters(client, log_group_name, filter_name_prefix=None):
    """Every metric filter of the log group (DescribeMetricFilters shape), every page of them; None
    when the log group does not exist."""
    params = {"logGroupName": log_group_name}
    if filter_name_prefix:
        params["filterNamePrefix"] = filter_name_prefix
    paginator = client.get_paginator("describe_metric_filters")
    return paginator.paginate(**params).build_full_result()["metricFilters"]


def describe_metric_filters(client, log_group_name, filter_name_prefix=None):
    """Every metric filter of the log group (DescribeMetricFilters shape), [] when the log group does
    not exist."""
    found = find_metric_filters(client, log_group_name, filter_name_prefix)
    return [] if found is None else found


@LogsErrorHandler.common_error_handler("put metric filter")
@AWSRetry.jittered_backoff()
def put_metric_filter(client, request):
    """Create or replace a metric filter; `request` is PutMetricFilter's arguments (metric_filter_request)."""
    client.put_metric_filter(**copy.deepcopy(request))
    return True


@LogsErrorHandler.deletion_error_handler("delete metric filter")
@AWSRetry.jittered_backoff()
def delete_metric_filter(client, log_group_name, filter_name):
    """Delete a metric filter; False when it (or its log group) does not exist."""
    client.delete_metric_filter(logGroupName=log_group_name, filterName=filter_name)
    return True


# What PutMetricFilter sets, with the value AWS reports or applies when a request leaves it out (a
# metric filter without a unit publishes with the unit "None"). Comparing over exactly these keys
# means AWS's defaults never count as a change, and a setting missing from the request does:
# PutMetricFilter replaces the whole filter.
FILTER_DEFAULTS = {
    "filterPattern": "",
    "applyOnTransformedLogs": False,
    "fieldSelectionCriteria": "",
    "emitSystemFieldDimensions": [],
}
TRANSFORMATION_DEFAULTS = {
    "metricName": None,
    "metricNamespace": None,
    "metricValue": None,
    "defaultValue": None,
    "unit": "None",
    "dimensions": {},
}


def _canonical_transformation(transformation):
    result = {}
    for key, default in TRANSFORMATION_DEFAULTS.items():
        value = transformation.get(key)
        if value is None:
            value = default
        if key == "defaultValue" and value is not None:
            value = float(value)
        elif key == "dimensions":
            value = {str(name): str(field) for name, field in value.items()}
        if value is not None and value != {}:
            result[key] = value
    return result


def canonical_metric_filter(metric_filter):
    """The settable part of a metric filter (PutMetricFilter request or DescribeMetricFilters entry),
    in one comparable form (API names)."""
    result = {"filterName": metric_filter["filterName"]}
    for key, default in FILTER_DEFAULTS.items():
        value = metric_filter.get(key)
        if value is None:
            value = default
        if key == "emitSystemFieldDimensions":
            value = sorted(value)
        if value != default or key == "filterPattern":
            result[key] = value
    result["metricTransformations"] = [_canonical_transformation(t) for t in metric_filter.get("metricTransformations") or []]
    return result


def metric_filter_request(log_group_name, item):
    """PutMetricFilter's arguments for one item of the module's metric_filters option (snake_cased,
    unset values None)."""
    transformations = []
    for transformation in item["metric_transformations"]:
        api = {
            "metricName": transformation["metric_name"],
            "metricNamespace": transformation["metric_namespace"],
            "metricValue": str(transformation["metric_value"]),
        }
        if transformation.get("default_value") is not None:
            api["defaultValue"] = float(transformation["default_value"])
        if transformation.get("dimensions"):
            api["dimensions"] = {str(name): str(field) for name, field in transformation["dimensions"].items()}
        if transformation.get("unit") is not None:
            api["unit"] = transformation["unit"]
        transformations.append(api)
    return {
        "logGroupName": log_group_name,
        "filterName": item["filter_name"],
        "filterPattern": item["filter_pattern"],
        "metricTransformations": transformations,
    }


def written_metric_filter(request, existing=None):
    """The filter as DescribeMetricFilters will list it once PutMetricFilter ran with `request`: what the
    request sets (PutMetricFilter replaces the whole filter), and the creation time of the filter it
    replaced, if any (a new filter's is not known without reading it again)."""
    result = copy.deepcopy(request)
    if existing is not None and existing.get("creationTime") is not None:
        result["creationTime"] = existing["creationTime"]
    return result


def plan_metric_filters(current, requests, purge_prefix=None):
    """(items, delete): for each request in order (request, the existing filter or None, whether it
    must be written), and the names of the filters to delete, sorted."""
    by_name = {metric_filter["filterName"]: metric_filter for metric_filter in current}
    wanted = {request["filterName"] for request in requests}
    items = []
    for request in requests:
        existing = by_name.get(request["filterName"])
        changed = existing is None or canonical_metric_filter(existing) != canonical_metric_filter(request)
        items.append((request, existing, changed))
    delete = []
    if purge_prefix is not None:
        delete = sorted(name for name in by_name if name.startswith(purge_prefix) and name not in wanted)
    return items, delete
