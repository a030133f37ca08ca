"""scheduler_schedule against a stubbed EventBridge Scheduler client: the full definition it sends,
what it compares once AWS's defaults are filled in (a rerun changes nothing), what an update carries
over that the parameters do not set, check mode, diff mode, deletion, and the errors it reports."""

import datetime

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import definition_changes
from ansible_collections.quoin.fargate.plugins.module_utils.scheduler import input_text
from ansible_collections.quoin.fargate.plugins.modules import scheduler_schedule as module_under_test

from ..fake_scheduler import CLUSTER_ARN
from ..fake_scheduler import FakeScheduler
from ..fake_scheduler import ROLE_ARN
from ..fake_scheduler import TASK_DEFINITION_ARN
from ..fake_scheduler import schedule
from ..fake_scheduler import schedule_arn
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
# What schedule() describes, as parameters (subnets in another order): asking for it changes nothing.
NETWORK = {"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"]}
TARGET = {
    "arn": CLUSTER_ARN,
    "role_arn": ROLE_ARN,
    "ecs_parameters": {"task_definition_arn": TASK_DEFINITION_ARN, "network_configuration": NETWORK},
}
ARGS = dict(AWS, name="backup", schedule_expression="cron(0 3 * * ? *)", target=TARGET)
# The CreateSchedule request ARGS make, AWS's defaults spelled out.
CREATE_REQUEST = {
    "Name": "backup",
    "GroupName": "default",
    "ScheduleExpression": "cron(0 3 * * ? *)",
    "ScheduleExpressionTimezone": "UTC",
    "State": "ENABLED",
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "Target": {
        "Arn": CLUSTER_ARN,
        "RoleArn": ROLE_ARN,
        "EcsParameters": {
            "TaskDefinitionArn": TASK_DEFINITION_ARN,
            "TaskCount": 1,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "awsvpcConfiguration": {"Subnets": ["subnet-b", "subnet-a"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}
            },
        },
    },
}


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


def target(**ecs):
    """TARGET with these ecs_parameters changed."""
    return dict(TARGET, ecs_parameters=dict(TARGET["ecs_parameters"], **ecs))


def updates(scheduler):
    return [kwargs for operation, kwargs in scheduler.writes if operation == "update_schedule"]


class TestCreate:
    def test_check_mode_predicts_without_writing(self, run_module):
        scheduler = FakeScheduler()
        failed, result = run_module(scheduler, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert result["changes"] == ["create schedule backup in group default"]
        assert scheduler.writes == []
        assert scheduler.schedules == {}
        predicted = result["schedule"]
        assert "arn" not in predicted
        assert predicted["state"] == "ENABLED"
        assert predicted["schedule_expression_timezone"] == "UTC"
        # AWS's retry policy for a schedule created without one.
        assert predicted["target"]["retry_policy"] == {"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185}
        assert predicted["target"]["ecs_parameters"]["network_configuration"]["awsvpc_configuration"]["assign_public_ip"] == "DISABLED"
        assert result["diff"]["before"] == {}
        assert result["diff"]["after"]["name"] == "backup"

    def test_the_request_is_the_full_definition_with_the_defaults(self, run_module):
        scheduler = FakeScheduler()
        failed, result = run_module(scheduler, ARGS)
        assert not failed, result
        assert scheduler.writes == [("create_schedule", CREATE_REQUEST)]
        assert result["changed"] is True
        assert result["schedule"]["arn"] == schedule_arn("backup")
        assert result["schedule"]["target"]["ecs_parameters"]["task_count"] == 1
        assert result["schedule"]["creation_date"] == "2025-01-31T12:00:00+00:00"

    def test_create_then_nothing_to_do(self, run_module):
        scheduler = FakeScheduler()
        run_module(scheduler, ARGS)
        failed, result = run_module(scheduler, dict(ARGS, _ansible_diff=True))
        assert not failed, result
        assert (result["changed"], result["changes"]) == (False, [])
        assert result["diff"]["before"] == result["diff"]["after"]
        assert len(scheduler.writes) == 1

    def test_every_option_reaches_the_request(self, run_module):
        scheduler = FakeScheduler()
        args = dict(
            ARGS,
            group_name="backups",
            schedule_expression_timezone="Europe/Berlin",
            description="Nightly EFS backup",
            enabled=False,
            flexible_time_window={"mode": "FLEXIBLE", "maximum_window_in_minutes": 15},
            kms_key_arn="arn:aws:kms:eu-central-1:123456789012:key/1234",
            target=dict(
                TARGET,
                input={"containerOverrides": [{"name": "backup", "environment": [{"name": "MODE", "value": "nightly"}]}]},
                retry_policy={"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
                ecs_parameters=dict(
                    TARGET["ecs_parameters"],
                    task_count=2,
                    platform_version="1.4.0",
                    enable_ecs_managed_tags=True,
                    propagate_tags="TASK_DEFINITION",
                    network_configuration=dict(NETWORK, assign_public_ip="ENABLED"),
                ),
            ),
        )
        scheduler.groups.add("backups")
        failed, result = run_module(scheduler, args)
        assert not failed, result
        (operation, request), = scheduler.writes
        assert operation == "create_schedule"
        assert request["GroupName"] == "backups"
        assert request["ScheduleExpressionTimezone"] == "Europe/Berlin"
        assert request["Description"] == "Nightly EFS backup"
        assert request["State"] == "DISABLED"
        assert request["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
        assert request["KmsKeyArn"] == "arn:aws:kms:eu-central-1:123456789012:key/1234"
        assert request["Target"]["Input"] == '{"containerOverrides":[{"environment":[{"name":"MODE","value":"nightly"}],"name":"backup"}]}'
        assert request["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
        assert request["Target"]["EcsParameters"] == {
            "TaskDefinitionArn": TASK_DEFINITION_ARN,
            "TaskCount": 2,
            "LaunchType": "FARGATE",
            "PlatformVersion": "1.4.0",
            "EnableECSManagedTags": True,
            "PropagateTags": "TASK_DEFINITION",
            "NetworkConfiguration": {
                "awsvpcConfiguration": {"Subnets": ["subnet-b", "subnet-a"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "ENABLED"}
            },
        }
        failed, again = run_module(scheduler, args)
        assert (failed, again["changed"]) == (False, False), again

    def test_a_missing_group_fails_with_aws_message(self, run_module):
        failed, result = run_module(FakeScheduler(), dict(ARGS, group_name="nope"))
        assert failed
        assert result["msg"].startswith("Failed to create the schedule")
        assert "Schedule group nope does not exist." in result["msg"]


class TestCompare:
    def test_the_schedule_aws_reports_matches_the_parameters(self, run_module):
        # Subnets in another order, AWS's retry policy and action after completion filled in.
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, ARGS)
        assert not failed, result
        assert (result["changed"], result["changes"]) == (False, [])
        assert scheduler.writes == []
        assert scheduler.operations() == ["get_schedule"]

    def test_omitted_defaults_on_aws_side_count_as_the_defaults(self):
        bare = schedule()
        for key in ("ScheduleExpressionTimezone", "State", "ActionAfterCompletion"):
            del bare[key]
        del bare["Target"]["RetryPolicy"]
        del bare["Target"]["EcsParameters"]["TaskCount"]
        del bare["Target"]["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"]
        assert definition_changes(bare, schedule()) == []

    def test_the_input_is_compared_as_json(self, run_module):
        scheduler = FakeScheduler(schedule(Target=dict(schedule()["Target"], Input='{ "a": 1, "b": [1, 2] }')))
        failed, result = run_module(scheduler, dict(ARGS, target=dict(TARGET, input={"b": [1, 2], "a": 1})))
        assert (failed, result["changed"]) == (False, False), result
        failed, result = run_module(scheduler, dict(ARGS, target=dict(TARGET, input='{"a":1,"b":[1,2]}')))
        assert (failed, result["changed"]) == (False, False), result
        failed, result = run_module(scheduler, dict(ARGS, target=dict(TARGET, input={"a": 2})))
        assert (failed, result["changed"]) == (False, True), result
        assert result["changes"] == ['Target.Input from {"a": 1, "b": [1, 2]} to {"a": 2}']
        assert updates(scheduler)[0]["Target"]["Input"] == '{"a":2}'

    def test_input_text(self):
        assert input_text(None) is None
        assert input_text("not json") == "not json"
        assert input_text({"b": 1, "a": [True]}) == '{"a":[true],"b":1}'


class TestUpdate:
    def test_check_mode_predicts_without_writing(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(
            scheduler, dict(ARGS, schedule_expression="rate(1 day)", target=target(task_count=2), _ansible_check_mode=True, _ansible_diff=True)
        )
        assert not failed, result
        assert result["changed"] is True
        assert result["changes"] == ["ScheduleExpression from cron(0 3 * * ? *) to rate(1 day)", "Target.EcsParameters.TaskCount from 1 to 2"]
        assert scheduler.writes == []
        assert scheduler.get() == schedule()
        assert result["schedule"]["arn"] == schedule_arn("backup")
        assert result["schedule"]["schedule_expression"] == "rate(1 day)"
        assert result["diff"]["before"]["target"]["ecs_parameters"]["task_count"] == 1
        assert result["diff"]["after"]["target"]["ecs_parameters"]["task_count"] == 2
        assert "last_modification_date" not in result["diff"]["after"]

    def test_one_update_with_the_full_definition(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(ARGS, schedule_expression="rate(1 day)", target=target(task_count=2)))
        assert not failed, result
        (request,) = updates(scheduler)
        expected = dict(CREATE_REQUEST, ScheduleExpression="rate(1 day)", ActionAfterCompletion="NONE")
        expected["Target"] = dict(
            CREATE_REQUEST["Target"],
            RetryPolicy={"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
            EcsParameters=dict(CREATE_REQUEST["Target"]["EcsParameters"], TaskCount=2),
        )
        assert request == expected
        assert result["schedule"]["target"]["ecs_parameters"]["task_count"] == 2
        assert result["schedule"]["last_modification_date"] == "2025-02-01T12:00:00+00:00"
        failed, again = run_module(scheduler, dict(ARGS, schedule_expression="rate(1 day)", target=target(task_count=2)))
        assert (failed, again["changed"]) == (False, False), again

    def test_disable_and_enable(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(ARGS, enabled=False))
        assert (failed, result["changes"]) == (False, ["State from ENABLED to DISABLED"]), result
        assert scheduler.get()["State"] == "DISABLED"
        failed, result = run_module(scheduler, dict(ARGS, enabled=False))
        assert (failed, result["changed"]) == (False, False)
        failed, result = run_module(scheduler, ARGS)
        assert (failed, result["changes"]) == (False, ["State from DISABLED to ENABLED"]), result

    def test_what_the_parameters_leave_out_is_carried_over(self, run_module):
        start = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)
        current = schedule(Description="kept", KmsKeyArn="arn:aws:kms:eu-central-1:123456789012:key/1", StartDate=start)
        current["Target"].update(
            Input='{"a":1}',
            RetryPolicy={"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2},
            DeadLetterConfig={"Arn": "arn:aws:sqs:eu-central-1:123456789012:dlq"},
        )
        current["Target"]["EcsParameters"].update(PlatformVersion="1.4.0", Tags=[{"team": "ops"}])
        scheduler = FakeScheduler(current)
        failed, result = run_module(scheduler, dict(ARGS, target=target(task_count=3)))
        assert not failed, result
        assert result["changes"] == ["Target.EcsParameters.TaskCount from 1 to 3"]
        (request,) = updates(scheduler)
        assert request["Description"] == "kept"
        assert request["KmsKeyArn"] == "arn:aws:kms:eu-central-1:123456789012:key/1"
        assert request["StartDate"] == start
        assert request["Target"]["Input"] == '{"a":1}'
        assert request["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
        assert request["Target"]["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:eu-central-1:123456789012:dlq"}
        assert request["Target"]["EcsParameters"]["PlatformVersion"] == "1.4.0"
        assert request["Target"]["EcsParameters"]["Tags"] == [{"team": "ops"}]

    def test_a_partial_retry_policy_keeps_the_other_value(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(ARGS, target=dict(TARGET, retry_policy={"maximum_retry_attempts": 3})))
        assert not failed, result
        assert result["changes"] == ["Target.RetryPolicy.MaximumRetryAttempts from 185 to 3"]
        assert scheduler.get()["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 3}

    def test_security_groups_left_out_are_kept(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(ARGS, target=target(network_configuration={"subnets": ["subnet-a"]})))
        assert not failed, result
        assert result["changes"] == ['Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.Subnets from ["subnet-a", "subnet-b"] to ["subnet-a"]']
        awsvpc = scheduler.get()["Target"]["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]
        assert awsvpc == {"Subnets": ["subnet-a"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}

    def test_an_empty_description_removes_it(self, run_module):
        scheduler = FakeScheduler(schedule(Description="old"))
        failed, result = run_module(scheduler, dict(ARGS, description=""))
        assert not failed, result
        assert result["changes"] == ["Description from old to "]
        assert "Description" not in updates(scheduler)[0]
        failed, result = run_module(scheduler, dict(ARGS, description=""))
        assert (failed, result["changed"]) == (False, False)

    def test_a_flexible_window_needs_its_length(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(ARGS, flexible_time_window={"mode": "FLEXIBLE"}))
        assert failed
        assert "maximum_window_in_minutes" in result["msg"]
        failed, result = run_module(scheduler, dict(ARGS, flexible_time_window={"mode": "FLEXIBLE", "maximum_window_in_minutes": 30}))
        assert not failed, result
        assert result["changes"] == ["FlexibleTimeWindow.MaximumWindowInMinutes from unset to 30", "FlexibleTimeWindow.Mode from OFF to FLEXIBLE"]
        # Back to OFF drops the window's length, as the API requires.
        failed, result = run_module(scheduler, ARGS)
        assert not failed, result
        assert scheduler.get()["FlexibleTimeWindow"] == {"Mode": "OFF"}


class TestDelete:
    def test_delete(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(AWS, name="backup", state="absent", _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert result["changes"] == ["delete schedule backup from group default"]
        assert scheduler.writes == [("delete_schedule", {"Name": "backup", "GroupName": "default"})]
        assert result["schedule"] == {}
        assert result["diff"]["before"]["name"] == "backup"
        assert result["diff"]["after"] == {}

    def test_check_mode_deletes_nothing(self, run_module):
        scheduler = FakeScheduler(schedule())
        failed, result = run_module(scheduler, dict(AWS, name="backup", state="absent", _ansible_check_mode=True))
        assert (failed, result["changed"]) == (False, True)
        assert scheduler.writes == []

    @pytest.mark.parametrize("group", ["default", "missing"])
    def test_nothing_to_delete(self, run_module, group):
        scheduler = FakeScheduler()
        failed, result = run_module(scheduler, dict(AWS, name="backup", group_name=group, state="absent"))
        assert (failed, result["changed"], result["schedule"]) == (False, False, {})
        assert scheduler.writes == []


class TestErrors:
    def test_aws_errors_fail_with_the_call_named(self, run_module):
        failed, result = run_module(FakeScheduler(errors={"get_schedule": "AccessDeniedException"}), ARGS)
        assert failed
        assert result["msg"].startswith("Failed to get the schedule")
        assert result["error"]["code"] == "AccessDeniedException"

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"target": None}, "state is present but all of the following are missing: target"),
            ({"schedule_expression": None}, "state is present but all of the following are missing: schedule_expression"),
            ({"target": {"arn": CLUSTER_ARN}}, "missing required arguments: role_arn found in target"),
        ],
    )
    def test_argument_checks(self, run_module, args, message):
        scheduler = FakeScheduler()
        failed, result = run_module(scheduler, {key: value for key, value in dict(ARGS, **args).items() if value is not None})
        assert failed
        assert message in result["msg"]
        assert scheduler.calls == []
