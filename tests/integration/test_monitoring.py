"""site.yml's monitoring, read back from the emulator: the encrypted alert topic and its subscriptions,
every alarm's metric, dimensions, threshold and actions, the error filters' patterns, the dashboard's
widgets, the failed-deployment rule; removing a service from the inventory removes its monitoring.

The emulator keeps its own default topic policy and never evaluates alarms or delivers events; the
rendered template's topic policy and key policy are asserted in tests/unit/test_stack_template.py."""

import json

import pytest
import yaml

from .test_deploy import REPO
from .test_deploy import SERVICES

TOPIC_NAME = "quoin-local-alerts"
KINDS = ("cpu", "memory", "running-tasks", "errors")


def alarms(aws):
    pages = aws("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix="quoin-local/")
    return {a["AlarmName"]: a for a in pages.build_full_result()["MetricAlarms"]}


def metric_filters(aws):
    found = aws("logs").describe_metric_filters(logGroupName="/quoin/local", filterNamePrefix="quoin-local/")
    return {f["filterName"]: f for f in found["metricFilters"]}


def dashboard(aws):
    return json.loads(aws("cloudwatch").get_dashboard(DashboardName="quoin-local")["DashboardBody"])


def topic_arn(aws):
    return next(t["TopicArn"] for t in aws("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{TOPIC_NAME}"))


@pytest.fixture(scope="module")
def monitored(reset_aws, playbook, aws, tmp_path_factory):
    reset_aws()
    extra = tmp_path_factory.mktemp("monitoring") / "alerts.yml"
    extra.write_text(yaml.safe_dump({
        "quoin_alerts": {"subscriptions": [{"endpoint": "ops@example.org"}, {"protocol": "https", "endpoint": "https://hooks.example.org/quoin"}]},
        "quoin_alarms": {"cpu": {"threshold": 75}},
    }))
    first = playbook("site.yml", "-i", "local", "-e", f"@{extra}")
    assert first.returncode == 0, first.output[-5000:]
    second = playbook("site.yml", "-i", "local", "-e", f"@{extra}")
    assert second.returncode == 0, second.output[-5000:]
    return first, second, extra


def test_a_second_run_changes_nothing(monitored):
    assert monitored[1].changed == 0, monitored[1].output[-5000:]


def test_the_alert_topic_is_encrypted_with_the_data_key_and_has_the_subscriptions(monitored, aws):
    arn = topic_arn(aws)
    attributes = aws("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]["Outputs"]}
    assert attributes["KmsMasterKeyId"] == outputs["DataKeyArn"]
    subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", "ops@example.org"), ("https", "https://hooks.example.org/quoin"),
    ]


def test_every_service_has_its_four_alarms_and_each_notifies_the_topic(monitored, aws):
    found = alarms(aws)
    assert sorted(found) == sorted(f"quoin-local/{s}/{k}" for s in SERVICES for k in KINDS)
    arn = topic_arn(aws)
    for alarm in found.values():
        assert alarm["AlarmActions"] == [arn], alarm["AlarmName"]
        assert alarm["OKActions"] == [arn], alarm["AlarmName"]
        assert alarm["ActionsEnabled"] is True


@pytest.mark.parametrize("service", SERVICES)
def test_cpu_and_memory_alarms(monitored, aws, service):
    found = alarms(aws)
    for kind, metric, threshold in (("cpu", "CPUUtilization", 75.0), ("memory", "MemoryUtilization", 80.0)):
        alarm = found[f"quoin-local/{service}/{kind}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/ECS", metric, "Average")
        assert sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"]) == [("ClusterName", "quoin-local"), ("ServiceName", service)]
        assert (alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (threshold, 300, 3)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_running_tasks_alarm_compares_container_insights_counts(monitored, aws):
    alarm = alarms(aws)["quoin-local/cms/running-tasks"]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    for query_id, metric in (("running", "RunningTaskCount"), ("desired", "DesiredTaskCount")):
        stat = queries[query_id]["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Period"]) == ("ECS/ContainerInsights", metric, 60)
        assert sorted((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"]) == [("ClusterName", "quoin-local"), ("ServiceName", "cms")]
    assert queries["missing"]["Expression"] == "desired - running"
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["EvaluationPeriods"]) == (0.0, "GreaterThanThreshold", 5)


def test_error_alarms_count_lines_from_a_metric_filter_per_service(monitored, aws):
    filters = metric_filters(aws)
    assert sorted(filters) == sorted(f"quoin-local/{s}/errors" for s in SERVICES)
    # The default pattern, except for the proxy, whose log lines have a format of their own (images/proxy).
    inventory = yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text())["quoin_services"]
    proxy_pattern = next(s for s in inventory if s["name"] == "proxy")["alarms"]["errors"]["pattern"]
    for service in SERVICES:
        found = filters[f"quoin-local/{service}/errors"]
        assert found["filterPattern"] == (proxy_pattern if service == "proxy" else "?ERROR ?Error ?error")
        transformation = found["metricTransformations"][0]
        assert (transformation["metricNamespace"], transformation["metricName"], transformation["metricValue"]) == (
            "Quoin/local", f"{service}-errors", "1",
        )
        alarm = alarms(aws)[f"quoin-local/{service}/errors"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == ("Quoin/local", f"{service}-errors", "Sum", 10.0)


def test_the_dashboard_has_a_row_per_service(monitored, aws):
    widgets = dashboard(aws)["widgets"]
    titles = {(w["y"], w["x"]): w["properties"]["title"] for w in widgets}
    for row, service in enumerate(SERVICES):
        assert [titles[(row * 6, x)] for x in (0, 6, 12, 18)] == [
            f"{service} - CPU %", f"{service} - memory %", f"{service} - running / desired tasks", f"{service} - errors",
        ]


def test_failed_deployments_reach_the_topic(monitored, aws):
    rule = aws("events").describe_rule(Name="quoin-local-deployment-failed")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
    assert pattern["source"] == ["aws.ecs"]
    targets = aws("events").list_targets_by_rule(Rule="quoin-local-deployment-failed")["Targets"]
    assert [t["Arn"] for t in targets] == [topic_arn(aws)]


def test_removing_a_service_removes_its_monitoring(monitored, playbook, aws, tmp_path_factory):
    services = yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text())["quoin_services"]
    kept = [s for s in services if s["name"] != "site"]
    for service in kept:
        service["talks_to"] = [t for t in service.get("talks_to", []) if t != "site"]
    extra = tmp_path_factory.mktemp("monitoring") / "without-site.yml"
    extra.write_text(yaml.safe_dump({"quoin_services": kept}))
    run = playbook("site.yml", "-i", "local", "-e", f"@{monitored[2]}", "-e", f"@{extra}")
    assert run.returncode == 0, run.output[-5000:]
    assert not [name for name in alarms(aws) if name.startswith("quoin-local/site/")]
    assert sorted(metric_filters(aws)) == ["quoin-local/cms/errors", "quoin-local/proxy/errors"]
    assert not [w for w in dashboard(aws)["widgets"] if w["properties"]["title"].startswith("site - ")]
    # The others keep theirs.
    assert len([name for name in alarms(aws) if name.startswith("quoin-local/cms/")]) == 4
