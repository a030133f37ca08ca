"""The backup filters: the backup and restore task definitions, the schedule's Fargate target and the
RunTask overrides the playbooks send."""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.filter.backup import backup_network
from ansible_collections.quoin.fargate.plugins.filter.backup import backup_overrides
from ansible_collections.quoin.fargate.plugins.filter.backup import backup_schedule
from ansible_collections.quoin.fargate.plugins.filter.backup import backup_task_definitions
from ansible_collections.quoin.fargate.plugins.filter.backup import restore_overrides
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_environment_model import VALID

STACK = {
    "cluster_name": "quoin-prod",
    "cluster_arn": "arn:aws:ecs:eu-central-1:123456789012:cluster/quoin-prod",
    "log_group_name": "/quoin/prod",
    "execution_role_arn": "arn:aws:iam::123456789012:role/exec",
    "backup_bucket": "quoin-prod-backups",
    "subnet_ids": ["subnet-1", "subnet-2"],
    "file_systems": {"cms": {"id": "fs-1"}},
    "backup": {
        "security_group_id": "sg-backup",
        "task_role_arn": "arn:aws:iam::123456789012:role/backup",
        "restore_task_role_arn": "arn:aws:iam::123456789012:role/restore",
        "scheduler_role_arn": "arn:aws:iam::123456789012:role/scheduler",
    },
}
ACCESS_POINTS = {"cms": {"data": {"id": "fsap-1", "arn": "arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-1"}}}


@pytest.fixture
def model():
    return normalize_environment(copy.deepcopy(VALID))


def test_backup_reads_and_restore_writes_each_volume_through_its_access_point(model):
    backup, restore = backup_task_definitions(model, STACK, ACCESS_POINTS, "eu-central-1")
    assert (backup["family"], restore["family"]) == ("quoin-prod-backup", "quoin-prod-restore")
    for result, root, read_only, role in ((backup, "/backup", True, "backup"), (restore, "/restore", False, "restore")):
        definition = result["task_definition"]
        assert definition["taskRoleArn"] == f"arn:aws:iam::123456789012:role/{role}"
        assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
        volume = [v for v in definition["volumes"] if "efsVolumeConfiguration" in v][0]
        assert volume["efsVolumeConfiguration"] == {
            "fileSystemId": "fs-1",
            "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"},
        }
        container = definition["containerDefinitions"][0]
        mount = [m for m in container["mountPoints"] if m["sourceVolume"] == volume["name"]][0]
        assert mount == {"sourceVolume": volume["name"], "containerPath": f"{root}/cms/data", "readOnly": read_only}
        assert container["readonlyRootFilesystem"] is True and container["user"] == "65534"
        assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == role
        environment = {e["name"]: e["value"] for e in container["environment"]}
        assert environment["BACKUP_BUCKET"] == "quoin-prod-backups" and environment["BACKUP_VOLUMES"] == "cms/data"


def test_the_backup_writes_to_the_documented_prefix_and_marks_it_complete(model):
    backup, restore = backup_task_definitions(model, STACK, ACCESS_POINTS, "eu-central-1")
    script = backup["task_definition"]["containerDefinitions"][0]["command"][0]
    assert 'target="s3://$BACKUP_BUCKET/$QUOIN_ENVIRONMENT/$volume/$stamp"' in script
    assert 'aws s3 sync "/backup/$volume/" "$target/"' in script
    assert '"$target.complete"' in script
    restore_script = restore["task_definition"]["containerDefinitions"][0]["command"][0]
    assert 'aws s3 ls "$source.complete"' in restore_script
    assert "--delete" in restore_script


def test_a_volume_without_access_point_is_named(model):
    with pytest.raises(AnsibleFilterError, match="cms/data"):
        backup_task_definitions(model, STACK, {}, "eu-central-1")


def test_the_schedule_runs_the_backup_task_on_fargate_without_public_ip(model):
    arn = "arn:aws:ecs:eu-central-1:123456789012:task-definition/quoin-prod-backup:3"
    schedule = backup_schedule(model, STACK, arn)
    assert schedule["name"] == "quoin-prod-backup"
    assert (schedule["schedule_expression"], schedule["schedule_expression_timezone"]) == ("cron(0 3 * * ? *)", "UTC")
    target = schedule["target"]
    assert target["arn"] == STACK["cluster_arn"] and target["role_arn"] == STACK["backup"]["scheduler_role_arn"]
    assert target["ecs_parameters"] == {
        "task_definition_arn": arn,
        "task_count": 1,
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": ["subnet-1", "subnet-2"], "security_groups": ["sg-backup"], "assign_public_ip": "DISABLED"},
    }
    assert backup_network(model, STACK) == target["ecs_parameters"]["network_configuration"]


def test_overrides_name_the_volumes_and_the_backup():
    assert backup_overrides(["cms/data"], "20261126T030000Z") == {
        "container_overrides": [{"name": "backup", "environment": {"BACKUP_VOLUMES": "cms/data", "BACKUP_TIMESTAMP": "20261126T030000Z"}}]
    }
    assert restore_overrides("cms/data", "20261126T030000Z") == {
        "container_overrides": [{"name": "restore", "environment": {"RESTORE_VOLUME": "cms/data", "RESTORE_FROM": "20261126T030000Z"}}]
    }


@pytest.mark.parametrize("stamp", ["2026-11-26", "20261126T030000", "../x", None])
def test_timestamps_that_are_not_backup_names_are_refused(stamp):
    with pytest.raises(AnsibleFilterError, match="not a backup timestamp"):
        restore_overrides("cms/data", stamp)
