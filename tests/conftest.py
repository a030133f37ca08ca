"""Make this repository importable as ansible_collections.quoin.fargate, wherever it is checked out."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_root = Path(tempfile.mkdtemp(prefix="quoin-collections-"))
(_root / "ansible_collections" / "quoin").mkdir(parents=True)
(_root / "ansible_collections" / "quoin" / "fargate").symlink_to(REPO)
sys.path.insert(0, str(_root))


def program_or_skip(name, package, path=None):
    """The path of a program a test runs, else a skip naming its package, and under CI=true a failure:
    the stage's set-up (tests/stages/programs.sh) installs it there, so a missing one is a broken set-up."""
    found = shutil.which(name, path=path)
    if found:
        return found
    reason = f"{name} is not installed (apt-get install -y {package}; the stage installs it when run as root)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: under CI this test must run")
    pytest.skip(reason)
