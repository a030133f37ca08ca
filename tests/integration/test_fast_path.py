"""The fast path (docs/performance.md): site.yml with mitogen's mitogen_linear strategy, switched on the way a
user does it, through ANSIBLE_STRATEGY_PLUGINS and ANSIBLE_STRATEGY. From an empty emulator, a rerun
(changed=0) and check mode with diff (changed=0), and what was deployed read back through the AWS API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FAST_PATH, REPO

SERVICES = ("site", "cms", "proxy")


@pytest.fixture(scope="module")
def fast_playbook(playbook):
    """The conftest's playbook, with the mitogen strategy switched on."""
    return lambda *args: playbook(*args, env=FAST_PATH)


@pytest.fixture(scope="module")
def deployed(reset_aws, fast_playbook):
    reset_aws()
    runs = [
        fast_playbook("site.yml", "-i", "local"),
        fast_playbook("site.yml", "-i", "local"),
        fast_playbook("site.yml", "-i", "local", "--check", "--diff"),
    ]
    for run in runs:
        assert run.returncode == 0, run.output[-5000:]
    return runs


def test_the_environment_switches_the_strategy_on(local_aws):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), **FAST_PATH)
    dump = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-config")), "dump", "--only-changed"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert "DEFAULT_STRATEGY(env: ANSIBLE_STRATEGY) = mitogen_linear" in dump


def test_first_run_deploys_rerun_and_check_mode_change_nothing(deployed):
    first, rerun, check = deployed
    assert first.changed > 0
    assert rerun.changed == 0, rerun.output[-3000:]
    assert check.changed == 0, check.output[-3000:]


def test_the_stack_access_point_and_policy_are_there(deployed, aws):
    stack = aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    access_points = aws("efs").describe_access_points(FileSystemId=outputs["FileSystemCmsId"])["AccessPoints"]
    assert [{t["Key"]: t["Value"] for t in ap["Tags"]}["Name"] for ap in access_points] == ["local-cms-data"]
    assert access_points[0]["PosixUser"] == {"Uid": 1000, "Gid": 1000}
    policy = aws("efs").describe_file_system_policy(FileSystemId=outputs["FileSystemCmsId"])["Policy"]
    assert access_points[0]["AccessPointArn"] in policy


def test_every_service_runs_its_recorded_task_definition(deployed, aws):
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES), include=["TAGS"])["services"]
    assert sorted(s["serviceName"] for s in described) == sorted(SERVICES)
    for service in described:
        tags = {t["key"]: t["value"] for t in service.get("tags", [])}
        assert service["status"] == "ACTIVE"
        assert tags["quoin:last-good-task-definition"] == service["taskDefinition"]
        primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
        assert primary[0]["rolloutState"] == "COMPLETED"
        family = service["taskDefinition"].split("/")[-1].rsplit(":", 1)[0]
        # One revision each: the rerun and check mode registered none.
        arns = aws("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
        assert [arn for arn in arns if arn.split("/")[-1].rsplit(":", 1)[0] == family] == [service["taskDefinition"]]


def test_monitoring_and_backup_are_there(deployed, aws):
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix="quoin-local/")["MetricAlarms"]
    assert {alarm["AlarmName"].split("/")[1] for alarm in alarms} >= set(SERVICES)
    filters = aws("logs").describe_metric_filters(logGroupName="/quoin/local")["metricFilters"]
    assert filters
    assert aws("cloudwatch").get_dashboard(DashboardName="quoin-local")["DashboardBody"]
    schedule = aws("scheduler").get_schedule(Name="quoin-local-backup")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"].split("/")[-1].startswith("quoin-local-backup:")
