# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch alarm layer of quoin.fargate.cloudwatch_metric_alarms: reading a set of alarms by
name prefix, comparing requested alarms with AWS's answer in one canonical form, and writing them."""

import copy

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleCloudWatchAlarmError(AnsibleAWSError):
    pass


# Missing alarms are an empty answer, never an error, so the base class's "missing" check (which
# matches nothing) stays.
class CloudWatchAlarmErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchAlarmError


# What PutMetricAlarm sets, with the value AWS reports when a request leaves it out. Comparing over
# exactly these keys means AWS's defaults never count as a change, and a setting dropped from the
# request (a unit, an action) does.
DEFAULTS = {
    "AlarmDescription": "",
    "ActionsEnabled": True,
    "OKActions": [],
    "AlarmActions": [],
    "InsufficientDataActions": [],
    "MetricName": None,
    "Namespace": None,
    "Statistic": None,
    "ExtendedStatistic": None,
    "Dimensions": [],
    "Period": None,
    "Unit": None,
    "EvaluationPeriods": None,
    "DatapointsToAlarm": None,
    "Threshold": None,
    "ComparisonOperator": None,
    "TreatMissingData": "missing",
    "EvaluateLowSampleCountPercentile": None,
    "Metrics": [],
    "ThresholdMetricId": None,
}
# Lists whose order AWS does not keep or does not care about.
UNORDERED = ("OKActions", "AlarmActions", "InsufficientDataActions")


def _dimensions(dimensions):
    return sorted(({"Name": d["Name"], "Value": str(d["Value"])} for d in dimensions or []), key=lambda d: d["Name"])


def _metric_query(query):
    """One metric math query with AWS's defaults filled in (ReturnData true, no label)."""
    result = {
        "Id": query["Id"],
        "ReturnData": query.get("ReturnData", True),
        "Label": query.get("Label"),
        "Expression": query.get("Expression"),
        "Period": query.get("Period"),
        "AccountId": query.get("AccountId"),
    }
    stat = query.get("MetricStat")
    if stat:
        metric = stat["Metric"]
        result["MetricStat"] = {
            "Metric": {
                "Namespace": metric.get("Namespace"),
                "MetricName": metric.get("MetricName"),
                "Dimensions": _dimensions(metric.get("Dimensions")),
            },
            "Period": stat.get("Period"),
            "Stat": stat.get("Stat"),
            "Unit": stat.get("Unit"),
        }
    return {k: v for k, v in result.items() if v is not None}


def canonical(alarm):
    """The settable part of an alarm (request or DescribeAlarms entry), in one comparable form."""
    result = {}
    for key, default in DEFAULTS.items():
        value = alarm.get(key, default)
        if value is None or value == default:
            value = default
        if key in UNORDERED:
            value = sorted(value)
        elif key == "Dimensions":
            value = _dimensions(value)
        elif key == "Metrics":
            value = [_metric_query(q) for q in value]
        elif key == "Threshold" and value is not None:
            value = float(value)
        if value is not None and value != []:
            result[key] = value
    result["AlarmName"] = alarm["AlarmName"]
    return result


def differences(current, requested):
    """Names of the settings that differ between an existing alarm and its request."""
    current, requested = canonical(current), canonical(requested)
    return sorted(key for key in set(current) | set(requested) if current.get(key) != requested.get(key))


@CloudWatchAlarmErrorHandler.list_error_handler("describe alarms", [])
@AWSRetry.jittered_backoff()
def describe_alarms(client, names=None, prefix=None):
    """The metric alarms with the given names, or all whose name starts with prefix."""
    paginator = client.get_paginator("describe_alarms")
    alarms = []
    if prefix is not None:
        pages = paginator.paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
        alarms = pages.build_full_result().get("MetricAlarms", [])
    # DescribeAlarms takes at most 100 names per call.
    names = list(names or [])
    for start in range(0, len(names), 100):
        pages = paginator.paginate(AlarmNames=names[start:start + 100], AlarmTypes=["MetricAlarm"])
        alarms += pages.build_full_result().get("MetricAlarms", [])
    unique = {alarm["AlarmName"]: alarm for alarm in alarms}
    return [unique[name] for name in sorted(unique)]


@CloudWatchAlarmErrorHandler.common_error_handler("put alarm")
@AWSRetry.jittered_backoff()
def put_alarm(client, request):
    client.put_metric_alarm(**copy.deepcopy(request))


@CloudWatchAlarmErrorHandler.deletion_error_handler("delete alarms")
@AWSRetry.jittered_backoff()
def _delete_alarm_batch(client, names):
    client.delete_alarms(AlarmNames=names)
    return True


def delete_alarms(client, names):
    # DeleteAlarms takes at most 100 names per call. Each batch is retried on its own: retrying from the
    # first batch would name alarms already deleted, and DeleteAlarms then fails and deletes nothing.
    for start in range(0, len(names), 100):
        _delete_alarm_batch(client, names[start:start + 100])
    return True


def plan(current, requested, purge_prefix=None):
    """(create, update, delete): requests to create, (request, differing keys) to update, names to delete."""
    by_name = {alarm["AlarmName"]: alarm for alarm in current}
    wanted = {request["AlarmName"] for request in requested}
    create, update = [], []
    for request in requested:
        existing = by_name.get(request["AlarmName"])
        if existing is None:
            create.append(request)
        else:
            changed = differences(existing, request)
            if changed:
                update.append((request, changed))
    delete = []
    if purge_prefix is not None:
        delete = sorted(name for name in by_name if name.startswith(purge_prefix) and name not in wanted)
    return create, update, delete
