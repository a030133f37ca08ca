# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch dashboard and CloudWatch Logs metric filter API layer of quoin.fargate.cloudwatch_dashboard,
quoin.fargate.cloudwatchlogs_metric_filter_info, quoin.fargate.cloudwatchlogs_metric_filters and
quoin.fargate.cloudwatch_monitoring.

One small function per API call, each retried with jittered backoff and wrapped by an error handler
(a missing dashboard, log group or filter is None or [] on a read and False on a delete), the comparison
of requested metric filters with AWS's answer in one canonical form, and the snake_cased shapes the
modules return.

The modules are built from parts (MetricFilters, Dashboard here, MetricAlarms in cloudwatch_alarms.py),
each checking its input, reading what AWS holds, writing the difference and reporting it; ensure_parts
runs one part or several in one module run.
"""

import copy
import json
import re

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


# The parts a module run is made of, and the run itself.


class WriteFailed(Exception):
    """An AWS error once a part may have written: `error` is the AnsibleAWSError, `what` names the
    resource it was about (empty when the error's message names it)."""

    def __init__(self, error, what=""):
        super().__init__(error.message)
        self.error = error
        self.what = what


def _done_so_far(parts, failed_index):
    """What the parts up to the failed one had done, for a failure's message."""
    done = [(part.label, part.progress()) for part in parts[:failed_index + 1]]
    if len(parts) == 1:
        return done[0][1]
    return ", ".join(f"{label} ({progress})" for label, progress in done if progress) or "nothing"


def _nested_result(part, changed):
    return dict(part.result(), changed=changed)


def ensure_parts(module, parts, nested=False):
    """Run the parts: check every part's input, then read what AWS holds for every part, then write each
    part in order (nothing in check mode), and exit with what each did. Nothing is read before all input
    is checked and nothing is written before all is read, so a refused input or a failed read changes
    nothing; a write that fails names what the run had done and which parts it had not reached.

    With one part and nested false the module returns that part's result as it is; otherwise each
    part's result, with its own changed, under the part's key, and the diff as a list of one diff a part.
    """
    problems = [problem for part in parts for problem in part.problems()]
    if problems:
        module.fail_json(msg="; ".join(problems))
    try:
        for part in parts:
            part.read()
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    for index, part in enumerate(parts):
        try:
            part.apply(module.check_mode)
        except WriteFailed as e:
            message = " ".join(filter(None, (e.error.message, e.what)))
            done = _done_so_far(parts, index)
            if done:
                message += f"; this run had already {done}"
            if nested and parts[index + 1:]:
                message += "; not reached: " + ", ".join(later.label for later in parts[index + 1:])
            result = {}
            for reached in parts[:index + 1]:
                result.update({reached.key: _nested_result(reached, reached.written())} if nested else reached.result())
            result["changed"] = any(reached.written() for reached in parts[:index + 1])
            if e.error.exception is not None:
                module.fail_json_aws(e.error.exception, msg=message, **result)
            module.fail_json(msg=message, **result)

    if nested:
        result = {part.key: _nested_result(part, part.changed) for part in parts}
    else:
        result = dict(parts[0].result())
    result["changed"] = any(part.changed for part in parts)
    if module._diff:
        if nested:
            result["diff"] = [dict(part.diff(), before_header=part.label, after_header=part.label) for part in parts]
        else:
            result["diff"] = parts[0].diff()
    module.exit_json(**result)


def set_problems(kind, names, purge_prefix, purged):
    """What every set of named resources must not have: a name given twice, or an empty purge_prefix
    (which would delete `purged`)."""
    problems = []
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        problems.append(f"{kind} named more than once: {', '.join(duplicates)}")
    if purge_prefix == "":
        problems.append(f"purge_prefix must not be empty: it would delete {purged}")
    return problems


# CloudWatch Logs' units and limits on a metric filter.
METRIC_UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]
MAX_DIMENSIONS = 3


def metric_filters_option():
    """The argument spec of a module's metric_filters option (a new dict each call)."""
    transformation = dict(
        metric_name=dict(type="str", required=True),
        metric_namespace=dict(type="str", required=True),
        metric_value=dict(type="str", required=True),
        default_value=dict(type="float"),
        unit=dict(type="str", choices=list(METRIC_UNITS)),
        dimensions=dict(type="dict"),
    )
    return dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            filter_name=dict(type="str", required=True),
            filter_pattern=dict(type="str", required=True),
            metric_transformations=dict(type="list", elements="dict", required=True, options=transformation),
        ),
    )


def _metric_filter_problem(item):
    """Why CloudWatch Logs would refuse this item of the metric_filters option, or None."""
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


def _diff_view(metric_filter):
    """What diff mode shows of a filter: its settable part, snake_cased."""
    return normalize_metric_filter(canonical_metric_filter(metric_filter))


class MetricFilters:
    """The metric filters of one log group: each item of the metric_filters option created or replaced
    when it is new or differs, and with purge_prefix the group's other filters under that prefix
    deleted. The log group's filters are read once (every page)."""

    key = "metric_filters"
    label = "metric filters"

    def __init__(self, client, log_group_name, items, purge_prefix):
        self.client = client
        self.log_group_name = log_group_name
        self.items = items
        self.purge_prefix = purge_prefix
        self.by_name = {}
        self.plan, self.delete = [], []
        self.done, self.deleted = [], []

    def problems(self):
        problems = []
        for index, item in enumerate(self.items):
            problem = _metric_filter_problem(item)
            if problem:
                problems.append(f"metric_filters[{index}] ({item['filter_name']}): {problem}")
        names = [item["filter_name"] for item in self.items]
        return problems + set_problems("metric filters", names, self.purge_prefix, "every other filter of the log group")

    def read(self):
        current = find_metric_filters(self.client, self.log_group_name)
        if current is None:
            if self.items:
                raise AnsibleCloudWatchError(
                    message=f"log group {self.log_group_name} does not exist: create it before its metric filters"
                )
            current = []
        self.by_name = {metric_filter["filterName"]: metric_filter for metric_filter in current}
        requests = [metric_filter_request(self.log_group_name, item) for item in self.items]
        self.plan, self.delete = plan_metric_filters(current, requests, self.purge_prefix)

    @property
    def changed(self):
        return any(changed for _request, _existing, changed in self.plan) or bool(self.delete)

    def diff(self):
        """Before and after of every filter the run changes, keyed by name (absent: not there)."""
        before, after = {}, {}
        for request, existing, changed in self.plan:
            if changed:
                after[request["filterName"]] = _diff_view(request)
                if existing is not None:
                    before[request["filterName"]] = _diff_view(existing)
        for name in self.delete:
            before[name] = _diff_view(self.by_name[name])
        return {"before": before, "after": after}

    def apply(self, check_mode):
        """Write what differs, in order, then delete."""
        for request, existing, changed in self.plan:
            if changed and not check_mode:
                try:
                    put_metric_filter(self.client, request)
                except AnsibleCloudWatchError as e:
                    raise WriteFailed(e, f"{request['filterName']} in log group {self.log_group_name}") from e
            after = written_metric_filter(request, existing) if changed else existing
            self.done.append(dict(normalize_metric_filter(after), changed=changed))
        for name in self.delete:
            if not check_mode:
                try:
                    delete_metric_filter(self.client, self.log_group_name, name)
                except AnsibleCloudWatchError as e:
                    raise WriteFailed(e, f"{name} in log group {self.log_group_name}") from e
            self.deleted.append(name)

    def written(self):
        return any(entry["changed"] for entry in self.done) or bool(self.deleted)

    def progress(self):
        put = [entry["filter_name"] for entry in self.done if entry["changed"]]
        return f"put: {', '.join(put) or 'none'}; deleted: {', '.join(self.deleted) or 'none'}"

    def result(self):
        return dict(metric_filters=self.done, deleted=self.deleted)


# CloudWatch's rule for a dashboard's name.
DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class Dashboard:
    """One dashboard, found by its name: written when its body (compared as data) differs, or deleted
    when body is None."""

    key = "dashboard"
    label = "dashboard"

    def __init__(self, client, name, body):
        self.client = client
        self.name = name
        self.desired = None if body is None else canonical_body(body)
        self.current = None
        self.after = None
        self.wrote = False
        self.validation_messages = None

    def problems(self):
        problems = []
        if not DASHBOARD_NAME.match(self.name or ""):
            problems.append(f"dashboard name {self.name!r}: 1 to 255 letters, digits, '-' or '_'")
        if self.desired is not None and not isinstance(self.desired.get("widgets"), list):
            problems.append(f"dashboard {self.name}: the body needs a list of widgets")
        return problems

    def read(self):
        self.current = get_dashboard(self.client, self.name)
        self.after = self.current

    @property
    def changed(self):
        if self.desired is None:
            return self.current is not None
        return self.current is None or self.current["body"] != self.desired

    def diff(self):
        return {
            "before": self.current["body"] if self.current else {},
            "after": self.desired if self.desired is not None else {},
        }

    def apply(self, check_mode):
        if not self.changed:
            return
        if self.desired is None:
            if not check_mode:
                try:
                    delete_dashboard(self.client, self.name)
                except AnsibleCloudWatchError as e:
                    raise WriteFailed(e, self.name) from e
                self.wrote = True
            self.after = None
            return
        predicted = {"name": self.name, "arn": self.current["arn"] if self.current else None, "body": self.desired}
        if check_mode:
            self.after = predicted
            return
        try:
            messages = put_dashboard(self.client, self.name, self.desired)
            self.wrote = True
            self.after = predicted
            if not messages:
                self.after = get_dashboard(self.client, self.name) or predicted
        except AnsibleCloudWatchError as e:
            raise WriteFailed(e, self.name) from e
        if messages:
            # A successful PutDashboard with messages has stored the dashboard: changed, but not as asked.
            self.validation_messages = messages
            raise WriteFailed(AnsibleCloudWatchError(
                message=f"CloudWatch reported problems with the body of dashboard {self.name}: "
                + "; ".join(f"{m.get('data_path') or '/'}: {m.get('message')}" for m in messages)
            ))

    def written(self):
        return self.wrote

    def progress(self):
        return None

    def result(self):
        result = dict(dashboard=self.after)
        if self.validation_messages is not None:
            result["validation_messages"] = self.validation_messages
        return result
