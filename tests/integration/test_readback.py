"""Each deploying role's result read back through the AWS API and compared with the inventory model (one
playbook per role in readback/), on the website as site.yml deploys it from empty. The roles converge in
site.yml itself; test_site.py shows that a second run and check mode change nothing."""

from pathlib import Path

import pytest

from .conftest import REPO

READBACK = Path(__file__).resolve().parent / "readback"
# The aws_read lookup the playbooks read with, shared with the molecule scenarios.
LOOKUPS = REPO / "extensions" / "molecule" / "plugins" / "lookup"


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()


def test_every_deploying_role_is_read_back():
    assert sorted(path.stem for path in READBACK.glob("*.yml")) == ["backup", "ecs", "efs", "monitoring"]


@pytest.mark.parametrize("role", sorted(path.stem for path in READBACK.glob("*.yml")))
def test_the_role_reads_back_as_the_inventory_says(deployed, playbook, role):
    run = playbook(str(READBACK / f"{role}.yml"), "-i", "inventories/local", env={"ANSIBLE_LOOKUP_PLUGINS": str(LOOKUPS)})
    assert run.returncode == 0, run.output[-5000:]
    # Its comparisons ran (an include that found nothing would pass with one task).
    assert run.output.count("TASK [") >= 4, run.output[-3000:]
    assert run.changed == 0, run.output[-3000:]
