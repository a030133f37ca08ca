"""teardown.yml removes the website step by step, each step read back through the AWS API: services,
discovery and task definitions; access points only when asked; the stack only when confirmed, its data
stores retained. The tests run in order on one deployment."""

import pytest

SERVICES = ("site", "cms", "proxy")
FAMILIES = [f"quoin-local-{name}" for name in SERVICES]


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()
    return deployment.outputs


def active_services(aws):
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES))["services"]
    return sorted(s["serviceName"] for s in described if s["status"] != "INACTIVE")


def active_task_definitions(aws):
    return sorted(
        arn for family in FAMILIES
        for arn in aws("ecs").list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    )


def access_points(aws, outputs):
    return aws("efs").describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"]


def namespaces(aws):
    return [n["Name"] for n in aws("servicediscovery").list_namespaces()["Namespaces"]]


def stacks(aws):
    return [s["StackName"] for s in aws("cloudformation").list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]


def test_check_mode_lists_and_removes_nothing(deployed, playbook, aws):
    run = playbook("teardown.yml", "-i", "local", "--check", "-e", "remove_access_points=true")
    assert run.returncode == 0, run.output[-5000:]
    assert run.changed > 0
    assert "this is what would be removed" in run.output
    for name in (*SERVICES, "quoin-local-site:1", "local-cms-data", "local.quoin.internal"):
        assert name in run.output.split("TASK [Say what was removed")[1], name
    assert active_services(aws) == sorted(SERVICES)
    assert len(active_task_definitions(aws)) == 3
    assert len(access_points(aws, deployed)) == 1
    assert "local.quoin.internal" in namespaces(aws)


def test_teardown_removes_services_and_task_definitions_only(deployed, playbook, aws):
    run = playbook("teardown.yml", "-i", "local")
    assert run.returncode == 0, run.output[-5000:]
    assert active_services(aws) == []
    assert active_task_definitions(aws) == []
    inactive = aws("ecs").list_task_definitions(familyPrefix="quoin-local-site", status="INACTIVE")["taskDefinitionArns"]
    assert inactive and inactive[0].endswith("quoin-local-site:1")
    assert "local.quoin.internal" not in namespaces(aws)
    assert len(access_points(aws, deployed)) == 1
    assert "quoin-local" in stacks(aws)


def test_a_second_run_changes_nothing(deployed, playbook):
    run = playbook("teardown.yml", "-i", "local")
    assert run.returncode == 0 and run.changed == 0, run.output[-5000:]


def test_access_points_only_when_asked(deployed, playbook, aws):
    run = playbook("teardown.yml", "-i", "local", "-e", "remove_access_points=true")
    assert run.returncode == 0, run.output[-5000:]
    assert access_points(aws, deployed) == []
    file_systems = aws("efs").describe_file_systems(FileSystemId=deployed["FileSystemCmsId"])["FileSystems"]
    assert len(file_systems) == 1


@pytest.mark.parametrize("extra", [["-e", "destroy_stack=true"], ["-e", "destroy_stack=true", "-e", "confirm=prod"]])
def test_destroying_the_stack_needs_the_environment_confirmed(deployed, playbook, aws, extra):
    run = playbook("teardown.yml", "-i", "local", *extra)
    assert run.returncode != 0
    failure = run.output[run.output.index("fatal:"):]
    assert "confirm" in failure and "confirm=local" in failure, failure[:2000]
    # Refused before any AWS call.
    assert "Read the base stack" not in run.output
    assert "quoin-local" in stacks(aws)


def test_a_bad_flag_is_refused_by_name(deployed, playbook):
    run = playbook("teardown.yml", "-i", "local", "-e", "remove_access_points=maybe")
    assert run.returncode != 0
    assert "remove_access_points: must be true or false" in run.output


def test_the_confirmed_stack_goes_and_its_data_stores_stay(deployed, playbook, aws):
    run = playbook("teardown.yml", "-i", "local", "-e", "destroy_stack=true", "-e", "confirm=local")
    assert run.returncode == 0, run.output[-5000:]
    assert "quoin-local" not in stacks(aws)
    summary = run.output.split("TASK [Say what was removed")[1]
    for name in (deployed["FileSystemCmsId"], deployed["BackupBucketName"], deployed["LogGroupName"]):
        assert name in summary, name
    assert aws("efs").describe_file_systems(FileSystemId=deployed["FileSystemCmsId"])["FileSystems"]
    aws("s3").head_bucket(Bucket=deployed["BackupBucketName"])
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=deployed["LogGroupName"])["logGroups"]
    assert [g["logGroupName"] for g in groups] == [deployed["LogGroupName"]]


def test_a_further_run_changes_nothing(deployed, playbook):
    run = playbook("teardown.yml", "-i", "local", "-e", "destroy_stack=true", "-e", "confirm=local",
                   "-e", "remove_access_points=true")
    assert run.returncode == 0 and run.changed == 0, run.output[-5000:]
