"""An in-memory stand-in for the boto3 CloudWatch client's metric alarm calls: every call recorded and
its parameters checked against the service model (as botocore does before sending), alarms stored the
way AWS describes them (defaults filled in, the whole configuration replaced by PutMetricAlarm),
DescribeAlarms paged through botocore's own paginator, the API's limit of 100 names per call enforced,
and errors raised as botocore raises them."""

import copy
import types

import botocore.session
from botocore.exceptions import ClientError
from botocore.paginate import Paginator
from botocore.validate import validate_parameters

ACCOUNT = "123456789012"
REGION = "eu-central-1"
WRITES = ("put_metric_alarm", "delete_alarms")
# boto3 parses these into datetimes; Ansible's result encoder turns those into the same ISO strings.
UPDATED = "2025-01-31T12:00:00+00:00"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:quoin-prod-alerts"
OTHER_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:quoin-prod-pager"
MAX_NAMES = 100

_SESSION = botocore.session.get_session()
_MODEL = _SESSION.get_service_model("cloudwatch")


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def alarm_arn(name):
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def cpu_request(name="quoin-prod/site/cpu", **fields):
    """A plain PutMetricAlarm request; `fields` (API names) replace or add settings."""
    request = {
        "AlarmName": name,
        "Namespace": "AWS/ECS",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "ClusterName", "Value": "quoin-prod"}, {"Name": "ServiceName", "Value": "site"}],
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": 3,
        "Threshold": 80,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
    }
    request.update(copy.deepcopy(fields))
    return request


def _metric_stat(metric_name, period=60):
    return {
        "Metric": {
            "Namespace": "AWS/ApplicationELB",
            "MetricName": metric_name,
            "Dimensions": [{"Name": "LoadBalancer", "Value": "app/quoin-prod/0123456789abcdef"}],
        },
        "Period": period,
        "Stat": "Sum",
    }


def math_request(name="quoin-prod/site/5xx-rate", period=60, **fields):
    """A metric math PutMetricAlarm request: the 5xx rate from two MetricStat queries."""
    request = {
        "AlarmName": name,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 5,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "rate", "Expression": "100 * errors / requests", "Label": "5xx %"},
            {"Id": "errors", "MetricStat": _metric_stat("HTTPCode_Target_5XX_Count", period), "ReturnData": False},
            {"Id": "requests", "MetricStat": _metric_stat("RequestCount", period), "ReturnData": False},
        ],
        "AlarmActions": [TOPIC],
    }
    request.update(copy.deepcopy(fields))
    return request


def described(request, **fields):
    """The alarm as DescribeAlarms returns it after PutMetricAlarm with `request`; `fields` replace
    parts of the answer (another dimension or action order, a state)."""
    alarm = copy.deepcopy(request)
    alarm.setdefault("ActionsEnabled", True)
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions", "Dimensions"):
        alarm.setdefault(key, [])
    alarm.setdefault("TreatMissingData", "missing")
    if "Threshold" in alarm:
        alarm["Threshold"] = float(alarm["Threshold"])
    for query in alarm.get("Metrics", []):
        query.setdefault("ReturnData", True)
    alarm.update(
        AlarmArn=alarm_arn(request["AlarmName"]),
        AlarmConfigurationUpdatedTimestamp=UPDATED,
        StateValue="INSUFFICIENT_DATA",
        StateReason="Unchecked: Initial alarm creation",
        StateUpdatedTimestamp=UPDATED,
    )
    alarm.update(copy.deepcopy(fields))
    return alarm


class FakeCloudWatchAlarms:
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    alarms: DescribeAlarms entries to start with (see described()). page_size: the most alarms one
    DescribeAlarms answer holds (AWS: 50 by default, 100 at most). errors: operation -> error code
    raised on every call. throttled: operation -> the numbers of its calls (1 for the first) that fail
    with Throttling.
    """

    # What botocore's client has: the service model that requests are checked against.
    meta = types.SimpleNamespace(service_model=_MODEL)

    def __init__(self, *alarms, page_size=50, errors=None, throttled=None):
        self.alarms = {alarm["AlarmName"]: copy.deepcopy(alarm) for alarm in alarms}
        self.page_size = page_size
        self.errors = dict(errors or {})
        self.throttled = {operation: set(numbers) for operation, numbers in (throttled or {}).items()}
        self.calls = []

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        report = validate_parameters(kwargs, _MODEL.operation_model(api_name).input_shape)
        if report:
            raise AssertionError(f"{api_name} would be refused by botocore: {report}")
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)
        if self.operations().count(operation) in self.throttled.get(operation, ()):
            raise client_error("Throttling", api_name, "Rate exceeded")

    def get_paginator(self, operation):
        assert operation == "describe_alarms", operation
        config = _SESSION.get_paginator_model("cloudwatch").get_paginator("DescribeAlarms")
        return Paginator(self.describe_alarms, config, _MODEL.operation_model("DescribeAlarms"))

    def describe_alarms(self, **kwargs):
        self._record("describe_alarms", kwargs, "DescribeAlarms")
        names = kwargs.get("AlarmNames")
        if names is not None and len(names) > MAX_NAMES:
            raise client_error("ValidationError", "DescribeAlarms", "AlarmNames: at most 100 names")
        if names is not None and "AlarmNamePrefix" in kwargs:
            raise client_error("ValidationError", "DescribeAlarms", "AlarmNames and AlarmNamePrefix are exclusive")
        prefix = kwargs.get("AlarmNamePrefix", "")
        found = sorted(name for name in self.alarms if name.startswith(prefix) and (names is None or name in names))
        if "MetricAlarm" not in kwargs.get("AlarmTypes", ["MetricAlarm"]):
            found = []
        start = int(kwargs.get("NextToken", 0))
        size = min(kwargs.get("MaxRecords", self.page_size), self.page_size)
        answer = {"MetricAlarms": [copy.deepcopy(self.alarms[name]) for name in found[start:start + size]], "CompositeAlarms": []}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return answer

    def put_metric_alarm(self, **kwargs):
        self._record("put_metric_alarm", kwargs, "PutMetricAlarm")
        self.alarms[kwargs["AlarmName"]] = described(kwargs)
        return {}

    def delete_alarms(self, **kwargs):
        self._record("delete_alarms", kwargs, "DeleteAlarms")
        names = kwargs["AlarmNames"]
        if len(names) > MAX_NAMES:
            raise client_error("ValidationError", "DeleteAlarms", "AlarmNames: at most 100 names")
        # AWS deletes none of them when one does not exist.
        missing = [name for name in names if name not in self.alarms]
        if missing:
            raise client_error("ResourceNotFound", "DeleteAlarms", f"Alarms not found: {missing}")
        for name in names:
            del self.alarms[name]
        return {}
