# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The short-lived containers a task definition adds before its main container starts.

prepare_scratch(): Fargate creates a task's bind-mount volumes (scratch paths) owned by root with mode
0755, so a container that runs as another user cannot write them; a root container with only the
capabilities chown and chmod need gives each such volume to the uid[:gid] that writes it, and every
container that uses it waits for that with SUCCESS. EFS volumes need nothing: their access point sets
the owner.

connection_check(): before a service serves, each service it talks to must resolve and accept TCP
connections on its port within a bounded time; otherwise the container exits non-zero with one log
line naming the target, its address and what failed.
"""

from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import CHECK_CONTAINER
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import PREPARE_CONTAINER
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import numeric_user

# Where the prepare container mounts each volume it prepares.
PREPARE_ROOT = "/prepare"
# The owner may write, everybody else in the task only read, as Fargate's own 0755 with another owner.
SCRATCH_MODE = "0755"
UNPRIVILEGED_USER = "65534"
# Docker's default capabilities except CHOWN and FOWNER: Fargate can only add SYS_PTRACE, so the
# prepare container keeps what chown and chmod need by dropping everything else.
DROPPED_CAPABILITIES = [
    "AUDIT_WRITE", "DAC_OVERRIDE", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP",
    "SETUID", "SYS_CHROOT",
]

# Shell functions for checking a connection, in POSIX sh with busybox's applets (nslookup, nc, timeout)
# or Debian's tools (getent, nc): `resolves HOST` (an IP address needs no lookup) and
# `connects HOST PORT SECONDS`. An nc without -z (busybox built without netcat 1.10 compatibility, as
# Debian's) keeps a connection open until the peer closes it: one that timeout has to stop did connect.
# The in-task check and verify's probe both use them.
CONNECTION_FUNCTIONS = r"""if nc -z 2>&1 | grep -q -e "invalid option" -e "unrecognized option"; then zero_io=""; else zero_io=yes; fi
resolves() {
  case $1 in *[!0-9.]*) ;; *) return 0 ;; esac
  if command -v getent >/dev/null 2>&1; then getent hosts "$1" >/dev/null 2>&1; else nslookup "$1" >/dev/null 2>&1; fi
}
connects() {
  if [ -n "$zero_io" ]; then
    nc -z -w "$3" "$1" "$2" </dev/null >/dev/null 2>&1
  else
    timeout $(($3 + 1)) nc -w "$3" "$1" "$2" </dev/null >/dev/null 2>&1
    [ $? -ne 1 ]
  fi
}
"""

# Arguments: the seconds all checks may take together, then target, host and port for each.
CONNECTION_CHECK_SCRIPT = (
    r"""limit=$1
shift
deadline=$(( $(date +%s) + limit ))
"""
    + CONNECTION_FUNCTIONS
    + r"""while [ $# -ge 3 ]; do
  target=$1 host=$2 port=$3
  shift 3
  while :; do
    if ! resolves "$host"; then
      problem="name does not resolve"
    elif connects "$host" "$port" 2; then
      problem=""
      break
    else
      problem="no TCP connection on port $port"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 1
  done
  if [ -n "$problem" ]; then
    echo "quoin: $target at $host:$port: $problem (checked for ${limit} s)" >&2
    exit 1
  fi
  echo "quoin: $target at $host:$port: accepts connections"
done
"""
)


def log_configuration(log_group, region, stream_prefix):
    """awslogs into the environment's log group: every container of a task under the task's prefix,
    so its streams are <prefix>/<container>/<task id>."""
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": stream_prefix},
    }


def _wait_for(container, other):
    depends = container.setdefault("dependsOn", [])
    if not any(item["containerName"] == other for item in depends):
        depends.append({"containerName": other, "condition": "SUCCESS"})


def prepare_scratch(containers, volumes, image, log):
    """Add the prepare container to a task definition's containers when any non-root container (a
    numeric user other than 0) writes a bind-mount volume; returns it, or None."""
    bind_volumes = {volume["name"] for volume in volumes if "efsVolumeConfiguration" not in volume}
    owners, users = {}, []
    for container in containers:
        owner = numeric_user(container.get("user"))
        if owner is None or owner[0] == 0:
            continue
        written = [m["sourceVolume"] for m in container.get("mountPoints", []) if not m.get("readOnly") and m["sourceVolume"] in bind_volumes]
        for volume in written:
            owners.setdefault(volume, container["user"])
        if written:
            users.append(container)
    if not owners:
        return None
    steps = ["set -eu"]
    for volume, owner in owners.items():
        path = f"{PREPARE_ROOT}/{volume}"
        # chmod before chown: root owns the directory until then, so no FOWNER is needed for it.
        steps.append(f"chmod {SCRATCH_MODE} {path} && chown {owner} {path} && echo \"quoin: {path} is {owner}'s ({SCRATCH_MODE})\"")
    prepare = {
        "name": PREPARE_CONTAINER,
        "image": image,
        "essential": False,
        "user": "0",
        "readonlyRootFilesystem": True,
        "entryPoint": ["/bin/sh", "-c"],
        "command": ["\n".join(steps)],
        "mountPoints": [{"sourceVolume": volume, "containerPath": f"{PREPARE_ROOT}/{volume}", "readOnly": False} for volume in owners],
        "linuxParameters": {"capabilities": {"drop": list(DROPPED_CAPABILITIES)}},
        "logConfiguration": log,
    }
    for container in users:
        _wait_for(container, PREPARE_CONTAINER)
    containers.append(prepare)
    return prepare


def connection_check(targets, timeout, image, log):
    """The container that checks [(target, host, port)] before the main one starts."""
    arguments = [str(timeout)]
    for target, host, port in targets:
        arguments += [target, host, str(port)]
    return {
        "name": CHECK_CONTAINER,
        "image": image,
        "essential": False,
        "user": UNPRIVILEGED_USER,
        "readonlyRootFilesystem": True,
        "entryPoint": ["/bin/sh", "-c"],
        # sh -c SCRIPT NAME ARGS...: the name is $0, the arguments $1 on.
        "command": [CONNECTION_CHECK_SCRIPT, CHECK_CONTAINER, *arguments],
        "logConfiguration": log,
    }
