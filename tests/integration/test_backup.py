"""Backups, read back from the emulator: the backup and restore task definitions, the schedule's Fargate
target, the bucket's lifecycle rule; backup.yml starts the backup task with the right overrides;
restore.yml refuses bad input before any call, refuses a backup that is not there, and otherwise scales
the service to zero, backs the volume up, restores it and scales back; a failed restore leaves the
service stopped and says how to undo it.

The emulator runs no containers: its tasks stop at once with the exit code MOTO_ECS_TASK_EXIT_CODE
(tools/moto_server.py), so nothing is copied. What the containers run is asserted on the rendered task
definitions in tests/unit/test_backup_filters.py."""

import json
import re

import pytest

from .test_deploy import latest

STAMP = re.compile(r"\d{8}T\d{6}Z")


def outputs(aws):
    stack = aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def tasks_started_by(ecs, started_by):
    arns = ecs.list_tasks(cluster="quoin-local", startedBy=started_by, desiredStatus="STOPPED")["taskArns"]
    arns += ecs.list_tasks(cluster="quoin-local", startedBy=started_by)["taskArns"]
    if not arns:
        return []
    return ecs.describe_tasks(cluster="quoin-local", tasks=sorted(set(arns)))["tasks"]


def environment_of(task):
    override = task["overrides"]["containerOverrides"][0]
    return override["name"], {e["name"]: e["value"] for e in override["environment"]}


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()
    return deployment.run


def test_the_schedule_runs_the_backup_task_on_fargate_in_private_subnets(deployed, aws):
    schedule = aws("scheduler").get_schedule(Name="quoin-local-backup")
    out = outputs(aws)
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == out["ClusterArn"]
    assert target["RoleArn"] == out["BackupSchedulerRoleArn"]
    ecs = target["EcsParameters"]
    assert ecs["TaskDefinitionArn"] == latest(aws, "quoin-local-backup")[0]["taskDefinition"]["taskDefinitionArn"]
    assert ecs["LaunchType"] == "FARGATE" and ecs["TaskCount"] == 1
    network = ecs["NetworkConfiguration"]["awsvpcConfiguration"]
    assert network["Subnets"] == out["SubnetIds"].split(",")
    assert network["SecurityGroups"] == [out["BackupTaskSecurityGroupId"]]
    assert network["AssignPublicIp"] == "DISABLED"


def test_the_backup_task_reads_the_cms_volume_through_its_access_point(deployed, aws):
    out = outputs(aws)
    access_point = aws("efs").describe_access_points(FileSystemId=out["FileSystemCmsId"])["AccessPoints"][0]
    for family, root, read_only, role in (
        ("quoin-local-backup", "/backup", True, "BackupTaskRoleArn"),
        ("quoin-local-restore", "/restore", False, "RestoreTaskRoleArn"),
    ):
        definition = latest(aws, family)[0]["taskDefinition"]
        assert definition["taskRoleArn"] == out[role]
        efs = [v for v in definition["volumes"] if "efsVolumeConfiguration" in v]
        assert [v["efsVolumeConfiguration"]["authorizationConfig"] for v in efs] == [
            {"accessPointId": access_point["AccessPointId"], "iam": "ENABLED"}
        ]
        assert efs[0]["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"
        mounts = definition["containerDefinitions"][0]["mountPoints"]
        assert {"sourceVolume": efs[0]["name"], "containerPath": f"{root}/cms/data", "readOnly": read_only} in mounts


def test_the_bucket_keeps_backups_for_the_retention(deployed, aws):
    rules = aws("s3").get_bucket_lifecycle_configuration(Bucket=outputs(aws)["BackupBucketName"])["Rules"]
    assert [(r["ID"], r["Status"], r["Expiration"]["Days"]) for r in rules] == [("expire-backups", "Enabled", 35)]


def test_backup_starts_the_backup_task_with_the_right_overrides(deployed, playbook, aws):
    run = playbook("backup.yml", "-i", "local")
    assert run.returncode == 0, run.output[-5000:]
    tasks = tasks_started_by(aws("ecs"), "quoin-backup")
    assert len(tasks) == 1
    task = tasks[0]
    assert task["taskDefinitionArn"] == latest(aws, "quoin-local-backup")[0]["taskDefinition"]["taskDefinitionArn"]
    assert task["launchType"] == "FARGATE"
    name, environment = environment_of(task)
    assert name == "backup" and environment["BACKUP_VOLUMES"] == "cms/data"
    stamp = environment["BACKUP_TIMESTAMP"]
    assert STAMP.fullmatch(stamp)
    bucket = outputs(aws)["BackupBucketName"]
    assert f"s3://{bucket}/local/cms/data/{stamp}/" in run.output


def test_backup_refuses_a_volume_that_is_not_backed_up(deployed, playbook, aws):
    before = len(tasks_started_by(aws("ecs"), "quoin-backup"))
    run = playbook("backup.yml", "-i", "local", "-e", "volumes=cms/nope")
    assert run.returncode != 0
    assert "not backed-up volumes: cms/nope" in run.output
    assert len(tasks_started_by(aws("ecs"), "quoin-backup")) == before


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"service": "cms", "volume": "data", "from": "20261126T030000Z"}, "-e confirm=local is required"),
        ({"service": "cms", "volume": "data", "from": "yesterday", "confirm": "local"}, "from: yesterday is not a backup timestamp"),
        ({"service": "site", "volume": "data", "from": "20261126T030000Z", "confirm": "local"}, "site/data is not a backed-up volume"),
        ({"service": "cms", "confirm": "local"}, "are required"),
    ],
)
def test_restore_refuses_bad_input_before_any_call(deployed, playbook, aws, extra, message):
    run = playbook("restore.yml", "-i", "local", "-e", json.dumps(extra))
    assert run.returncode != 0
    assert message in run.output, run.output[-3000:]
    assert "Read the base stack" not in run.output


def test_restore_refuses_a_backup_that_does_not_exist(deployed, playbook, aws):
    bucket = outputs(aws)["BackupBucketName"]
    aws("s3").put_object(Bucket=bucket, Key="local/cms/data/20261120T030000Z.complete", Body=b"20261120T030000Z")
    run = playbook("restore.yml", "-i", "local", "-e", json.dumps({"service": "cms", "volume": "data", "from": "20261125T030000Z", "confirm": "local"}))
    assert run.returncode != 0
    assert "no complete backup 20261125T030000Z of cms/data" in run.output
    assert "20261120T030000Z" in run.output  # the ones there are listed
    cms = aws("ecs").describe_services(cluster="quoin-local", services=["cms"])["services"][0]
    assert cms["desiredCount"] == 1


def test_restore_check_mode_says_what_it_would_do_and_does_nothing(deployed, playbook, aws):
    run = playbook("restore.yml", "-i", "local", "--check", "-e", json.dumps({"service": "cms", "volume": "data", "from": "20261120T030000Z", "confirm": "local"}))
    assert run.returncode == 0, run.output[-5000:]
    assert "would scale cms from 1 tasks to 0" in run.output
    assert tasks_started_by(aws("ecs"), "quoin-restore") == []


def test_restore_scales_down_backs_up_restores_and_scales_back(deployed, playbook, aws):
    run = playbook("restore.yml", "-i", "local", "-e", json.dumps({"service": "cms", "volume": "data", "from": "20261120T030000Z", "confirm": "local"}))
    assert run.returncode == 0, run.output[-5000:]
    started = {environment_of(task)[0]: task for task in tasks_started_by(aws("ecs"), "quoin-restore")}
    assert sorted(started) == ["backup", "restore"]
    safety, restore = started["backup"], started["restore"]
    name, environment = environment_of(safety)
    assert name == "backup" and environment["BACKUP_VOLUMES"] == "cms/data" and STAMP.fullmatch(environment["BACKUP_TIMESTAMP"])
    assert safety["taskDefinitionArn"].split("/")[-1].startswith("quoin-local-backup:")
    name, environment = environment_of(restore)
    assert (name, environment["RESTORE_VOLUME"], environment["RESTORE_FROM"]) == ("restore", "cms/data", "20261120T030000Z")
    assert restore["taskDefinitionArn"].split("/")[-1].startswith("quoin-local-restore:")
    cms = aws("ecs").describe_services(cluster="quoin-local", services=["cms"])["services"][0]
    assert (cms["desiredCount"], cms["runningCount"]) == (1, 1)
    assert "Scale the service to zero" in run.output


def test_a_failed_restore_leaves_the_service_stopped_and_says_how_to_undo(deployment, emulator_settings, playbook, aws):
    """Once run tasks exit with 1 (MOTO_ECS_TASK_EXIT_CODE): site.yml runs no tasks of its own, so only the
    restore's tasks fail."""
    deployment.restore()
    emulator_settings(MOTO_ECS_TASK_EXIT_CODE="1")
    try:
        s3 = aws("s3")
        bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("quoin-local-"))
        s3.put_object(Bucket=bucket, Key="local/cms/data/20261120T030000Z.complete", Body=b"x")
        run = playbook("restore.yml", "-i", "local", "-e", json.dumps({"service": "cms", "volume": "data", "from": "20261120T030000Z", "confirm": "local"}))
        assert run.returncode != 0
        failure = run.output[run.output.index("restoring cms/data from 20261120T030000Z failed"):]
        assert "stays at 0 tasks" in failure and "-e from=" in failure, failure[:3000]
        cms = aws("ecs").describe_services(cluster="quoin-local", services=["cms"])["services"][0]
        assert cms["desiredCount"] == 0
    finally:
        deployment.restore()
