"""cloudwatchlogs_metric_filters against a stubbed CloudWatch Logs client: one paginated read of the log
group, a write only for what is new or differs (AWS's defaults are no difference), purge under a prefix,
check mode and diff mode, refused input before any call, and an AWS error part-way."""

import copy

import pytest

from ansible_collections.quoin.fargate.plugins.filter.monitoring import monitoring_plan
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import canonical_metric_filter
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import metric_filter_request
from ansible_collections.quoin.fargate.plugins.modules import cloudwatchlogs_metric_filters as module_under_test

from ..fake_cloudwatch import FakeLogs
from ..fake_cloudwatch import described_metric_filter
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
GROUP = "/quoin/prod"
PREFIX = "quoin-prod/"


def item(service, pattern='"ERROR"', **transformation):
    """One item of the module's metric_filters option; `transformation` replaces or adds settings."""
    settings = {"metric_name": f"{service}-errors", "metric_namespace": "Quoin/prod", "metric_value": "1", "default_value": 0.0}
    settings.update(transformation)
    return {"filter_name": f"{PREFIX}{service}/errors", "filter_pattern": pattern, "metric_transformations": [settings]}


def existing(*items, **fields):
    """The filters as DescribeMetricFilters lists them after PutMetricFilter with these items."""
    return [described_metric_filter(dict(metric_filter_request(GROUP, i), **fields)) for i in items]


def full(i):
    """An item with every option the argument spec fills in (unset ones None), as the module sees it."""
    settings = dict({"default_value": None, "unit": None, "dimensions": None}, **i["metric_transformations"][0])
    return dict(i, metric_transformations=[settings])


def put_request(i):
    return metric_filter_request(GROUP, full(i))


SITE = item("site")
API = item("api")
CMS = item("cms")
STALE = item("removed")
OUTSIDE = {
    "filter_name": "other/warnings",
    "filter_pattern": '"WARN"',
    "metric_transformations": [{"metric_name": "warnings", "metric_namespace": "Other", "metric_value": "1"}],
}


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda client, **args: run(client, dict(AWS, log_group_name=GROUP, **args))


def logs_with(*items, page_size=50, **kwargs):
    return FakeLogs({GROUP: existing(*[full(i) for i in items])}, page_size=page_size, **kwargs)


def canonical_in(logs):
    return {name: canonical_metric_filter(f) for name, f in logs.filters_of(GROUP).items()}


class TestCreate:
    def test_creates_each_new_filter_with_one_put(self, run_module):
        logs = FakeLogs({GROUP: []})
        failed, result = run_module(logs, metric_filters=[SITE, API])
        assert not failed, result
        assert result["changed"] is True
        assert logs.operations() == ["describe_metric_filters", "put_metric_filter", "put_metric_filter"]
        assert logs.calls[0] == ("describe_metric_filters", {"logGroupName": GROUP})
        assert logs.writes == [("put_metric_filter", put_request(SITE)), ("put_metric_filter", put_request(API))]
        assert canonical_in(logs) == {
            SITE["filter_name"]: canonical_metric_filter(put_request(SITE)),
            API["filter_name"]: canonical_metric_filter(put_request(API)),
        }
        assert result["deleted"] == []

    def test_returns_each_filter_in_input_order_snake_cased(self, run_module):
        logs = logs_with(CMS)
        failed, result = run_module(logs, metric_filters=[SITE, CMS, item("api", dimensions={"ServiceName": "$.service"}, default_value=None, unit="Count")])
        assert not failed, result
        assert [f["filter_name"] for f in result["metric_filters"]] == [SITE["filter_name"], CMS["filter_name"], f"{PREFIX}api/errors"]
        assert [f["changed"] for f in result["metric_filters"]] == [True, False, True]
        site, cms, api = result["metric_filters"]
        assert site == {
            "filter_name": SITE["filter_name"],
            "filter_pattern": '"ERROR"',
            "log_group_name": GROUP,
            "metric_transformations": [{"metric_name": "site-errors", "metric_namespace": "Quoin/prod", "metric_value": "1", "default_value": 0.0}],
            "changed": True,
        }
        # An existing filter keeps what AWS reports of it.
        assert cms["creation_time"] == 1735689600000
        assert api["metric_transformations"][0]["dimensions"] == {"ServiceName": "$.service"}
        assert api["metric_transformations"][0]["unit"] == "Count"

    def test_check_mode_predicts_the_real_run_and_writes_nothing(self, run_module):
        logs = logs_with(CMS)
        args = dict(metric_filters=[SITE, CMS], purge_prefix=PREFIX, _ansible_diff=True)
        failed, checked = run_module(logs, _ansible_check_mode=True, **args)
        assert not failed, checked
        assert logs.writes == []
        assert list(logs.filters_of(GROUP)) == [CMS["filter_name"]]
        failed, applied = run_module(logs, **args)
        assert not failed, applied
        assert checked == applied
        assert checked["changed"] is True

    def test_a_second_run_is_unchanged_and_writes_nothing(self, run_module):
        logs = FakeLogs({GROUP: []})
        run_module(logs, metric_filters=[SITE, API], purge_prefix=PREFIX)
        writes = len(logs.writes)
        for check_mode in (True, False):
            failed, result = run_module(logs, metric_filters=[SITE, API], purge_prefix=PREFIX, _ansible_check_mode=check_mode, _ansible_diff=True)
            assert not failed, result
            assert result["changed"] is False
            assert [f["changed"] for f in result["metric_filters"]] == [False, False]
            assert result["deleted"] == []
            assert result["diff"] == {"before": {}, "after": {}}
        assert len(logs.writes) == writes


class TestBatching:
    def test_30_unchanged_filters_take_one_read_and_no_write(self, run_module):
        items = [item(f"svc-{index:02d}") for index in range(30)]
        logs = logs_with(*items, OUTSIDE)
        failed, result = run_module(logs, metric_filters=items, purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is False
        assert logs.calls == [("describe_metric_filters", {"logGroupName": GROUP})]

    def test_every_page_is_read_once_without_a_prefix(self, run_module):
        items = [item(f"svc-{index:02d}") for index in range(30)]
        logs = logs_with(*items, OUTSIDE, page_size=10)
        failed, result = run_module(logs, metric_filters=items, purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is False
        assert logs.operations() == ["describe_metric_filters"] * 4
        assert all("filterNamePrefix" not in kwargs for _, kwargs in logs.calls)
        assert [kwargs.get("nextToken") for _, kwargs in logs.calls] == [None, "10", "20", "30"]

    def test_only_the_changed_one_of_30_is_written(self, run_module):
        items = [item(f"svc-{index:02d}") for index in range(30)]
        logs = logs_with(*items)
        items[17] = item("svc-17", pattern="?ERROR ?FATAL")
        failed, result = run_module(logs, metric_filters=items)
        assert not failed, result
        assert logs.writes == [("put_metric_filter", put_request(items[17]))]
        assert [index for index, f in enumerate(result["metric_filters"]) if f["changed"]] == [17]


class TestCompare:
    @pytest.mark.parametrize(
        "described",
        [
            {"unit": "None"},
            {"defaultValue": 0},
            {"applyOnTransformedLogs": False, "emitSystemFieldDimensions": [], "fieldSelectionCriteria": ""},
        ],
        ids=["unit-None", "integer-default-value", "unmanaged-defaults"],
    )
    def test_aws_defaults_are_no_change(self, run_module, described):
        current = existing(full(SITE))[0]
        transformation = current["metricTransformations"][0]
        for key in ("unit", "defaultValue"):
            if key in described:
                transformation[key] = described.pop(key)
        current.update(described)
        logs = FakeLogs({GROUP: [current]})
        failed, result = run_module(logs, metric_filters=[SITE])
        assert not failed, result
        assert result["changed"] is False
        assert logs.writes == []

    def test_dimensions_in_another_order_are_no_change(self, run_module):
        wanted = item("api", default_value=None, dimensions={"ServiceName": "$.service", "Level": "$.level"})
        current = existing(full(wanted))[0]
        current["metricTransformations"][0]["dimensions"] = {"Level": "$.level", "ServiceName": "$.service"}
        logs = FakeLogs({GROUP: [current]})
        failed, result = run_module(logs, metric_filters=[wanted])
        assert not failed, result
        assert result["changed"] is False

    @pytest.mark.parametrize(
        "current_fields, transformation_fields",
        [
            ({}, {"unit": "Count"}),
            ({}, {"defaultValue": 1.0}),
            ({"filterPattern": '"WARN"'}, {}),
            ({"applyOnTransformedLogs": True}, {}),
            ({}, {"metricValue": "$.count"}),
        ],
        ids=["unit-dropped-from-the-request", "default-value", "pattern", "unmanaged-setting-on-aws", "metric-value"],
    )
    def test_a_difference_is_written_once(self, run_module, current_fields, transformation_fields):
        current = existing(full(SITE))[0]
        current.update(current_fields)
        current["metricTransformations"][0].update(transformation_fields)
        logs = FakeLogs({GROUP: [current]})
        failed, result = run_module(logs, metric_filters=[SITE])
        assert not failed, result
        assert result["changed"] is True
        assert logs.writes == [("put_metric_filter", put_request(SITE))]


class TestDiff:
    def test_before_and_after_keyed_by_filter_name(self, run_module):
        changed_cms = item("cms", pattern='"FATAL"')
        logs = logs_with(CMS, STALE, SITE)
        failed, result = run_module(logs, metric_filters=[SITE, changed_cms, API], purge_prefix=PREFIX, _ansible_diff=True)
        assert not failed, result
        diff = result["diff"]
        assert sorted(diff["before"]) == [CMS["filter_name"], STALE["filter_name"]]
        assert sorted(diff["after"]) == [API["filter_name"], CMS["filter_name"]]
        assert diff["before"][CMS["filter_name"]]["filter_pattern"] == '"ERROR"'
        assert diff["after"][CMS["filter_name"]] == {
            "filter_name": CMS["filter_name"],
            "filter_pattern": '"FATAL"',
            "metric_transformations": [
                {"metric_name": "cms-errors", "metric_namespace": "Quoin/prod", "metric_value": "1", "default_value": 0.0, "unit": "None"}
            ],
        }
        assert diff["before"][STALE["filter_name"]]["metric_transformations"][0]["metric_name"] == "removed-errors"

    def test_no_diff_without_diff_mode(self, run_module):
        failed, result = run_module(FakeLogs({GROUP: []}), metric_filters=[SITE])
        assert not failed, result
        assert "diff" not in result


class TestPurge:
    def test_deletes_the_unnamed_filters_under_the_prefix_only(self, run_module):
        logs = logs_with(SITE, STALE, CMS, OUTSIDE)
        failed, result = run_module(logs, metric_filters=[SITE], purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is True
        assert result["deleted"] == [CMS["filter_name"], STALE["filter_name"]]
        assert logs.writes == [
            ("delete_metric_filter", {"logGroupName": GROUP, "filterName": CMS["filter_name"]}),
            ("delete_metric_filter", {"logGroupName": GROUP, "filterName": STALE["filter_name"]}),
        ]
        assert sorted(logs.filters_of(GROUP)) == sorted([SITE["filter_name"], OUTSIDE["filter_name"]])
        assert [f["changed"] for f in result["metric_filters"]] == [False]

    def test_check_mode_reports_the_deletions_and_writes_nothing(self, run_module):
        logs = logs_with(SITE, STALE)
        failed, result = run_module(logs, metric_filters=[SITE], purge_prefix=PREFIX, _ansible_check_mode=True)
        assert not failed, result
        assert result["changed"] is True
        assert result["deleted"] == [STALE["filter_name"]]
        assert logs.writes == []

    def test_without_a_prefix_nothing_is_deleted(self, run_module):
        logs = logs_with(SITE, STALE)
        failed, result = run_module(logs, metric_filters=[SITE])
        assert not failed, result
        assert result["changed"] is False
        assert result["deleted"] == []

    def test_a_named_filter_outside_the_prefix_is_managed_and_kept(self, run_module):
        logs = logs_with(OUTSIDE, STALE)
        failed, result = run_module(logs, metric_filters=[dict(OUTSIDE, filter_pattern='"WARNING"')], purge_prefix=PREFIX)
        assert not failed, result
        assert [f["changed"] for f in result["metric_filters"]] == [True]
        assert result["deleted"] == [STALE["filter_name"]]
        assert list(logs.filters_of(GROUP)) == [OUTSIDE["filter_name"]]

    def test_a_filter_already_gone_counts_as_deleted(self, run_module):
        logs = logs_with(STALE)
        original = logs.describe_metric_filters

        def describe_then_someone_deletes(**kwargs):
            answer = original(**kwargs)
            logs.log_groups[GROUP] = []
            return answer

        logs.describe_metric_filters = describe_then_someone_deletes
        failed, result = run_module(logs, purge_prefix=PREFIX)
        assert not failed, result
        assert result["deleted"] == [STALE["filter_name"]]


class TestLogGroup:
    def test_a_missing_log_group_fails_before_any_write(self, run_module):
        logs = FakeLogs({})
        failed, result = run_module(logs, metric_filters=[SITE])
        assert failed
        assert result["msg"] == f"log group {GROUP} does not exist: create it before its metric filters"
        assert logs.operations() == ["describe_metric_filters"]

    def test_a_missing_log_group_has_nothing_to_purge(self, run_module):
        logs = FakeLogs({})
        failed, result = run_module(logs, purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is False
        assert (result["metric_filters"], result["deleted"]) == ([], [])


class TestRefused:
    @pytest.mark.parametrize(
        "args, message",
        [
            ({"metric_filters": [SITE, API, item("site", pattern='"FATAL"'), API]}, f"metric filters named more than once: {API['filter_name']}, {SITE['filter_name']}"),
            ({"metric_filters": [SITE, dict(API, metric_transformations=API["metric_transformations"] * 2)]}, f"metric_filters[1] ({API['filter_name']}): metric_transformations holds 2 items"),
            ({"metric_filters": [dict(SITE, metric_transformations=[])]}, f"metric_filters[0] ({SITE['filter_name']}): metric_transformations holds 0 items"),
            ({"metric_filters": [API, item("web", dimensions={"ServiceName": "$.service"})]}, f"metric_filters[1] ({PREFIX}web/errors): default_value and dimensions are mutually exclusive"),
            ({"metric_filters": [item("web", default_value=None, dimensions={"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"})]}, "at most 3 dimensions"),
            ({"metric_filters": [dict(SITE, filter_name="quoin-prod/*")]}, "metric_filters[0] (quoin-prod/*): the name must not"),
            ({"metric_filters": [SITE], "purge_prefix": ""}, "purge_prefix must not be empty"),
            ({"metric_filters": [item("web", unit="Requests")]}, "unit"),
            ({"metric_filters": [{"filter_name": "x", "filter_pattern": ""}]}, "metric_transformations"),
            ({"metric_filters": [dict(SITE, log_group_name=GROUP)]}, "log_group_name"),
        ],
        ids=["duplicate-names", "two-transformations", "no-transformation", "default-value-and-dimensions",
             "four-dimensions", "bad-name", "empty-purge-prefix", "unknown-unit", "no-transformations-key", "unknown-key"],
    )
    def test_is_refused_before_any_call(self, run_module, args, message):
        logs = logs_with(SITE, STALE)
        failed, result = run_module(logs, **args)
        assert failed
        assert message in result["msg"]
        assert logs.calls == []


class TestFailures:
    def test_a_read_error_fails_before_any_write(self, run_module):
        logs = FakeLogs({GROUP: []}, errors={"describe_metric_filters": "AccessDeniedException"})
        failed, result = run_module(logs, metric_filters=[SITE], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith("Failed to describe metric filters")
        assert logs.writes == []

    def test_a_put_error_part_way_names_the_filter_and_what_was_done(self, run_module):
        logs = logs_with(CMS, STALE, errors_on={"put_metric_filter": {2: "LimitExceededException"}})
        failed, result = run_module(logs, metric_filters=[SITE, CMS, API, item("web")], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith(
            f"Failed to put metric filter {API['filter_name']} in log group {GROUP}; this run had already put: {SITE['filter_name']}; deleted: none"
        )
        assert result["error"]["code"] == "LimitExceededException"
        assert result["changed"] is True
        assert [(f["filter_name"], f["changed"]) for f in result["metric_filters"]] == [(SITE["filter_name"], True), (CMS["filter_name"], False)]
        assert result["deleted"] == []
        # Nothing after the failure: neither the next put nor the purge.
        assert logs.operations() == ["describe_metric_filters", "put_metric_filter", "put_metric_filter"]
        assert STALE["filter_name"] in logs.filters_of(GROUP)

    def test_a_delete_error_part_way_returns_every_filter_and_the_deletions_done(self, run_module):
        old = [item(f"old-{index}") for index in range(3)]
        logs = logs_with(SITE, *old, errors_on={"delete_metric_filter": {2: "OperationAbortedException"}})
        failed, result = run_module(logs, metric_filters=[SITE], purge_prefix=PREFIX)
        assert failed
        assert result["msg"].startswith(
            f"Failed to delete metric filter {old[1]['filter_name']} in log group {GROUP}; this run had already put: none; "
            f"deleted: {old[0]['filter_name']}"
        )
        assert result["deleted"] == [old[0]["filter_name"]]
        assert [f["filter_name"] for f in result["metric_filters"]] == [SITE["filter_name"]]
        assert result["changed"] is True


class TestMonitoringPlan:
    def test_takes_the_plans_filters_as_they_are(self, run_module):
        """What the monitoring role hands over: the plan's filters, unchanged."""
        alarms = {
            kind: {"enabled": False, "evaluation_periods": 1, "period": 60, "threshold": 1}
            for kind in ("cpu", "memory", "running_tasks")
        }
        model = {
            "environment": "prod",
            "services": [
                {"name": name, "alarms": dict(copy.deepcopy(alarms), errors={"enabled": True, "pattern": '"ERROR"', "evaluation_periods": 1, "period": 60, "threshold": 1})}
                for name in ("site", "api")
            ],
        }
        stack = {"cluster_name": "quoin-prod", "alert_topic_arn": "arn:aws:sns:eu-central-1:123456789012:alerts", "log_group_name": GROUP}
        handed = monitoring_plan(model, stack, "eu-central-1")["metric_filters"]
        logs = FakeLogs({GROUP: []})
        failed, result = run_module(logs, metric_filters=handed, purge_prefix=PREFIX)
        assert not failed, result
        assert len(logs.writes) == 2
        failed, result = run_module(logs, metric_filters=handed, purge_prefix=PREFIX)
        assert not failed, result
        assert result["changed"] is False
