"""rollback.yml returns a service to its recorded last good task definition (or a named revision), verifies
it like a deploy and records the result; it refuses, before changing anything, when there is nothing to
roll back to or the target is unusable. State is read back through the AWS API."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CLUSTER = "quoin-local"
LAST_GOOD = "quoin:last-good-task-definition"
PREVIOUS_GOOD = "quoin:previous-good-task-definition"
ROLLED_BACK_FROM = "quoin:rolled-back-from"
FAST = ("-e", "rollback_wait_delay=1", "-e", "ecs_wait_delay=1")


def v2_services():
    services = yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text())["quoin_services"]
    services[0]["environment"]["NODE_ENV"] = "staging"
    return json.dumps({"quoin_services": services})


def site(aws):
    return aws("ecs").describe_services(cluster=CLUSTER, services=["site"], include=["TAGS"])["services"][0]


def tags(service):
    return {t["key"]: t["value"] for t in service.get("tags", [])}


def short(arn):
    return arn.split("/")[-1]


def rollback(playbook, *extra):
    return playbook("rollback.yml", "-i", "local", *FAST, *extra)


def mark_unverified(aws, good_arn):
    """The record a deploy leaves when the service switched but verification did not pass: the previous one."""
    aws("ecs").tag_resource(resourceArn=site(aws)["serviceArn"], tags=[{"key": LAST_GOOD, "value": good_arn}])


@pytest.fixture(scope="module")
def versions(deployment, aws_state, playbook, aws):
    """v1 deployed and verified (the shared deployment), then v2 deployed and verified, saved as rollback-v2."""
    deployment.restore()
    v1 = site(aws)["taskDefinition"]
    second = playbook("site.yml", "-i", "local", *FAST, "-e", v2_services())
    assert second.returncode == 0, second.output[-5000:]
    v2 = site(aws)["taskDefinition"]
    assert v1 != v2
    aws_state.save("rollback-v2")
    return v1, v2


@pytest.fixture
def on_v2(versions, aws_state, aws):
    """site runs v2, with the records its verified deploy left: each test starts from the saved state."""
    aws_state.restore("rollback-v2")
    assert site(aws)["taskDefinition"] == versions[1]
    return versions


def offline(*args):
    """The playbook with every AWS endpoint unreachable: anything it reports came before any AWS call."""
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "rollback.yml", "-i", "local", *args],
        cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-e", "service=nope"), 'service: no service "nope" in the local inventory; valid: site, cms, proxy'),
        (("-e", "revision=1"), "revision: names a revision of one family, so it needs -e service=NAME"),
        (("-e", "service=site", "-e", "revision=abc"), 'revision: must be a positive whole number, not "abc"'),
        (("-e", "service=site", "-e", "revision=0"), 'revision: must be a positive whole number, not "0"'),
    ],
)
def test_bad_extra_vars_are_refused_before_any_aws_call(local_aws, args, message):
    code, output = offline(*args)
    assert code != 0
    assert message in output, output[-3000:]
    assert "Could not connect" not in output and "Read the base stack" not in output, output[-3000:]


def test_a_verified_deploy_records_the_good_one_before_it(on_v2, aws):
    v1, v2 = on_v2
    recorded = tags(site(aws))
    assert (recorded[LAST_GOOD], recorded[PREVIOUS_GOOD]) == (v2, v1)


def test_check_mode_says_from_which_revision_to_which_and_changes_nothing(on_v2, playbook, aws):
    v1, v2 = on_v2
    before = site(aws)
    run = rollback(playbook, "--check")
    assert run.returncode == 0, run.output[-5000:]
    assert f"site: {short(v2)} -> {short(v1)}" in run.output, run.output[-5000:]
    assert "cms: already on quoin-local-cms:" in run.output and "proxy: already on quoin-local-proxy:" in run.output
    after = site(aws)
    assert after["taskDefinition"] == v2
    assert after["deployments"] == before["deployments"]
    assert tags(after) == tags(before)


def test_rolls_back_to_the_recorded_good_one_verified_and_recorded(on_v2, playbook, aws):
    v1, v2 = on_v2
    before = site(aws)
    run = rollback(playbook, "-e", "service=site")
    assert run.returncode == 0, run.output[-5000:]
    assert f"site: {short(v2)} -> {short(v1)}" in run.output
    after = site(aws)
    assert after["taskDefinition"] == v1
    primary = [d for d in after["deployments"] if d["status"] == "PRIMARY"]
    assert primary[0]["taskDefinition"] == v1 and primary[0]["rolloutState"] == "COMPLETED"
    assert tags(after)[LAST_GOOD] == v1
    assert tags(after)[ROLLED_BACK_FROM] == v2
    assert PREVIOUS_GOOD not in tags(after)
    # Only the task definition changed.
    for key in ("networkConfiguration", "serviceRegistries", "loadBalancers", "deploymentConfiguration",
                "desiredCount", "propagateTags"):
        assert after.get(key) == before.get(key), key
    again = rollback(playbook, "-e", "service=site")
    assert again.returncode == 0 and again.changed == 0, again.output[-5000:]
    assert f"site: already on {short(v1)}" in again.output
    assert site(aws)["taskDefinition"] == v1


def test_a_named_revision(on_v2, playbook, aws):
    v1, v2 = on_v2
    mark_unverified(aws, v1)
    moved = rollback(playbook, "-e", "service=site")
    assert moved.returncode == 0 and site(aws)["taskDefinition"] == v1, moved.output[-5000:]
    run = rollback(playbook, "-e", "service=site", "-e", f"revision={v2.rsplit(':', 1)[1]}")
    assert run.returncode == 0, run.output[-5000:]
    assert f"site: {short(v1)} -> {short(v2)}" in run.output
    after = site(aws)
    assert after["taskDefinition"] == v2
    primary = [d for d in after["deployments"] if d["status"] == "PRIMARY"]
    assert primary[0]["taskDefinition"] == v2 and primary[0]["rolloutState"] == "COMPLETED"
    assert tags(after)[LAST_GOOD] == v2 and tags(after)[ROLLED_BACK_FROM] == v1


def _refused(playbook, aws, *args):
    before = site(aws)
    run = rollback(playbook, "-e", "service=site", *args)
    assert run.returncode != 0, run.output[-5000:]
    after = site(aws)
    assert after["taskDefinition"] == before["taskDefinition"]
    assert after["deployments"] == before["deployments"]
    assert tags(after) == tags(before)
    assert "Switch each service" not in run.output
    return run.output


def test_a_revision_the_family_does_not_have_is_refused(on_v2, playbook, aws):
    ecs = aws("ecs")
    site_revisions = [int(a.rsplit(":", 1)[1]) for a in ecs.list_task_definitions(familyPrefix="quoin-local-site")["taskDefinitionArns"]
                      if short(a).startswith("quoin-local-site:")]
    # A revision number the cms family has and the site family does not.
    cms = ecs.describe_task_definition(taskDefinition="quoin-local-cms")["taskDefinition"]
    while cms["revision"] <= max(site_revisions):
        cms = ecs.register_task_definition(family="quoin-local-cms", **_request(cms))["taskDefinition"]
        ecs.deregister_task_definition(taskDefinition=cms["taskDefinitionArn"])
    output = _refused(playbook, aws, "-e", f"revision={cms['revision']}")
    assert f"site: revision {cms['revision']} does not exist in family quoin-local-site" in output, output[-3000:]


def test_a_deregistered_revision_is_refused(on_v2, playbook, aws):
    ecs = aws("ecs")
    current = ecs.describe_task_definition(taskDefinition=on_v2[1])["taskDefinition"]
    # The same definition as a new revision, deregistered: the family's latest ACTIVE one stays v2.
    extra = ecs.register_task_definition(family="quoin-local-site", **_request(current))["taskDefinition"]
    ecs.deregister_task_definition(taskDefinition=extra["taskDefinitionArn"])
    output = _refused(playbook, aws, "-e", f"revision={extra['revision']}")
    assert f"site: quoin-local-site:{extra['revision']} is INACTIVE" in output, output[-3000:]


def test_a_service_without_a_record_has_nothing_to_roll_back_to(on_v2, playbook, aws):
    recorded = tags(site(aws))
    aws("ecs").untag_resource(resourceArn=site(aws)["serviceArn"], tagKeys=[LAST_GOOD, PREVIOUS_GOOD])
    try:
        output = _refused(playbook, aws)
        assert "site: nothing to roll back to" in output, output[-3000:]
    finally:
        aws("ecs").tag_resource(
            resourceArn=site(aws)["serviceArn"],
            tags=[{"key": key, "value": recorded[key]} for key in (LAST_GOOD, PREVIOUS_GOOD) if key in recorded],
        )


def _request(described):
    keys = ("containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn",
            "taskRoleArn", "volumes", "runtimePlatform")
    return {k: described[k] for k in keys if k in described}
