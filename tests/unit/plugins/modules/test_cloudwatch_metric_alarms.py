"""cloudwatch_metric_alarms against a stubbed CloudWatch client: creation, update and purge, what check
mode reports without writing, diff mode, a second run unchanged, refused input, batches of 100 names,
and API errors as failures."""

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch_alarms import canonical
from ansible_collections.quoin.fargate.plugins.modules import cloudwatch_metric_alarms as module_under_test

from ..fake_cloudwatch_alarms import TOPIC
from ..fake_cloudwatch_alarms import FakeCloudWatchAlarms
from ..fake_cloudwatch_alarms import alarm_arn
from ..fake_cloudwatch_alarms import client_error
from ..fake_cloudwatch_alarms import cpu_request
from ..fake_cloudwatch_alarms import described
from ..fake_cloudwatch_alarms import math_request
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
PREFIX = "quoin-prod/"
CPU = cpu_request()
MATH = math_request()
STALE = cpu_request(f"{PREFIX}removed-service/cpu")
OUTSIDE = cpu_request("quoin-staging/site/cpu")


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda client, **args: run(client, dict(AWS, **args))


def existing(*requests):
    return FakeCloudWatchAlarms(*[described(request) for request in requests])


def stored(cw):
    """The alarms the fake holds, in canonical form, by name."""
    return {name: canonical(alarm) for name, alarm in cw.alarms.items()}


class TestCreate:
    def test_creates_a_plain_and_a_metric_math_alarm(self, run_module):
        cw = FakeCloudWatchAlarms()
        failed, result = run_module(cw, alarms=[CPU, MATH])
        assert not failed, result
        assert result["changed"] is True
        assert result["created"] == [CPU["AlarmName"], MATH["AlarmName"]]
        assert result["updated"] == [] and result["deleted"] == []
        assert cw.writes == [("put_metric_alarm", CPU), ("put_metric_alarm", MATH)]
        assert stored(cw) == {CPU["AlarmName"]: canonical(CPU), MATH["AlarmName"]: canonical(MATH)}

    def test_returns_the_alarms_as_aws_describes_them_snake_cased(self, run_module):
        cw = FakeCloudWatchAlarms()
        failed, result = run_module(cw, alarms=[MATH, CPU])
        assert not failed, result
        assert [alarm["alarm_name"] for alarm in result["alarms"]] == [MATH["AlarmName"], CPU["AlarmName"]]
        cpu = result["alarms"][1]
        assert cpu["alarm_arn"] == alarm_arn(CPU["AlarmName"])
        assert cpu["threshold"] == 80.0
        assert cpu["treat_missing_data"] == "missing"
        assert cpu["alarm_actions"] == [TOPIC]
        math = result["alarms"][0]
        assert [query["id"] for query in math["metrics"]] == ["rate", "errors", "requests"]
        assert math["metrics"][1]["metric_stat"]["period"] == 60

    def test_check_mode_reports_and_writes_nothing(self, run_module):
        cw = FakeCloudWatchAlarms()
        failed, result = run_module(cw, alarms=[CPU, MATH], _ansible_check_mode=True, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["created"] == [CPU["AlarmName"], MATH["AlarmName"]]
        assert result["alarms"] == []
        assert result["diff"] == {"before": {}, "after": {CPU["AlarmName"]: canonical(CPU), MATH["AlarmName"]: canonical(MATH)}}
        assert cw.writes == []
        assert cw.alarms == {}

    def test_a_second_run_is_unchanged_and_writes_nothing(self, run_module):
        cw = FakeCloudWatchAlarms()
        run_module(cw, alarms=[CPU, MATH], purge_prefix=PREFIX)
        writes = len(cw.writes)
        for check_mode in (True, False):
            failed, result = run_module(cw, alarms=[CPU, MATH], purge_prefix=PREFIX, _ansible_check_mode=check_mode, _ansible_diff=True)
            assert not failed, result
            assert result["changed"] is False
            assert (result["created"], result["updated"], result["deleted"]) == ([], [], [])
            assert result["diff"] == {"before": {}, "after": {}}
            assert len(result["alarms"]) == 2
        assert len(cw.writes) == writes

    def test_aws_orderings_and_defaults_are_no_change(self, run_module):
        request = cpu_request(AlarmActions=[TOPIC, f"{TOPIC}-2"], ActionsEnabled=True, TreatMissingData="missing")
        current = described(
            cpu_request(AlarmActions=[f"{TOPIC}-2", TOPIC]),
            Dimensions=list(reversed(CPU["Dimensions"])),
        )
        cw = FakeCloudWatchAlarms(current)
        failed, result = run_module(cw, alarms=[request])
        assert not failed, result
        assert result["changed"] is False
        assert cw.writes == []


class TestUpdate:
    def test_updates_only_what_differs_naming_the_settings(self, run_module):
        cw = existing(CPU, MATH)
        changed_math = math_request(period=300, Threshold=10)
        failed, result = run_module(cw, alarms=[CPU, changed_math], _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["created"] == [] and result["deleted"] == []
        assert result["updated"] == [{"name": MATH["AlarmName"], "changed_settings": ["Metrics", "Threshold"]}]
        assert cw.writes == [("put_metric_alarm", changed_math)]
        assert result["diff"] == {"before": {MATH["AlarmName"]: canonical(MATH)}, "after": {MATH["AlarmName"]: canonical(changed_math)}}
        assert result["alarms"][1]["threshold"] == 10.0
        assert result["alarms"][1]["metrics"][1]["metric_stat"]["period"] == 300

    def test_a_dropped_setting_is_removed(self, run_module):
        cw = existing(cpu_request(Unit="Percent"))
        failed, result = run_module(cw, alarms=[CPU])
        assert not failed, result
        assert result["updated"] == [{"name": CPU["AlarmName"], "changed_settings": ["Unit"]}]
        assert "Unit" not in cw.alarms[CPU["AlarmName"]]

    def test_check_mode_reports_the_update_and_writes_nothing(self, run_module):
        cw = existing(CPU)
        failed, result = run_module(cw, alarms=[cpu_request(Threshold=95)], _ansible_check_mode=True, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["updated"] == [{"name": CPU["AlarmName"], "changed_settings": ["Threshold"]}]
        assert result["diff"]["before"][CPU["AlarmName"]]["Threshold"] == 80.0
        assert result["diff"]["after"][CPU["AlarmName"]]["Threshold"] == 95.0
        # The alarms as they were.
        assert result["alarms"][0]["threshold"] == 80.0
        assert cw.writes == []
        assert cw.alarms[CPU["AlarmName"]]["Threshold"] == 80.0


class TestPurge:
    def test_deletes_the_unnamed_alarms_under_the_prefix_only(self, run_module):
        cw = existing(CPU, MATH, STALE, OUTSIDE)
        failed, result = run_module(cw, alarms=[CPU], purge_prefix=PREFIX, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        # Sorted by name.
        assert result["deleted"] == [STALE["AlarmName"], MATH["AlarmName"]]
        assert cw.writes == [("delete_alarms", {"AlarmNames": [STALE["AlarmName"], MATH["AlarmName"]]})]
        assert sorted(cw.alarms) == [CPU["AlarmName"], OUTSIDE["AlarmName"]]
        assert result["diff"] == {"before": {MATH["AlarmName"]: canonical(MATH), STALE["AlarmName"]: canonical(STALE)}, "after": {}}

        failed, result = run_module(cw, alarms=[CPU], purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is False
        assert len(cw.writes) == 1

    def test_check_mode_reports_the_deletions_and_writes_nothing(self, run_module):
        cw = existing(CPU, STALE, OUTSIDE)
        failed, result = run_module(cw, alarms=[CPU], purge_prefix=PREFIX, _ansible_check_mode=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["deleted"] == [STALE["AlarmName"]]
        assert cw.writes == []
        assert len(cw.alarms) == 3

    def test_a_named_alarm_outside_the_prefix_is_managed_and_kept(self, run_module):
        cw = existing(CPU, OUTSIDE)
        changed_outside = cpu_request(OUTSIDE["AlarmName"], Threshold=70)
        failed, result = run_module(cw, alarms=[changed_outside], purge_prefix=PREFIX)
        assert not failed, result
        assert result["updated"] == [{"name": OUTSIDE["AlarmName"], "changed_settings": ["Threshold"]}]
        assert result["deleted"] == [CPU["AlarmName"]]
        assert list(cw.alarms) == [OUTSIDE["AlarmName"]]

    def test_without_a_prefix_nothing_is_deleted_nor_read_by_prefix(self, run_module):
        cw = existing(CPU, STALE)
        failed, result = run_module(cw, alarms=[CPU])
        assert not failed, result
        assert result["changed"] is False
        assert result["deleted"] == []
        assert all("AlarmNamePrefix" not in kwargs for _, kwargs in cw.calls)

    def test_no_alarms_and_a_prefix_removes_all_under_it(self, run_module):
        cw = existing(CPU, STALE, OUTSIDE)
        failed, result = run_module(cw, purge_prefix=PREFIX)
        assert not failed, result
        assert result["deleted"] == [STALE["AlarmName"], CPU["AlarmName"]]
        assert result["alarms"] == []
        assert list(cw.alarms) == [OUTSIDE["AlarmName"]]


class TestManyAlarms:
    def test_more_than_100_names_are_described_and_deleted_in_batches(self, run_module):
        kept = [cpu_request(f"{PREFIX}svc-{index:03d}/cpu") for index in range(150)]
        stale = [cpu_request(f"{PREFIX}old-{index:03d}/cpu") for index in range(120)]
        cw = FakeCloudWatchAlarms(*[described(request) for request in kept[:140] + stale], page_size=100)
        failed, result = run_module(cw, alarms=kept, purge_prefix=PREFIX)
        assert not failed, result
        assert result["created"] == [request["AlarmName"] for request in kept[140:]]
        assert result["deleted"] == [request["AlarmName"] for request in stale]
        by_name = [len(kwargs["AlarmNames"]) for operation, kwargs in cw.calls if operation == "describe_alarms" and "AlarmNames" in kwargs]
        # Before: 150 names; after the writes: 150 names again.
        assert by_name == [100, 50, 100, 50]
        deletes = [kwargs["AlarmNames"] for operation, kwargs in cw.writes if operation == "delete_alarms"]
        assert [len(names) for names in deletes] == [100, 20]
        assert sorted(cw.alarms) == sorted(request["AlarmName"] for request in kept)
        assert len(result["alarms"]) == 150


class TestRefused:
    @pytest.mark.parametrize(
        "args, message",
        [
            ({"alarms": [CPU, MATH, cpu_request(Threshold=1), math_request()]}, f"alarms named more than once: {MATH['AlarmName']}, {CPU['AlarmName']}"),
            ({"alarms": [CPU], "purge_prefix": ""}, "purge_prefix must not be empty"),
            ({"alarms": [CPU, {"Namespace": "AWS/ECS"}]}, "alarms[1] has no AlarmName"),
            ({"alarms": [cpu_request(Tags=[{"Key": "a", "Value": "b"}])]}, "Tags are not managed"),
            ({"alarms": [CPU, cpu_request("quoin-prod/api/cpu", Treshold=1)]}, 'alarms[1] (quoin-prod/api/cpu): Unknown parameter in input: "Treshold"'),
            ({"alarms": [cpu_request(EvaluationPeriods="3")]}, f"alarms[0] ({CPU['AlarmName']}): Invalid type for parameter EvaluationPeriods"),
        ],
        ids=["duplicate-names", "empty-purge-prefix", "no-name", "tags", "unknown-setting", "wrong-type"],
    )
    def test_is_refused_before_any_call(self, run_module, args, message):
        cw = existing(CPU, STALE)
        failed, result = run_module(cw, **args)
        assert failed
        assert message in result["msg"]
        assert cw.calls == []


class TestFailures:
    def test_a_read_error_fails_before_any_write(self, run_module):
        cw = FakeCloudWatchAlarms(errors={"describe_alarms": "AccessDenied"})
        failed, result = run_module(cw, alarms=[CPU], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith("Failed to describe alarms")
        assert result["error"]["code"] == "AccessDenied"
        assert cw.writes == []

    def test_a_rejected_alarm_fails_with_the_api_error(self, run_module):
        cw = FakeCloudWatchAlarms(errors={"put_metric_alarm": "LimitExceeded"})
        failed, result = run_module(cw, alarms=[CPU])
        assert failed
        assert result["msg"].startswith("Failed to put alarm")
        assert result["error"]["code"] == "LimitExceeded"

    def test_a_put_error_part_way_names_the_alarm_and_what_was_done(self, run_module):
        cw = FakeCloudWatchAlarms(described(STALE))
        put = cw.put_metric_alarm

        def refuse_the_math_alarm(**kwargs):
            if kwargs["AlarmName"] == MATH["AlarmName"]:
                raise client_error("LimitExceeded", "PutMetricAlarm")
            return put(**kwargs)

        cw.put_metric_alarm = refuse_the_math_alarm
        failed, result = run_module(cw, alarms=[CPU, MATH], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith(f"Failed to put alarm {MATH['AlarmName']}; this run had already put: {CPU['AlarmName']}; deleted: none")
        assert (result["created"], result["deleted"], result["changed"]) == ([CPU["AlarmName"]], [], True)
        # Nothing after the failure: the purge did not run.
        assert STALE["AlarmName"] in cw.alarms

    def test_a_delete_error_fails(self, run_module):
        cw = FakeCloudWatchAlarms(described(STALE), errors={"delete_alarms": "AccessDenied"})
        failed, result = run_module(cw, alarms=[], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith("Failed to delete alarms")
