"""cloudwatch_dashboard against a stubbed CloudWatch client: bodies compared as data (key order and
whitespace are no change), what check mode predicts without writing, diff mode, validation messages
and API errors as failures, and deletion that changes once."""

import json

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import canonical_body
from ansible_collections.quoin.fargate.plugins.modules import cloudwatch_dashboard as module_under_test

from ..fake_cloudwatch import FakeCloudWatch
from ..fake_cloudwatch import dashboard_arn
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
NAME = "quoin-prod"
WIDGET = {
    "type": "metric",
    "x": 0,
    "y": 0,
    "width": 12,
    "height": 6,
    "properties": {
        "title": "web: CPU %",
        "region": "eu-central-1",
        "metrics": [["AWS/ECS", "CPUUtilization", "ClusterName", "quoin-prod", "ServiceName", "web"]],
        "stat": "Average",
        "period": 300,
    },
}
BODY = {"widgets": [WIDGET]}
# BODY as another client would have stored it: keys in another order, indented.
STORED = json.dumps({"widgets": [dict(reversed(list(WIDGET.items())))]}, indent=4)
OTHER_BODY = {"widgets": [WIDGET, dict(WIDGET, y=6, properties=dict(WIDGET["properties"], title="web: memory %"))]}


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda client, **args: run(client, dict(AWS, **args))


def existing(body=STORED):
    return FakeCloudWatch({NAME: body})


class TestCanonicalBody:
    def test_goes_through_json(self):
        assert canonical_body({"a": (1, 2), "b": {"c": None}}) == {"a": [1, 2], "b": {"c": None}}

    def test_key_order_does_not_count(self):
        assert canonical_body(BODY) == json.loads(STORED)


class TestPresent:
    def test_creates_the_dashboard(self, run_module):
        cw = FakeCloudWatch()
        failed, result = run_module(cw, name=NAME, body=BODY)
        assert not failed, result
        assert result["changed"] is True
        assert result["dashboard"] == {"name": NAME, "arn": dashboard_arn(NAME), "body": BODY}
        assert cw.writes == [("put_dashboard", {"DashboardName": NAME, "DashboardBody": json.dumps(BODY, sort_keys=True, separators=(",", ":"))})]
        assert cw.body_of(NAME) == BODY

    def test_check_mode_predicts_and_writes_nothing(self, run_module):
        cw = FakeCloudWatch()
        failed, result = run_module(cw, name=NAME, body=BODY, _ansible_check_mode=True, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["dashboard"] == {"name": NAME, "arn": None, "body": BODY}
        assert result["diff"] == {"before": {}, "after": BODY}
        assert cw.writes == []
        assert cw.dashboards == {}

    def test_same_body_in_another_key_order_and_whitespace_is_unchanged(self, run_module):
        cw = existing()
        for check_mode in (True, False):
            failed, result = run_module(cw, name=NAME, body=BODY, _ansible_check_mode=check_mode, _ansible_diff=True)
            assert not failed, result
            assert result["changed"] is False
            assert result["dashboard"] == {"name": NAME, "arn": dashboard_arn(NAME), "body": BODY}
            assert result["diff"] == {"before": BODY, "after": BODY}
        assert cw.writes == []
        assert cw.dashboards[NAME] == STORED

    def test_a_body_given_as_json_text_is_compared_as_data(self, run_module):
        cw = existing()
        failed, result = run_module(cw, name=NAME, body=json.dumps(BODY))
        assert not failed, result
        assert result["changed"] is False

    def test_a_rerun_after_creating_is_unchanged(self, run_module):
        cw = FakeCloudWatch()
        run_module(cw, name=NAME, body=BODY)
        failed, result = run_module(cw, name=NAME, body=BODY)
        assert not failed, result
        assert result["changed"] is False
        assert cw.operations() == ["get_dashboard", "put_dashboard", "get_dashboard", "get_dashboard"]

    def test_replaces_a_different_body_with_a_diff(self, run_module):
        cw = existing()
        failed, result = run_module(cw, name=NAME, body=OTHER_BODY, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["diff"] == {"before": BODY, "after": OTHER_BODY}
        assert result["dashboard"]["body"] == OTHER_BODY
        assert cw.body_of(NAME) == OTHER_BODY

    def test_check_mode_predicts_a_replacement(self, run_module):
        cw = existing()
        failed, result = run_module(cw, name=NAME, body=OTHER_BODY, _ansible_check_mode=True, _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["dashboard"] == {"name": NAME, "arn": dashboard_arn(NAME), "body": OTHER_BODY}
        assert result["diff"] == {"before": BODY, "after": OTHER_BODY}
        assert cw.writes == []
        assert cw.dashboards[NAME] == STORED

    def test_a_value_of_another_type_is_a_change(self, run_module):
        cw = existing(json.dumps({"widgets": [], "start": "-PT3H"}))
        failed, result = run_module(cw, name=NAME, body={"widgets": [], "start": "-PT6H"})
        assert not failed, result
        assert result["changed"] is True

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"name": "quoin prod", "body": BODY}, "dashboard name 'quoin prod': 1 to 255 letters, digits, '-' or '_'"),
            ({"name": "q" * 256, "state": "absent"}, "1 to 255 letters"),
            ({"name": NAME, "body": {"widget": [WIDGET]}}, f"dashboard {NAME}: the body needs a list of widgets"),
        ],
        ids=["space-in-name", "name-too-long", "no-widgets"],
    )
    def test_is_refused_before_any_call(self, run_module, args, message):
        cw = existing()
        failed, result = run_module(cw, **args)
        assert failed
        assert message in result["msg"]
        assert cw.calls == []

    def test_body_is_required_when_present(self, run_module):
        cw = FakeCloudWatch()
        failed, result = run_module(cw, name=NAME)
        assert failed
        assert "body" in result["msg"]
        assert cw.calls == []


class TestFailures:
    def test_validation_messages_fail_with_the_messages(self, run_module):
        messages = [{"DataPath": "/widgets/0/properties/metrics/0", "Message": "Should NOT have more than 6 items"}]
        cw = FakeCloudWatch(validation_messages=messages)
        failed, result = run_module(cw, name=NAME, body=BODY)
        assert failed
        assert result["validation_messages"] == [{"data_path": "/widgets/0/properties/metrics/0", "message": "Should NOT have more than 6 items"}]
        assert "/widgets/0/properties/metrics/0: Should NOT have more than 6 items" in result["msg"]
        # CloudWatch stored it (the messages were warnings), so the run changed something.
        assert result["changed"] is True

    def test_a_rejected_body_fails_with_the_api_error(self, run_module):
        cw = FakeCloudWatch(errors={"put_dashboard": "InvalidParameterInput"})
        failed, result = run_module(cw, name=NAME, body=BODY)
        assert failed
        assert result["msg"].startswith("Failed to put dashboard")
        assert result["error"]["code"] == "InvalidParameterInput"

    def test_a_read_error_fails_before_any_write(self, run_module):
        cw = FakeCloudWatch(errors={"get_dashboard": "AccessDenied"})
        failed, result = run_module(cw, name=NAME, body=BODY)
        assert failed
        assert result["msg"].startswith("Failed to get dashboard")
        assert cw.writes == []


class TestAbsent:
    def test_deletes_once(self, run_module):
        cw = existing()
        failed, result = run_module(cw, name=NAME, state="absent", _ansible_diff=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["dashboard"] is None
        assert result["diff"] == {"before": BODY, "after": {}}
        assert cw.writes == [("delete_dashboards", {"DashboardNames": [NAME]})]
        assert cw.dashboards == {}

        failed, result = run_module(cw, name=NAME, state="absent")
        assert not failed, result
        assert result["changed"] is False
        assert len(cw.writes) == 1

    def test_check_mode_predicts_the_deletion(self, run_module):
        cw = existing()
        failed, result = run_module(cw, name=NAME, state="absent", _ansible_check_mode=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["dashboard"] is None
        assert cw.writes == []
        assert NAME in cw.dashboards

    def test_a_missing_dashboard_is_unchanged_and_needs_no_body(self, run_module):
        cw = FakeCloudWatch({"other": "{}"})
        for check_mode in (True, False):
            failed, result = run_module(cw, name=NAME, state="absent", _ansible_check_mode=check_mode)
            assert not failed, result
            assert result["changed"] is False
        assert cw.writes == []
        assert list(cw.dashboards) == ["other"]

    def test_a_dashboard_deleted_meanwhile_is_not_an_error(self, run_module):
        cw = FakeCloudWatch({NAME: STORED}, errors={"delete_dashboards": "ResourceNotFound"})
        failed, result = run_module(cw, name=NAME, state="absent")
        assert not failed, result
        assert result["dashboard"] is None

    def test_a_delete_error_fails(self, run_module):
        cw = FakeCloudWatch({NAME: STORED}, errors={"delete_dashboards": "AccessDenied"})
        failed, result = run_module(cw, name=NAME, state="absent")
        assert failed
        assert result["msg"].startswith("Failed to delete dashboard")
