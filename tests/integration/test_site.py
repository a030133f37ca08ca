"""site.yml against the local AWS: from empty, again (no change), in check mode (no change); the
stack's resources and the access points are read back through the AWS API."""

import json
import re

import pytest


@pytest.fixture(scope="module")
def deployed(deployment, playbook):
    """Three runs from an empty emulator: deploy (the shared deployment's first run), rerun, check mode
    with diff."""
    deployment.restore()
    runs = [
        deployment.run,
        playbook("site.yml", "-i", "local"),
        playbook("site.yml", "-i", "local", "--check", "--diff"),
    ]
    for run in runs:
        assert run.returncode == 0, run.output[-4000:]
    return runs, deployment.outputs


def test_first_run_creates_the_stack(deployed, aws):
    runs, _ = deployed
    assert runs[0].changed >= 1
    stack = aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    tags = {t["Key"]: t["Value"] for t in stack["Tags"]}
    assert tags["quoin:environment"] == "local"


def outcome(run, role, task):
    """How a task of a role ended in a run: ok, changed, skipping, failed."""
    heading = f"TASK [quoin.fargate.{role} : {task}]"
    assert heading in run.output, heading
    after = run.output.split(heading, 1)[1]
    found = re.search(r"^(\w+): \[localhost\]", after, re.M)
    assert found, after[:500]
    return found[1]


def test_second_run_and_check_mode_change_nothing(deployed):
    runs, _ = deployed
    assert runs[1].changed == 0, runs[1].output[-3000:]
    assert runs[2].changed == 0, runs[2].output[-3000:]


def test_the_vpc_is_checked_before_the_stack_is_created_and_not_read_while_it_stays(deployed):
    runs, _ = deployed
    assert outcome(runs[0], "stack", "Read the VPC's DNS attributes") == "ok"
    assert [outcome(run, "stack", "Read the VPC's DNS attributes") for run in runs[1:]] == ["skipping", "skipping"]


def test_the_run_prints_what_was_deployed(deployed):
    runs, outputs = deployed
    assert outputs["ClusterName"] in runs[0].output
    assert outputs["BackupBucketName"] in runs[0].output


def test_file_system_is_encrypted_with_a_mount_target_per_subnet(deployed, aws):
    _, outputs = deployed
    efs = aws("efs")
    fs = efs.describe_file_systems(FileSystemId=outputs["FileSystemCmsId"])["FileSystems"][0]
    assert fs["Encrypted"] is True
    assert fs["KmsKeyId"] == outputs["DataKeyArn"]
    targets = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(outputs["SubnetIds"].split(","))
    for target in targets:
        groups = efs.describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])["SecurityGroups"]
        assert len(groups) == 1


def test_log_group_keeps_logs_as_configured(deployed, aws):
    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/quoin/local")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [("/quoin/local", 7)]


def test_backup_bucket_is_versioned_encrypted_and_private(deployed, aws):
    _, outputs = deployed
    s3 = aws("s3")
    bucket = outputs["BackupBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_cluster_has_container_insights(deployed, aws):
    cluster = aws("ecs").describe_clusters(clusters=["quoin-local"], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_security_groups_admit_only_the_intended_peers(deployed, aws):
    _, outputs = deployed
    ec2 = aws("ec2")
    group_ids = {name: outputs[f"Service{name}SecurityGroupId"] for name in ("Site", "Cms", "Proxy")}
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=list(group_ids.values()))["SecurityGroups"]}

    def sources(name):
        return sorted(
            (pair["GroupId"], rule["FromPort"])
            for rule in groups[group_ids[name]]["IpPermissions"]
            for pair in rule.get("UserIdGroupPairs", [])
        ) + sorted(r["CidrIp"] for rule in groups[group_ids[name]]["IpPermissions"] for r in rule.get("IpRanges", []))

    assert sources("Site") == [(group_ids["Proxy"], 3000)]
    assert sources("Cms") == [(group_ids["Proxy"], 8080)]
    proxy = sources("Proxy")
    assert len(proxy) == 1 and proxy[0][1] == 8080 and proxy[0][0] not in group_ids.values()


def test_task_roles_are_one_per_service_and_not_the_execution_role(deployed, aws):
    _, outputs = deployed
    arns = [outputs[f"Service{name}TaskRoleArn"] for name in ("Site", "Cms", "Proxy")] + [outputs["ExecutionRoleArn"]]
    assert len(set(arns)) == 4
    iam = aws("iam")
    for arn in arns:
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]
        document = role["AssumeRolePolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        assert [s["Principal"] for s in document["Statement"]] == [{"Service": "ecs-tasks.amazonaws.com"}]


def test_public_entry_forwards_to_the_proxy(deployed, aws):
    _, outputs = deployed
    elb = aws("elbv2")
    group = elb.describe_target_groups(TargetGroupArns=[outputs["EntryTargetGroupArn"]])["TargetGroups"][0]
    assert (group["TargetType"], group["Port"]) == ("ip", 8080)
    balancer = elb.describe_load_balancers()["LoadBalancers"][0]
    assert balancer["Scheme"] == "internet-facing"
    assert balancer["DNSName"] == outputs["LoadBalancerDnsName"]


def test_the_probe_and_the_backup_tasks_are_registered_with_the_services(deployed, aws):
    runs, _ = deployed
    ecs = aws("ecs")
    # One module run (the ecs role's) registers every task definition; verify and backup take theirs from it.
    assert outcome(runs[0], "ecs", "Register a new task definition revision where the definition changed") == "changed"
    assert outcome(runs[0], "verify", "Register the probe's task definition where it changed") == "skipping"
    assert outcome(runs[0], "backup", "Register the backup and restore task definitions where they changed") == "skipping"
    latest = {}
    for name in ("probe", "backup", "restore"):
        latest[name] = ecs.describe_task_definition(taskDefinition=f"quoin-local-{name}")["taskDefinition"]["taskDefinitionArn"]
        assert ecs.list_task_definitions(familyPrefix=f"quoin-local-{name}")["taskDefinitionArns"] == [latest[name]]
    # The emulator lists stopped tasks too.
    probes = ecs.list_tasks(cluster="quoin-local", startedBy="quoin-probe-proxy")["taskArns"]
    ran_on = {t["taskDefinitionArn"] for t in ecs.describe_tasks(cluster="quoin-local", tasks=probes)["tasks"]}
    assert probes and ran_on == {latest["probe"]}
    schedule = aws("scheduler").get_schedule(Name="quoin-local-backup")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"] == latest["backup"]


def test_a_changed_value_is_previewed_then_applied(deployed, deployment, playbook, aws):
    preview = playbook("site.yml", "-i", "local", "--check", "--diff", "-e", "quoin_log_retention_days=14")
    assert preview.returncode == 0 and preview.changed == 1, preview.output[-3000:]
    assert aws("logs").describe_log_groups(logGroupNamePrefix="/quoin/local")["logGroups"][0]["retentionInDays"] == 7
    try:
        applied = playbook("site.yml", "-i", "local", "-e", "quoin_log_retention_days=14")
        assert applied.returncode == 0 and applied.changed == 1, applied.output[-3000:]
        assert aws("logs").describe_log_groups(logGroupNamePrefix="/quoin/local")["logGroups"][0]["retentionInDays"] == 14
    finally:
        deployment.restore()


def test_every_volume_has_its_access_point_with_creation_info(deployed, aws):
    _, outputs = deployed
    access_points = aws("efs").describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"]
    assert len(access_points) == 1
    access_point = access_points[0]
    tags = {t["Key"]: t["Value"] for t in access_point["Tags"]}
    assert tags == {"Name": "local-cms-data", "quoin:environment": "local", "quoin:service": "cms", "quoin:volume": "data"}
    assert access_point["PosixUser"] == {"Uid": 1000, "Gid": 1000}
    assert access_point["RootDirectory"] == {
        "Path": "/cms/data",
        "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
    }
    assert access_point["LifeCycleState"] == "available"


def test_the_file_system_admits_only_the_cms_through_its_access_point_over_tls(deployed, aws):
    _, outputs = deployed
    efs = aws("efs")
    policy = json.loads(efs.describe_file_system_policy(FileSystemId=outputs["FileSystemCmsId"])["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyWithoutTLS"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyWithoutTLS"]["Effect"] == "Deny"
    access_point_arn = efs.describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"][0]["AccessPointArn"]
    allow = statements["CmsMountsThroughItsAccessPoints"]
    assert allow["Principal"] == {"AWS": outputs["ServiceCmsTaskRoleArn"]}
    assert allow["Condition"]["ArnEquals"] == {"elasticfilesystem:AccessPointArn": [access_point_arn]}
    assert statements["DenyOutsideTheAccessPoints"]["Condition"] == {
        "ArnNotEquals": {"elasticfilesystem:AccessPointArn": [access_point_arn]}
    }
    # Besides the CMS, only the backup task (read) and the restore task (write), through the same access point.
    assert [s["Sid"] for s in policy["Statement"] if s["Effect"] == "Allow"] == [
        "CmsMountsThroughItsAccessPoints", "BackupReadsThroughBackedUpAccessPoints", "RestoreWritesThroughBackedUpAccessPoints",
    ]
    for sid in ("BackupReadsThroughBackedUpAccessPoints", "RestoreWritesThroughBackedUpAccessPoints"):
        assert statements[sid]["Condition"]["ArnEquals"] == {"elasticfilesystem:AccessPointArn": [access_point_arn]}


def test_a_volume_removed_from_the_inventory_is_reported_not_deleted(deployed, deployment, playbook, aws):
    _, outputs = deployed
    without_volumes = {
        "quoin_services": [
            {"name": "site", "port": 3000, "image": "site:1"},
            {"name": "cms", "port": 8080, "image": "cms:1"},
            {"name": "proxy", "port": 8080, "image": "proxy:1", "talks_to": ["site", "cms"]},
        ]
    }
    run = playbook("site.yml", "-i", "local", "-e", json.dumps(without_volumes))
    try:
        assert run.returncode == 0, run.output[-3000:]
        assert "Not in the inventory any more, kept with their data: local-cms-data fsap-" in run.output
        names = [
            {t["Key"]: t["Value"] for t in ap["Tags"]}["Name"]
            for ap in aws("efs").describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"]
        ]
        assert names == ["local-cms-data"]
    finally:
        deployment.restore()
