"""The integration targets (tests/integration/targets/<name>/, roles in the ansible-test layout) against
the local AWS, one test each, through targets/run_target.yml.

A target's `aliases` file names what it needs with `prerequisite/<kind>` lines; each kind below is
created here through boto3 before the run, handed to the target as extra vars, checked afterwards for
anything the target left behind, and removed. `disabled` or `unsupported` skips a target, as in
ansible-test. A new target needs only its directory, plus a kind here if it needs something new.
"""

import json
import uuid
from pathlib import Path

import pytest

TARGETS = Path(__file__).resolve().parent / "targets"
RUN_TARGET = TARGETS / "run_target.yml"
SKIP_ALIASES = ("disabled", "unsupported")


class EfsFileSystem:
    """An empty EFS file system (extra var efs_file_system_id). The target must leave it as it found
    it: no access points, not deleted."""

    def __init__(self, aws, prefix):
        self.efs = aws("efs")
        self.prefix = prefix
        self.file_system_id = None

    def create(self):
        created = self.efs.create_file_system(
            CreationToken=f"{self.prefix}-fs",
            Encrypted=True,
            Tags=[{"Key": "Name", "Value": f"{self.prefix}-fs"}],
        )
        self.file_system_id = created["FileSystemId"]
        return {"efs_file_system_id": self.file_system_id}

    def access_points(self):
        paginator = self.efs.get_paginator("describe_access_points")
        return paginator.paginate(FileSystemId=self.file_system_id).build_full_result()["AccessPoints"]

    def leftovers(self):
        file_systems = self.efs.describe_file_systems()["FileSystems"]
        if self.file_system_id not in [fs["FileSystemId"] for fs in file_systems]:
            return [f"file system {self.file_system_id} was deleted by the target"]
        left = [
            f"access point {ap['AccessPointId']} ({ap.get('Name')}) on {self.file_system_id}"
            for ap in self.access_points()
        ]
        try:
            self.efs.describe_file_system_policy(FileSystemId=self.file_system_id)
            left.append(f"a file system policy on {self.file_system_id}")
        except self.efs.exceptions.PolicyNotFound:
            pass
        return left

    def destroy(self):
        if self.file_system_id is None:
            return
        if self.file_system_id in [fs["FileSystemId"] for fs in self.efs.describe_file_systems()["FileSystems"]]:
            for ap in self.access_points():
                self.efs.delete_access_point(AccessPointId=ap["AccessPointId"])
            self.efs.delete_file_system(FileSystemId=self.file_system_id)


PREREQUISITES = {"efs_file_system": EfsFileSystem}


def target_names():
    return sorted(path.name for path in TARGETS.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))


def read_aliases(target):
    path = TARGETS / target / "aliases"
    assert path.is_file(), f"{path} is missing (ansible-test layout: every target has an aliases file)"
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_there_are_targets():
    assert "efs_access_point" in target_names()


@pytest.mark.parametrize("target", target_names())
def test_target(target, aws, playbook):
    assert (TARGETS / target / "tasks" / "main.yml").is_file(), f"{target} has no tasks/main.yml"
    aliases = read_aliases(target)
    skipped = [alias for alias in aliases if alias in SKIP_ALIASES]
    if skipped:
        pytest.skip(f"{target} is {skipped[0]}")
    kinds = [alias.removeprefix("prerequisite/") for alias in aliases if alias.startswith("prerequisite/")]
    unknown = [kind for kind in kinds if kind not in PREREQUISITES]
    assert not unknown, f"{target} needs unknown prerequisites {unknown}; known: {sorted(PREREQUISITES)}"

    prefix = f"quoin-it-{uuid.uuid4().hex[:8]}"
    extra_vars = {"quoin_target": target, "resource_prefix": prefix}
    prerequisites = [PREREQUISITES[kind](aws, prefix) for kind in kinds]
    try:
        for prerequisite in prerequisites:
            extra_vars.update(prerequisite.create())
        run = playbook(str(RUN_TARGET), "-i", "localhost,", "-e", json.dumps(extra_vars))
        assert run.returncode == 0, run.output[-6000:]
        # A target that ran nothing (an empty tasks file, a wrong include) must not pass.
        assert f"TASK [{target} : " in run.output, run.output[-3000:]
        assert run.changed > 0, run.output[-3000:]
        leftovers = [item for prerequisite in prerequisites for item in prerequisite.leftovers()]
        assert leftovers == [], f"{target} left behind: {leftovers}"
    finally:
        for prerequisite in reversed(prerequisites):
            prerequisite.destroy()
