"""cloudwatch_monitoring against stubbed CloudWatch Logs and CloudWatch clients: filters, alarms and the
dashboard created in that order in one run, a second run unchanged (check mode too), purge of both kinds
under the prefix, check mode predicting the real run with one diff a part, every input refused before
any call (a bad alarm before any filter is written), an AWS error part-way naming what was done and what
was not, and the monitoring plan taken as the role hands it over."""

import copy
import json

import pytest

from ansible_collections.quoin.fargate.plugins.filter.monitoring import monitoring_plan
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import canonical_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import metric_filter_request
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import canonical
from ansible_collections.quoin.fargate.plugins.modules import cloudwatch_monitoring as module_under_test
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from ...test_environment_model import VALID
from ..fake_cloudwatch import FakeCloudWatch
from ..fake_cloudwatch import FakeLogs
from ..fake_cloudwatch import described_metric_filter
from ..fake_cloudwatch_alarms import TOPIC
from ..fake_cloudwatch_alarms import FakeCloudWatchAlarms
from ..fake_cloudwatch_alarms import cpu_request
from ..fake_cloudwatch_alarms import described
from ..fake_cloudwatch_alarms import math_request
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
GROUP = "/quoin/prod"
PREFIX = "quoin-prod/"
NAME = "quoin-prod"


def item(service, pattern='"ERROR"'):
    """One item of the metric_filters option."""
    transformation = {"metric_name": f"{service}-errors", "metric_namespace": "Quoin/prod", "metric_value": "1", "default_value": 0.0}
    return {"filter_name": f"{PREFIX}{service}/errors", "filter_pattern": pattern, "metric_transformations": [transformation]}


def body(*services):
    return {"widgets": [{"type": "metric", "x": 0, "y": 6 * row, "width": 6, "height": 6,
                         "properties": {"title": f"{service} - CPU %", "region": "eu-central-1", "metrics": [["AWS/ECS", "CPUUtilization"]]}}
                        for row, service in enumerate(services)]}


SITE = item("site")
CMS = item("cms")
STALE_FILTER = item("removed")
OUTSIDE_FILTER = dict(item("other"), filter_name="other/warnings")
CPU = cpu_request()
MATH = math_request()
STALE_ALARM = cpu_request(f"{PREFIX}removed/cpu")
OUTSIDE_ALARM = cpu_request("quoin-staging/site/cpu")
BODY = body("site", "cms")


class CloudWatch:
    """One CloudWatch client for both fakes: dashboard calls go to `dashboards`, the others to `alarms`.
    `journal` lists every direct call of both clients, in order, as (client, operation)."""

    DASHBOARD_CALLS = ("get_dashboard", "put_dashboard", "delete_dashboards")

    def __init__(self, journal, alarms, dashboards):
        self.journal, self.alarms, self.dashboards = journal, alarms, dashboards
        self.meta = alarms.meta

    def __getattr__(self, name):
        target = self.dashboards if name in self.DASHBOARD_CALLS else self.alarms
        method = getattr(target, name)

        def call(*args, **kwargs):
            self.journal.append(("cloudwatch", name))
            return method(*args, **kwargs)

        return call


class Logs:
    """The CloudWatch Logs fake, its direct calls written to the shared journal."""

    def __init__(self, journal, logs):
        self.journal, self.logs = journal, logs

    def __getattr__(self, name):
        method = getattr(self.logs, name)

        def call(*args, **kwargs):
            self.journal.append(("logs", name))
            return method(*args, **kwargs)

        return call


class Account:
    """What one account holds: log groups with filters, alarms, dashboards; the clients the module gets."""

    def __init__(self, filters=(), alarms=(), dashboards=None, log_groups=None, alarm_errors=None, logs_errors_on=None,
                 validation_messages=None):
        groups = {GROUP: [described_metric_filter(metric_filter_request(GROUP, i)) for i in filters]} if log_groups is None else log_groups
        self.logs = FakeLogs(groups, errors_on=logs_errors_on)
        self.alarms = FakeCloudWatchAlarms(*[described(request) for request in alarms], errors=alarm_errors)
        self.dashboards = FakeCloudWatch(dashboards, validation_messages=validation_messages)
        self.journal = []
        self.clients = {
            "logs": Logs(self.journal, self.logs),
            "cloudwatch": CloudWatch(self.journal, self.alarms, self.dashboards),
        }

    @property
    def writes(self):
        return self.logs.writes + self.alarms.writes + self.dashboards.writes

    def calls(self):
        return self.logs.calls + self.alarms.calls + self.dashboards.calls

    def state(self):
        """Everything the account holds, in canonical form."""
        return {
            "filters": {name: canonical_metric_filter(f) for group in self.logs.log_groups.values() for name, f in
                        {f["filterName"]: f for f in group}.items()},
            "alarms": {name: canonical(alarm) for name, alarm in self.alarms.alarms.items()},
            "dashboards": {name: self.dashboards.body_of(name) for name in self.dashboards.dashboards},
        }


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() on this account's clients; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda account, **args: run(account.clients, dict(AWS, log_group_name=GROUP, **args))


def everything(**changes):
    """The module's arguments for the site and cms filters, two alarms and the dashboard, under the prefix."""
    args = dict(metric_filters=[SITE, CMS], alarms=[CPU, MATH], dashboard={"name": NAME, "body": BODY}, purge_prefix=PREFIX)
    args.update(changes)
    return args


def written(account):
    """The write calls in the order they were made, across both clients."""
    writes = ("put_metric_filter", "delete_metric_filter", "put_metric_alarm", "delete_alarms", "put_dashboard", "delete_dashboards")
    return [operation for _client, operation in account.journal if operation in writes]


class TestCreate:
    def test_creates_filters_then_alarms_then_the_dashboard(self, run_module):
        account = Account()
        failed, result = run_module(account, **everything())
        assert not failed, result
        assert result["changed"] is True
        assert written(account) == ["put_metric_filter"] * 2 + ["put_metric_alarm"] * 2 + ["put_dashboard"]
        state = account.state()
        assert sorted(state["filters"]) == [CMS["filter_name"], SITE["filter_name"]]
        assert state["alarms"] == {CPU["AlarmName"]: canonical(CPU), MATH["AlarmName"]: canonical(MATH)}
        assert state["dashboards"] == {NAME: BODY}

    def test_returns_what_each_part_did_as_its_own_module_does(self, run_module):
        account = Account(filters=[CMS])
        failed, result = run_module(account, **everything())
        assert not failed, result
        filters, alarms, dashboard = result["metric_filters"], result["alarms"], result["dashboard"]
        assert filters["changed"] is True
        assert [(f["filter_name"], f["changed"]) for f in filters["metric_filters"]] == [(SITE["filter_name"], True), (CMS["filter_name"], False)]
        assert filters["deleted"] == []
        assert alarms["changed"] is True
        assert alarms["created"] == [CPU["AlarmName"], MATH["AlarmName"]]
        assert (alarms["updated"], alarms["deleted"]) == ([], [])
        assert [a["alarm_name"] for a in alarms["alarms"]] == [CPU["AlarmName"], MATH["AlarmName"]]
        assert alarms["alarms"][0]["alarm_actions"] == [TOPIC]
        assert dashboard["changed"] is True
        assert dashboard["dashboard"] == {"name": NAME, "arn": f"arn:aws:cloudwatch::123456789012:dashboard/{NAME}", "body": BODY}

    def test_without_a_dashboard_none_is_read_or_written(self, run_module):
        account = Account()
        failed, result = run_module(account, **everything(dashboard=None))
        assert not failed, result
        assert "dashboard" not in result
        assert account.dashboards.calls == []
        assert sorted(account.state()["alarms"]) == [MATH["AlarmName"], CPU["AlarmName"]]


class TestNoOp:
    def test_a_second_run_is_unchanged_and_writes_nothing_in_check_mode_too(self, run_module):
        account = Account()
        run_module(account, **everything())
        writes = len(account.writes)
        for check_mode in (True, False):
            failed, result = run_module(account, _ansible_check_mode=check_mode, _ansible_diff=True, **everything())
            assert not failed, result
            assert result["changed"] is False
            assert [result[key]["changed"] for key in ("metric_filters", "alarms", "dashboard")] == [False, False, False]
            assert [part["before"] == part["after"] for part in result["diff"]] == [True, True, True]
        assert len(account.writes) == writes

    def test_reads_each_kind_once_and_writes_nothing(self, run_module):
        account = Account(filters=[SITE, CMS], alarms=[CPU, MATH], dashboards={NAME: json.dumps(BODY)})
        failed, result = run_module(account, **everything())
        assert not failed, result
        assert result["changed"] is False
        assert account.journal == [("logs", "get_paginator"), ("cloudwatch", "get_paginator"), ("cloudwatch", "get_dashboard")]
        assert account.logs.operations() == ["describe_metric_filters"]
        # One read by prefix and one by the requested names (DescribeAlarms takes one or the other).
        assert account.alarms.operations() == ["describe_alarms", "describe_alarms"]


class TestPurge:
    def test_deletes_the_unnamed_filters_and_alarms_under_the_prefix_only(self, run_module):
        account = Account(filters=[SITE, CMS, STALE_FILTER, OUTSIDE_FILTER], alarms=[CPU, MATH, STALE_ALARM, OUTSIDE_ALARM],
                          dashboards={NAME: json.dumps(BODY)})
        failed, result = run_module(account, **everything())
        assert not failed, result
        assert result["changed"] is True
        assert result["metric_filters"]["deleted"] == [STALE_FILTER["filter_name"]]
        assert result["alarms"]["deleted"] == [STALE_ALARM["AlarmName"]]
        assert result["dashboard"]["changed"] is False
        assert written(account) == ["delete_metric_filter", "delete_alarms"]
        state = account.state()
        assert sorted(state["filters"]) == sorted([SITE["filter_name"], CMS["filter_name"], OUTSIDE_FILTER["filter_name"]])
        assert sorted(state["alarms"]) == sorted([CPU["AlarmName"], MATH["AlarmName"], OUTSIDE_ALARM["AlarmName"]])

    def test_without_a_prefix_nothing_is_deleted(self, run_module):
        account = Account(filters=[SITE, STALE_FILTER], alarms=[CPU, STALE_ALARM])
        failed, result = run_module(account, **everything(metric_filters=[SITE], alarms=[CPU], dashboard=None, purge_prefix=None))
        assert not failed, result
        assert result["changed"] is False
        assert account.writes == []


class TestCheckMode:
    def test_predicts_the_real_run_writes_nothing_and_shows_a_diff_a_part(self, run_module):
        changed_cms = item("cms", pattern='"FATAL"')
        args = everything(metric_filters=[SITE, changed_cms], alarms=[cpu_request(Threshold=95), MATH], dashboard={"name": NAME, "body": body("site")})
        account = Account(filters=[CMS, STALE_FILTER], alarms=[CPU, STALE_ALARM], dashboards={NAME: json.dumps(BODY)})
        before = account.state()
        failed, checked = run_module(account, _ansible_check_mode=True, _ansible_diff=True, **args)
        assert not failed, checked
        assert account.writes == []
        assert account.state() == before
        filters_diff, alarms_diff, dashboard_diff = checked["diff"]
        assert [d["before_header"] for d in checked["diff"]] == ["metric filters", "alarms", "dashboard"]
        assert sorted(filters_diff["before"]) == [CMS["filter_name"], STALE_FILTER["filter_name"]]
        assert sorted(filters_diff["after"]) == [CMS["filter_name"], SITE["filter_name"]]
        assert filters_diff["after"][CMS["filter_name"]]["filter_pattern"] == '"FATAL"'
        assert alarms_diff["before"][CPU["AlarmName"]]["Threshold"] == 80.0
        assert alarms_diff["after"][CPU["AlarmName"]]["Threshold"] == 95.0
        assert sorted(alarms_diff["after"]) == [MATH["AlarmName"], CPU["AlarmName"]]
        assert STALE_ALARM["AlarmName"] in alarms_diff["before"]
        assert (dashboard_diff["before"], dashboard_diff["after"]) == (BODY, body("site"))

        failed, applied = run_module(account, _ansible_diff=True, **args)
        assert not failed, applied
        for key in ("metric_filters", "dashboard"):
            assert checked[key] == applied[key]
        for key in ("changed", "created", "updated", "deleted"):
            assert checked["alarms"][key] == applied["alarms"][key]
        assert checked["diff"] == applied["diff"]
        assert account.state()["dashboards"] == {NAME: body("site")}


class TestRefused:
    @pytest.mark.parametrize(
        "changes, message",
        [
            ({"alarms": [CPU, dict(MATH, Threshhold=5)]}, f"alarms[1] ({MATH['AlarmName']}): Unknown parameter in input: \"Threshhold\""),
            ({"alarms": [dict(CPU, Period="five minutes")]}, f"alarms[0] ({CPU['AlarmName']}): Invalid type for parameter Period"),
            ({"alarms": [dict(MATH, Metrics=[{"Expression": "desired - running"}])]}, "Missing required parameter in Metrics[0]: \"Id\""),
            ({"alarms": [CPU, {"Threshold": 1}]}, "alarms[1] has no AlarmName"),
            ({"alarms": [dict(CPU, Tags=[])]}, "Tags are not managed"),
            ({"alarms": [CPU, CPU]}, f"alarms named more than once: {CPU['AlarmName']}"),
            ({"dashboard": {"name": "quoin prod", "body": BODY}}, "dashboard name 'quoin prod'"),
            ({"dashboard": {"name": NAME, "body": {"widget": []}}}, f"dashboard {NAME}: the body needs a list of widgets"),
            ({"metric_filters": [SITE, SITE]}, f"metric filters named more than once: {SITE['filter_name']}"),
            ({"purge_prefix": ""}, "purge_prefix must not be empty"),
        ],
        ids=["unknown-alarm-setting", "wrong-type", "missing-required", "no-alarm-name", "tags", "duplicate-alarms",
             "bad-dashboard-name", "body-without-widgets", "duplicate-filters", "empty-purge-prefix"],
    )
    def test_is_refused_before_any_call(self, run_module, changes, message):
        account = Account(filters=[STALE_FILTER], alarms=[STALE_ALARM])
        failed, result = run_module(account, **everything(**changes))
        assert failed
        assert message in result["msg"]
        assert account.journal == [] and account.calls() == []

    def test_names_every_problem_at_once(self, run_module):
        account = Account()
        failed, result = run_module(account, **everything(
            metric_filters=[dict(SITE, filter_name="quoin-prod/*")], alarms=[dict(CPU, Tags=[])], dashboard={"name": "", "body": BODY}))
        assert failed
        assert result["msg"] == (
            "metric_filters[0] (quoin-prod/*): the name must not be empty nor contain ':' or '*'; "
            f"alarms[0] ({CPU['AlarmName']}): Tags are not managed by this module; "
            "dashboard name '': 1 to 255 letters, digits, '-' or '_'"
        )
        assert account.calls() == []

    def test_a_missing_log_group_fails_before_any_write(self, run_module):
        account = Account(log_groups={})
        failed, result = run_module(account, **everything())
        assert failed
        assert result["msg"] == f"log group {GROUP} does not exist: create it before its metric filters"
        assert account.writes == []


class TestFailures:
    def test_an_alarm_error_names_the_filters_written_and_leaves_the_dashboard(self, run_module):
        account = Account(filters=[STALE_FILTER], alarm_errors={"put_metric_alarm": "LimitExceeded"})
        failed, result = run_module(account, **everything())
        assert failed
        assert result["msg"].startswith(
            f"Failed to put alarm {CPU['AlarmName']}; this run had already "
            f"metric filters (put: {SITE['filter_name']}, {CMS['filter_name']}; deleted: {STALE_FILTER['filter_name']}), "
            "alarms (put: none; deleted: none); not reached: dashboard"
        )
        assert result["error"]["code"] == "LimitExceeded"
        assert result["changed"] is True
        assert result["metric_filters"]["changed"] is True
        assert result["alarms"]["changed"] is False
        assert "dashboard" not in result
        assert account.dashboards.calls == [("get_dashboard", {"DashboardName": NAME})]

    def test_a_filter_error_writes_no_alarm(self, run_module):
        account = Account(logs_errors_on={"put_metric_filter": {2: "LimitExceededException"}})
        failed, result = run_module(account, **everything())
        assert failed
        assert result["msg"].startswith(
            f"Failed to put metric filter {CMS['filter_name']} in log group {GROUP}; this run had already "
            f"metric filters (put: {SITE['filter_name']}; deleted: none); not reached: alarms, dashboard"
        )
        assert [f["filter_name"] for f in result["metric_filters"]["metric_filters"]] == [SITE["filter_name"]]
        assert "alarms" not in result
        assert account.alarms.writes == [] and account.dashboards.writes == []

    def test_dashboard_validation_messages_fail_after_the_rest_is_written(self, run_module):
        messages = [{"DataPath": "/widgets/0/properties/metrics/0", "Message": "Should NOT have more than 6 items"}]
        account = Account(validation_messages=messages)
        failed, result = run_module(account, **everything())
        assert failed
        assert result["msg"].startswith(f"CloudWatch reported problems with the body of dashboard {NAME}: /widgets/0/properties/metrics/0")
        assert result["dashboard"]["validation_messages"] == [{"data_path": "/widgets/0/properties/metrics/0", "message": "Should NOT have more than 6 items"}]
        assert result["dashboard"]["changed"] is True
        assert result["changed"] is True
        assert sorted(account.state()["alarms"]) == [MATH["AlarmName"], CPU["AlarmName"]]


class TestMonitoringPlan:
    def test_takes_the_plan_as_the_role_hands_it_over(self, run_module):
        stack = {"cluster_name": "quoin-prod", "log_group_name": GROUP, "alert_topic_arn": TOPIC}
        plan = monitoring_plan(normalize_environment(copy.deepcopy(VALID)), stack, "eu-central-1")
        args = dict(metric_filters=plan["metric_filters"], alarms=plan["alarms"], dashboard=plan["dashboard"], purge_prefix=plan["prefix"])
        account = Account()
        failed, result = run_module(account, **args)
        assert not failed, result
        assert len(account.state()["alarms"]) == len(plan["alarms"])
        assert len(account.state()["filters"]) == len(plan["metric_filters"])
        assert account.state()["dashboards"] == {plan["dashboard"]["name"]: json.loads(json.dumps(plan["dashboard"]["body"]))}
        writes = len(account.writes)
        failed, result = run_module(account, _ansible_check_mode=True, **args)
        assert not failed, result
        assert result["changed"] is False
        failed, result = run_module(account, **args)
        assert not failed, result
        assert result["changed"] is False
        assert len(account.writes) == writes
