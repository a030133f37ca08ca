"""The local AWS stops one-off ECS tasks the way AWS does (tools/moto_server.py, section "ECS RunTask"):
a task RunTask started has stopped by the next DescribeTasks, its essential container exited, with one
container per container definition exiting with MOTO_ECS_TASK_EXIT_CODE (containers without memory of
their own included, section "RunTask with a container that sets no memory"); the overrides stay as sent;
RunTask works in a VPC without DNS hostnames. Checked through boto3 on emulators of their own, since
the server reads the exit code from its environment. Last, the ecs_run_task target runs on one whose
tasks exit with 3, which must fail the module."""

import uuid

import pytest

from .test_moto_ecs_deployments import Emulator
from .test_moto_ecs_deployments import run_target

# The emulator's own behaviour, without a deployment: part of `tests/run.sh quick`.
pytestmark = pytest.mark.quick


REASON = "Essential container in task exited"


def start(directory, exit_code=None):
    emulator = Emulator(directory, running=0, failed_tasks=0)
    if exit_code is not None:
        emulator.env["MOTO_ECS_TASK_EXIT_CODE"] = str(exit_code)
    else:
        emulator.env.pop("MOTO_ECS_TASK_EXIT_CODE", None)
    return emulator.start()


@pytest.fixture(scope="module")
def local_aws(tmp_path_factory):
    """Tasks exit with AWS's default code for success (the variable is not set)."""
    emulator = start(tmp_path_factory.mktemp("tasks-aws"))
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def failing_aws(tmp_path_factory):
    """Every container of a one-off task exits with 3."""
    emulator = start(tmp_path_factory.mktemp("failing-tasks-aws"), exit_code=3)
    yield emulator
    emulator.stop()


class Tasks:
    """A cluster, a Fargate task definition with an essential and a non-essential container, and a
    security group in the seeded VPC (whose DNS hostnames are off, as for a VPC created through the API)."""

    def __init__(self, emulator):
        self.ecs = emulator.client("ecs")
        self.ec2 = emulator.client("ec2")
        prefix = f"moto-{uuid.uuid4().hex[:8]}"
        self.cluster = self.ecs.create_cluster(clusterName=prefix)["cluster"]["clusterName"]
        self.task_definition = self.ecs.register_task_definition(
            family=prefix,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "backup", "image": "quoin/backup:1", "memory": 448, "essential": True},
                {"name": "log-router", "image": "fluent-bit:3", "memory": 64, "essential": False},
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        self.subnets = emulator.state["subnet_ids"]
        self.group = self.ec2.create_security_group(GroupName=prefix, Description="tasks", VpcId=emulator.state["vpc_id"])["GroupId"]

    def run(self, **kwargs):
        response = self.ecs.run_task(
            cluster=self.cluster,
            taskDefinition=self.task_definition,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": self.subnets, "securityGroups": [self.group], "assignPublicIp": "DISABLED"}},
            **kwargs,
        )
        assert response["failures"] == []
        return response["tasks"]

    def describe(self, *arns):
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=list(arns), include=["TAGS"])["tasks"]


OVERRIDES = {
    "containerOverrides": [
        {
            "name": "backup",
            "command": ["backup", "--all"],
            "environment": [{"name": "BACKUP_MODE", "value": "manual"}, {"name": "KEEP_DAYS", "value": "7"}],
        }
    ],
    "taskRoleArn": "arn:aws:iam::123456789012:role/backup",
}


class TestRunTask:
    def test_the_task_has_stopped_by_the_next_describe(self, local_aws):
        tasks = Tasks(local_aws)
        (started,) = tasks.run(startedBy="test", tags=[{"key": "trigger", "value": "manual"}])
        assert started["desiredStatus"] == "RUNNING"
        (task,) = tasks.describe(started["taskArn"])
        assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == REASON
        assert task["stoppingAt"] == task["executionStoppedAt"] == task["stoppedAt"]
        assert task["startedBy"] == "test"
        assert task["tags"] == [{"key": "trigger", "value": "manual"}]
        # Later looks report the same stopped task.
        (again,) = tasks.describe(started["taskArn"])
        assert (again["lastStatus"], again["stoppedAt"]) == ("STOPPED", task["stoppedAt"])

    def test_one_container_per_definition_exits_with_0(self, local_aws):
        tasks = Tasks(local_aws)
        (started,) = tasks.run()
        assert [c["name"] for c in started["containers"]] == ["backup", "log-router"]
        (task,) = tasks.describe(started["taskArn"])
        assert [(c["name"], c["lastStatus"], c["exitCode"]) for c in task["containers"]] == [
            ("backup", "STOPPED", 0),
            ("log-router", "STOPPED", 0),
        ]
        for container in task["containers"]:
            assert container["taskArn"] == task["taskArn"]
            assert container["containerArn"].startswith(task["taskArn"].replace(":task/", ":container/") + "/")

    def test_the_overrides_stay_as_sent(self, local_aws):
        tasks = Tasks(local_aws)
        (started,) = tasks.run(overrides=OVERRIDES)
        assert started["overrides"] == OVERRIDES
        (task,) = tasks.describe(started["taskArn"])
        assert task["overrides"] == OVERRIDES
        assert task["overrides"]["containerOverrides"][0]["environment"] == OVERRIDES["containerOverrides"][0]["environment"]

    def test_every_task_of_a_run_stops(self, local_aws):
        tasks = Tasks(local_aws)
        started = tasks.run(count=3)
        described = tasks.describe(*[task["taskArn"] for task in started])
        assert sorted(task["taskArn"] for task in described) == sorted(task["taskArn"] for task in started)
        assert {task["lastStatus"] for task in described} == {"STOPPED"}

    def test_the_network_interface_is_in_a_subnet_sent_with_a_private_dns_name(self, local_aws):
        tasks = Tasks(local_aws)
        (started,) = tasks.run()
        (task,) = tasks.describe(started["taskArn"])
        details = {detail["name"]: detail["value"] for detail in task["attachments"][0]["details"]}
        assert details["subnetId"] in tasks.subnets
        assert details["privateDnsName"].startswith("ip-")
        (interface,) = tasks.ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"]
        assert [group["GroupId"] for group in interface["Groups"]] == [tasks.group]
        assert interface["PrivateDnsName"] == details["privateDnsName"]

    def test_a_task_stopped_with_stop_task_is_left_as_moto_reports_it(self, local_aws):
        tasks = Tasks(local_aws)
        (started,) = tasks.run()
        tasks.ecs.stop_task(cluster=tasks.cluster, task=started["taskArn"], reason="stopped by hand")
        (task,) = tasks.describe(started["taskArn"])
        assert (task["lastStatus"], task["stoppedReason"]) == ("STOPPED", "stopped by hand")
        assert "stopCode" not in task


    def test_a_container_without_memory_of_its_own_runs_in_the_tasks(self, local_aws):
        tasks = Tasks(local_aws)
        # An init container that the main one waits for, as a task definition of ours has them.
        tasks.task_definition = tasks.ecs.register_task_definition(
            family=tasks.cluster, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[
                {"name": "backup", "image": "quoin/backup:1", "essential": True,
                 "dependsOn": [{"containerName": "prepare-scratch", "condition": "SUCCESS"}]},
                {"name": "prepare-scratch", "image": "busybox:1.36", "essential": False, "user": "0",
                 "linuxParameters": {"capabilities": {"drop": ["NET_RAW", "SETUID"]}}},
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        (described,) = tasks.ecs.describe_task_definition(taskDefinition=tasks.task_definition)["taskDefinition"]["containerDefinitions"][:1]
        assert described["dependsOn"] == [{"containerName": "prepare-scratch", "condition": "SUCCESS"}]
        (started,) = tasks.run()
        (task,) = tasks.describe(started["taskArn"])
        assert [(c["name"], c["lastStatus"]) for c in task["containers"]] == [("backup", "STOPPED"), ("prepare-scratch", "STOPPED")]


class TestExitCode:
    def test_containers_exit_with_the_configured_code(self, failing_aws):
        tasks = Tasks(failing_aws)
        (started,) = tasks.run()
        (task,) = tasks.describe(started["taskArn"])
        assert [c["exitCode"] for c in task["containers"]] == [3, 3]
        assert task["stopCode"] == "EssentialContainerExited"


ASSERT_FAILED = "Assert that the run failed, naming the task, the container, the exit code and the reason"
ASSERT_SUCCEEDED = "Assert that the run succeeded"


def task_status(output, task):
    """How the target's task of this name ended: ok, skipping, fatal or changed."""
    after = output.split(f"TASK [ecs_run_task : {task}]", 1)[1]
    line = next(line for line in after.splitlines() if line.startswith(("ok:", "skipping:", "fatal:", "changed:")))
    return line.split(":", 1)[0]


class TestTheRunTaskModule:
    def test_a_failed_task_fails_the_module(self, failing_aws):
        output = run_target(failing_aws, "ecs_run_task", ecs_run_task_exit_code=3)
        # The target ignores this failure and asserts the message in the next tasks.
        assert task_status(output, "Run the task with overrides and wait until it stops") == "fatal"
        assert task_status(output, ASSERT_FAILED) == "ok"
        assert task_status(output, ASSERT_SUCCEEDED) == "skipping"
