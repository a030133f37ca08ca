"""The verify role's connection probe: its task definition, one run per calling service in that
service's network, and the script each runs, executed here with stand-ins for nslookup and nc."""

import copy
import os
import shutil
import subprocess

import pytest

from ansible_collections.quoin.fargate.plugins.filter.verify import probe_runs
from ansible_collections.quoin.fargate.plugins.filter.verify import probe_task_definition
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_ecs_filters import STACK
from .test_environment_model import VALID


@pytest.fixture
def model():
    raw = copy.deepcopy(VALID)
    # A fourth service nobody talks to, and the site calling the CMS: two callers, and a service that
    # each caller must be refused by.
    raw["services"].append({"name": "search", "port": 9200, "image": "search:1"})
    raw["services"][0]["talks_to"] = ["cms"]
    stack = copy.deepcopy(STACK)
    stack["services"]["search"] = {"security_group_id": "sg-search", "task_role_arn": "arn:aws:iam::123456789012:role/search"}
    return normalize_environment(raw), stack


def test_the_probe_is_its_own_family_in_the_init_image_logging_with_the_prefix_probe(model):
    model, stack = model
    rendered = probe_task_definition(model, stack, "eu-central-1")
    assert rendered["family"] == "quoin-prod-probe"
    definition = rendered["task_definition"]
    [container] = definition["containerDefinitions"]
    assert container["image"] == model["init_image"] == "public.ecr.aws/docker/library/busybox:1.36"
    assert container["logConfiguration"]["options"] == {
        "awslogs-group": "/quoin/prod", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "probe",
    }
    assert definition["executionRoleArn"] == stack["execution_role_arn"]
    # It calls no AWS API, so it has no task role; and it runs unprivileged on a read-only root.
    assert "taskRoleArn" not in definition
    assert container["readonlyRootFilesystem"] is True and container["user"] != "0"


def test_one_run_per_calling_service_in_its_subnets_and_security_group(model):
    model, stack = model
    runs = probe_runs(model, stack)
    assert [run["name"] for run in runs] == ["site", "proxy"]
    for run in runs:
        assert run["network_configuration"] == {
            "subnets": stack["subnet_ids"],
            "security_groups": [f"sg-{run['name']}"],
            "assign_public_ip": "DISABLED",
        }
        [override] = run["overrides"]["container_overrides"]
        assert override["name"] == "probe" and override["command"][:2] == ["sh", "-c"]
    proxy = runs[1]["overrides"]["container_overrides"][0]["command"][2]
    assert "site.prod.quoin.internal 3000" in proxy and "cms.prod.quoin.internal 8080" in proxy
    assert "search.prod.quoin.internal 9200" in proxy


def test_no_caller_no_run(model):
    model, stack = model
    for service in model["services"]:
        service["talks_to"] = []
    assert probe_runs(model, stack) == []


def run_script(tmp_path, script, resolves, answers):
    """Run the probe's script with nslookup and nc that resolve and connect to exactly these."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "nslookup").write_text('#!/bin/sh\ncase " $PROBE_RESOLVES " in *" $1 "*) exit 0;; esac\nexit 1\n')
    # nc -z -w 5 HOST PORT
    (bin_dir / "nc").write_text('#!/bin/sh\ncase " $PROBE_ANSWERS " in *" $4:$5 "*) exit 0;; esac\nexit 1\n')
    for tool in ("nslookup", "nc"):
        (bin_dir / tool).chmod(0o755)
    # Only the stand-ins and grep: this machine's getent or nc must not answer instead.
    (bin_dir / "grep").symlink_to(shutil.which("grep"))
    env = dict(os.environ, PATH=str(bin_dir), PROBE_RESOLVES=" ".join(resolves), PROBE_ANSWERS=" ".join(answers))
    done = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout.splitlines()


def proxy_script(model):
    model, stack = model
    return probe_runs(model, stack)[1]["overrides"]["container_overrides"][0]["command"][2]


ALL = ["site.prod.quoin.internal", "cms.prod.quoin.internal", "search.prod.quoin.internal"]


def test_the_script_passes_when_the_edges_answer_and_the_rest_refuse(model, tmp_path):
    code, lines = run_script(tmp_path, proxy_script(model), ALL, ["site.prod.quoin.internal:3000", "cms.prod.quoin.internal:8080"])
    assert code == 0, lines
    assert lines == [
        "proxy -> site: site.prod.quoin.internal:3000 answers",
        "proxy -> cms: cms.prod.quoin.internal:8080 answers",
        "proxy -> search: search.prod.quoin.internal:9200 refused, as it should be",
    ]


@pytest.mark.parametrize(
    "resolves, answers, line",
    [
        (ALL, ["site.prod.quoin.internal:3000"], "proxy -> cms: cms.prod.quoin.internal:8080 did not answer"),
        (ALL[:1] + ALL[2:], ["site.prod.quoin.internal:3000"], "proxy -> cms: cms.prod.quoin.internal does not resolve"),
        (
            ALL,
            ["site.prod.quoin.internal:3000", "cms.prod.quoin.internal:8080", "search.prod.quoin.internal:9200"],
            "proxy -> search: reachable but proxy does not talk to it",
        ),
    ],
)
def test_the_script_fails_naming_the_edge(model, tmp_path, resolves, answers, line):
    code, lines = run_script(tmp_path, proxy_script(model), resolves, answers)
    assert code == 1
    assert line in lines
