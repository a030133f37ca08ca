"""The monitoring plan: every alarm's metric, dimensions, threshold and actions, the error filters and the
dashboard, as the monitoring role sends them (the integration tests read the same back from the emulator)."""

import copy

import pytest

from ansible_collections.quoin.fargate.plugins.filter.monitoring import monitoring_plan
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_environment_model import VALID

TOPIC = "arn:aws:sns:eu-central-1:123456789012:quoin-prod-alerts"
STACK = {"cluster_name": "quoin-prod", "log_group_name": "/quoin/prod", "alert_topic_arn": TOPIC}


def plan(**changes):
    raw = copy.deepcopy(VALID)
    raw.update(changes)
    return monitoring_plan(normalize_environment(raw), STACK, "eu-central-1")


@pytest.fixture
def alarms():
    return {alarm["AlarmName"]: alarm for alarm in plan()["alarms"]}


def test_four_alarms_per_service_all_under_the_environment_prefix(alarms):
    assert sorted(alarms) == sorted(
        f"quoin-prod/{service}/{kind}" for service in ("site", "cms", "proxy") for kind in ("cpu", "memory", "running-tasks", "errors")
    )
    assert plan()["prefix"] == "quoin-prod/"


def test_every_alarm_notifies_the_topic_also_when_it_clears(alarms):
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [TOPIC] and alarm["OKActions"] == [TOPIC]
        assert alarm["ActionsEnabled"] is True


def test_cpu_and_memory_alarms_read_the_services_utilization(alarms):
    cpu, memory = alarms["quoin-prod/cms/cpu"], alarms["quoin-prod/cms/memory"]
    for alarm, metric in ((cpu, "CPUUtilization"), (memory, "MemoryUtilization")):
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/ECS", metric, "Average")
        assert alarm["Dimensions"] == [{"Name": "ClusterName", "Value": "quoin-prod"}, {"Name": "ServiceName", "Value": "cms"}]
        assert (alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (80.0, 300, 3)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_running_tasks_below_desired_is_metric_math_on_container_insights(alarms):
    alarm = alarms["quoin-prod/site/running-tasks"]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    assert queries["running"]["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert queries["running"]["MetricStat"]["Metric"]["MetricName"] == "RunningTaskCount"
    assert queries["desired"]["MetricStat"]["Metric"]["MetricName"] == "DesiredTaskCount"
    assert queries["missing"]["Expression"] == "desired - running" and queries["missing"]["ReturnData"] is True
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (0.0, "GreaterThanThreshold", "breaching")
    assert "MetricName" not in alarm and "Namespace" not in alarm


def test_errors_are_counted_per_service_by_a_filter_on_the_shared_log_group(alarms):
    filters = {f["filter_name"]: f for f in plan()["metric_filters"]}
    assert sorted(filters) == ["quoin-prod/cms/errors", "quoin-prod/proxy/errors", "quoin-prod/site/errors"]
    site = filters["quoin-prod/site/errors"]
    assert site["filter_pattern"] == "?ERROR ?Error ?error"
    assert site["metric_transformations"] == [{
        "metric_name": "site-errors", "metric_namespace": "Quoin/prod", "metric_value": "1", "default_value": 0.0,
    }]
    alarm = alarms["quoin-prod/site/errors"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == ("Quoin/prod", "site-errors", "Sum", 10.0)


def test_inventory_settings_and_disabled_kinds():
    raw = copy.deepcopy(VALID)
    raw["alarms"] = {"cpu": {"threshold": 70}}
    raw["services"][1]["alarms"] = {"cpu": {"threshold": 95, "period": 60, "evaluation_periods": 5}, "errors": {"enabled": False}}
    result = monitoring_plan(normalize_environment(raw), STACK, "eu-central-1")
    alarms = {alarm["AlarmName"]: alarm for alarm in result["alarms"]}
    assert alarms["quoin-prod/site/cpu"]["Threshold"] == 70.0
    assert (alarms["quoin-prod/cms/cpu"]["Threshold"], alarms["quoin-prod/cms/cpu"]["Period"]) == (95.0, 60)
    assert "quoin-prod/cms/errors" not in alarms
    assert "quoin-prod/cms/errors" not in [f["filter_name"] for f in result["metric_filters"]]


def test_the_dashboard_has_one_row_per_service():
    dashboard = plan()["dashboard"]
    assert dashboard["name"] == "quoin-prod"
    widgets = dashboard["body"]["widgets"]
    assert len(widgets) == 3 * 4
    rows = {}
    for widget in widgets:
        rows.setdefault(widget["y"], []).append(widget)
    assert sorted(rows) == [0, 6, 12]
    cms = sorted(rows[6], key=lambda w: w["x"])
    assert [w["properties"]["title"] for w in cms] == ["cms - CPU %", "cms - memory %", "cms - running / desired tasks", "cms - errors"]
    assert cms[0]["properties"]["metrics"] == [["AWS/ECS", "CPUUtilization", "ClusterName", "quoin-prod", "ServiceName", "cms"]]
    assert cms[3]["properties"]["metrics"] == [["Quoin/prod", "cms-errors"]]


def test_a_removed_service_leaves_nothing_in_the_plan():
    raw = copy.deepcopy(VALID)
    raw["services"] = [s for s in raw["services"] if s["name"] != "site"]
    raw["services"][1]["talks_to"] = ["cms"]
    result = monitoring_plan(normalize_environment(raw), STACK, "eu-central-1")
    names = [a["AlarmName"] for a in result["alarms"]] + [f["filter_name"] for f in result["metric_filters"]]
    assert not [name for name in names if "/site/" in name]
    assert not [w for w in result["dashboard"]["body"]["widgets"] if w["properties"]["title"].startswith("site - ")]
