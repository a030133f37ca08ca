"""The local AWS reports ECS deployments the way AWS does (tools/moto_server.py, section "ECS
deployments"): UpdateService starts a new PRIMARY deployment, the circuit breaker fails one whose tasks
fail to start and rolls it back, and every step is a service event. Checked through boto3 on emulators
of their own, started with MOTO_ECS_SERVICE_RUNNING and MOTO_ECS_SERVICE_FAILED_TASKS, since the server
reads them from its environment. Last, the ecs_deployment_wait target runs on them: a deploy that
completes with running tasks, and one the circuit breaker rolls back, which must fail the module."""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from .test_targets import PREREQUISITES
from .test_targets import RUN_TARGET
from .test_targets import read_aliases

# The emulator's own behaviour, without a deployment: part of `tests/run.sh quick`.
pytestmark = pytest.mark.quick


REPO = Path(__file__).resolve().parents[2]
LAUNCHER = [sys.executable, str(REPO / "tools" / "local_aws.py")]
REASON_FAILED = "ECS deployment circuit breaker: tasks failed to start."


class Emulator:
    """A private local AWS on a free port, with the ECS environment variables given."""

    def __init__(self, directory, running, failed_tasks):
        self.env = dict(
            os.environ,
            QUOIN_LOCAL_AWS_DIR=str(directory),
            MOTO_ECS_SERVICE_RUNNING=str(running),
            MOTO_ECS_SERVICE_FAILED_TASKS=str(failed_tasks),
        )
        self.env.pop("QUOIN_LOCAL_AWS_PORT", None)
        self.state = None

    def start(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        started = subprocess.run(LAUNCHER + ["start", "--port", str(port)], env=self.env, capture_output=True, text=True)
        assert started.returncode == 0, started.stdout + started.stderr
        self.state = json.loads((Path(self.env["QUOIN_LOCAL_AWS_DIR"]) / "state.json").read_text())
        return self

    def stop(self):
        subprocess.run(LAUNCHER + ["stop"], env=self.env, check=False, capture_output=True)

    def client(self, service):
        return boto3.session.Session(region_name=self.state["region"]).client(
            service,
            endpoint_url=self.state["endpoint"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def running_aws(tmp_path_factory):
    """Every deployment gets one task running."""
    emulator = Emulator(tmp_path_factory.mktemp("running-aws"), running=1, failed_tasks=0).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def ample_aws(tmp_path_factory):
    """Every deployment gets all the tasks it wants running (the local AWS's default)."""
    emulator = Emulator(tmp_path_factory.mktemp("ample-aws"), running=1000, failed_tasks=0).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def failing_aws(tmp_path_factory):
    """One task runs for a service's first deployment; the tasks of every later one fail to start."""
    emulator = Emulator(tmp_path_factory.mktemp("failing-aws"), running=1, failed_tasks=1).start()
    yield emulator
    emulator.stop()


class Deploys:
    """A Fargate service on revision 1 of its family, revision 2 registered, in a cluster of its own."""

    def __init__(self, emulator, desired=1, breaker=None, **create):
        self.ecs = emulator.client("ecs")
        ec2 = emulator.client("ec2")
        prefix = f"moto-{uuid.uuid4().hex[:8]}"
        self.cluster = self.ecs.create_cluster(clusterName=prefix)["cluster"]["clusterName"]
        self.name = f"{prefix}-web"
        self.revisions = [self.register(prefix, image) for image in ("nginx:1.26", "nginx:1.27")]
        group = ec2.create_security_group(GroupName=prefix, Description="tasks", VpcId=emulator.state["vpc_id"])["GroupId"]
        self.network = {"awsvpcConfiguration": {"subnets": emulator.state["subnet_ids"], "securityGroups": [group]}}
        kwargs = {"deploymentConfiguration": {"deploymentCircuitBreaker": breaker}} if breaker else {}
        self.created = self.ecs.create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=self.revisions[0],
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=self.network,
            **kwargs,
            **create,
        )["service"]

    def register(self, family, image):
        return self.ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": image, "memory": 512, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]

    def update(self, **kwargs):
        return self.ecs.update_service(cluster=self.cluster, service=self.name, **kwargs)["service"]

    def describe(self):
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]


def shape(service):
    """(status, task definition revision, rolloutState, runningCount) per deployment, newest first."""
    return [
        (d["status"], d["taskDefinition"].rsplit(":", 1)[1], d["rolloutState"], d["runningCount"])
        for d in service["deployments"]
    ]


def messages(service):
    """The service events' messages, newest first, without the "(service name) " they start with."""
    prefix = f"(service {service['serviceName']}) "
    assert all(e["message"].startswith(prefix) for e in service["events"])
    return [e["message"][len(prefix):] for e in service["events"]]


def rollout(service):
    """The newest deployment's steps, oldest first: the service events after the one that started it."""
    events = messages(service)
    newest = next(i for i, message in enumerate(events) if "deployment started with task definition" in message)
    return events[:newest][::-1]


def tasks_at_once(service, before):
    """(fewest, most) tasks the service ran at once during its newest deployment, replayed from its
    events ("has started N tasks", "has stopped N running tasks") from the `before` it ran until then."""
    running = least = most = before
    for step in rollout(service):
        if step.startswith(("has started", "has stopped")):
            count = int(step.split()[2])
            running += count if step.startswith("has started") else -count
            least, most = min(least, running), max(most, running)
    return least, most


class TestNewDeployments:
    def test_a_new_task_definition_starts_a_primary_deployment_that_completes(self, running_aws):
        deploys = Deploys(running_aws)
        first = deploys.created["deployments"][0]
        assert shape(deploys.created) == [("PRIMARY", "1", "COMPLETED", 1)]

        # family:revision is resolved to the ARN, as AWS does.
        updated = deploys.update(taskDefinition=deploys.revisions[1].split("/")[-1])
        service = deploys.describe()
        assert updated["taskDefinition"] == service["taskDefinition"] == deploys.revisions[1]
        assert shape(service) == [("PRIMARY", "2", "COMPLETED", 1)]
        new = service["deployments"][0]
        assert new["id"] != first["id"]
        assert new["rolloutStateReason"] == f"ECS deployment {new['id']} completed."
        assert (service["runningCount"], service["pendingCount"]) == (1, 0)
        family_revision = deploys.revisions[1].split("/")[-1]
        # ECS's defaults (100 / 200): the new task starts before the old one stops.
        assert messages(service)[:6] == [
            "has reached a steady state.",
            f"(deployment {new['id']}) deployment completed.",
            "has stopped 1 running tasks.",
            "has started 1 tasks.",
            f"(deployment {new['id']}) deployment started with task definition {family_revision}.",
            "has reached a steady state.",
        ]

    @pytest.mark.parametrize(
        "desired, minimum, maximum, steps",
        [
            # Stop-before-start: the old task stops, then the new one starts; never two at once.
            (1, 0, 100, ["has stopped 1 running tasks.", "has started 1 tasks."]),
            (1, 100, 200, ["has started 1 tasks.", "has stopped 1 running tasks."]),
            # Batches of the bounds: 4 tasks, at most 6 running, at least 2.
            (4, 50, 150, ["has started 2 tasks.", "has stopped 4 running tasks.", "has started 2 tasks."]),
        ],
    )
    def test_a_rolling_update_stays_within_the_deployment_configuration(self, ample_aws, desired, minimum, maximum, steps):
        deploys = Deploys(ample_aws, desired=desired, deploymentConfiguration={"minimumHealthyPercent": minimum, "maximumPercent": maximum})
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "2", "COMPLETED", desired)]
        assert rollout(service)[:len(steps)] == steps
        assert tasks_at_once(service, desired) == (-(-desired * minimum // 100), desired * maximum // 100)

    def test_the_previous_deployment_stays_active_until_the_new_one_completes(self, running_aws):
        # Two tasks wanted, one runs: neither deployment completes.
        deploys = Deploys(running_aws, desired=2)
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "2", "IN_PROGRESS", 1), ("ACTIVE", "1", "IN_PROGRESS", 1)]
        assert service["runningCount"] == 2
        assert "has reached a steady state." not in messages(service)

    def test_force_new_deployment_starts_one_with_the_same_task_definition(self, running_aws):
        deploys = Deploys(running_aws)
        first = deploys.created["deployments"][0]["id"]
        deploys.update(forceNewDeployment=True)
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "1", "COMPLETED", 1)]
        assert service["deployments"][0]["id"] != first

    def test_a_network_change_starts_a_deployment_and_the_same_network_does_not(self, running_aws):
        deploys = Deploys(running_aws)
        first = deploys.created["deployments"][0]["id"]
        subnets = deploys.network["awsvpcConfiguration"]["subnets"]
        same = {"awsvpcConfiguration": dict(deploys.network["awsvpcConfiguration"], subnets=subnets[::-1], assignPublicIp="DISABLED")}
        deploys.update(networkConfiguration=same, desiredCount=1, taskDefinition=deploys.revisions[0])
        assert [d["id"] for d in deploys.describe()["deployments"]] == [first]

        deploys.update(networkConfiguration={"awsvpcConfiguration": dict(deploys.network["awsvpcConfiguration"], subnets=subnets[:1])})
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "1", "COMPLETED", 1)]
        assert service["deployments"][0]["id"] != first
        assert service["deployments"][0]["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == subnets[:1]

    def test_a_new_desired_count_changes_the_primary_deployment_only(self, running_aws):
        deploys = Deploys(running_aws)
        first = deploys.created["deployments"][0]["id"]
        deploys.update(desiredCount=0)
        service = deploys.describe()
        assert [d["id"] for d in service["deployments"]] == [first]
        assert service["deployments"][0]["desiredCount"] == 0
        assert (service["desiredCount"], service["runningCount"]) == (0, 0)

    def test_deployment_configuration_with_the_defaults_aws_fills_in(self, running_aws):
        deploys = Deploys(running_aws)
        assert deploys.describe()["deploymentConfiguration"] == {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        deploys.update(deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        deploys.update(deploymentConfiguration={"minimumHealthyPercent": 50})
        assert deploys.describe()["deploymentConfiguration"] == {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 50,
        }


    def test_no_more_tasks_run_than_desired(self, running_aws):
        deploys = Deploys(running_aws, desired=0)
        assert shape(deploys.created) == [("PRIMARY", "1", "COMPLETED", 0)]
        assert deploys.describe()["runningCount"] == 0

    def test_the_health_check_grace_period_is_kept(self, running_aws):
        deploys = Deploys(running_aws, healthCheckGracePeriodSeconds=60)
        assert deploys.describe()["healthCheckGracePeriodSeconds"] == 60


class TestFailedTasks:
    def test_the_first_deployment_completes(self, failing_aws):
        deploys = Deploys(failing_aws, breaker={"enable": True, "rollback": True})
        assert shape(deploys.describe()) == [("PRIMARY", "1", "COMPLETED", 1)]

    def test_the_circuit_breaker_rolls_back_to_the_last_completed_deployment(self, failing_aws):
        deploys = Deploys(failing_aws, breaker={"enable": True, "rollback": True})
        first = deploys.created["deployments"][0]["id"]
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert service["taskDefinition"] == deploys.revisions[0]
        assert shape(service) == [("PRIMARY", "1", "COMPLETED", 1), ("ACTIVE", "2", "FAILED", 0)]
        rollback, failed = service["deployments"]
        assert rollback["id"] != first
        assert failed["rolloutStateReason"] == REASON_FAILED
        assert failed["failedTasks"] == 1
        family_revision = deploys.revisions[1].split("/")[-1]
        # The rollback replaces the first deployment's task as any deployment does (100 / 200).
        assert messages(service)[:8] == [
            "has reached a steady state.",
            f"(deployment {rollback['id']}) deployment completed.",
            "has stopped 1 running tasks.",
            "has started 1 tasks.",
            f"rolling back to deployment {first}.",
            f"(deployment {failed['id']}) deployment failed: tasks failed to start.",
            f"(deployment {failed['id']}) 1 tasks failed to start.",
            f"(deployment {failed['id']}) deployment started with task definition {family_revision}.",
        ]

    def test_the_next_deployment_drops_the_failed_one(self, failing_aws):
        deploys = Deploys(failing_aws, breaker={"enable": True, "rollback": True})
        deploys.update(taskDefinition=deploys.revisions[1])
        rollback = deploys.describe()["deployments"][0]["id"]
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "1", "COMPLETED", 1), ("ACTIVE", "2", "FAILED", 0)]
        assert f"rolling back to deployment {rollback}." in messages(service)

    def test_without_rollback_the_new_deployment_stays_primary_and_failed(self, failing_aws):
        deploys = Deploys(failing_aws, breaker={"enable": True, "rollback": False})
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert service["taskDefinition"] == deploys.revisions[1]
        assert shape(service) == [("PRIMARY", "2", "FAILED", 0), ("ACTIVE", "1", "COMPLETED", 1)]
        assert service["deployments"][0]["rolloutStateReason"] == REASON_FAILED
        assert not any(m.startswith("rolling back") for m in messages(service))

    def test_without_a_circuit_breaker_ecs_keeps_trying(self, failing_aws):
        deploys = Deploys(failing_aws)
        deploys.update(taskDefinition=deploys.revisions[1])
        service = deploys.describe()
        assert shape(service) == [("PRIMARY", "2", "IN_PROGRESS", 0), ("ACTIVE", "1", "COMPLETED", 1)]
        assert service["deployments"][0]["failedTasks"] == 1

    def test_a_service_scaled_to_zero_has_no_task_to_fail(self, failing_aws):
        deploys = Deploys(failing_aws, desired=0, breaker={"enable": True, "rollback": True})
        deploys.update(taskDefinition=deploys.revisions[1])
        assert shape(deploys.describe()) == [("PRIMARY", "2", "COMPLETED", 0)]


def run_target(emulator, target, **extra_vars):
    """test_targets.test_target, on this emulator: prerequisites, the run, leftovers. The run's output."""
    aliases = read_aliases(target)
    kinds = [alias.split("/", 1)[1] for alias in aliases if alias.startswith("prerequisite/")]
    prefix = f"quoin-it-{uuid.uuid4().hex[:8]}"
    extra_vars.update(quoin_target=target, resource_prefix=prefix)
    prerequisites = [PREREQUISITES[kind](emulator.client, prefix) for kind in kinds]
    env = dict(
        emulator.env,
        AWS_ENDPOINT_URL=emulator.state["endpoint"],
        AWS_REGION=emulator.state["region"],
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
    )
    try:
        for prerequisite in prerequisites:
            extra_vars.update(prerequisite.create())
        run = subprocess.run(
            [str(Path(sys.executable).with_name("ansible-playbook")), str(RUN_TARGET), "-i", "localhost,", "-e", json.dumps(extra_vars)],
            cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output[-6000:]
        leftovers = [item for prerequisite in prerequisites for item in prerequisite.leftovers()]
        assert leftovers == [], f"{target} left behind: {leftovers}"
        return output
    finally:
        for prerequisite in reversed(prerequisites):
            prerequisite.destroy()


ROLLED_BACK_ASSERT = "Assert that the rolled back deploy fails, naming the service, both revisions and the events"


def task_status(output, task):
    """How the target's task of this name ended: ok, skipping, fatal or changed."""
    after = output.split(f"TASK [ecs_deployment_wait : {task}]", 1)[1]
    line = next(line for line in after.splitlines() if line.startswith(("ok:", "skipping:", "fatal:", "changed:")))
    return line.split(":", 1)[0]


class TestTheWaitModule:
    def test_a_deploy_with_running_tasks_is_verified(self, running_aws):
        output = run_target(running_aws, "ecs_deployment_wait", ecs_deployment_wait_desired_count=1)
        assert task_status(output, "Wait for the second deploy") == "ok"
        assert task_status(output, "Assert that the second deploy is verified and runs") == "ok"
        assert task_status(output, ROLLED_BACK_ASSERT) == "skipping"

    def test_a_rolled_back_deploy_fails_the_module(self, failing_aws):
        output = run_target(
            failing_aws, "ecs_deployment_wait", ecs_deployment_wait_desired_count=1, ecs_deployment_wait_rollout="rolled_back"
        )
        # The target ignores this failure and asserts the message in the next tasks.
        assert task_status(output, "Wait for the second deploy") == "fatal"
        assert "rolled back, the PRIMARY deployment runs" in output.split("TASK [ecs_deployment_wait : Wait for the second deploy]")[1]
        assert task_status(output, ROLLED_BACK_ASSERT) == "ok"
        assert task_status(output, "Assert that the second deploy is verified and runs") == "skipping"
