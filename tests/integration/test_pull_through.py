"""Pull-through caches in the base stack, read back from the emulator: one rule per upstream the inventory
names (tools/moto_server.py keeps AWS::ECR::PullThroughCacheRule and answers DescribePullThroughCacheRules),
the execution role allowed to fill only this environment's caches, and the rules gone with the inventory's
entry. The emulator reaches no upstream registry, so it cannot import an image into a cache: that part
(BatchGetImage creating the cache repository and pinning the tag) is tested on the ECR fakes in
tests/unit/plugins/modules/test_ecs_taskdefinition.py, and the rewritten image references in
tests/unit/test_pull_through.py."""

import json
import os

import pytest


def credentials():
    region = os.environ["AWS_REGION"]
    return {"docker-hub": f"arn:aws:secretsmanager:{region}:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf", "ecr-public": None}


def execution_role_statements(aws):
    stack = aws("cloudformation").describe_stack_resources(StackName="quoin-local")["StackResources"]
    role = next(r["PhysicalResourceId"] for r in stack if r["LogicalResourceId"] == "ExecutionRole")
    iam = aws("iam")
    return [
        statement
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]
    ]


@pytest.fixture(scope="module")
def cached_stack(reset_aws, playbook):
    reset_aws()
    run = playbook("site.yml", "-i", "local", "--tags", "stack", "-e", json.dumps({"quoin_registry_credentials": credentials()}))
    assert run.returncode == 0, run.output[-5000:]
    return run


def test_each_named_upstream_has_its_rule(cached_stack, aws):
    rules = aws("ecr").describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistryUrl"], r.get("credentialArn")) for r in rules] == [
        ("local/docker-hub", "registry-1.docker.io", credentials()["docker-hub"]),
        ("local/ecr-public", "public.ecr.aws", None),
    ]


def test_the_execution_role_may_fill_the_caches(cached_stack, aws):
    [pull] = [s for s in execution_role_statements(aws) if s.get("Sid") == "PullThroughTheCaches"]
    assert {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:BatchGetImage"} <= set(pull["Action"])
    assert sorted(pull["Resource"]) == [
        f"arn:aws:ecr:{os.environ['AWS_REGION']}:123456789012:repository/local/{upstream}/*" for upstream in ("docker-hub", "ecr-public")
    ]


def test_a_rerun_changes_nothing_and_without_the_entry_the_rules_go(cached_stack, playbook, aws):
    again = playbook("site.yml", "-i", "local", "--tags", "stack", "-e", json.dumps({"quoin_registry_credentials": credentials()}))
    assert (again.returncode, again.changed) == (0, 0), again.output[-3000:]
    without = playbook("site.yml", "-i", "local", "--tags", "stack")
    assert without.returncode == 0, without.output[-3000:]
    assert aws("ecr").describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
    assert "PullThroughTheCaches" not in {s.get("Sid") for s in execution_role_statements(aws)}
