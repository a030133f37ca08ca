"""The launcher: start, reuse, seed, reset and stop a private emulator."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

# The emulator's own behaviour, without a deployment: part of `tests/run.sh quick`.
pytestmark = pytest.mark.quick


LAUNCHER = [sys.executable, str(Path(__file__).resolve().parents[2] / "tools" / "local_aws.py")]


def launcher(state_dir, *args):
    env = dict(os.environ, QUOIN_LOCAL_AWS_DIR=str(state_dir))
    env.pop("QUOIN_LOCAL_AWS_PORT", None)
    return subprocess.run(LAUNCHER + list(args), env=env, capture_output=True, text=True)


def test_start_reuse_reset_and_stop(tmp_path, local_aws):
    # The suite's emulator may hold the default port: the launcher must then pick a free one.
    assert launcher(tmp_path, "start").returncode == 0
    try:
        state = json.loads((tmp_path / "state.json").read_text())
        assert state["endpoint"] != local_aws
        again = launcher(tmp_path, "start")
        assert "already running" in again.stdout
        assert json.loads((tmp_path / "state.json").read_text())["pid"] == state["pid"]

        ec2 = boto3.client("ec2", endpoint_url=state["endpoint"], region_name=state["region"])
        vpc = ec2.describe_vpcs(VpcIds=[state["vpc_id"]])["Vpcs"][0]
        assert vpc["CidrBlock"] == "10.42.0.0/16"
        subnets = ec2.describe_subnets(SubnetIds=state["subnet_ids"])["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) == 2

        ec2.create_security_group(GroupName="leftover", Description="made by the test", VpcId=state["vpc_id"])
        assert launcher(tmp_path, "reset").returncode == 0
        fresh = json.loads((tmp_path / "state.json").read_text())
        names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
        assert "leftover" not in names
        assert ec2.describe_vpcs(VpcIds=[fresh["vpc_id"]])["Vpcs"]

        exports = launcher(tmp_path, "env").stdout
        assert f"export AWS_ENDPOINT_URL={state['endpoint']}" in exports
    finally:
        assert launcher(tmp_path, "stop").returncode == 0
    assert launcher(tmp_path, "status").returncode == 1


def test_seed_adopts_an_emulator_started_elsewhere(tmp_path, local_aws):
    assert launcher(tmp_path, "seed", local_aws).returncode == 0
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["endpoint"] == local_aws and state["pid"] is None
    assert state["vpc_id"].startswith("vpc-")
    stopped = launcher(tmp_path, "stop")
    assert "left running" in stopped.stdout
    assert launcher(tmp_path, "status").returncode == 1


def test_snapshot_and_restore_bring_back_the_whole_state(tmp_path, local_aws):
    assert launcher(tmp_path, "start").returncode == 0
    try:
        state = json.loads((tmp_path / "state.json").read_text())
        clients = boto3.session.Session(region_name=state["region"])
        ec2, efs, s3 = (clients.client(name, endpoint_url=state["endpoint"]) for name in ("ec2", "efs", "s3"))
        # Resources of one backend that point into another's (a mount target in a seeded subnet), and a
        # bucket object (moto's keys hold a lock, which a copy must not share).
        group = ec2.create_security_group(GroupName="kept", Description="made by the test", VpcId=state["vpc_id"])["GroupId"]
        file_system = efs.create_file_system(CreationToken="kept")["FileSystemId"]
        target = efs.create_mount_target(FileSystemId=file_system, SubnetId=state["subnet_ids"][0], SecurityGroups=[group])
        s3.create_bucket(Bucket="kept", CreateBucketConfiguration={"LocationConstraint": state["region"]})
        s3.put_object(Bucket="kept", Key="object", Body=b"saved")
        assert launcher(tmp_path, "snapshot", "one").returncode == 0

        s3.put_object(Bucket="kept", Key="object", Body=b"changed")
        efs.delete_mount_target(MountTargetId=target["MountTargetId"])
        assert launcher(tmp_path, "reset").returncode == 0
        assert json.loads((tmp_path / "state.json").read_text())["vpc_id"] != state["vpc_id"]

        for _ in range(2):  # what changes after a restore does not reach the snapshot
            assert launcher(tmp_path, "restore", "one").returncode == 0
            restored = json.loads((tmp_path / "state.json").read_text())
            assert (restored["vpc_id"], restored["subnet_ids"]) == (state["vpc_id"], state["subnet_ids"])
            assert [t["SubnetId"] for t in efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"]] == [state["subnet_ids"][0]]
            assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"] == state["vpc_id"]
            assert s3.get_object(Bucket="kept", Key="object")["Body"].read() == b"saved"
            assert "other" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
            s3.create_bucket(Bucket="other", CreateBucketConfiguration={"LocationConstraint": state["region"]})
            efs.delete_mount_target(MountTargetId=target["MountTargetId"])

        missing = launcher(tmp_path, "restore", "two")
        assert missing.returncode == 1 and "no snapshot named two (saved: one)" in missing.stderr
    finally:
        assert launcher(tmp_path, "stop").returncode == 0
