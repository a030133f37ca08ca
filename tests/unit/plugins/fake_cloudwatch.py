"""In-memory stand-ins for the boto3 CloudWatch (dashboards) and CloudWatch Logs (metric filters)
clients: every call recorded, errors raised the way botocore raises them (ClientError with the API's
error code), DescribeMetricFilters paged, through botocore's own paginator, and metric filter writes
checked against the service model as botocore checks them before sending."""

import copy
import json

import botocore.session
from botocore.exceptions import ClientError
from botocore.paginate import Paginator
from botocore.validate import validate_parameters

ACCOUNT = "123456789012"
REGION = "eu-central-1"
DASHBOARD_WRITES = ("put_dashboard", "delete_dashboards")
METRIC_FILTER_WRITES = ("put_metric_filter", "delete_metric_filter")

_SESSION = botocore.session.get_session()
_LOGS_MODEL = _SESSION.get_service_model("logs")


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def dashboard_arn(name):
    return f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"


class _Recorder:
    """`calls` lists (operation, arguments) in order. errors: operation -> error code raised on every
    call of that operation. errors_on: operation -> {call number (1 for the first): error code}."""

    WRITES = ()

    def __init__(self, errors=None, errors_on=None):
        self.errors = dict(errors or {})
        self.errors_on = {operation: dict(numbers) for operation, numbers in (errors_on or {}).items()}
        self.calls = []

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in self.WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)
        code = self.errors_on.get(operation, {}).get(self.operations().count(operation))
        if code:
            raise client_error(code, api_name)


class FakeCloudWatch(_Recorder):
    """Dashboards by name, each body kept as the text sent, as CloudWatch keeps it.

    validation_messages: what every PutDashboard answers (DashboardValidationMessages); CloudWatch
    stores the dashboard all the same.
    """

    WRITES = DASHBOARD_WRITES

    def __init__(self, dashboards=None, validation_messages=None, errors=None):
        super().__init__(errors)
        self.dashboards = dict(dashboards or {})
        self.validation_messages = list(validation_messages or [])

    def get_dashboard(self, **kwargs):
        self._record("get_dashboard", kwargs, "GetDashboard")
        name = kwargs["DashboardName"]
        if name not in self.dashboards:
            raise client_error("ResourceNotFound", "GetDashboard", "Dashboard does not exist")
        return {"DashboardName": name, "DashboardArn": dashboard_arn(name), "DashboardBody": self.dashboards[name]}

    def put_dashboard(self, **kwargs):
        self._record("put_dashboard", kwargs, "PutDashboard")
        try:
            json.loads(kwargs["DashboardBody"])
        except ValueError:
            raise client_error("InvalidParameterInput", "PutDashboard", "Body is invalid JSON") from None
        self.dashboards[kwargs["DashboardName"]] = kwargs["DashboardBody"]
        return {"DashboardValidationMessages": copy.deepcopy(self.validation_messages)}

    def delete_dashboards(self, **kwargs):
        self._record("delete_dashboards", kwargs, "DeleteDashboards")
        missing = [name for name in kwargs["DashboardNames"] if name not in self.dashboards]
        if missing:
            raise client_error("ResourceNotFound", "DeleteDashboards", f"The specified dashboard does not exist. {missing}")
        for name in kwargs["DashboardNames"]:
            del self.dashboards[name]
        return {}

    def body_of(self, name):
        return json.loads(self.dashboards[name])


def metric_filter(name, log_group_name="/quoin/prod", pattern='"ERROR"', dimensions=None, default_value=None):
    """A metric filter as DescribeMetricFilters returns it."""
    transformation = {"metricName": name.rsplit("/", 1)[-1], "metricNamespace": "Quoin", "metricValue": "1", "unit": "Count"}
    if dimensions is not None:
        transformation["dimensions"] = dict(dimensions)
    if default_value is not None:
        transformation["defaultValue"] = default_value
    return {
        "filterName": name,
        "filterPattern": pattern,
        "metricTransformations": [transformation],
        "creationTime": 1735689600000,
        "logGroupName": log_group_name,
    }


def described_metric_filter(request, creation_time=1735689600000):
    """The filter as DescribeMetricFilters lists it after PutMetricFilter with `request`."""
    return dict(copy.deepcopy(request), creationTime=creation_time)


class FakeLogs(_Recorder):
    """Log groups (name -> their metric filters). DescribeMetricFilters answers at most page_size
    filters, sorted by name, and a nextToken for the rest; ResourceNotFoundException for a log group
    that does not exist. PutMetricFilter replaces the filter of that name whole, DeleteMetricFilter
    answers ResourceNotFoundException for a filter that does not exist."""

    WRITES = METRIC_FILTER_WRITES

    def __init__(self, log_groups=None, page_size=50, errors=None, errors_on=None):
        super().__init__(errors, errors_on)
        self.log_groups = {name: copy.deepcopy(list(filters)) for name, filters in (log_groups or {}).items()}
        self.page_size = page_size

    def get_paginator(self, operation):
        assert operation == "describe_metric_filters", operation
        config = _SESSION.get_paginator_model("logs").get_paginator("DescribeMetricFilters")
        model = _SESSION.get_service_model("logs").operation_model("DescribeMetricFilters")
        return Paginator(self.describe_metric_filters, config, model)

    def describe_metric_filters(self, **kwargs):
        self._record("describe_metric_filters", kwargs, "DescribeMetricFilters")
        name = kwargs["logGroupName"]
        if name not in self.log_groups:
            raise client_error("ResourceNotFoundException", "DescribeMetricFilters", "The specified log group does not exist.")
        prefix = kwargs.get("filterNamePrefix", "")
        found = sorted((f for f in self.log_groups[name] if f["filterName"].startswith(prefix)), key=lambda f: f["filterName"])
        start = int(kwargs.get("nextToken", 0))
        page = found[start:start + self.page_size]
        answer = {"metricFilters": copy.deepcopy(page)}
        if start + self.page_size < len(found):
            answer["nextToken"] = str(start + self.page_size)
        return answer

    def _validated(self, operation, kwargs, api_name):
        report = validate_parameters(kwargs, _LOGS_MODEL.operation_model(api_name).input_shape)
        if report:
            raise AssertionError(f"{api_name} would be refused by botocore: {report}")
        self._record(operation, kwargs, api_name)
        if kwargs["logGroupName"] not in self.log_groups:
            raise client_error("ResourceNotFoundException", api_name, "The specified log group does not exist.")
        return self.log_groups[kwargs["logGroupName"]]

    def put_metric_filter(self, **kwargs):
        filters = self._validated("put_metric_filter", kwargs, "PutMetricFilter")
        if len(kwargs["metricTransformations"]) != 1:
            raise client_error("InvalidParameterException", "PutMetricFilter", "metricTransformations: exactly 1 item")
        filters[:] = [f for f in filters if f["filterName"] != kwargs["filterName"]]
        filters.append(described_metric_filter(kwargs))
        return {}

    def delete_metric_filter(self, **kwargs):
        filters = self._validated("delete_metric_filter", kwargs, "DeleteMetricFilter")
        if kwargs["filterName"] not in [f["filterName"] for f in filters]:
            raise client_error("ResourceNotFoundException", "DeleteMetricFilter", "The specified metric filter does not exist.")
        filters[:] = [f for f in filters if f["filterName"] != kwargs["filterName"]]
        return {}

    def filters_of(self, log_group_name):
        """The group's filters by name."""
        return {f["filterName"]: f for f in self.log_groups[log_group_name]}
