"""The containers of a task besides the service's own: the inventory's init containers and sidecars,
the one that makes writable scratch paths their non-root user's, and the one that checks a service's
connections before it starts (its shell run for real against local listeners)."""

import copy
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import botocore.session
import pytest
import yaml

from ansible_collections.quoin.fargate.plugins.filter.backup import backup_task_definitions
from ansible_collections.quoin.fargate.plugins.filter.ecs import task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import request_problems
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment
from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import connection_check

from ..conftest import program_or_skip
from .test_ecs_filters import STACK
from .test_environment_model import VALID

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-central-1"
SHAPE = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
NETWORK = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
BACKUP_STACK = dict(
    STACK,
    cluster_arn="arn:aws:ecs:eu-central-1:123456789012:cluster/quoin-prod",
    backup_bucket="quoin-prod-backups",
    backup={"security_group_id": "sg-backup", "task_role_arn": "arn:aws:iam::123456789012:role/backup",
            "restore_task_role_arn": "arn:aws:iam::123456789012:role/restore", "scheduler_role_arn": "arn:aws:iam::123456789012:role/scheduler"},
)
ACCESS_POINTS = {"cms": {"data": {"id": "fsap-1"}}}


def shipped_model(inventory):
    """An inventory's own group_vars, normalized as the preflight role does; the network (a template,
    or placeholders) and the account placeholder filled in."""
    raw = {}
    for path in sorted((REPO / "inventories" / inventory / "group_vars" / "all").glob("*.yml")):
        text = path.read_text(encoding="utf-8").replace("REPLACE-ACCOUNT", "123456789012")
        raw.update({key[len("quoin_"):]: value for key, value in (yaml.safe_load(text) or {}).items() if key.startswith("quoin_")})
    raw.update(NETWORK, public_subnet_ids=None)
    return normalize_environment({key: value for key, value in raw.items() if not key.startswith("aws_")})


def rendered_definitions(inventory):
    model = shipped_model(inventory)
    for service in model["services"]:
        yield f"{inventory}: {service['name']}", task_definition(service["name"], model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    for rendered in backup_task_definitions(model, BACKUP_STACK, ACCESS_POINTS, REGION):
        yield f"{inventory}: {rendered['family']}", rendered["task_definition"]


def unprepared_paths(definition):
    """The writable bind-mount paths of non-root containers that nothing prepares for their user: each
    needs a non-essential init container running as root that the container waits for with SUCCESS,
    whose command chowns that volume's mount to the container's uid."""
    volumes = {volume["name"]: volume for volume in definition["volumes"]}
    containers = {container["name"]: container for container in definition["containerDefinitions"]}
    missing = []
    for container in containers.values():
        writable = [m for m in container.get("mountPoints", [])
                    if not m.get("readOnly") and "efsVolumeConfiguration" not in volumes[m["sourceVolume"]]]
        if not writable:
            continue
        user = container.get("user")
        # Every container the shipped inventories write scratch paths from names its user.
        assert user and re.fullmatch(r"\d+(:\d+)?", user), f"{container['name']}: no numeric user ({user!r})"
        uid = user.split(":")[0]
        if uid == "0":
            continue
        for mount in writable:
            prepared = False
            for dependency in container.get("dependsOn", []):
                init = containers[dependency["containerName"]]
                if dependency["condition"] != "SUCCESS" or init.get("essential", True) or init.get("user", "").split(":")[0] != "0":
                    continue
                command = " ".join(init.get("entryPoint", []) + init.get("command", []))
                for own in init.get("mountPoints", []):
                    if own["sourceVolume"] == mount["sourceVolume"] and not own.get("readOnly"):
                        pattern = rf"chown {uid}(:\d+)? {re.escape(own['containerPath'])}(\s|$)"
                        prepared = prepared or re.search(pattern, command) is not None
            if not prepared:
                missing.append(f"{container['name']} ({user}): {mount['containerPath']}")
    return missing


@pytest.mark.parametrize("inventory", ["local", "dev", "prod"])
def test_every_writable_path_of_a_non_root_container_is_prepared_for_its_user(inventory):
    definitions = list(rendered_definitions(inventory))
    assert len(definitions) == 5  # site, cms, proxy, backup, restore
    for where, definition in definitions:
        assert unprepared_paths(definition) == [], where
        assert request_problems(definition, SHAPE) == [], where


def test_the_rule_finds_an_unprepared_path():
    (_where, definition), *_rest = rendered_definitions("local")
    assert unprepared_paths(definition) == []
    broken = copy.deepcopy(definition)
    site = broken["containerDefinitions"][0]
    site["dependsOn"] = [d for d in site["dependsOn"] if d["containerName"] != "prepare-scratch"]
    assert unprepared_paths(broken) == ["site (1000): /tmp"]
    other_user = copy.deepcopy(definition)
    other_user["containerDefinitions"][0]["user"] = "1001"
    assert unprepared_paths(other_user) == ["site (1001): /tmp"]


def test_the_prepare_container_is_root_with_only_chown_and_fowner():
    model = shipped_model("local")
    definition = task_definition("proxy", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    containers = {c["name"]: c for c in definition["containerDefinitions"]}
    prepare = containers["prepare-scratch"]
    assert prepare["image"] == model["init_image"] == "public.ecr.aws/docker/library/busybox:1.36"
    assert prepare["user"] == "0" and prepare["essential"] is False and prepare["readonlyRootFilesystem"] is True
    dropped = set(prepare["linuxParameters"]["capabilities"]["drop"])
    assert {"CHOWN", "FOWNER"}.isdisjoint(dropped) and {"DAC_OVERRIDE", "SETUID", "SETGID", "NET_RAW", "KILL"} <= dropped
    assert "add" not in prepare["linuxParameters"]["capabilities"]
    assert prepare["mountPoints"] == [
        {"sourceVolume": "scratch-1", "containerPath": "/prepare/scratch-1", "readOnly": False},
    ]
    assert "chmod 0755 /prepare/scratch-1 && chown 101 /prepare/scratch-1" in prepare["command"][0]
    assert prepare["logConfiguration"] == containers["proxy"]["logConfiguration"]
    # The CMS writes only its EFS volume, whose access point sets the owner: nothing to prepare.
    cms = task_definition("cms", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    assert [c["name"] for c in cms["containerDefinitions"]] == ["cms"]


def test_the_backup_tasks_get_their_scratch_path_prepared():
    model = shipped_model("prod")
    for rendered in backup_task_definitions(model, BACKUP_STACK, ACCESS_POINTS, REGION):
        main, prepare = rendered["task_definition"]["containerDefinitions"]
        assert main["dependsOn"] == [{"containerName": "prepare-scratch", "condition": "SUCCESS"}]
        assert "chown 65534 /prepare/scratch" in prepare["command"][0]


def test_the_proxy_learns_its_upstreams_and_checks_them_first():
    model = shipped_model("prod")
    definition = task_definition("proxy", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    containers = {c["name"]: c for c in definition["containerDefinitions"]}
    proxy = containers["proxy"]
    environment = {e["name"]: e["value"] for e in proxy["environment"]}
    assert environment == {
        "CMS_UPSTREAM": "cms.prod.quoin.internal:8080", "CMS_HOST": "cms.prod.quoin.internal", "CMS_PORT": "8080",
        "SITE_UPSTREAM": "site.prod.quoin.internal:3000", "SITE_HOST": "site.prod.quoin.internal", "SITE_PORT": "3000",
    }
    assert {"containerName": "check-connections", "condition": "SUCCESS"} in proxy["dependsOn"]
    check = containers["check-connections"]
    assert check["user"] == "65534" and check["readonlyRootFilesystem"] is True and check["essential"] is False
    assert check["image"] == model["init_image"]
    # The CMS's start period (120 s) first, then the check's own 60 s.
    assert check["command"][1:] == ["check-connections", "180", "site", "site.prod.quoin.internal", "3000",
                                    "cms", "cms.prod.quoin.internal", "8080"]
    assert check["logConfiguration"] == proxy["logConfiguration"]
    assert check["logConfiguration"]["options"]["awslogs-stream-prefix"] == "proxy"
    # The site and the CMS talk to nobody: no check, no upstream variables.
    site = task_definition("site", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    assert "check-connections" not in [c["name"] for c in site["containerDefinitions"]]
    assert not [e for e in site["containerDefinitions"][0]["environment"] if e["name"].endswith("_UPSTREAM")]


def test_init_containers_and_sidecars_join_the_task():
    raw = copy.deepcopy(VALID)
    cms = raw["services"][1]
    cms.update(
        user="1000", scratch_paths=["/tmp"],
        health_check={"command": "true"},
        init_containers=[{"name": "migrate", "image": "cms-tools:1", "command": ["migrate"], "user": "1000",
                          "mounts": [{"volume": "data"}, {"scratch_path": "/tmp", "path": "/work"}]}],
        sidecars=[{"name": "exporter", "image": "exporter:1", "user": "2000", "environment": {"PORT": 9100},
                   "secrets": {"EXPORTER_TOKEN": "arn:aws:ssm:eu-central-1:123456789012:parameter/t"},
                   "health_check": {"command": ["CMD", "/check"]},
                   "mounts": [{"volume": "data", "read_only": True}],
                   "depends_on": [{"container": "cms", "condition": "HEALTHY"}]}],
    )
    model = normalize_environment(raw)
    definition = task_definition("cms", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    assert request_problems(definition, SHAPE) == []
    containers = {c["name"]: c for c in definition["containerDefinitions"]}
    assert list(containers) == ["cms", "migrate", "exporter", "prepare-scratch"]
    assert containers["cms"]["dependsOn"] == [
        {"containerName": "migrate", "condition": "SUCCESS"}, {"containerName": "prepare-scratch", "condition": "SUCCESS"},
    ]
    migrate = containers["migrate"]
    assert migrate["essential"] is False and migrate["command"] == ["migrate"] and migrate["user"] == "1000"
    assert migrate["mountPoints"] == [
        {"sourceVolume": "data", "containerPath": "/mesh/data", "readOnly": False},
        {"sourceVolume": "scratch-1", "containerPath": "/work", "readOnly": False},
    ]
    assert migrate["dependsOn"] == [{"containerName": "prepare-scratch", "condition": "SUCCESS"}]
    exporter = containers["exporter"]
    assert exporter["essential"] is True
    assert exporter["healthCheck"]["command"] == ["CMD", "/check"]
    assert exporter["environment"] == [{"name": "PORT", "value": "9100"}]
    assert exporter["secrets"] == [{"name": "EXPORTER_TOKEN", "valueFrom": "arn:aws:ssm:eu-central-1:123456789012:parameter/t"}]
    assert exporter["mountPoints"] == [{"sourceVolume": "data", "containerPath": "/mesh/data", "readOnly": True}]
    # Read-only on EFS: nothing to prepare for the exporter, which waits for the CMS to be healthy.
    assert exporter["dependsOn"] == [{"containerName": "cms", "condition": "HEALTHY"}]
    # One log group, the service's prefix: streams cms/<container>/<task id> tell the containers apart.
    assert {c["logConfiguration"]["options"]["awslogs-stream-prefix"] for c in containers.values()} == {"cms"}
    assert unprepared_paths(definition) == []


# ---------------------------------------------------------------------------------------------------
# The connection check's shell, run here


def _tools(tmp_path, busybox_only):
    """(shell argv prefix, PATH) for the check: this machine's /bin/sh with getent and its nc (Debian's
    netcat-openbsd), or busybox alone (its sh, nslookup, nc and timeout), as in the init image."""
    if busybox_only:
        busybox = program_or_skip("busybox", "busybox")
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for applet in ("nc", "nslookup", "date", "sleep", "grep", "timeout"):
            os.symlink(busybox, bin_dir / applet)
        return [busybox, "sh"], str(bin_dir)
    program_or_skip("nc", "netcat-openbsd")
    program_or_skip("getent", "libc-bin")
    return ["/bin/sh"], "/usr/bin:/bin"


def _run(check, tmp_path, busybox_only):
    shell, path = _tools(tmp_path, busybox_only)
    argv = shell + check["entryPoint"][1:] + check["command"]
    started = time.monotonic()
    result = subprocess.run(argv, env={"PATH": path}, capture_output=True, text=True, timeout=60, check=False)
    return result, time.monotonic() - started


@pytest.fixture
def listener():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_for(*targets, timeout=3):
    return connection_check(list(targets), timeout, "busybox", {})


@pytest.mark.parametrize("busybox_only", [False, True], ids=["debian-tools", "busybox"])
def test_the_check_passes_when_every_target_answers(tmp_path, listener, busybox_only):
    result, _took = _run(check_for(("site", "127.0.0.1", listener), ("cms", "127.0.0.1", listener)), tmp_path, busybox_only)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"quoin: site at 127.0.0.1:{listener}: accepts connections", f"quoin: cms at 127.0.0.1:{listener}: accepts connections",
    ]


@pytest.mark.parametrize("busybox_only", [False, True], ids=["debian-tools", "busybox"])
def test_a_closed_port_fails_within_the_limit_with_one_line(tmp_path, listener, closed_port, busybox_only):
    result, took = _run(check_for(("site", "127.0.0.1", listener), ("cms", "127.0.0.1", closed_port)), tmp_path, busybox_only)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"quoin: cms at 127.0.0.1:{closed_port}: no TCP connection on port {closed_port} (checked for 3 s)"]
    assert 2 <= took < 12


@pytest.mark.parametrize("busybox_only", [False, True], ids=["debian-tools", "busybox"])
def test_a_name_that_does_not_resolve_fails(tmp_path, busybox_only):
    result, took = _run(check_for(("cms", "cms.nowhere.invalid", 8080), timeout=2), tmp_path, busybox_only)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["quoin: cms at cms.nowhere.invalid:8080: name does not resolve (checked for 2 s)"]
    assert took < 30


def test_a_name_from_the_hosts_file_resolves(tmp_path, listener):
    result, _took = _run(check_for(("site", "localhost", listener)), tmp_path, busybox_only=False)
    assert result.returncode == 0, result.stderr


def test_a_target_that_comes_up_late_is_waited_for(tmp_path, closed_port):
    def serve_later(server):
        time.sleep(1.5)
        server.bind(("127.0.0.1", closed_port))
        server.listen(8)

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        thread = threading.Thread(target=serve_later, args=(server,))
        thread.start()
        result, took = _run(check_for(("cms", "127.0.0.1", closed_port), timeout=10), tmp_path, busybox_only=False)
        thread.join()
    assert result.returncode == 0, result.stderr
    assert took >= 1.5


def test_the_rendered_check_of_the_proxy_reports_its_cloud_map_names(tmp_path):
    # Cloud Map names do not resolve here: the real rendered command must say so, for the first target.
    model = shipped_model("local")
    model["connection_check_timeout"] = 2
    # Without the targets' start periods, which the check would wait out first.
    for service in model["services"]:
        service["health_check"] = None
    definition = task_definition("proxy", model, STACK, ACCESS_POINTS, REGION)["task_definition"]
    check = next(c for c in definition["containerDefinitions"] if c["name"] == "check-connections")
    result, _took = _run(check, tmp_path, busybox_only=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["quoin: site at site.local.quoin.internal:3000: name does not resolve (checked for 2 s)"]
