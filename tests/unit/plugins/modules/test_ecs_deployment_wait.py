"""ecs_deployment_wait and its ECS layer against a stubbed client: the verdict on one service's
deployments, batches of at most ten services per DescribeServices call, every pending service polled in
each round, and the failure message for rolled back, failed, timed out and missing services."""

import copy
import datetime

import pytest
from botocore.exceptions import ClientError

from ansible_collections.quoin.fargate.plugins.module_utils import ecs_deployment
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import AnsibleECSDeploymentError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import failure_message
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import judge_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import task_definition_matches
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import task_definition_problem
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import wait_for_deployments
from ansible_collections.quoin.fargate.plugins.modules import ecs_deployment_wait as module_under_test
from ..fake_time import FakeTime
from ..module_runner import module_runner

ACCOUNT = "123456789012"
REGION = "eu-central-1"
CLUSTER = "quoin-test"
REASON_FAILED = "ECS deployment circuit breaker: tasks failed to start."


def td(revision, family="site"):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def deployment(task_definition, state, status="PRIMARY", running=1, desired=1, reason=None, failed=0):
    return {
        "id": f"ecs-svc/{abs(hash((task_definition, state, status))) % 10**12}",
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": desired - running,
        "failedTasks": failed,
        "rolloutState": state,
        "rolloutStateReason": reason or f"ECS deployment {state.lower()}.",
    }


def event(minute, message):
    return {
        "id": f"event-{minute}",
        "createdAt": datetime.datetime(2025, 1, 31, 10, minute, tzinfo=datetime.timezone.utc),
        "message": message,
    }


def service(name, *deployments, events=(), status="ACTIVE", running=1, desired=1, controller="ECS"):
    """A service as DescribeServices returns it; deployments and events newest first."""
    return {
        "serviceName": name,
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{name}",
        "status": status,
        "runningCount": running,
        "desiredCount": desired,
        "taskDefinition": deployments[0]["taskDefinition"] if deployments else None,
        "deploymentController": {"type": controller},
        "deployments": list(deployments),
        "events": list(events),
    }


def done(name, revision=2):
    return service(name, deployment(td(revision, name), "COMPLETED"))


def rolling(name, revision=2):
    return service(
        name,
        deployment(td(revision, name), "IN_PROGRESS", running=0),
        deployment(td(revision - 1, name), "COMPLETED", status="ACTIVE"),
    )


ROLLBACK_EVENTS = [
    event(6, "(service site) has reached a steady state."),
    event(5, "(service site) (deployment ecs-svc/3) deployment completed."),
    event(4, "(service site) rolling back to deployment ecs-svc/1."),
    event(3, "(service site) (deployment ecs-svc/2) deployment failed: tasks failed to start."),
    event(2, "(service site) (deployment ecs-svc/2) 3 tasks failed to start."),
    event(1, "(service site) (deployment ecs-svc/2) deployment started with task definition site:2."),
]


def rolled_back(name="site"):
    return service(
        name,
        deployment(td(1, name), "COMPLETED"),
        deployment(td(2, name), "FAILED", status="ACTIVE", running=0, failed=3, reason=REASON_FAILED),
        events=ROLLBACK_EVENTS,
    )


class FakeECS:
    """DescribeServices from a script: timeline[name] lists what each successive poll of that service
    returns (the last one repeats; None = ECS does not know it). Records every call and refuses more
    than ten services per call, as ECS does. `clock` advances by every sleep."""

    def __init__(self, timeline, missing_cluster=False, stopped=(), task_definitions=None):
        self.timeline = {name: list(states) for name, states in timeline.items()}
        self.polled = {name: 0 for name in timeline}
        self.missing_cluster = missing_cluster
        self.calls = []
        # Stopped tasks as DescribeTasks returns them, and the container definitions of their task definitions.
        self.stopped = list(stopped)
        self.task_definitions = dict(task_definitions or {})
        self.operations = []

    def list_tasks(self, cluster, serviceName, desiredStatus, **kwargs):
        self.operations.append("list_tasks")
        assert desiredStatus == "STOPPED"
        return {"taskArns": [task["taskArn"] for task in self.stopped if task["group"] == f"service:{serviceName}"]}

    def describe_tasks(self, cluster, tasks):
        self.operations.append("describe_tasks")
        return {"tasks": [copy.deepcopy(task) for task in self.stopped if task["taskArn"] in tasks]}

    def describe_task_definition(self, taskDefinition):
        self.operations.append("describe_task_definition")
        return {"taskDefinition": {"taskDefinitionArn": taskDefinition, "containerDefinitions": self.task_definitions[taskDefinition]}}

    def describe_services(self, cluster, services, **kwargs):
        self.calls.append(list(services))
        if self.missing_cluster:
            raise ClientError({"Error": {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}}, "DescribeServices")
        if len(services) > 10:
            raise ClientError({"Error": {"Code": "InvalidParameterException", "Message": "too many"}}, "DescribeServices")
        found, failures = [], []
        for name in services:
            states = self.timeline.get(name, [None])
            state = states[min(self.polled.get(name, 0), len(states) - 1)]
            self.polled[name] = self.polled.get(name, 0) + 1
            if state is None:
                failures.append({"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{name}", "reason": "MISSING"})
            else:
                found.append(copy.deepcopy(state))
        return {"services": found, "failures": failures}


class FakeLogs:
    """GetLogEvents on streams[(group, stream)] (oldest first); a stream not there is ResourceNotFoundException,
    `denied` makes every call AccessDeniedException."""

    def __init__(self, streams=None, denied=False):
        self.streams = dict(streams or {})
        self.denied = denied
        self.calls = []

    def get_log_events(self, logGroupName, logStreamName, limit, startFromHead):
        self.calls.append((logGroupName, logStreamName, limit, startFromHead))
        if self.denied:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "GetLogEvents")
        if (logGroupName, logStreamName) not in self.streams:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "The specified log stream does not exist."}}, "GetLogEvents")
        lines = self.streams[(logGroupName, logStreamName)]
        return {"events": [{"timestamp": i, "message": line + "\n"} for i, line in enumerate(lines)][-limit:]}


def container_definition(name, prefix="site", group="/quoin/test"):
    definition = {"name": name, "image": "busybox"}
    if prefix is not None:
        definition["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": prefix},
        }
    return definition


def stopped_task(task_id, revision, minute, *containers, reason="Essential container in task exited", name="site"):
    """containers: (name, exit code or None, reason or None)."""
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}",
        "taskDefinitionArn": td(revision, name),
        "group": f"service:{name}",
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": reason,
        "stoppedAt": datetime.datetime(2025, 1, 31, 10, minute, tzinfo=datetime.timezone.utc),
        "containers": [
            dict({"name": c, "lastStatus": "STOPPED"}, **({"exitCode": code} if code is not None else {}), **({"reason": why} if why else {}))
            for c, code, why in containers
        ],
    }


CHECK_LINES = ["checking site -> cms", "site -> cms: cms.test.quoin.internal:8080 did not answer"]


def failing_site(streams=None, denied=False):
    """site rolled back; its two newest stopped tasks of site:2 failed in check-connections, an older one of
    site:1 (another task definition) must not be shown."""
    ecs = FakeECS(
        {"site": [rolled_back()]},
        stopped=[
            stopped_task("old1", 1, 1, ("site", 137, None)),
            stopped_task("aaa1", 2, 3, ("check-connections", 1, None), ("site", None, None)),
            stopped_task("bbb2", 2, 4, ("check-connections", 1, None), ("site", None, None)),
        ],
        task_definitions={
            td(2): [container_definition("check-connections"), container_definition("site")],
            td(1): [container_definition("site")],
        },
    )
    if streams is None:
        streams = {
            ("/quoin/test", "site/check-connections/aaa1"): ["old line"] + CHECK_LINES,
            ("/quoin/test", "site/check-connections/bbb2"): CHECK_LINES,
        }
    return ecs, FakeLogs(streams, denied)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(ecs_deployment, "time", fake)
    return fake


def wanted(*names, revision=2):
    return [{"name": name, "task_definition": td(revision, name)} for name in names]


class TestTaskDefinitions:
    def test_an_arn_matches_only_itself(self):
        assert task_definition_matches(td(2), td(2))
        assert not task_definition_matches(td(12), td(2))
        assert not task_definition_matches(td(2, "cms"), td(2))

    def test_family_and_revision_match_the_arn(self):
        assert task_definition_matches(td(2), "site:2")
        assert not task_definition_matches(td(12), "site:2")
        assert not task_definition_matches(None, "site:2")

    @pytest.mark.parametrize("value", [td(2), "site:2"])
    def test_one_revision_is_fine(self, value):
        assert task_definition_problem(value) is None

    @pytest.mark.parametrize("value", ["site", "site:latest", ":3", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/site"])
    def test_no_revision_is_a_problem(self, value):
        assert "names no revision" in task_definition_problem(value)


class TestJudgeService:
    def test_primary_with_the_new_task_definition_completed(self):
        result = judge_service("site", td(2), done("site"))
        assert result["outcome"] == "completed"
        assert result["primary_task_definition"] == td(2)
        assert result["rollout_state"] == "COMPLETED"
        assert "events" not in result

    def test_completed_needs_every_task_running(self):
        svc = service("site", deployment(td(2), "COMPLETED", running=1, desired=2), running=1, desired=2)
        assert judge_service("site", td(2), svc)["outcome"] == "in_progress"

    def test_a_rollout_in_progress_is_pending(self):
        result = judge_service("site", td(2), rolling("site"))
        assert result["outcome"] == "in_progress"
        assert result["rollout_state"] == "IN_PROGRESS"

    def test_the_old_deployment_completed_while_the_new_one_rolls_out_is_pending(self):
        # The PRIMARY is the new one; the old COMPLETED one must not count as success.
        svc = service("site", deployment(td(2), "IN_PROGRESS", running=0), deployment(td(1), "COMPLETED", status="ACTIVE"))
        assert judge_service("site", td(1), svc)["outcome"] == "rolled_back"
        assert judge_service("site", td(2), svc)["outcome"] == "in_progress"

    def test_primary_failed_without_rollback(self):
        svc = service(
            "site",
            deployment(td(2), "FAILED", running=0, failed=3, reason=REASON_FAILED),
            deployment(td(1), "COMPLETED", status="ACTIVE"),
        )
        result = judge_service("site", td(2), svc)
        assert result["outcome"] == "failed"
        assert result["rollout_state_reason"] == REASON_FAILED
        assert result["failed_tasks"] == 3

    def test_rolled_back_by_the_circuit_breaker(self):
        result = judge_service("site", td(2), rolled_back(), events=3)
        assert result["outcome"] == "rolled_back"
        assert result["primary_task_definition"] == td(1)
        # The failed deployment's state, not the rollback's.
        assert result["rollout_state"] == "FAILED"
        assert result["rollout_state_reason"] == REASON_FAILED
        assert result["events"] == [
            "2025-01-31T10:06:00+00:00 (service site) has reached a steady state.",
            "2025-01-31T10:05:00+00:00 (service site) (deployment ecs-svc/3) deployment completed.",
            "2025-01-31T10:04:00+00:00 (service site) rolling back to deployment ecs-svc/1.",
        ]

    def test_rolled_back_while_the_rollback_still_rolls_out(self):
        svc = service(
            "site",
            deployment(td(1), "IN_PROGRESS", running=0),
            deployment(td(2), "FAILED", status="ACTIVE", running=0, reason=REASON_FAILED),
        )
        assert judge_service("site", td(2), svc)["outcome"] == "rolled_back"

    def test_rolled_back_once_the_failed_deployment_is_gone(self):
        # AWS drops the failed deployment when its tasks are gone: the PRIMARY alone tells.
        result = judge_service("site", td(2), service("site", deployment(td(1), "COMPLETED")))
        assert result["outcome"] == "rolled_back"
        assert result["rollout_state"] == "COMPLETED"
        assert result["primary_task_definition"] == td(1)

    def test_the_expected_deployment_still_rolling_out_behind_another_primary_is_pending(self):
        svc = service("site", deployment(td(3), "IN_PROGRESS", running=0), deployment(td(2), "IN_PROGRESS", status="ACTIVE"))
        assert judge_service("site", td(2), svc)["outcome"] == "in_progress"

    def test_missing(self):
        result = judge_service("site", td(2), None)
        assert result["outcome"] == "missing"
        assert result["status"] is None

    @pytest.mark.parametrize("status", ["INACTIVE", "DRAINING"])
    def test_deleted(self, status):
        assert judge_service("site", td(2), dict(done("site"), status=status))["outcome"] == "inactive"

    def test_another_deployment_controller_cannot_be_verified(self):
        svc = service("site", deployment(td(2), "COMPLETED"), controller="CODE_DEPLOY")
        assert judge_service("site", td(2), svc)["outcome"] == "unsupported"


class TestWait:
    def test_success_after_one_round(self, clock):
        ecs = FakeECS({"site": [done("site")], "cms": [done("cms")]})
        results, polls, elapsed = wait_for_deployments(ecs, CLUSTER, wanted("site", "cms"), 600, 10)
        assert [r["outcome"] for r in results] == ["completed", "completed"]
        assert [r["name"] for r in results] == ["site", "cms"]
        assert (polls, elapsed) == (1, 0.0)
        assert ecs.calls == [["site", "cms"]]
        assert clock.sleeps == []

    def test_at_most_ten_services_per_call(self):
        names = [f"svc{i:02}" for i in range(23)]
        ecs = FakeECS({name: [done(name)] for name in names})
        results, polls, _ = wait_for_deployments(ecs, CLUSTER, wanted(*names), 600, 10)
        assert polls == 1
        assert ecs.calls == [names[:10], names[10:20], names[20:]]
        assert all(r["outcome"] == "completed" for r in results)

    def test_every_pending_service_is_polled_in_each_round(self, clock):
        names = [f"svc{i:02}" for i in range(12)]
        timeline = {name: [rolling(name)] * (1 + i % 3) + [done(name)] for i, name in enumerate(names)}
        ecs = FakeECS(timeline)
        results, polls, elapsed = wait_for_deployments(ecs, CLUSTER, wanted(*names), 600, 10)
        assert all(r["outcome"] == "completed" for r in results)
        # Round 1 asks about all twelve, ten per call; later rounds only about those still rolling out.
        pending_round_2 = names
        pending_round_3 = [n for i, n in enumerate(names) if i % 3 >= 1]
        pending_round_4 = [n for i, n in enumerate(names) if i % 3 == 2]
        assert ecs.calls == [
            names[:10], names[10:],
            pending_round_2[:10], pending_round_2[10:],
            pending_round_3,
            pending_round_4,
        ]
        assert polls == 4
        assert clock.sleeps == [10, 10, 10]
        assert elapsed == 30.0

    def test_a_failure_does_not_end_the_wait_for_the_others(self, clock):
        ecs = FakeECS({"site": [rolled_back()], "cms": [rolling("cms"), rolling("cms"), done("cms")]})
        results, polls, _ = wait_for_deployments(ecs, CLUSTER, wanted("site", "cms"), 600, 5)
        assert [r["outcome"] for r in results] == ["rolled_back", "completed"]
        assert polls == 3
        assert ecs.calls == [["site", "cms"], ["cms"], ["cms"]]

    def test_timeout(self, clock):
        ecs = FakeECS({"site": [rolling("site")], "cms": [done("cms")]})
        results, polls, elapsed = wait_for_deployments(ecs, CLUSTER, wanted("site", "cms"), 25, 10)
        assert [r["outcome"] for r in results] == ["timed_out", "completed"]
        # Polls at 0, 10, 20 and 25: the last sleep is cut to the time left.
        assert clock.sleeps == [10, 10, 5]
        assert polls == 4
        assert elapsed == 25.0

    def test_a_zero_timeout_still_polls_once(self, clock):
        ecs = FakeECS({"site": [rolling("site")]})
        results, polls, _ = wait_for_deployments(ecs, CLUSTER, wanted("site"), 0, 10)
        assert polls == 1
        assert results[0]["outcome"] == "timed_out"
        assert clock.sleeps == []

    def test_services_named_by_arn(self):
        arn = done("site")["serviceArn"]
        ecs = FakeECS({arn: [done("site")]})
        results, _, _ = wait_for_deployments(ecs, CLUSTER, [{"name": arn, "task_definition": td(2)}], 60, 10)
        assert results[0]["outcome"] == "completed"
        assert results[0]["name"] == arn

    def test_a_missing_service_is_decided_at_once(self, clock):
        ecs = FakeECS({"site": [None], "cms": [done("cms")]})
        results, polls, _ = wait_for_deployments(ecs, CLUSTER, wanted("site", "cms"), 600, 10)
        assert [r["outcome"] for r in results] == ["missing", "completed"]
        assert polls == 1

    def test_a_missing_cluster_is_an_error(self):
        ecs = FakeECS({"site": [done("site")]}, missing_cluster=True)
        with pytest.raises(AnsibleECSDeploymentError, match=f"cluster {CLUSTER} does not exist"):
            wait_for_deployments(ecs, CLUSTER, wanted("site"), 600, 10)

    def test_nothing_to_wait_for(self):
        ecs = FakeECS({})
        assert wait_for_deployments(ecs, CLUSTER, [], 600, 10) == ([], 0, 0.0)
        assert ecs.calls == []


class TestFailureMessage:
    def test_none_when_every_deploy_completed(self):
        assert failure_message(CLUSTER, [judge_service("site", td(2), done("site"))], 600) is None

    def test_names_every_failed_service_and_what_runs_instead(self):
        results = [
            judge_service("site", td(2), rolled_back(), events=2),
            judge_service("cms", td(2, "cms"), done("cms")),
            judge_service("proxy", td(2, "proxy"), None),
        ]
        message = failure_message(CLUSTER, results, 600)
        assert message == (
            f"2 of 3 services in cluster {CLUSTER} did not deploy. "
            f"service site: rolled back, the PRIMARY deployment runs {td(1)} instead of {td(2)} "
            f"(rollout FAILED: {REASON_FAILED}); last events: "
            "2025-01-31T10:06:00+00:00 (service site) has reached a steady state. | "
            "2025-01-31T10:05:00+00:00 (service site) (deployment ecs-svc/3) deployment completed. "
            f"service proxy: not found in cluster {CLUSTER}."
        )


    def test_a_failed_deploy_without_rollback_and_a_deleted_service(self):
        failed = service(
            "site",
            deployment(td(2), "FAILED", running=0, failed=3, reason=REASON_FAILED),
            deployment(td(1), "COMPLETED", status="ACTIVE"),
        )
        results = [
            judge_service("site", td(2), failed, events=0),
            judge_service("cms", td(2, "cms"), dict(done("cms"), status="INACTIVE"), events=0),
        ]
        assert failure_message(CLUSTER, results, 600) == (
            f"2 of 2 services in cluster {CLUSTER} did not deploy. "
            f"service site: the deployment of {td(2)} failed, the PRIMARY deployment runs {td(2)} (rollout FAILED: {REASON_FAILED}). "
            f"service cms: INACTIVE (deleted), expected to run {td(2, 'cms')}."
        )


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


class TestMain:
    AWS = {"region": REGION, "access_key": "testing", "secret_key": "testing"}

    def args(self, services, **more):
        return dict(self.AWS, cluster=CLUSTER, services=services, **more)

    def test_success(self, run_module):
        ecs = FakeECS({"site": [rolling("site"), done("site")], "cms": [done("cms")]})
        failed, result = run_module(ecs, self.args(wanted("site", "cms"), delay=3))
        assert not failed, result
        assert result["changed"] is False
        assert result["polls"] == 2
        assert result["elapsed"] == 3.0
        assert result["services"][0] == {
            "name": "site",
            "task_definition": td(2, "site"),
            "primary_task_definition": td(2, "site"),
            "rollout_state": "COMPLETED",
            "rollout_state_reason": "ECS deployment completed.",
            "running_count": 1,
            "desired_count": 1,
            "failed_tasks": 0,
            "status": "ACTIVE",
            "outcome": "completed",
        }

    def test_rolled_back_fails_naming_the_service_the_task_definition_and_the_events(self, run_module):
        ecs = FakeECS({"site": [rolling("site"), rolled_back()], "cms": [done("cms")]})
        failed, result = run_module(ecs, self.args(wanted("site", "cms"), events=4))
        assert failed
        assert result["changed"] is False
        message = result["msg"]
        assert message.startswith(f"1 of 2 services in cluster {CLUSTER} did not deploy. service site: rolled back")
        assert f"runs {td(1)} instead of {td(2)}" in message
        assert REASON_FAILED in message
        assert "deployment failed: tasks failed to start." in message
        # Four events, the newest: the oldest two are left out.
        assert "3 tasks failed to start" not in message
        assert "service cms" not in message
        assert [s["outcome"] for s in result["services"]] == ["rolled_back", "completed"]
        assert len(result["services"][0]["events"]) == 4

    def test_a_failed_deploy_quotes_why_its_tasks_stopped_and_the_failed_containers_last_log_lines(self, run_module):
        ecs, logs = failing_site()
        failed, result = run_module({"ecs": ecs, ("logs", REGION): logs}, self.args(wanted("site"), log_lines=2))
        assert failed
        reports = result["services"][0]["stopped_tasks"]
        # Newest first; the task of site:1 is not this deployment's.
        assert [report.split(":")[0] for report in reports] == ["stopped task bbb2", "stopped task aaa1"]
        assert reports[0] == (
            "stopped task bbb2: Essential container in task exited; container check-connections exited with code 1; "
            "last log lines in /quoin/test site/check-connections/bbb2: " + " | ".join(CHECK_LINES)
        )
        # The site container never started: no exit code, no reason, nothing to say about it.
        assert "container site" not in " ".join(reports)
        assert "site -> cms: cms.test.quoin.internal:8080 did not answer" in result["msg"]
        assert "old line" not in result["msg"]
        assert [call[1] for call in logs.calls] == ["site/check-connections/bbb2", "site/check-connections/aaa1"]
        assert all(call[2:] == (2, False) for call in logs.calls)
        # One description per task definition.
        assert ecs.operations.count("describe_task_definition") == 1

    @pytest.mark.parametrize("denied, why", [(False, "ResourceNotFoundException"), (True, "AccessDeniedException")])
    def test_logs_that_cannot_be_read_are_said_and_the_failure_stays(self, run_module, denied, why):
        ecs, logs = failing_site(streams={}, denied=denied)
        failed, result = run_module({"ecs": ecs, ("logs", REGION): logs}, self.args(wanted("site")))
        assert failed
        assert result["msg"].startswith(f"1 of 1 service in cluster {CLUSTER} did not deploy. service site: rolled back")
        assert f"container check-connections exited with code 1; its log lines could not be read from /quoin/test site/check-connections/bbb2 ({why})" in result["msg"]

    def test_a_container_without_an_awslogs_stream_prefix_has_no_lines_to_read(self, run_module):
        ecs, logs = failing_site()
        ecs.task_definitions[td(2)] = [container_definition("check-connections", prefix=None), container_definition("site")]
        failed, result = run_module({"ecs": ecs, ("logs", REGION): logs}, self.args(wanted("site")))
        assert failed
        assert result["services"][0]["stopped_tasks"][0] == (
            "stopped task bbb2: Essential container in task exited; container check-connections exited with code 1"
        )
        assert logs.calls == []

    def test_stopped_tasks_that_cannot_be_listed_are_said(self, run_module):
        ecs, logs = failing_site()

        def denied(**kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListTasks")

        ecs.list_tasks = denied
        failed, result = run_module({"ecs": ecs, ("logs", REGION): logs}, self.args(wanted("site")))
        assert failed and "service site: rolled back" in result["msg"]
        assert result["services"][0]["stopped_tasks"] == ["its stopped tasks could not be read (AccessDeniedException)"]

    def test_no_task_is_read_on_success_or_when_told_not_to(self, run_module):
        ecs, logs = failing_site()
        ecs.timeline["site"] = [done("site")]
        failed, _ = run_module({"ecs": ecs, "logs": logs}, self.args(wanted("site")))
        assert not failed and ecs.operations == []
        ecs, logs = failing_site()
        failed, result = run_module({"ecs": ecs, "logs": logs}, self.args(wanted("site"), stopped_tasks=0))
        assert failed and ecs.operations == [] and "stopped_tasks" not in result["services"][0]

    def test_timeout_fails_naming_the_pending_services(self, run_module, clock):
        ecs = FakeECS({"site": [rolling("site")], "cms": [done("cms")], "proxy": [rolling("proxy")]})
        failed, result = run_module(ecs, self.args(wanted("site", "cms", "proxy"), timeout=20, delay=10))
        assert failed
        message = result["msg"]
        assert message.startswith(f"2 of 3 services in cluster {CLUSTER} did not deploy.")
        assert f"service site: {td(2)} not deployed within 20s" in message
        assert f"service proxy: {td(2, 'proxy')} not deployed within 20s" in message
        assert "service cms" not in message
        assert "with 1 of 1 tasks running (rollout IN_PROGRESS" in message
        assert [s["outcome"] for s in result["services"]] == ["timed_out", "completed", "timed_out"]
        assert result["polls"] == 3
        assert clock.sleeps == [10, 10]

    def test_missing_service(self, run_module):
        ecs = FakeECS({"site": [None]})
        failed, result = run_module(ecs, self.args(wanted("site")))
        assert failed
        assert result["msg"] == f"1 of 1 service in cluster {CLUSTER} did not deploy. service site: not found in cluster {CLUSTER}."
        assert result["services"][0]["outcome"] == "missing"

    def test_missing_cluster(self, run_module):
        ecs = FakeECS({"site": [done("site")]}, missing_cluster=True)
        failed, result = run_module(ecs, self.args(wanted("site")))
        assert failed
        assert result["msg"] == f"cluster {CLUSTER} does not exist"

    def test_check_mode_waits_for_nothing(self, run_module, clock):
        ecs = FakeECS({"site": [rolling("site")]})
        failed, result = run_module(ecs, self.args(wanted("site"), _ansible_check_mode=True))
        assert not failed
        assert result["changed"] is False
        assert result["skipped"] is True
        assert result["services"] == [{"name": "site", "task_definition": td(2), "outcome": "skipped"}]
        assert result["polls"] == 0
        assert ecs.calls == []
        assert clock.sleeps == []

    def test_bad_parameters_fail_before_any_call(self, run_module):
        ecs = FakeECS({})
        services = [
            {"name": "site", "task_definition": "site"},
            {"name": "cms", "task_definition": td(2, "cms")},
            {"name": "cms", "task_definition": td(3, "cms")},
        ]
        failed, result = run_module(ecs, self.args(services, delay=0, timeout=-1))
        assert failed
        assert result["msg"] == (
            "timeout: -1 must not be negative; delay: 0 must be at least 1 second; "
            "services[0].task_definition: 'site' is not a task definition ARN or family:revision "
            "(a family alone names no revision); services[2]: cms is listed more than once"
        )
        assert ecs.calls == []

    def test_no_services(self, run_module):
        ecs = FakeECS({})
        failed, result = run_module(ecs, self.args([]))
        assert not failed
        assert (result["services"], result["polls"]) == ([], 0)
        assert ecs.calls == []
