#!/usr/bin/env python3
"""Start, seed, inspect and stop the local AWS (moto in server mode on loopback).

    python tools/local_aws.py start      # start (or reuse) the emulator, seed a network, write state
    python tools/local_aws.py status     # print the state; exit 1 when the emulator does not answer
    python tools/local_aws.py reset      # empty the emulator and seed the network and images again
    python tools/local_aws.py snapshot NAME  # save the emulator's whole state under a name
    python tools/local_aws.py restore NAME   # put a saved state back (what was created since is gone)
    python tools/local_aws.py settings MOTO_ECS_TASK_EXIT_CODE=1   # what fails, changed while it runs
    python tools/local_aws.py env        # print shell exports for AWS_ENDPOINT_URL and friends
    python tools/local_aws.py seed URL   # use an emulator started elsewhere: seed its network, write state
    python tools/local_aws.py stop       # stop the emulator started from this state directory

The state lives in $QUOIN_LOCAL_AWS_DIR (default: .local-aws/ in the repository): state.json holds the
endpoint, the process id and the IDs of the seeded VPC and subnets, which inventories/local reads.
An emulator always starts empty, so the VPC and subnets that a real account already has, and the site's
and the proxy's images in ECR, are created here, the way an operator's landing zone would provide them.
"""

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 4566
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"
NETWORK_NAME = "quoin-local"
VPC_CIDR = "10.42.0.0/16"
SUBNETS = (("a", "10.42.1.0/24"), ("b", "10.42.2.0/24"))
# The local inventory's own images (123456789012 is the emulator's account), repository and tag; the
# ecs role resolves each tag to its digest.
IMAGES = (("quoin/site", "latest"), ("quoin/proxy", "latest"))


def state_dir() -> Path:
    return Path(os.environ.get("QUOIN_LOCAL_AWS_DIR") or REPO / ".local-aws")


def read_state() -> dict | None:
    try:
        return json.loads((state_dir() / "state.json").read_text())
    except (OSError, ValueError):
        return None


def write_state(state: dict) -> None:
    path = state_dir() / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """True when a moto server answers its management API at this endpoint."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def seed_network(endpoint: str) -> dict:
    """Ensure the VPC and two subnets (two zones) that the local inventory deploys into."""
    ec2 = client("ec2", endpoint)
    tag = [{"Name": "tag:Name", "Values": [NETWORK_NAME]}]
    vpcs = ec2.describe_vpcs(Filters=tag)["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(
            CidrBlock=VPC_CIDR,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": NETWORK_NAME}]}],
        )["Vpc"]["VpcId"]
    # As the stack role requires (Cloud Map's private zone and EFS mounts resolve through the VPC's DNS);
    # a new VPC has DNS hostnames off. One attribute per call, as the API takes them.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    existing = {
        s["CidrBlock"]: s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    subnet_ids = []
    for zone, cidr in SUBNETS:
        if cidr not in existing:
            existing[cidr] = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=cidr,
                AvailabilityZone=f"{REGION}{zone}",
                TagSpecifications=[
                    {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"{NETWORK_NAME}-{zone}"}]}
                ],
            )["Subnet"]["SubnetId"]
        subnet_ids.append(existing[cidr])
    return {"vpc_id": vpc_id, "subnet_ids": subnet_ids}


def image_manifest(content: str) -> str:
    """A minimal image manifest; the layer digest comes from content, so other content is another image."""

    def digest(text):
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(content), "digest": digest(content)}
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": digest("{}")},
            "layers": [layer],
        }
    )


def seed_images(endpoint: str) -> None:
    """Ensure the ECR repositories and tags the local site and proxy images name; an existing image stays."""
    ecr = client("ecr", endpoint)
    for repository, tag in IMAGES:
        try:
            ecr.create_repository(repositoryName=repository)
        except ecr.exceptions.RepositoryAlreadyExistsException:
            pass
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except ecr.exceptions.ImageNotFoundException:
            content = repository.replace("/", "-") + "-1"
            ecr.put_image(repositoryName=repository, imageManifest=image_manifest(content), imageTag=tag)


def seed_account(endpoint: str) -> dict:
    """What a real account already has: the network, and the site and proxy images in ECR."""
    network = seed_network(endpoint)
    seed_images(endpoint)
    return network


def launch(host: str, port: int, log_path: Path) -> subprocess.Popen:
    # Tasks cannot run here, so the emulator reports them: every deployment gets its desired count of
    # running tasks (the ECS fix in moto_server.py caps the number at the desired count), unless the
    # caller sets another number, or MOTO_ECS_SERVICE_FAILED_TASKS to make deployments fail.
    server_env = dict(os.environ)
    server_env.setdefault("MOTO_ECS_SERVICE_RUNNING", "1000")
    with open(log_path, "ab") as log:
        # A session of its own, so that stopping the caller's shell does not stop the emulator.
        return subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("moto_server.py")), "-H", host, "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env,
            start_new_session=True,
        )


def server_pid(endpoint: str) -> int | None:
    """The process id of the emulator answering at this endpoint (tools/moto_server.py tells it)."""
    try:
        with urllib.request.urlopen(f"{endpoint}/quoin-api/pid", timeout=1.0) as response:
            return json.loads(response.read())["pid"]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def wait_until_answering(process: subprocess.Popen, endpoint: str, timeout: float) -> bool:
    """True once this process's emulator answers (not another one that took the port first); False
    when it exited or the time ran out (it is then still running)."""
    deadline = time.monotonic() + timeout
    while server_pid(endpoint) != process.pid:
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def start(args) -> int:
    state = read_state()
    if state and answers(state["endpoint"]):
        state.update(seed_account(state["endpoint"]))
        write_state(state)
        print(f"local AWS already running at {state['endpoint']} (pid {state['pid']})")
        return 0
    host = args.host
    port = args.port or int(os.environ.get("QUOIN_LOCAL_AWS_PORT", DEFAULT_PORT))
    if not port_is_free(host, port):
        if args.port:
            print(f"port {port} on {host} is taken; choose another with --port", file=sys.stderr)
            return 2
        port = free_port(host)
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / "moto.log"
    # Another launcher may take a free port between the check and the bind: a port this one chose is
    # then chosen again.
    for attempt in range(3):
        endpoint = f"http://{host}:{port}"
        process = launch(host, port, log_path)
        if wait_until_answering(process, endpoint, args.timeout):
            break
        if process.poll() is None:
            process.terminate()
            process.wait()
            print(f"the emulator did not answer within {args.timeout}s; see {log_path}", file=sys.stderr)
            return 1
        print(f"the emulator exited with code {process.returncode}; see {log_path}", file=sys.stderr)
        if args.port or attempt == 2:
            return 1
        port = free_port(host)
    state = {"endpoint": endpoint, "pid": process.pid, "region": REGION, "log": str(log_path)}
    state.update(seed_account(endpoint))
    write_state(state)
    print(f"local AWS started at {endpoint} (pid {process.pid}, log {log_path})")
    return 0


def seed(args) -> int:
    """Adopt an emulator this launcher did not start (any address): seed its network, record it."""
    endpoint = args.endpoint.rstrip("/")
    state_dir().mkdir(parents=True, exist_ok=True)
    state = {"endpoint": endpoint, "pid": None, "region": REGION, "log": None}
    state.update(seed_account(endpoint))
    write_state(state)
    print(f"seeded the network of the emulator at {endpoint}")
    return 0


def stop(_args) -> int:
    state = read_state()
    if not state:
        print("local AWS is not running (no state)")
        return 0
    if state["pid"] is None:
        # Adopted with `seed`: not ours to stop.
        (state_dir() / "state.json").unlink(missing_ok=True)
        print(f"forgot the emulator at {state['endpoint']} (started elsewhere, left running)")
        return 0
    try:
        os.killpg(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while answers(state["endpoint"], timeout=0.5) and time.monotonic() < deadline:
        time.sleep(0.2)
    (state_dir() / "state.json").unlink(missing_ok=True)
    print(f"local AWS at {state['endpoint']} stopped")
    return 0


def running_state() -> dict | None:
    state = read_state()
    if state and answers(state["endpoint"]):
        return state
    print("local AWS is not running: start it with `python tools/local_aws.py start`", file=sys.stderr)
    return None


def status(_args) -> int:
    state = running_state()
    if not state:
        return 1
    print(json.dumps(state, indent=2))
    return 0


def reset(_args) -> int:
    state = running_state()
    if not state:
        return 1
    request = urllib.request.Request(f"{state['endpoint']}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    state.update(seed_account(state["endpoint"]))
    write_state(state)
    print(f"local AWS at {state['endpoint']} reset")
    return 0


def state_request(endpoint: str, action: str, query: dict) -> dict:
    """The emulator's own API (tools/moto_server.py): snapshot, restore, settings."""
    request = urllib.request.Request(f"{endpoint}/quoin-api/{action}?{urllib.parse.urlencode(query)}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read())["error"]
        except (ValueError, KeyError):
            reason = f"{error.code} {error.reason} (an emulator this launcher did not start may lack the state API)"
        raise SystemExit(f"{action}: {reason}") from None


def snapshot(args) -> int:
    state = running_state()
    if not state:
        return 1
    state_request(state["endpoint"], "snapshot", {"name": args.name})
    # The seeded network belongs to the snapshot: a restore after a reset brings its IDs back.
    state.setdefault("snapshots", {})[args.name] = {"vpc_id": state["vpc_id"], "subnet_ids": state["subnet_ids"]}
    write_state(state)
    print(f"local AWS at {state['endpoint']}: state saved as {args.name}")
    return 0


def restore(args) -> int:
    state = running_state()
    if not state:
        return 1
    network = state.get("snapshots", {}).get(args.name)
    if network is None:
        print(f"no snapshot named {args.name} (saved: {', '.join(state.get('snapshots', {})) or 'none'})", file=sys.stderr)
        return 1
    state_request(state["endpoint"], "restore", {"name": args.name})
    state.update(network)
    write_state(state)
    print(f"local AWS at {state['endpoint']}: state {args.name} restored")
    return 0


def settings(args) -> int:
    """Change what the emulator makes fail, while it runs (NAME=VALUE; NAME= goes back to the default)."""
    state = running_state()
    if not state:
        return 1
    pairs = [setting.partition("=") for setting in args.settings]
    malformed = [name for name, equals, _ in pairs if not equals]
    if malformed:
        print(f"settings are NAME=VALUE: {', '.join(malformed)}", file=sys.stderr)
        return 2
    current = state_request(state["endpoint"], "settings", {name: value for name, _, value in pairs})
    print(json.dumps(current, indent=2))
    return 0


def env(_args) -> int:
    state = running_state()
    if not state:
        return 1
    print(f"export AWS_ENDPOINT_URL={state['endpoint']}")
    print(f"export AWS_REGION={state['region']}")
    print(f"export AWS_DEFAULT_REGION={state['region']}")
    print("export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing}")
    print("export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start (or reuse) the emulator and seed the network")
    start_parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    start_parser.add_argument("--port", type=int, help="port (default $QUOIN_LOCAL_AWS_PORT or 4566, else a free one)")
    start_parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for it to answer")
    commands.add_parser("stop", help="stop the emulator")
    commands.add_parser("status", help="print the state; exit 1 when not running")
    commands.add_parser("reset", help="empty the emulator and seed the network again")
    commands.add_parser("env", help="print shell exports that point AWS clients at the emulator")
    for name, text in (("snapshot", "save the emulator's whole state under a name"), ("restore", "put a saved state back")):
        commands.add_parser(name, help=text).add_argument("name", help="the snapshot's name")
    settings_parser = commands.add_parser("settings", help="change what the emulator makes fail, while it runs")
    settings_parser.add_argument("settings", nargs="*", metavar="NAME=VALUE", help="e.g. MOTO_ECS_TASK_EXIT_CODE=1")
    seed_parser = commands.add_parser("seed", help="adopt an emulator started elsewhere: seed its network")
    seed_parser.add_argument("endpoint", help="the emulator's URL, e.g. http://127.0.0.1:5000")
    args = parser.parse_args(argv)
    handlers = {"start": start, "stop": stop, "status": status, "reset": reset, "env": env, "seed": seed,
                "snapshot": snapshot, "restore": restore, "settings": settings}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
