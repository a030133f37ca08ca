"""A bad inventory fails before any AWS call, naming the variable, and the emulator holds nothing new."""

import json

import pytest


def snapshot(aws):
    """What a run could have created, enough to see that a refused run created nothing."""
    return {
        "stacks": [s["StackName"] for s in aws("cloudformation").describe_stacks()["Stacks"]],
        "security_groups": sorted(g["GroupId"] for g in aws("ec2").describe_security_groups()["SecurityGroups"]),
        "file_systems": [f["FileSystemId"] for f in aws("efs").describe_file_systems()["FileSystems"]],
        "log_groups": [g["logGroupName"] for g in aws("logs").describe_log_groups()["logGroups"]],
        "buckets": [b["Name"] for b in aws("s3").list_buckets()["Buckets"]],
        "clusters": aws("ecs").list_clusters()["clusterArns"],
    }


@pytest.mark.parametrize(
    "extra, variable",
    [
        ({"quoin_subnet_ids": []}, "quoin_subnet_ids"),
        ({"quoin_vpc_id": "vpc-nope"}, "quoin_vpc_id"),
        ({"quoin_entry_service": "gateway"}, "quoin_entry_service"),
        ({"quoin_log_retention_days": 10}, "quoin_log_retention_days"),
        (
            {
                "quoin_services": [
                    {"name": "cms", "port": 8080, "image": "cms:1",
                     "volumes": [{"name": "data", "file_system": "cms", "path": "/d", "root_directory": "/"}]},
                    {"name": "proxy", "port": 80, "image": "proxy:1", "talks_to": ["cms"]},
                ]
            },
            "quoin_services[0].volumes[0].root_directory",
        ),
    ],
)
def test_a_bad_inventory_fails_before_any_aws_call(empty_aws, playbook, aws, extra, variable):
    before = snapshot(aws)
    run = playbook("site.yml", "-i", "local", "-e", json.dumps(extra))
    assert run.returncode != 0
    assert f"{variable}:" in run.output, run.output[-3000:]
    assert "Deploy the base stack" not in run.output
    assert snapshot(aws) == before


def test_a_missing_variable_is_named(empty_aws, playbook, aws):
    before = snapshot(aws)
    run = playbook("site.yml", "-i", "local", "-e", '{"quoin_services": [{"name": "site"}]}')
    assert run.returncode != 0
    assert "port" in run.output and "quoin_services" in run.output, run.output[-3000:]
    assert snapshot(aws) == before


def test_the_production_placeholders_are_refused(playbook):
    run = playbook("site.yml", "-i", "prod")
    assert run.returncode != 0
    assert "quoin_vpc_id: 'REPLACE-with-the-vpc-id' is not a VPC ID" in run.output, run.output[-3000:]
