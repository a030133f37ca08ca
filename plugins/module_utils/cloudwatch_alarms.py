# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch alarm layer of quoin.fargate.cloudwatch_metric_alarms and quoin.fargate.cloudwatch_monitoring:
reading a set of alarms by name prefix, comparing requested alarms with AWS's answer in one canonical
form, and writing them (the MetricAlarms part, run by cloudwatch.ensure_parts)."""

import copy

try:
    from botocore.validate import ParamValidator
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import WriteFailed
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import set_problems


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


def delete_alarms(client, names, deleted=None):
    """Delete the alarms; `deleted`, when given, gets the names of each batch once it is gone."""
    # DeleteAlarms takes at most 100 names per call. Each batch is retried on its own: retrying from the
    # first batch would name alarms already deleted, and DeleteAlarms then fails and deletes nothing.
    for start in range(0, len(names), 100):
        _delete_alarm_batch(client, names[start:start + 100])
        if deleted is not None:
            deleted += names[start:start + 100]
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


class MetricAlarms:
    """A set of metric alarms: each request (PutMetricAlarm's arguments) created or updated when it is
    new or differs, and with purge_prefix the other metric alarms under that prefix deleted."""

    key = "alarms"
    label = "alarms"

    def __init__(self, client, alarms, purge_prefix):
        self.client = client
        self.alarms = alarms
        self.purge_prefix = purge_prefix
        self.found = self.current = []
        self.create, self.update, self.delete = [], [], []
        self.put, self.deleted = [], []

    def problems(self):
        """What CloudWatch (or botocore, checking the request against the API's model) would refuse."""
        shape = self.client.meta.service_model.operation_model("PutMetricAlarm").input_shape
        problems = []
        for index, alarm in enumerate(self.alarms):
            if not alarm.get("AlarmName"):
                problems.append(f"alarms[{index}] has no AlarmName")
                continue
            if "Tags" in alarm:
                problems.append(f"alarms[{index}] ({alarm['AlarmName']}): Tags are not managed by this module")
                continue
            report = ParamValidator().validate(alarm, shape)
            if report.has_errors():
                problems.append(f"alarms[{index}] ({alarm['AlarmName']}): {report.generate_report()}")
        names = [alarm.get("AlarmName") for alarm in self.alarms]
        return problems + set_problems("alarms", names, self.purge_prefix, "every alarm of the account and region")

    def _names(self):
        return [alarm["AlarmName"] for alarm in self.alarms]

    def read(self):
        # found: as the run found them (for the diff); current: as they are after the writes.
        self.found = self.current = describe_alarms(self.client, names=self._names(), prefix=self.purge_prefix)
        self.create, self.update, self.delete = plan(self.found, self.alarms, self.purge_prefix)

    @property
    def changed(self):
        return bool(self.create or self.update or self.delete)

    def diff(self):
        """Before and after of every alarm the run changes, keyed by name (absent: not there)."""
        by_name = {alarm["AlarmName"]: alarm for alarm in self.found}
        before, after = {}, {}
        for request in self.create:
            after[request["AlarmName"]] = canonical(request)
        for request, _changed in self.update:
            before[request["AlarmName"]] = canonical(by_name[request["AlarmName"]])
            after[request["AlarmName"]] = canonical(request)
        for name in self.delete:
            before[name] = canonical(by_name[name])
        return {"before": before, "after": after}

    def apply(self, check_mode):
        """Put what is new or differs, delete the purged, then read the requested alarms again."""
        if check_mode:
            self.put = [request["AlarmName"] for request in self.create] + [request["AlarmName"] for request, _changed in self.update]
            self.deleted = list(self.delete)
            return
        for request in self.create + [request for request, _changed in self.update]:
            try:
                put_alarm(self.client, request)
            except AnsibleCloudWatchAlarmError as e:
                raise WriteFailed(e, request["AlarmName"]) from e
            self.put.append(request["AlarmName"])
        try:
            if self.delete:
                delete_alarms(self.client, self.delete, self.deleted)
            if self.changed:
                self.current = describe_alarms(self.client, names=self._names())
        except AnsibleCloudWatchAlarmError as e:
            raise WriteFailed(e) from e

    def written(self):
        return bool(self.put or self.deleted)

    def progress(self):
        return f"put: {', '.join(self.put) or 'none'}; deleted: {', '.join(self.deleted) or 'none'}"

    def result(self):
        """created, updated (with the settings that differed), deleted, and the requested alarms as AWS
        describes them (snake_cased; in check mode, as they were); after a failure, what was done."""
        by_name = {alarm["AlarmName"]: alarm for alarm in self.current}
        return dict(
            created=[request["AlarmName"] for request in self.create if request["AlarmName"] in self.put],
            updated=[
                {"name": request["AlarmName"], "changed_settings": changed}
                for request, changed in self.update if request["AlarmName"] in self.put
            ],
            deleted=list(self.deleted),
            alarms=[camel_dict_to_snake_dict(by_name[name]) for name in self._names() if name in by_name],
        )
