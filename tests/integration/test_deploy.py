"""site.yml deploys the three services: task definitions, services, discovery and verified deploys,
read back through the AWS API; a changed value deploys exactly one new revision; a failed rollout fails
the run with the service, the task definition and the events."""

import json
from pathlib import Path

import pytest
import yaml

from .test_moto_ecs_deployments import tasks_at_once

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("site", "cms", "proxy")


def inventory_services():
    return yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text())["quoin_services"]


def latest(aws, family):
    arns = aws("ecs").list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    arns = [arn for arn in arns if arn.split("/")[-1].rsplit(":", 1)[0] == family]
    # Newest first, by revision number (the emulator does not sort).
    arns.sort(key=lambda arn: int(arn.rsplit(":", 1)[1]), reverse=True)
    return aws("ecs").describe_task_definition(taskDefinition=arns[0], include=["TAGS"]), arns


def services(aws):
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES), include=["TAGS"])["services"]
    return {s["serviceName"]: s for s in described}


@pytest.fixture(scope="module")
def deployed(deployment):
    """site.yml on an empty emulator (the shared deployment; test_site.py reruns it and expects no change)."""
    deployment.restore()
    return deployment.run, deployment.outputs


def test_task_definitions_mount_through_access_points_with_tls_and_iam(deployed, aws):
    _, outputs = deployed
    described, _ = latest(aws, "quoin-local-cms")
    definition = described["taskDefinition"]
    access_point = aws("efs").describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"][0]
    assert [volume["name"] for volume in definition["volumes"]] == ["data"]
    efs = definition["volumes"][0]["efsVolumeConfiguration"]
    assert efs["fileSystemId"] == outputs["FileSystemCmsId"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"] == {"accessPointId": access_point["AccessPointId"], "iam": "ENABLED"}
    # With an access point, the root directory is the access point's (AWS reports "/" here).
    assert efs.get("rootDirectory", "/") == "/"
    container = definition["containerDefinitions"][0]
    assert {"sourceVolume": "data", "containerPath": "/mesh/data", "readOnly": False} in container["mountPoints"]
    assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
    assert definition["taskRoleArn"] == outputs["ServiceCmsTaskRoleArn"]
    assert definition["executionRoleArn"] == outputs["ExecutionRoleArn"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_container_logs_to_the_group_with_its_own_prefix(deployed, aws, service):
    definition = latest(aws, f"quoin-local-{service}")[0]["taskDefinition"]
    assert definition["containerDefinitions"][0]["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/quoin/local", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": service},
    }


def test_secrets_only_by_reference(deployed, aws):
    container = latest(aws, "quoin-local-cms")[0]["taskDefinition"]["containerDefinitions"][0]
    assert container["secrets"] == [
        {"name": "MESH_INITIAL_ADMIN_PASSWORD", "valueFrom": "arn:aws:ssm:eu-central-1:123456789012:parameter/quoin/local/mesh-admin-password"}
    ]
    assert "MESH_INITIAL_ADMIN_PASSWORD" not in [e["name"] for e in container.get("environment", [])]


@pytest.mark.parametrize("service", SERVICES)
def test_services_run_private_with_a_circuit_breaker_and_discovery(deployed, aws, service):
    _, outputs = deployed
    described = services(aws)[service]
    assert described["launchType"] == "FARGATE"
    network = described["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["subnets"]) == sorted(outputs["SubnetIds"].split(","))
    assert network["securityGroups"] == [outputs[f"Service{service.capitalize()}SecurityGroupId"]]
    assert network["assignPublicIp"] == "DISABLED"
    assert described["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    registry = described["serviceRegistries"][0]["registryArn"]
    discovery = aws("servicediscovery").get_service(Id=registry.rsplit("/", 1)[1])["Service"]
    assert discovery["Name"] == service
    namespace = aws("servicediscovery").get_namespace(Id=discovery["NamespaceId"])["Namespace"]
    assert namespace["Name"] == "local.quoin.internal" and namespace["Type"] == "DNS_PRIVATE"


def test_the_proxy_is_behind_the_load_balancer(deployed, aws):
    _, outputs = deployed
    proxy = services(aws)["proxy"]
    assert proxy["loadBalancers"] == [
        {"targetGroupArn": outputs["EntryTargetGroupArn"], "containerName": "proxy", "containerPort": 8080}
    ]
    assert services(aws)["site"]["loadBalancers"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_verified_task_definition_is_recorded_on_the_service(deployed, aws, service):
    described = services(aws)[service]
    tags = {t["key"]: t["value"] for t in described.get("tags", [])}
    assert tags["quoin:last-good-task-definition"] == described["taskDefinition"]
    primary = [d for d in described["deployments"] if d["status"] == "PRIMARY"]
    assert primary[0]["taskDefinition"] == described["taskDefinition"]
    assert primary[0]["rolloutState"] == "COMPLETED"


def test_a_changed_value_registers_one_revision_and_deploys_it(deployed, deployment, playbook, aws):
    before, before_arns = latest(aws, "quoin-local-site")
    others = {name: latest(aws, f"quoin-local-{name}")[1] for name in ("cms", "proxy")}
    changed = inventory_services()
    changed[0]["environment"]["NODE_ENV"] = "staging"
    run = playbook("site.yml", "-i", "local", "-e", json.dumps({"quoin_services": changed}))
    try:
        assert run.returncode == 0, run.output[-5000:]
        after, after_arns = latest(aws, "quoin-local-site")
        assert len(after_arns) == len(before_arns) + 1, run.output[-6000:]
        assert after["taskDefinition"]["revision"] == before["taskDefinition"]["revision"] + 1
        environment = {e["name"]: e["value"] for e in after["taskDefinition"]["containerDefinitions"][0]["environment"]}
        assert environment["NODE_ENV"] == "staging"
        assert {name: latest(aws, f"quoin-local-{name}")[1] for name in ("cms", "proxy")} == others
        site = services(aws)["site"]
        assert site["taskDefinition"] == after["taskDefinition"]["taskDefinitionArn"]
        rerun = playbook("site.yml", "-i", "local", "-e", json.dumps({"quoin_services": changed}))
        assert rerun.returncode == 0 and rerun.changed == 0, rerun.output[-5000:]
    finally:
        deployment.restore()


def test_the_cms_stops_its_task_before_it_starts_the_new_one(deployed, deployment, playbook, aws):
    configuration = {name: services(aws)[name]["deploymentConfiguration"] for name in ("site", "cms")}
    # The CMS's data volume is single-writer (every shipped inventory); the site keeps ECS's defaults.
    assert (configuration["cms"]["minimumHealthyPercent"], configuration["cms"]["maximumPercent"]) == (0, 100)
    assert (configuration["site"]["minimumHealthyPercent"], configuration["site"]["maximumPercent"]) == (100, 200)
    changed = inventory_services()
    for service in changed[:2]:
        service.setdefault("environment", {})["RELEASE"] = "2"
    run = playbook("site.yml", "-i", "local", "-e", json.dumps({"quoin_services": changed}))
    try:
        assert run.returncode == 0, run.output[-5000:]
        now = services(aws)
        assert now["cms"]["taskDefinition"].endswith(":2") and now["site"]["taskDefinition"].endswith(":2")
        # Two Mesh processes never share the database; the site overlaps for a moment, as ECS's defaults do.
        assert tasks_at_once(now["cms"], before=1) == (0, 1)
        assert tasks_at_once(now["site"], before=1) == (1, 2)
    finally:
        deployment.restore()


def test_a_failed_rollout_fails_the_run_clearly(deployment, emulator_settings, playbook, aws):
    """Once the tasks of every new deployment fail to start (MOTO_ECS_SERVICE_FAILED_TASKS), the circuit
    breaker rolls the change back, and the run must say so."""
    deployment.restore()
    emulator_settings(MOTO_ECS_SERVICE_FAILED_TASKS="1")
    changed = inventory_services()
    changed[0]["environment"]["NODE_ENV"] = "staging"
    try:
        run = playbook("site.yml", "-i", "local", "-e", json.dumps({"quoin_services": changed}))
        assert run.returncode != 0
        failure = run.output[run.output.index("fatal:"):]
        assert "site" in failure and "quoin-local-site:2" in failure, failure[:3000]
        assert "rolled back" in failure and "quoin-local-site:1" in failure, failure[:3000]
        assert "tasks failed to start" in failure, failure[:3000]
        site_service = services(aws)["site"]
        tags = {t["key"]: t["value"] for t in site_service["tags"]}
        assert tags["quoin:last-good-task-definition"].endswith("quoin-local-site:1")
        assert site_service["taskDefinition"].endswith("quoin-local-site:1")
    finally:
        deployment.restore()
