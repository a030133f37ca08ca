"""ecs_run_task against a stubbed ECS client: the RunTask request it sends (environment dicts as
name/value lists), check mode, the wait (polls, sleeps, timeout naming the tasks still running), and
the verdict on stopped tasks (RunTask failures, an essential container's exit code, a container that
never ran, a non-essential container that may fail)."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.quoin.fargate.plugins.module_utils import ecs_task
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import container_override
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task import task_problems
from ansible_collections.quoin.fargate.plugins.modules import ecs_run_task as module_under_test

from ..fake_ecs_tasks import CLUSTER
from ..fake_ecs_tasks import FakeECSTasks
from ..fake_ecs_tasks import task_definition_arn
from ..fake_time import FakeTime
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
NETWORK = {"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]}
ARGS = dict(AWS, cluster=CLUSTER, task_definition="backup", network_configuration=NETWORK)
REASON = "Essential container in task exited"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(ecs_task, "time", fake)
    return fake


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


def run_requests(ecs):
    return [kwargs for operation, kwargs in ecs.calls if operation == "run_task"]


class TestCheckMode:
    def test_runs_nothing_and_reports_a_change(self, run_module, clock):
        ecs = FakeECSTasks()
        failed, result = run_module(ecs, dict(ARGS, _ansible_check_mode=True))
        assert not failed, result
        assert (result["changed"], result["tasks"], result["task_arns"], result["stopped"]) == (True, [], [], False)
        assert result["msg"] == "Check mode: would run 1 task(s) of backup in cluster prod."
        assert ecs.calls == []
        assert clock.sleeps == []


class TestRequest:
    def test_defaults(self, run_module):
        ecs = FakeECSTasks()
        failed, result = run_module(ecs, ARGS)
        assert not failed, result
        (request,) = run_requests(ecs)
        token = request.pop("clientToken")
        assert len(token) == 36
        assert request == {
            "cluster": CLUSTER,
            "taskDefinition": "backup",
            "count": 1,
            "launchType": "FARGATE",
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
            },
        }

    def test_every_option_reaches_the_request(self, run_module):
        ecs = FakeECSTasks()
        args = dict(
            ARGS,
            task_definition="backup:2",
            count=2,
            platform_version="1.4.0",
            network_configuration={"subnets": ["subnet-a"], "assign_public_ip": "ENABLED"},
            overrides={
                "container_overrides": [
                    {
                        "name": "backup",
                        "command": ["backup", "--all"],
                        "environment": {"MODE": "manual", "DRY_RUN": False, "KEEP": 7},
                        "memory": 1024,
                    }
                ],
                "task_role_arn": "arn:aws:iam::123456789012:role/backup",
                "cpu": "512",
            },
            started_by="ansible-backup",
            tags={"quoin:trigger": "manual"},
            propagate_tags="TASK_DEFINITION",
            enable_ecs_managed_tags=True,
        )
        failed, result = run_module(ecs, args)
        assert not failed, result
        (request,) = run_requests(ecs)
        request.pop("clientToken")
        assert request == {
            "cluster": CLUSTER,
            "taskDefinition": "backup:2",
            "count": 2,
            "launchType": "FARGATE",
            "platformVersion": "1.4.0",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "assignPublicIp": "ENABLED"}},
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "backup",
                        "command": ["backup", "--all"],
                        "environment": [
                            {"name": "MODE", "value": "manual"},
                            {"name": "DRY_RUN", "value": "false"},
                            {"name": "KEEP", "value": "7"},
                        ],
                        "memory": 1024,
                    }
                ],
                "taskRoleArn": "arn:aws:iam::123456789012:role/backup",
                "cpu": "512",
            },
            "startedBy": "ansible-backup",
            "tags": [{"key": "quoin:trigger", "value": "manual"}],
            "propagateTags": "TASK_DEFINITION",
            "enableECSManagedTags": True,
        }
        assert len(result["task_arns"]) == 2

    def test_container_override_leaves_out_what_is_not_set(self):
        assert container_override({"name": "backup", "command": None, "environment": None, "cpu": None}) == {"name": "backup"}
        assert container_override({"name": "backup", "environment": {}}) == {"name": "backup", "environment": []}
        assert container_override({"name": "b", "environment": {"EMPTY": None, "ON": True}}) == {
            "name": "b",
            "environment": [{"name": "EMPTY", "value": ""}, {"name": "ON", "value": "true"}],
        }

    def test_every_run_gets_its_own_client_token(self, run_module):
        ecs = FakeECSTasks()
        run_module(ecs, ARGS)
        run_module(ecs, ARGS)
        first, second = run_requests(ecs)
        assert first["clientToken"] != second["clientToken"]

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"count": 0}, "count must be 1 to 10, not 0"),
            ({"count": 11}, "count must be 1 to 10, not 11"),
            ({"wait_delay": 0}, "wait_delay must be at least 1"),
            ({"wait_timeout": -1}, "wait_timeout must not be negative"),
            ({"overrides": {"container_overrides": [{"command": ["x"]}]}}, "missing required arguments: name"),
        ],
    )
    def test_argument_checks(self, run_module, args, message):
        ecs = FakeECSTasks()
        failed, result = run_module(ecs, dict(ARGS, **args))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []


class TestWait:
    def test_waits_until_the_task_stopped(self, run_module, clock):
        ecs = FakeECSTasks(runs_for=2)
        failed, result = run_module(ecs, dict(ARGS, tags={"team": "ops"}))
        assert not failed, result
        assert (result["changed"], result["stopped"], result["polls"]) == (True, True, 3)
        assert clock.sleeps == [15, 15]
        assert ecs.operations() == ["run_task", "describe_tasks", "describe_tasks", "describe_tasks", "describe_task_definition"]
        (task,) = result["tasks"]
        assert result["task_arns"] == [task["task_arn"]]
        assert task["last_status"] == "STOPPED"
        assert task["stop_code"] == "EssentialContainerExited"
        assert task["stopped_at"] == "2025-01-31T03:05:00+00:00"
        assert [(c["name"], c["exit_code"]) for c in task["containers"]] == [("backup", 0), ("log-router", 0)]
        assert task["tags"] == {"team": "ops"}
        assert task["task_definition_arn"] == task_definition_arn("backup:3")

    def test_describes_with_tags_and_every_task_at_once(self, run_module):
        ecs = FakeECSTasks()
        failed, result = run_module(ecs, dict(ARGS, count=3))
        assert not failed, result
        describes = [kwargs for operation, kwargs in ecs.calls if operation == "describe_tasks"]
        assert describes[0] == {"cluster": CLUSTER, "tasks": result["task_arns"], "include": ["TAGS"]}
        # One task definition, described once.
        assert ecs.operations().count("describe_task_definition") == 1

    def test_without_wait_returns_what_run_task_returned(self, run_module, clock):
        ecs = FakeECSTasks()
        failed, result = run_module(ecs, dict(ARGS, wait=False))
        assert not failed, result
        assert (result["changed"], result["stopped"]) == (True, False)
        assert result["tasks"][0]["last_status"] == "PROVISIONING"
        assert ecs.operations() == ["run_task"]
        assert clock.sleeps == []

    def test_timeout_names_the_tasks_still_running(self, run_module, clock):
        ecs = FakeECSTasks(runs_for=None)
        failed, result = run_module(ecs, dict(ARGS, count=2, wait_timeout=25, wait_delay=10))
        assert failed
        # Looks at 0, 10, 20 and 25 seconds: the last sleep is cut to the time left.
        assert clock.sleeps == [10, 10, 5]
        first, second = result["task_arns"]
        assert result["msg"] == (
            f"timed out after 25 seconds waiting for the tasks to stop; still running: {first} (RUNNING), {second} (RUNNING)"
        )
        assert (result["changed"], result["stopped"], result["polls"]) == (True, False, 4)

    def test_a_task_ecs_forgot_fails(self, run_module):
        ecs = FakeECSTasks()
        ecs.forget = {f"arn:aws:ecs:eu-central-1:123456789012:task/{CLUSTER}/{1:032x}"}
        failed, result = run_module(ecs, ARGS)
        assert failed
        assert result["msg"] == f"ECS no longer knows the tasks {result['task_arns'][0]} in cluster prod"
        assert result["changed"] is True

    def test_an_error_while_waiting_still_names_the_tasks(self, run_module):
        ecs = FakeECSTasks(errors={"describe_tasks": "AccessDeniedException"})
        failed, result = run_module(ecs, ARGS)
        assert failed
        assert result["msg"].startswith("Failed to describe the tasks")
        assert result["changed"] is True
        assert len(result["task_arns"]) == 1


class TestVerdict:
    def test_run_task_failures_fail_the_run(self, run_module):
        failure = {"arn": "arn:aws:ecs:eu-central-1:123456789012:container-instance/prod/1", "reason": "RESOURCE:MEMORY"}
        ecs = FakeECSTasks(failures=[failure], placed=0)
        failed, result = run_module(ecs, ARGS)
        assert failed
        assert result["msg"] == (
            "RunTask could not start every task of backup in cluster prod: "
            "arn:aws:ecs:eu-central-1:123456789012:container-instance/prod/1: RESOURCE:MEMORY"
        )
        assert result["failures"] == [failure]
        assert (result["changed"], result["task_arns"]) == (False, [])
        assert ecs.operations() == ["run_task"]

    def test_a_partial_start_reports_the_tasks_started(self, run_module):
        ecs = FakeECSTasks(failures=[{"reason": "AGENT", "detail": "agent disconnected"}], placed=1)
        failed, result = run_module(ecs, dict(ARGS, count=2))
        assert failed
        assert result["msg"].endswith(": the task: AGENT (agent disconnected)")
        assert result["changed"] is True
        assert len(result["task_arns"]) == 1

    def test_an_essential_container_exit_code_fails_the_run(self, run_module):
        ecs = FakeECSTasks(exit_codes={"backup": 2})
        failed, result = run_module(ecs, ARGS)
        assert failed
        (arn,) = result["task_arns"]
        assert result["msg"] == f"task {arn}: essential container backup exited with code 2; EssentialContainerExited: {REASON}"
        assert (result["changed"], result["stopped"]) == (True, True)
        assert result["tasks"][0]["containers"][0]["exit_code"] == 2

    def test_a_non_essential_container_may_fail(self, run_module):
        ecs = FakeECSTasks(exit_codes={"log-router": 1})
        failed, result = run_module(ecs, ARGS)
        assert not failed, result

    def test_a_container_that_never_ran_fails_the_run(self, run_module):
        ecs = FakeECSTasks(
            exit_codes={"backup": None, "log-router": None},
            stop_code="TaskFailedToStart",
            stopped_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s)",
            container_reasons={"backup": "CannotPullContainerError: quoin/backup:1 not found"},
        )
        failed, result = run_module(ecs, ARGS)
        assert failed
        (arn,) = result["task_arns"]
        assert result["msg"] == (
            f"task {arn}: essential container backup stopped without an exit code "
            "(CannotPullContainerError: quoin/backup:1 not found); "
            "TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s)"
        )

    def test_only_the_failed_tasks_are_named(self, run_module):
        ecs = FakeECSTasks(exit_codes={"backup": 137})
        failed, result = run_module(ecs, dict(ARGS, count=2))
        assert failed
        first, second = result["task_arns"]
        assert result["msg"] == (
            f"task {first}: essential container backup exited with code 137; EssentialContainerExited: {REASON}; "
            f"task {second}: essential container backup exited with code 137; EssentialContainerExited: {REASON}"
        )

    def test_task_problems(self):
        stopped = {"taskArn": "t1", "lastStatus": "STOPPED", "taskDefinitionArn": "td", "stopCode": "TaskFailedToStart", "stoppedReason": "no capacity"}
        running = {"taskArn": "t2", "lastStatus": "RUNNING", "taskDefinitionArn": "td", "containers": [{"name": "backup"}]}
        assert task_problems([running], {"td": {"backup"}}) == []
        # A task that failed to start before it had containers.
        assert task_problems([stopped], {"td": {"backup"}}) == ["task t1: failed to start; TaskFailedToStart: no capacity"]
        # A task definition not described counts every container as essential.
        with_containers = dict(stopped, containers=[{"name": "sidecar", "exitCode": 3}], stopCode=None, stoppedReason=None)
        assert task_problems([with_containers], {}) == [
            "task t1: essential container sidecar exited with code 3; no stop code: no reason given"
        ]

    def test_a_missing_cluster_fails_with_the_call_named(self, run_module):
        failed, result = run_module(FakeECSTasks(clusters=()), ARGS)
        assert failed
        assert result["msg"].startswith("Failed to run the task")
        assert result["error"]["code"] == "ClusterNotFoundException"
        assert "changed" not in result or result["changed"] is False


PROBE = [
    {
        "name": "probe",
        "image": "busybox:1.36",
        "essential": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/quoin/prod", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "probe"},
        },
    }
]


def probe_run(name, security_group):
    return {
        "name": name,
        "network_configuration": {"subnets": ["subnet-a"], "security_groups": [security_group]},
        "overrides": {"container_overrides": [{"name": "probe", "command": ["sh", "-c", f"probe {name}"]}]},
        "started_by": f"quoin-probe-{name}",
    }


class FakeLogs:
    def __init__(self, streams):
        self.streams = streams
        self.calls = []

    def get_log_events(self, logGroupName, logStreamName, limit, startFromHead):
        self.calls.append(logStreamName)
        if (logGroupName, logStreamName) not in self.streams:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no stream"}}, "GetLogEvents")
        return {"events": [{"message": line} for line in self.streams[(logGroupName, logStreamName)]][-limit:]}


class TestRuns:
    ARGS = dict(AWS, cluster=CLUSTER, task_definition="probe", runs=[probe_run("proxy", "sg-proxy"), probe_run("site", "sg-site")])

    def test_each_run_has_its_own_network_and_overrides_and_all_are_waited_on_together(self, run_module):
        ecs = FakeECSTasks(task_definitions={"probe": (1, PROBE)})
        failed, result = run_module(ecs, self.ARGS)
        assert not failed, result
        first, second = run_requests(ecs)
        assert first["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == ["sg-proxy"]
        assert second["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == ["sg-site"]
        assert first["overrides"]["containerOverrides"] == [{"name": "probe", "command": ["sh", "-c", "probe proxy"]}]
        assert (first["startedBy"], second["startedBy"]) == ("quoin-probe-proxy", "quoin-probe-site")
        assert first["clientToken"] != second["clientToken"]
        assert [run["name"] for run in result["runs"]] == ["proxy", "site"]
        assert sum(len(run["task_arns"]) for run in result["runs"]) == len(result["task_arns"]) == 2
        # Both tasks in every DescribeTasks call: one wait for all.
        described = [kwargs["tasks"] for operation, kwargs in ecs.calls if operation == "describe_tasks"]
        assert described and all(len(tasks) == 2 for tasks in described)

    def test_a_failed_run_is_named_with_its_last_log_lines(self, run_module):
        ecs = FakeECSTasks(task_definitions={"probe": (1, PROBE)}, exit_codes={"probe": 1})
        logs = FakeLogs({})
        # Only the proxy's probe wrote its lines; the site's stream is missing.
        failed, result = run_module({"ecs": ecs, ("logs", "eu-central-1"): logs}, dict(self.ARGS, log_lines=1))
        proxy_task, site_task = [run["task_arns"][0] for run in result["runs"]]
        assert failed
        assert logs.calls == [f"probe/probe/{proxy_task.split('/')[-1]}", f"probe/probe/{site_task.split('/')[-1]}"]
        logs.streams[("/quoin/prod", logs.calls[0])] = ["proxy -> cms: answers", "proxy -> cms: cms.prod.quoin.internal:8080 did not answer"]
        ecs = FakeECSTasks(task_definitions={"probe": (1, PROBE)}, exit_codes={"probe": 1})
        failed, result = run_module({"ecs": ecs, ("logs", "eu-central-1"): logs}, dict(self.ARGS, log_lines=1))
        assert failed
        proxy_problem, site_problem = result["msg"].split("; run ")
        assert proxy_problem.startswith("run proxy: task ") and "essential container probe exited with code 1" in proxy_problem
        assert proxy_problem.endswith(
            f"last log lines in /quoin/prod probe/probe/{proxy_task.split('/')[-1]}: proxy -> cms: cms.prod.quoin.internal:8080 did not answer"
        )
        assert site_problem.startswith("site: task ")
        assert site_problem.endswith(f"its log lines could not be read from /quoin/prod probe/probe/{site_task.split('/')[-1]} (ResourceNotFoundException)")

    def test_check_mode_names_the_runs_and_starts_nothing(self, run_module):
        ecs = FakeECSTasks(task_definitions={"probe": (1, PROBE)})
        failed, result = run_module(ecs, dict(self.ARGS, _ansible_check_mode=True))
        assert not failed and ecs.calls == []
        assert result["msg"] == "Check mode: would run 1 task(s) of probe in cluster prod for each run: proxy, site."

    def test_a_run_listed_twice_is_refused_before_any_call(self, run_module):
        ecs = FakeECSTasks(task_definitions={"probe": (1, PROBE)})
        failed, result = run_module(ecs, dict(self.ARGS, runs=[probe_run("proxy", "sg-1"), probe_run("proxy", "sg-2")]))
        assert failed and result["msg"] == "runs: proxy is listed more than once"
        assert ecs.calls == []
