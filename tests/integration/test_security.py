"""What the scanners cannot see, read back from a deployed environment: each task definition's roles,
user, root file system, secrets and volumes; ECS Exec off; the file system policies; the execution role's
permissions. (The S3 bucket policy is skipped by the emulator's CloudFormation: the rendered template's
is asserted in tests/unit/test_stack_template.py, as are the checkov and cfn-lint findings.)"""

import ast
import json
import re

import pytest

from .test_deploy import SERVICES
from .test_deploy import inventory_services
from .test_deploy import latest

CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$", re.IGNORECASE)


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()
    return deployment.outputs


def definitions(aws):
    families = [f"quoin-local-{name}" for name in SERVICES] + ["quoin-local-backup", "quoin-local-restore"]
    return {family: latest(aws, family)[0]["taskDefinition"] for family in families}


def test_every_task_runs_with_its_own_task_role_not_the_execution_role(deployed, aws):
    roles = set()
    for family, definition in definitions(aws).items():
        assert definition["taskRoleArn"] != definition["executionRoleArn"], family
        assert definition["executionRoleArn"] == deployed["ExecutionRoleArn"], family
        roles.add(definition["taskRoleArn"])
    assert len(roles) == len(SERVICES) + 2


def test_containers_are_unprivileged_as_the_inventory_allows(deployed, aws):
    wanted = {s["name"]: s for s in inventory_services()}
    prepared = 0
    for family, definition in definitions(aws).items():
        service = wanted.get(family.removeprefix("quoin-local-"))
        for container in definition["containerDefinitions"]:
            assert not container.get("privileged"), family
            if container["name"] == "prepare-scratch":
                # Root only to chown the task's scratch volumes, with every capability but CHOWN and FOWNER
                # dropped, before the others start.
                assert container["user"] == "0" and container["essential"] is False, family
                assert {"DAC_OVERRIDE", "SETUID", "SETGID", "NET_RAW"} <= set(container["linuxParameters"]["capabilities"]["drop"])
                assert {"CHOWN", "FOWNER"}.isdisjoint(container["linuxParameters"]["capabilities"]["drop"])
                assert container["readonlyRootFilesystem"] is True, family
                prepared += 1
                continue
            assert container.get("user", "").split(":")[0] not in ("", "0", "root"), family
            main = service and container["name"] == service["name"]
            expected = service.get("readonly_root_filesystem", True) if main else True
            assert container["readonlyRootFilesystem"] is expected, (family, container["name"])
    # The site and the proxy write scratch paths as 1000 and 101, the backup and restore tasks /tmp as 65534.
    assert prepared == 4


def test_secrets_come_only_by_reference(deployed, aws):
    for family, definition in definitions(aws).items():
        for container in definition["containerDefinitions"]:
            for secret in container.get("secrets", []):
                assert re.match(r"^arn:aws:(ssm|secretsmanager):", secret["valueFrom"]), family
            for variable in container.get("environment", []):
                assert not CREDENTIAL_NAME.search(variable["name"]), (family, variable["name"])
    cms = definitions(aws)["quoin-local-cms"]["containerDefinitions"][0]
    assert [s["name"] for s in cms["secrets"]] == ["MESH_INITIAL_ADMIN_PASSWORD"]


def test_every_efs_volume_goes_through_an_access_point_with_iam_and_tls(deployed, aws):
    access_points = {ap["AccessPointId"] for ap in aws("efs").describe_access_points(FileSystemId=deployed["FileSystemCmsId"])["AccessPoints"]}
    seen = 0
    for family, definition in definitions(aws).items():
        for volume in definition["volumes"]:
            if "efsVolumeConfiguration" not in volume:
                continue
            efs = volume["efsVolumeConfiguration"]
            assert efs["transitEncryption"] == "ENABLED", family
            assert efs["authorizationConfig"]["iam"] == "ENABLED", family
            assert efs["authorizationConfig"]["accessPointId"] in access_points, family
            seen += 1
    assert seen == 3  # the cms, backup and restore tasks


def test_ecs_exec_is_off(deployed, aws):
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES))["services"]
    assert [s.get("enableExecuteCommand", False) for s in described] == [False] * len(SERVICES)


def test_the_file_system_refuses_plain_nfs_root_and_other_roles(deployed, aws):
    policy = json.loads(aws("efs").describe_file_system_policy(FileSystemId=deployed["FileSystemCmsId"])["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyWithoutTLS"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyWithoutTLS"]["Effect"] == "Deny"
    assert statements["DenyRootAccess"]["Effect"] == "Deny"
    allowed = sorted(s["Principal"]["AWS"] for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allowed == sorted([deployed["ServiceCmsTaskRoleArn"], deployed["BackupTaskRoleArn"], deployed["RestoreTaskRoleArn"]])


def role_statements(aws, role_arn):
    """The statements of a role's inline policies, as the emulator reads them back."""
    iam = aws("iam")
    name = role_arn.rsplit("/", 1)[1]
    statements = []
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        # The emulator keeps a policy from a template as Python's repr of it; AWS returns JSON.
        if isinstance(document, str):
            document = json.loads(document) if document.startswith('{"') else ast.literal_eval(document)
        statements += document["Statement"]
    return statements


def test_the_execution_role_reads_only_the_named_secret_and_its_own_logs(deployed, aws):
    by_sid = {s["Sid"]: s for s in role_statements(aws, deployed["ExecutionRoleArn"])}
    assert by_sid["ReadTheNamedParameters"]["Resource"] == [
        "arn:aws:ssm:eu-central-1:123456789012:parameter/quoin/local/mesh-admin-password"
    ]
    assert by_sid["WriteContainerLogs"]["Resource"].startswith("arn:aws:logs:eu-central-1:123456789012:log-group:/quoin/local")
    assert by_sid["PullTheInventorysImages"]["Resource"] == [
        "arn:aws:ecr:eu-central-1:123456789012:repository/quoin/proxy",
        "arn:aws:ecr:eu-central-1:123456789012:repository/quoin/site",
    ]
