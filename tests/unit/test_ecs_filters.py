"""The ecs role's filters: the task definition and service request rendered for each service."""

import copy

import pytest

from ansible_collections.quoin.fargate.plugins.filter.ecs import environment_task_definitions
from ansible_collections.quoin.fargate.plugins.filter.ecs import service_request
from ansible_collections.quoin.fargate.plugins.filter.ecs import task_definition
from ansible_collections.quoin.fargate.plugins.filter.ecs import unrecorded
from ansible_collections.quoin.fargate.plugins.filter.ecs import verify_targets
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_backup_filters import STACK as BACKUP_STACK
from .test_environment_model import VALID

PARAMETER = "arn:aws:ssm:eu-central-1:123456789012:parameter/quoin/prod/mesh-admin-password"
STACK = {
    "cluster_name": "quoin-prod",
    "log_group_name": "/quoin/prod",
    "execution_role_arn": "arn:aws:iam::123456789012:role/exec",
    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "target_group_arn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/tg/1",
    "file_systems": {"cms": {"id": "fs-1", "arn": "arn:fs-1"}},
    "services": {
        name: {"security_group_id": f"sg-{name}", "task_role_arn": f"arn:aws:iam::123456789012:role/{name}"}
        for name in ("site", "cms", "proxy")
    },
}
ACCESS_POINTS = {"cms": {"data": {"id": "fsap-1", "arn": "arn:fsap-1"}}}


@pytest.fixture
def model():
    raw = copy.deepcopy(VALID)
    cms = raw["services"][1]
    cms.update(
        cpu=1024, memory=2048, environment={"JAVA_OPTS": "-Xmx1g", "DEBUG": False}, secrets={"ADMIN_PASSWORD": PARAMETER},
        health_check={"command": "wget -q http://localhost:8080/ || exit 1", "start_period": 120}, user="1000",
        readonly_root_filesystem=False,
    )
    raw["services"][0].update(scratch_paths=["/tmp"], command=["node", "server.js"])
    return normalize_environment(raw)


def test_the_task_definition_of_a_service_with_a_volume(model):
    rendered = task_definition("cms", model, STACK, ACCESS_POINTS, "eu-central-1")
    assert rendered["family"] == "quoin-prod-cms"
    definition = rendered["task_definition"]
    assert (definition["cpu"], definition["memory"]) == ("1024", "2048")
    assert definition["networkMode"] == "awsvpc" and definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["taskRoleArn"] == "arn:aws:iam::123456789012:role/cms"
    assert definition["executionRoleArn"] == "arn:aws:iam::123456789012:role/exec"
    assert definition["taskRoleArn"] != definition["executionRoleArn"]
    assert definition["volumes"] == [
        {
            "name": "data",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-1",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"},
            },
        }
    ]
    container = definition["containerDefinitions"][0]
    assert container["mountPoints"] == [{"sourceVolume": "data", "containerPath": "/mesh/data", "readOnly": False}]
    assert container["environment"] == [{"name": "DEBUG", "value": "false"}, {"name": "JAVA_OPTS", "value": "-Xmx1g"}]
    assert container["secrets"] == [{"name": "ADMIN_PASSWORD", "valueFrom": PARAMETER}]
    assert PARAMETER not in str(container["environment"])
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/quoin/prod", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "cms"},
    }
    assert container["healthCheck"] == {
        "command": ["CMD-SHELL", "wget -q http://localhost:8080/ || exit 1"],
        "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 120,
    }
    assert container["user"] == "1000" and container["readonlyRootFilesystem"] is False
    assert "privileged" not in container


def test_a_read_only_root_gets_scratch_volumes(model):
    definition = task_definition("site", model, STACK, ACCESS_POINTS, "eu-central-1")["task_definition"]
    container = definition["containerDefinitions"][0]
    assert container["readonlyRootFilesystem"] is True
    assert definition["volumes"] == [{"name": "scratch-1"}]
    assert container["mountPoints"] == [{"sourceVolume": "scratch-1", "containerPath": "/tmp", "readOnly": False}]
    assert container["command"] == ["node", "server.js"]
    assert "healthCheck" not in container and "user" not in container


def test_a_predicted_access_point_is_shown_as_such(model):
    definition = task_definition("cms", model, STACK, {}, "eu-central-1")["task_definition"]
    assert definition["volumes"][0]["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"] == "(new access point)"


def test_the_image_is_the_inventorys_reference(model):
    # Pinning an ECR image by digest is ecs_taskdefinition's (pin_ecr_images), not the filter's.
    image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/site:latest"
    model["services"][0]["image"] = image
    container = task_definition("site", model, STACK, ACCESS_POINTS, "eu-central-1")["task_definition"]["containerDefinitions"][0]
    assert container["image"] == image
    assert "dockerLabels" not in container


def test_a_single_writer_service_deploys_stop_before_start_with_the_circuit_breaker(model):
    model["services"][1]["deployment"] = {"minimum_healthy_percent": 0, "maximum_percent": 100}
    request = service_request("cms", model, STACK, "arn:td/cms:3", None)
    assert request["deployment_configuration"] == {
        "minimum_healthy_percent": 0, "maximum_percent": 100, "circuit_breaker": {"enable": True, "rollback": True},
    }


def test_services_run_private_with_a_circuit_breaker(model):
    request = service_request("site", model, STACK, "arn:td/site:3", "arn:registry/site")
    assert request["network_configuration"] == {
        "subnets": STACK["subnet_ids"], "security_groups": ["sg-site"], "assign_public_ip": False,
    }
    assert request["deployment_configuration"] == {
        "minimum_healthy_percent": 100, "maximum_percent": 200, "circuit_breaker": {"enable": True, "rollback": True},
    }
    assert request["service_registries"] == [{"registry_arn": "arn:registry/site"}]
    assert request["load_balancers"] == [] and "health_check_grace_period_seconds" not in request
    assert request["enable_execute_command"] is False
    assert (request["cluster"], request["task_definition"], request["desired_count"]) == ("quoin-prod", "arn:td/site:3", 1)


def test_the_entry_service_is_registered_with_the_target_group(model):
    request = service_request("proxy", model, STACK, "arn:td/proxy:1", "arn:registry/proxy")
    assert request["load_balancers"] == [
        {"target_group_arn": STACK["target_group_arn"], "container_name": "proxy", "container_port": 80}
    ]
    assert request["health_check_grace_period_seconds"] == 60
    model["load_balancer"]["enabled"] = False
    assert service_request("proxy", model, STACK, "arn:td/proxy:1", None)["load_balancers"] == []


def test_only_started_deployments_are_waited_on():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import started_deployments

    results = [
        # Already rolled back: the service reports revision 1, the deploy asked for revision 2.
        {
            "deployment_started": True,
            "service": {"service_name": "site", "task_definition": "arn:td/site:1"},
            "invocation": {"module_args": {"task_definition": "arn:td/site:2"}},
        },
        {
            "deployment_started": False,
            "service": {"service_name": "cms", "task_definition": "arn:td/cms:1"},
            "invocation": {"module_args": {"task_definition": "arn:td/cms:1"}},
        },
        {"skipped": True},
    ]
    assert started_deployments(results) == [{"name": "site", "task_definition": "arn:td/site:2", "previous_good": None}]


def test_the_list_modes_result_is_read_the_same_way():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import started_deployments

    services = [
        {"service_name": "site", "task_definition": "arn:td/site:1", "deployment_started": True,
         "requested_task_definition": "arn:td/site:2", "tags": {"quoin:last-good-task-definition": "arn:td/site:1"}},
        {"service_name": "cms", "task_definition": "arn:td/cms:1", "deployment_started": False,
         "requested_task_definition": "arn:td/cms:1", "tags": {}},
    ]
    assert started_deployments(services) == [{"name": "site", "task_definition": "arn:td/site:2", "previous_good": "arn:td/site:1"}]


def test_service_requests_are_one_list_with_registered_or_predicted_task_definitions(model):
    from ansible_collections.quoin.fargate.plugins.filter.ecs import service_requests

    stack = dict(STACK, execution_role_arn="arn:aws:iam::123456789012:role/exec")
    registered = [
        {"family": "quoin-prod-site", "revision": 3, "task_definition_arn": "arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-site:3"},
        # Check mode: a revision that would be registered has no ARN yet.
        {"family": "quoin-prod-cms", "revision": 5, "task_definition_arn": None},
    ]
    requests = service_requests(["site", "cms"], model, stack, registered, {"site": "arn:registry/site"}, "eu-central-1")
    assert [r["name"] for r in requests] == ["site", "cms"]
    assert requests[0]["task_definition"] == registered[0]["task_definition_arn"]
    assert requests[1]["task_definition"] == "arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-cms:5"
    assert requests[0]["service_registries"] == [{"registry_arn": "arn:registry/site"}] and requests[1]["service_registries"] == []
    # The cluster is the module's own option; the last-good tags are never purged.
    assert all("cluster" not in r and r["purge_tags"] is False for r in requests)
    expected = service_request("site", model, stack, registered[0]["task_definition_arn"], "arn:registry/site")
    del expected["cluster"]
    assert requests[0] == dict(expected, purge_tags=False)


def test_a_verified_deploy_keeps_the_good_one_before_it():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import good_records
    from ansible_collections.quoin.fargate.plugins.filter.ecs import rollback_targets
    from ansible_collections.quoin.fargate.plugins.filter.ecs import started_deployments

    result = {
        "deployment_started": True,
        "service": {"service_name": "site", "task_definition": "arn:td/site:3",
                    "tags": {"quoin:last-good-task-definition": "arn:td/site:2"}},
        "invocation": {"module_args": {"task_definition": "arn:td/site:3"}},
    }
    assert good_records(started_deployments([result])) == {
        "site": {"quoin:last-good-task-definition": "arn:td/site:3", "quoin:previous-good-task-definition": "arn:td/site:2"}
    }
    tags = {
        "site": {"quoin:last-good-task-definition": "arn:td/site:3", "quoin:previous-good-task-definition": "arn:td/site:2"},
        "cms": {"quoin:last-good-task-definition": "arn:td/cms:1"},
        "proxy": {"quoin:last-good-task-definition": "arn:td/proxy:2"},
    }
    running = {"site": "arn:td/site:3", "cms": "arn:td/cms:1", "proxy": "arn:td/proxy:3"}
    # On the last good one: back to the one before, or stay when none is older; not on it (a deploy that was
    # not verified): to it; nothing recorded: "".
    assert rollback_targets(["site", "cms", "proxy"], tags, running) == {
        "site": "arn:td/site:2", "cms": "arn:td/cms:1", "proxy": "arn:td/proxy:2",
    }
    assert rollback_targets(["site"], {"site": {}}, running) == {"site": ""}


def test_ecs_exec_is_off_unless_the_inventory_asks():
    raw = copy.deepcopy(VALID)
    raw["services"][0].update(enable_execute_command=True, scratch_paths=["/var/lib/amazon/ssm", "/var/log/amazon/ssm"])
    model = normalize_environment(raw)
    assert service_request("site", model, STACK, "arn:td/site:3", None)["enable_execute_command"] is True
    assert service_request("cms", model, STACK, "arn:td/cms:3", None)["enable_execute_command"] is False


# stable_services: the ecs role's read of the services (ecs_service's list-mode result) judged as the deploy
# wait judges DescribeServices' answer.

RECORD = "quoin:last-good-task-definition"


def described(name, revision=1, recorded=None, **fields):
    """A service as DescribeServices returns it (API names), recorded as verified on `recorded`
    (family:revision, default its own revision); `fields` replace the defaults."""
    from .plugins.fake_ecs_services import service

    tags = {RECORD: task_definition_arn(recorded or f"{name}:{revision}")} if recorded != "" else {}
    return service(name, task_definition=f"{name}:{revision}", tags=tags, **fields)


def task_definition_arn(family_revision):
    from .plugins.fake_ecs_services import task_definition_arn as arn

    return arn(family_revision)


def read(*services):
    """What quoin.fargate.ecs_service's list mode returns for these services (its `services`)."""
    from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import normalize_service

    return [
        dict(normalize_service(svc), changed=False, deployment_started=False, changes=[],
             requested_task_definition=svc["taskDefinition"])
        for svc in services
    ]


def deployment(name, revision, state, status="PRIMARY", running=1, desired=1):
    return {"id": f"ecs-svc/{revision}", "status": status, "taskDefinition": task_definition_arn(f"{name}:{revision}"),
            "desiredCount": desired, "runningCount": running, "rolloutState": state}


def test_every_service_stable_on_its_recorded_task_definition_is_known():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services
    from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import judge_service

    site, cms, other = described("site", 3), described("cms", 1), described("other", 2)
    known = stable_services(read(cms, other, site), ["site", "cms"])
    # In the order asked for, as ecs_service_info would give them; services not asked for are left out.
    assert known["services"] == [
        {"service_name": "site", "status": "ACTIVE", "tags": {RECORD: task_definition_arn("site:3")}},
        {"service_name": "cms", "status": "ACTIVE", "tags": {RECORD: task_definition_arn("cms:1")}},
    ]
    # The deploy wait's verdict on the API's own answer, from the module's snake_cased result.
    assert known["wait"] == [
        judge_service("site", task_definition_arn("site:3"), site),
        judge_service("cms", task_definition_arn("cms:1"), cms),
    ]
    assert [verdict["outcome"] for verdict in known["wait"]] == ["completed", "completed"]
    assert known["wait"][0]["primary_task_definition"] == task_definition_arn("site:3")


def test_a_record_as_family_and_revision_matches_the_arn():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    svc = read(described("site", 3))
    svc[0]["tags"][RECORD] = "site:3"
    known = stable_services(svc, ["site"])
    assert known["wait"][0]["task_definition"] == "site:3"
    assert known["services"][0]["tags"] == {RECORD: "site:3"}


@pytest.mark.parametrize(
    "unstable",
    [
        # A rollout in progress: the new deployment is PRIMARY, the old one still ACTIVE.
        described("site", 3, deployments=[deployment("site", 3, "IN_PROGRESS", running=0), deployment("site", 2, "COMPLETED", "ACTIVE")]),
        # Every task runs, but the rollout is not COMPLETED yet.
        described("site", 3, deployments=[deployment("site", 3, "IN_PROGRESS")]),
        # Failed (no circuit breaker rollback).
        described("site", 3, deployments=[deployment("site", 3, "FAILED", running=0)], runningCount=0),
        # Running fewer tasks than desired, by the deployment's own counts.
        described("site", 3, deployments=[deployment("site", 3, "COMPLETED", running=1, desired=2)], desiredCount=2),
        # The deployment says every task runs, the service does not (yet).
        described("site", 3, deployments=[deployment("site", 3, "COMPLETED", running=2, desired=2)], desiredCount=2, runningCount=1),
        # Off the recorded task definition: a later, unverified revision runs.
        described("site", 4, recorded="site:3"),
        # Rolled back to an older revision than the recorded one.
        described("site", 2, recorded="site:3"),
        # Being deleted.
        described("site", 3, status="DRAINING"),
        # No verified deploy recorded.
        described("site", 3, recorded=""),
        # Another deployment controller: the deploy wait cannot judge it.
        described("site", 3, deploymentController={"type": "CODE_DEPLOY"}),
    ],
    ids=["in-progress", "rollout-in-progress", "failed", "short-of-tasks", "service-short-of-tasks", "unverified-revision",
         "rolled-back", "draining", "unrecorded", "code-deploy"],
)
def test_any_service_not_stable_on_its_record_means_unknown(unstable):
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    assert stable_services(read(described("cms"), unstable), ["cms", "site"]) is None
    # The same service, stable, would be known: the case above is what makes it unknown.
    assert stable_services(read(described("cms"), described("site", 3)), ["cms", "site"]) is not None


def test_an_empty_record_means_unknown():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    svc = read(described("site"))
    svc[0]["tags"][RECORD] = ""
    assert stable_services(svc, ["site"]) is None


def test_a_service_missing_from_the_read_means_unknown():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    # Deleted in the same run (list mode, state=absent): an element without service_name.
    deleted = {"changed": True, "deployment_started": False, "requested_task_definition": None, "changes": ["delete service cms"]}
    assert stable_services(read(described("site")) + [deleted], ["site", "cms"]) is None
    assert stable_services(read(described("site")) + [None], ["site"]) is not None


@pytest.mark.parametrize("nothing", [None, []])
def test_no_read_means_unknown(nothing):
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    assert stable_services(nothing, ["site"]) is None
    # Documented: null or empty input gives null, whatever the names.
    assert stable_services(nothing, []) is None


def test_another_record_tag():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    svc = read(described("site", 3, recorded=""))
    svc[0]["tags"]["verified"] = task_definition_arn("site:3")
    assert stable_services(svc, ["site"]) is None
    assert stable_services(svc, ["site"], tag="verified")["wait"][0]["task_definition"] == task_definition_arn("site:3")


def test_templated_values_are_read_like_plain_ones():
    """A templated read arrives as containers that cannot be rebuilt empty (dict subclasses with their own
    constructor) and may hold tuples; the verdict is the same."""
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    class Templated(dict):
        def __init__(self, data):
            super().__init__(data)

    def templated(value):
        if isinstance(value, dict):
            return Templated({key: templated(item) for key, item in value.items()})
        if isinstance(value, list):
            return tuple(templated(item) for item in value)
        return value

    plain = read(described("site", 3), described("cms"))
    assert stable_services([templated(svc) for svc in plain], ["site", "cms"]) == stable_services(plain, ["site", "cms"])
    assert stable_services([templated(svc) for svc in plain], ["site", "cms"]) is not None


def test_stable_services_is_a_filter():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import FilterModule
    from ansible_collections.quoin.fargate.plugins.filter.ecs import stable_services

    assert FilterModule().filters()["stable_services"] is stable_services


def test_a_deploy_renders_the_named_services_then_the_probe_then_the_backup_tasks(model):
    stack = {**BACKUP_STACK, **STACK}
    entries = environment_task_definitions(["proxy", "site"], model, stack, ACCESS_POINTS, "eu-central-1")
    assert list(entries) == ["proxy", "site", "probe", "backup", "restore"]
    assert [entry["family"] for entry in entries.values()] == [
        "quoin-prod-proxy", "quoin-prod-site", "quoin-prod-probe", "quoin-prod-backup", "quoin-prod-restore",
    ]
    assert entries["site"] == task_definition("site", model, stack, ACCESS_POINTS, "eu-central-1")


def test_without_callers_or_backed_up_volumes_only_the_services_are_rendered(model):
    for service in model["services"]:
        service["talks_to"] = []
    model["backup"]["volumes"] = []
    assert list(environment_task_definitions(["cms"], model, STACK, ACCESS_POINTS, "eu-central-1")) == ["cms"]


def test_without_own_tasks_only_the_named_services_are_rendered(model):
    stack = {**BACKUP_STACK, **STACK}
    assert list(environment_task_definitions(["site"], model, stack, ACCESS_POINTS, "eu-central-1", own_tasks=False)) == ["site"]


DESCRIBED = [
    {"service_name": "site", "tags": {"quoin:last-good-task-definition": "arn:td/site:1"}},
    {"service_name": "cms", "tags": {"quoin:last-good-task-definition": "arn:td/cms:4"}},
    {"service_name": "proxy", "tags": None},
]


def test_services_are_checked_on_what_the_run_deployed_else_on_their_record():
    assert verify_targets(DESCRIBED, {"site": "arn:td/site:2", "cms": "arn:td/cms:4"}) == [
        {"name": "site", "task_definition": "arn:td/site:2"},
        {"name": "cms", "task_definition": "arn:td/cms:4"},
        {"name": "proxy", "task_definition": ""},
    ]
    assert [t["task_definition"] for t in verify_targets(DESCRIBED)] == ["arn:td/site:1", "arn:td/cms:4", ""]


def test_only_what_the_tags_do_not_record_yet_is_recorded_with_the_record_it_replaces():
    targets = verify_targets(DESCRIBED, {"site": "arn:td/site:2", "cms": "arn:td/cms:4", "proxy": "arn:td/proxy:1"})
    assert unrecorded(targets, DESCRIBED) == [
        {"name": "site", "task_definition": "arn:td/site:2", "previous_good": "arn:td/site:1"},
        {"name": "proxy", "task_definition": "arn:td/proxy:1", "previous_good": None},
    ]
    # Nothing new: nothing to record.
    assert unrecorded(verify_targets(DESCRIBED), DESCRIBED) == []
