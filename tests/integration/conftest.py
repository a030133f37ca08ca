"""Fixtures for running the playbooks against the local AWS and reading its state back."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ansible_mitogen
import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = [sys.executable, str(REPO / "tools" / "local_aws.py")]
# The fast path (docs/performance.md), switched on the way a user does it.
FAST_PATH = {
    "ANSIBLE_STRATEGY_PLUGINS": str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"),
    "ANSIBLE_STRATEGY": "mitogen_linear",
}
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
def local_aws(tmp_path_factory):
    """An emulator of this pytest process's own: its own state directory and a free port (the launcher
    picks another when two workers race for one), so that parallel workers (pytest-xdist) never share
    one, and a developer's running local AWS is left alone."""
    os.environ["QUOIN_LOCAL_AWS_DIR"] = str(tmp_path_factory.mktemp("local-aws"))
    subprocess.run(LAUNCHER + ["start"], check=True, capture_output=True)
    for line in subprocess.run(LAUNCHER + ["env"], check=True, capture_output=True, text=True).stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name in ("AWS_ENDPOINT_URL", "AWS_REGION"):
            os.environ[name] = value
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield os.environ["AWS_ENDPOINT_URL"]
    subprocess.run(LAUNCHER + ["stop"], check=False, capture_output=True)


@pytest.fixture(scope="session")
def reset_aws(local_aws):
    """Empty the emulator, leaving only the seeded network (the launcher's reset)."""
    return lambda: subprocess.run(LAUNCHER + ["reset"], check=True, capture_output=True)


@pytest.fixture
def empty_aws(reset_aws, local_aws):
    reset_aws()
    return local_aws


@pytest.fixture(scope="session")
def aws_state(local_aws):
    """Save the emulator's whole state under a name and put it back (tools/local_aws.py snapshot/restore):
    aws_state.save("v2"), aws_state.restore("v2")."""

    class States:
        @staticmethod
        def save(name):
            subprocess.run(LAUNCHER + ["snapshot", name], check=True, capture_output=True)

        @staticmethod
        def restore(name):
            subprocess.run(LAUNCHER + ["restore", name], check=True, capture_output=True)

    return States


@pytest.fixture
def emulator_settings(local_aws):
    """Change what the emulator makes fail, for one test: emulator_settings(MOTO_ECS_TASK_EXIT_CODE="1")
    (tools/local_aws.py settings); the values it had come back afterwards."""
    def settings(*pairs):
        done = subprocess.run(LAUNCHER + ["settings", *pairs], check=True, capture_output=True, text=True)
        return json.loads(done.stdout)

    before = settings()
    yield lambda **values: settings(*(f"{name}={value}" for name, value in values.items()))
    settings(*(f"{name}={value or ''}" for name, value in before.items()))


@dataclass
class Deployment:
    run: "Run"
    outputs: dict
    restore: Callable[[], None]


@pytest.fixture(scope="session")
def deployment(reset_aws, aws_state, playbook, aws):
    """The local website as `site.yml -i local` deploys it on an empty emulator, once per pytest process
    and saved: a test module that needs a deployed website calls deployment.restore() instead of
    deploying it again. deployment.run is that first run, deployment.outputs the stack's outputs."""
    reset_aws()
    first = playbook("site.yml", "-i", "local")
    assert first.returncode == 0, first.output[-5000:]
    stack = aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]
    aws_state.save("deployed")
    return Deployment(
        run=first,
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]},
        restore=lambda: aws_state.restore("deployed"),
    )


@pytest.fixture(scope="session")
def aws(local_aws):
    """boto3 clients on the emulator: aws('ecs').describe_clusters(...)."""
    session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
    return lambda service: session.client(service, endpoint_url=local_aws)


@pytest.fixture(scope="session")
def playbook(local_aws):
    """Run a playbook from the repository root the way a user types it: playbook("site.yml", "-i", "local");
    env= adds environment variables."""

    def run(*args: str, env: dict | None = None) -> Run:
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", **(env or {}))
        result = subprocess.run(
            [str(Path(sys.executable).with_name("ansible-playbook")), *args],
            cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        return Run(result.returncode, result.stdout + result.stderr)

    return run


# Under pytest-xdist (tests/stages/integration.sh) a module's tests stay together on one worker, in order,
# around their module fixtures. These modules' tests each set up what they need: they go one by one to
# whichever worker is free, after the others, in this order: the module targets (up to a minute each)
# first, the short bad-input runs last, so that both workers end at about the same time.
INDEPENDENT_MODULES = ("test_targets.py", "test_bad_input.py")


def _module(nodeid):
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def _independent(nodeid):
    return _module(nodeid) in INDEPENDENT_MODULES


def pytest_collection_modifyitems(items):
    # Stable: within a module the tests keep their order.
    items.sort(key=lambda item: 1 + INDEPENDENT_MODULES.index(_module(item.nodeid)) if _independent(item.nodeid) else 0)


def pytest_xdist_make_scheduler(config, log):
    # xdist's own loadgroup marks do not group under pytest 9 (they rename node ids, which pytest 9 no
    # longer reads): the scheduler itself says what goes together.
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return nodeid if _independent(nodeid) else nodeid.split("::", 1)[0]

    return ModuleScheduling(config, log)


def pytest_configure(config):
    config.addinivalue_line("markers", "quick: needs no deployment; the integration part of `tests/run.sh quick`")
