"""The benchmark runs (bench/run.py, one size, every case) and its call counts hold the performance
targets that do not depend on the machine: a rerun writes nothing, the deploy wait asks for every started
service at once, a redeploy writes only for the service whose image changed. No time is asserted."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The calls asserted here do not depend on the strategy, and the fast path takes half the time. The
# default strategy's figures come from `make bench`; its playbooks are tested by the other files.
STRATEGY = "fast"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(REPO / "bench/run.py"), "--sizes", "3", "--strategies", STRATEGY, "--work", str(work / "work"), "--output", str(work / "results")],
        cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {
        "json": json.loads((work / "results.json").read_text()),
        "markdown": (work / "results.md").read_text(),
        "stdout": result.stdout,
    }


def test_every_case_ran_and_is_reported(report):
    cases = report["json"]["sizes"]["3"][STRATEGY]
    assert list(cases) == ["site", "rerun", "baseline", "redeploy", "rollback"]
    for case, figures in cases.items():
        assert figures["returncode"] == 0, case
        assert figures["wall_s"] > 0 and figures["peak_mib"] > 0 and figures["peak_any_mib"] > 0, case
        assert figures["calls"] == sum(figures["operations"].values()) > 0, case
        assert f"| 3 | {case} | {'boto3' if case == 'baseline' else STRATEGY} |" in report["markdown"]
    assert "## A rerun with nothing changed, in both strategies, against plain boto3" in report["markdown"]


def test_a_first_deploy_writes_and_waits_for_all_services_together(report):
    site = report["json"]["sizes"]["3"][STRATEGY]["site"]
    assert site["changed"] > 0 and site["writes"] > 0
    assert site["operations"]["ecs:CreateService"] == 3
    # The wait names the three new services in one DescribeServices request.
    assert 3 in site["describe_services"]


def test_a_rerun_with_nothing_changed_makes_no_write(report):
    cases = report["json"]["sizes"]["3"][STRATEGY]
    assert cases["rerun"]["changed"] == 0
    assert cases["rerun"]["writes"] == 0, cases["rerun"]["operations"]
    assert cases["baseline"]["writes"] == 0


def test_a_redeploy_writes_only_for_the_service_with_a_new_image(report):
    redeploy = report["json"]["sizes"]["3"][STRATEGY]["redeploy"]
    writes = {name: count for name, count in redeploy["operations"].items() if not name.split(":")[1].startswith(("Describe", "List", "Get", "GET"))}
    # Its revision, its deployment and, once verified, its record; the verify role's one probe task (the
    # proxy's) checks that the new task answers.
    assert writes == {"ecs:RegisterTaskDefinition": 1, "ecs:UpdateService": 1, "ecs:RunTask": 1, "ecs:TagResource": 1}


def test_a_rollback_moves_one_service(report):
    rollback = report["json"]["sizes"]["3"][STRATEGY]["rollback"]
    assert rollback["operations"].get("ecs:UpdateService") == 1
