"""Fixtures for running the playbooks against the local AWS and reading its state back."""

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = [sys.executable, str(REPO / "tools" / "local_aws.py")]
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class Run:
    returncode: int
    output: str

    @property
    def changed(self) -> int:
        recap = RECAP.findall(self.output)
        assert recap, f"no play recap in the output:\n{self.output[-3000:]}"
        return int(recap[-1][1])


@pytest.fixture(scope="session")
def local_aws():
    """The emulator tests/run.sh started; when pytest runs alone, a private one for this session."""
    own = not os.environ.get("QUOIN_LOCAL_AWS_DIR")
    if own:
        os.environ["QUOIN_LOCAL_AWS_DIR"] = tempfile.mkdtemp(prefix="quoin-local-aws-")
        subprocess.run(LAUNCHER + ["start"], check=True)
    for line in subprocess.run(LAUNCHER + ["env"], check=True, capture_output=True, text=True).stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name in ("AWS_ENDPOINT_URL", "AWS_REGION"):
            os.environ[name] = value
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield os.environ["AWS_ENDPOINT_URL"]
    if own:
        subprocess.run(LAUNCHER + ["stop"], check=False)


@pytest.fixture(scope="session")
def reset_aws(local_aws):
    """Empty the emulator, leaving only the seeded network (the launcher's reset)."""
    return lambda: subprocess.run(LAUNCHER + ["reset"], check=True, capture_output=True)


@pytest.fixture
def empty_aws(reset_aws, local_aws):
    reset_aws()
    return local_aws


@pytest.fixture(scope="session")
def aws(local_aws):
    """boto3 clients on the emulator: aws('ecs').describe_clusters(...)."""
    session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
    return lambda service: session.client(service, endpoint_url=local_aws)


@pytest.fixture(scope="session")
def playbook(local_aws):
    """Run a playbook from the repository root the way a user types it: playbook("site.yml", "-i", "local")."""

    def run(*args: str) -> Run:
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        result = subprocess.run(
            [str(Path(sys.executable).with_name("ansible-playbook")), *args],
            cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        return Run(result.returncode, result.stdout + result.stderr)

    return run
