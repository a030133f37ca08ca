"""The CloudWatch alarm layer: the canonical form requests and DescribeAlarms answers are compared in
(AWS's defaults and orderings are no change, a dropped or changed setting is), the plan of creations,
updates and purges, and the API calls' batching, paging, retries and errors against a stubbed client."""

import copy

import pytest

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import AnsibleCloudWatchAlarmError
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import canonical
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import delete_alarms
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import describe_alarms
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import differences
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import plan
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import put_alarm

from ..fake_cloudwatch_alarms import OTHER_TOPIC
from ..fake_cloudwatch_alarms import TOPIC
from ..fake_cloudwatch_alarms import FakeCloudWatchAlarms
from ..fake_cloudwatch_alarms import cpu_request
from ..fake_cloudwatch_alarms import described
from ..fake_cloudwatch_alarms import math_request

PREFIX = "quoin-prod/"


@pytest.fixture
def sleeps(monkeypatch):
    """AWSRetry's back-off sleeps, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(cloud.time, "sleep", slept.append)
    return slept


def names(count, prefix=PREFIX):
    return [f"{prefix}alarm-{index:03d}" for index in range(count)]


class TestCanonical:
    def test_aws_defaults_are_no_difference(self):
        # DescribeAlarms fills in ActionsEnabled, TreatMissingData=missing, empty action lists and
        # ReturnData=true; the requests left them out.
        for request in (cpu_request(), math_request()):
            assert differences(described(request), request) == []

    def test_the_defaults_spelled_out_are_no_difference(self):
        request = cpu_request(ActionsEnabled=True, TreatMissingData="missing", InsufficientDataActions=[], AlarmDescription="")
        assert differences(described(cpu_request()), request) == []

    def test_return_data_true_in_a_metric_query_is_the_default(self):
        request = math_request()
        request["Metrics"][0]["ReturnData"] = True
        assert canonical(request) == canonical(math_request())
        assert canonical(request)["Metrics"][0]["ReturnData"] is True

    def test_return_data_false_is_a_difference(self):
        request = math_request()
        request["Metrics"][0]["ReturnData"] = False
        assert differences(described(math_request()), request) == ["Metrics"]

    def test_dimension_order_is_no_difference(self):
        current = described(cpu_request(), Dimensions=[{"Name": "ServiceName", "Value": "site"}, {"Name": "ClusterName", "Value": "quoin-prod"}])
        assert differences(current, cpu_request()) == []

    def test_dimension_order_in_a_metric_query_is_no_difference(self):
        dimensions = [{"Name": "LoadBalancer", "Value": "app/x/1"}, {"Name": "AvailabilityZone", "Value": "eu-central-1a"}]
        request = math_request()
        request["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"] = dimensions
        current = described(math_request())
        current["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"] = list(reversed(dimensions))
        assert differences(current, request) == []

    def test_a_dimension_value_is_compared_as_text(self):
        request = cpu_request(Dimensions=[{"Name": "Port", "Value": 8080}])
        assert differences(described(cpu_request(Dimensions=[{"Name": "Port", "Value": "8080"}])), request) == []

    def test_action_order_is_no_difference(self):
        current = described(cpu_request(AlarmActions=[OTHER_TOPIC, TOPIC]))
        assert differences(current, cpu_request(AlarmActions=[TOPIC, OTHER_TOPIC])) == []

    def test_an_integer_threshold_equals_the_float_aws_returns(self):
        current = described(cpu_request())
        assert current["Threshold"] == 80.0 and isinstance(current["Threshold"], float)
        assert differences(current, cpu_request(Threshold=80)) == []
        assert canonical(cpu_request(Threshold=80))["Threshold"] == 80.0

    def test_a_changed_threshold_is_a_difference(self):
        assert differences(described(cpu_request()), cpu_request(Threshold=90)) == ["Threshold"]

    def test_a_dropped_unit_is_a_difference(self):
        current = described(cpu_request(Unit="Percent"))
        assert differences(current, cpu_request()) == ["Unit"]

    def test_a_dropped_unit_in_a_metric_query_is_a_difference(self):
        current = described(math_request())
        current["Metrics"][1]["MetricStat"]["Unit"] = "Count"
        assert differences(current, math_request()) == ["Metrics"]

    def test_a_changed_metric_query_period_is_a_difference(self):
        assert differences(described(math_request(period=60)), math_request(period=300)) == ["Metrics"]

    def test_a_dropped_action_is_a_difference(self):
        current = described(cpu_request())
        request = cpu_request()
        del request["OKActions"]
        assert differences(current, request) == ["OKActions"]

    def test_disabled_actions_and_another_missing_data_treatment_are_differences(self):
        request = cpu_request(ActionsEnabled=False, TreatMissingData="notBreaching")
        assert differences(described(cpu_request()), request) == ["ActionsEnabled", "TreatMissingData"]

    def test_several_differences_are_named_sorted(self):
        request = math_request(period=300, Threshold=10, AlarmDescription="5xx rate")
        assert differences(described(math_request()), request) == ["AlarmDescription", "Metrics", "Threshold"]

    def test_what_aws_reports_besides_the_settings_is_left_out(self):
        result = canonical(described(cpu_request(), StateValue="ALARM", StateReason="Threshold crossed"))
        assert result == {
            "AlarmName": "quoin-prod/site/cpu",
            "AlarmDescription": "",
            "ActionsEnabled": True,
            "OKActions": [TOPIC],
            "AlarmActions": [TOPIC],
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/ECS",
            "Statistic": "Average",
            "Dimensions": [{"Name": "ClusterName", "Value": "quoin-prod"}, {"Name": "ServiceName", "Value": "site"}],
            "Period": 300,
            "EvaluationPeriods": 3,
            "Threshold": 80.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "missing",
        }

    def test_the_input_is_not_changed(self):
        request = math_request(Dimensions=[{"Name": "B", "Value": 1}, {"Name": "A", "Value": "2"}])
        kept = copy.deepcopy(request)
        canonical(request)
        assert request == kept


class TestPlan:
    def test_creates_what_is_missing_and_updates_what_differs(self):
        current = [described(cpu_request()), described(math_request())]
        new = cpu_request(f"{PREFIX}site/memory", MetricName="MemoryUtilization")
        create, update, delete = plan(current, [cpu_request(Threshold=90), math_request(), new])
        assert create == [new]
        assert update == [(cpu_request(Threshold=90), ["Threshold"])]
        assert delete == []

    def test_nothing_to_do(self):
        assert plan([described(cpu_request())], [cpu_request()], PREFIX) == ([], [], [])

    def test_without_a_prefix_nothing_is_deleted(self):
        current = [described(cpu_request()), described(cpu_request(f"{PREFIX}old"))]
        assert plan(current, [cpu_request()]) == ([], [], [])

    def test_purges_only_under_the_prefix(self):
        current = [
            described(cpu_request()),
            described(cpu_request(f"{PREFIX}web/cpu")),
            described(cpu_request(f"{PREFIX}api/cpu")),
            described(cpu_request("quoin-staging/web/cpu")),
            described(cpu_request("quoin-prod-legacy")),
        ]
        assert plan(current, [cpu_request()], PREFIX)[2] == [f"{PREFIX}api/cpu", f"{PREFIX}web/cpu"]

    def test_never_purges_an_alarm_the_request_names(self):
        current = [described(cpu_request()), described(math_request())]
        create, update, delete = plan(current, [cpu_request(Threshold=1), math_request()], PREFIX)
        assert delete == []
        assert [request["AlarmName"] for request, _ in update] == [cpu_request()["AlarmName"]]

    def test_an_alarm_named_outside_the_prefix_is_managed_but_not_purged(self):
        outside = cpu_request("quoin-shared/cpu")
        create, update, delete = plan([described(outside)], [cpu_request("quoin-shared/cpu", Threshold=5)], PREFIX)
        assert (create, delete) == ([], [])
        assert update == [(cpu_request("quoin-shared/cpu", Threshold=5), ["Threshold"])]

    def test_an_empty_request_list_purges_everything_under_the_prefix(self):
        current = [described(cpu_request()), described(math_request()), described(cpu_request("other/cpu"))]
        assert plan(current, [], PREFIX) == ([], [], [math_request()["AlarmName"], cpu_request()["AlarmName"]])


class TestDescribeAlarms:
    def test_by_prefix_through_all_pages(self):
        cw = FakeCloudWatchAlarms(*[described(cpu_request(name)) for name in names(120) + ["other/cpu"]], page_size=50)
        found = describe_alarms(cw, prefix=PREFIX)
        assert [alarm["AlarmName"] for alarm in found] == names(120)
        assert cw.operations() == ["describe_alarms"] * 3
        assert all(kwargs["AlarmTypes"] == ["MetricAlarm"] for _, kwargs in cw.calls)

    def test_names_in_batches_of_100(self):
        cw = FakeCloudWatchAlarms(*[described(cpu_request(name)) for name in names(250)], page_size=100)
        wanted = names(250)[::-1] + [f"{PREFIX}missing"]
        found = describe_alarms(cw, names=wanted)
        assert [alarm["AlarmName"] for alarm in found] == names(250)
        assert [len(kwargs["AlarmNames"]) for _, kwargs in cw.calls] == [100, 100, 51]

    def test_prefix_and_names_together_once_each_sorted(self):
        cw = FakeCloudWatchAlarms(described(cpu_request()), described(math_request()), described(cpu_request("shared/cpu")))
        found = describe_alarms(cw, names=["shared/cpu", cpu_request()["AlarmName"]], prefix=PREFIX)
        assert [alarm["AlarmName"] for alarm in found] == ["quoin-prod/site/5xx-rate", "quoin-prod/site/cpu", "shared/cpu"]
        assert [sorted(kwargs) for _, kwargs in cw.calls] == [["AlarmNamePrefix", "AlarmTypes"], ["AlarmNames", "AlarmTypes"]]

    def test_nothing_asked_nothing_read(self):
        cw = FakeCloudWatchAlarms(described(cpu_request()))
        assert describe_alarms(cw, names=[]) == []
        assert cw.calls == []

    def test_throttling_is_retried(self, sleeps):
        cw = FakeCloudWatchAlarms(described(cpu_request()), throttled={"describe_alarms": [1, 2]})
        assert [alarm["AlarmName"] for alarm in describe_alarms(cw, prefix=PREFIX)] == [cpu_request()["AlarmName"]]
        assert len(sleeps) == 2

    def test_an_error_is_raised_with_its_cause(self):
        cw = FakeCloudWatchAlarms(errors={"describe_alarms": "AccessDenied"})
        with pytest.raises(AnsibleCloudWatchAlarmError) as raised:
            describe_alarms(cw, prefix=PREFIX)
        assert raised.value.message == "Failed to describe alarms"
        assert raised.value.exception.response["Error"]["Code"] == "AccessDenied"


class TestPutAlarm:
    def test_sends_the_request_as_given(self):
        cw = FakeCloudWatchAlarms()
        request = math_request()
        kept = copy.deepcopy(request)
        put_alarm(cw, request)
        assert cw.writes == [("put_metric_alarm", kept)]
        assert request == kept
        assert differences(cw.alarms[request["AlarmName"]], request) == []

    def test_an_error_is_raised_with_its_cause(self):
        cw = FakeCloudWatchAlarms(errors={"put_metric_alarm": "LimitExceeded"})
        with pytest.raises(AnsibleCloudWatchAlarmError) as raised:
            put_alarm(cw, cpu_request())
        assert raised.value.message == "Failed to put alarm"
        assert raised.value.exception.response["Error"]["Code"] == "LimitExceeded"


class TestDeleteAlarms:
    def test_in_batches_of_100(self):
        cw = FakeCloudWatchAlarms(*[described(cpu_request(name)) for name in names(230)])
        assert delete_alarms(cw, names(230)) is True
        assert [len(kwargs["AlarmNames"]) for _, kwargs in cw.writes] == [100, 100, 30]
        assert cw.alarms == {}

    def test_a_throttled_batch_is_retried_alone(self, sleeps):
        cw = FakeCloudWatchAlarms(*[described(cpu_request(name)) for name in names(150)], throttled={"delete_alarms": [2]})
        assert delete_alarms(cw, names(150)) is True
        # The second batch failed once and was sent again; the first, already deleted, was not.
        assert [kwargs["AlarmNames"][0] for _, kwargs in cw.writes] == [names(150)[0], names(150)[100], names(150)[100]]
        assert cw.alarms == {}
        assert len(sleeps) == 1

    def test_an_error_is_raised_with_its_cause(self):
        cw = FakeCloudWatchAlarms(errors={"delete_alarms": "AccessDenied"})
        with pytest.raises(AnsibleCloudWatchAlarmError) as raised:
            delete_alarms(cw, ["quoin-prod/old"])
        assert raised.value.message == "Failed to delete alarms"
