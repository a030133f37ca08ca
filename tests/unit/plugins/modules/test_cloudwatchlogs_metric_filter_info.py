"""cloudwatchlogs_metric_filter_info against a stubbed CloudWatch Logs client: every page read, the
prefix passed to the API, the snake_cased shape (dimension names kept), and a missing log group as an
empty list."""

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import normalize_metric_filter
from ansible_collections.quoin.fargate.plugins.modules import cloudwatchlogs_metric_filter_info as module_under_test

from ..fake_cloudwatch import FakeLogs
from ..fake_cloudwatch import metric_filter
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
GROUP = "/quoin/prod"
NAMES = ["quoin-prod/api/errors", "quoin-prod/cms/errors", "quoin-prod/web/errors", "quoin-prod/worker/errors", "quoin-dev/web/errors"]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda client, **args: run(client, dict(AWS, **args))


@pytest.fixture
def logs():
    """Five filters on the group, answered two a page."""
    return FakeLogs({GROUP: [metric_filter(name) for name in NAMES], "/quoin/dev": []}, page_size=2)


def names(result):
    assert result["changed"] is False
    return [f["filter_name"] for f in result["metric_filters"]]


class TestNormalize:
    def test_snake_cases_all_but_dimension_names(self):
        found = metric_filter("quoin-prod/web/errors", dimensions={"ServiceName": "$.service", "LogLevel": "$.level"})
        assert normalize_metric_filter(found) == {
            "filter_name": "quoin-prod/web/errors",
            "filter_pattern": '"ERROR"',
            "creation_time": 1735689600000,
            "log_group_name": GROUP,
            "metric_transformations": [
                {
                    "metric_name": "errors",
                    "metric_namespace": "Quoin",
                    "metric_value": "1",
                    "unit": "Count",
                    "dimensions": {"ServiceName": "$.service", "LogLevel": "$.level"},
                }
            ],
        }

    def test_default_value(self):
        found = metric_filter("quoin-prod/web/errors", default_value=0.0)
        assert normalize_metric_filter(found)["metric_transformations"][0]["default_value"] == 0.0


class TestList:
    def test_reads_every_page(self, run_module, logs):
        failed, result = run_module(logs, log_group_name=GROUP)
        assert not failed, result
        assert names(result) == sorted(NAMES)
        assert logs.calls == [
            ("describe_metric_filters", {"logGroupName": GROUP}),
            ("describe_metric_filters", {"logGroupName": GROUP, "nextToken": "2"}),
            ("describe_metric_filters", {"logGroupName": GROUP, "nextToken": "4"}),
        ]

    def test_the_prefix_goes_to_the_api_on_every_page(self, run_module, logs):
        failed, result = run_module(logs, log_group_name=GROUP, filter_name_prefix="quoin-prod/")
        assert not failed, result
        assert names(result) == sorted(NAMES[:4])
        assert [kwargs.get("filterNamePrefix") for _, kwargs in logs.calls] == ["quoin-prod/", "quoin-prod/"]

    def test_a_prefix_no_filter_has(self, run_module, logs):
        failed, result = run_module(logs, log_group_name=GROUP, filter_name_prefix="quoin-test/")
        assert not failed, result
        assert names(result) == []

    def test_returns_the_whole_filter(self, run_module):
        logs = FakeLogs({GROUP: [metric_filter("quoin-prod/web/errors", pattern="?ERROR ?FATAL", dimensions={"ServiceName": "$.service"})]})
        failed, result = run_module(logs, log_group_name=GROUP)
        assert not failed, result
        (found,) = result["metric_filters"]
        assert found["filter_pattern"] == "?ERROR ?FATAL"
        assert found["log_group_name"] == GROUP
        assert found["metric_transformations"][0]["dimensions"] == {"ServiceName": "$.service"}

    def test_a_log_group_without_filters(self, run_module, logs):
        failed, result = run_module(logs, log_group_name="/quoin/dev")
        assert not failed, result
        assert names(result) == []

    def test_a_missing_log_group_is_an_empty_list(self, run_module, logs):
        failed, result = run_module(logs, log_group_name="/quoin/missing", filter_name_prefix="quoin-prod/")
        assert not failed, result
        assert names(result) == []

    def test_other_errors_fail(self, run_module):
        failed, result = run_module(FakeLogs({GROUP: []}, errors={"describe_metric_filters": "AccessDeniedException"}), log_group_name=GROUP)
        assert failed
        assert result["msg"].startswith("Failed to describe metric filters")

    def test_check_mode_lists_too(self, run_module, logs):
        failed, result = run_module(logs, log_group_name=GROUP, filter_name_prefix="quoin-dev/", _ansible_check_mode=True)
        assert not failed, result
        assert names(result) == ["quoin-dev/web/errors"]

    def test_log_group_name_is_required(self, run_module, logs):
        failed, result = run_module(logs)
        assert failed
        assert "log_group_name" in result["msg"]
        assert logs.calls == []
