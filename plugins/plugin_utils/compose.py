# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker Compose files from the environment model, and the model from a Compose file.

compose_document() renders the normalized model (quoin_model) as a Compose document for local
development: phase 1 leaves some services (the site) to run on the host, phase 2 runs every service in
a container, as on Fargate. import_compose() reads a Compose document into services as an inventory's
services.yml writes them, and lists every key it could not translate instead of dropping it.

What Compose has no key for (the secrets' ARNs, the task count, ...) travels in `x-quoin` extension
fields, which Compose ignores; the import reads them back, so a generated phase-2 file round-trips.
"""

import math
import re
import shlex
from decimal import ROUND_CEILING, Decimal, InvalidOperation

import yaml

from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import FARGATE_SIZES
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import SECRET_NAME
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import upstream_environment

EXTENSION = "x-quoin"
# The one-shot service that gives named volumes their owner (Compose cannot set a volume's owner).
INIT_SERVICE = "volume-owners"
DEFAULT_OPTIONS = {
    # Relative to the compose file (compose/phase<N>/compose.yaml): compose/.env, git-ignored.
    "env_file": "../.env",
    # How containers reach a service that runs on the host in phase 1.
    "host_address": "host.docker.internal",
    "host_services": ["site"],
    # Service name -> host port; the entry service is published on its own port unless named here.
    "published_ports": {},
    "init_image": "busybox:1.36",
    "project_name": None,
    "source": None,
}
# ECS health check limits (seconds, or attempts for retries) and the model's defaults.
HEALTH_LIMITS = {"interval": (5, 300), "timeout": (2, 120), "retries": (1, 10), "start_period": (0, 300)}
MODEL_HEALTH_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "start_period": 0}
# Compose's own defaults, which apply when a compose file leaves a value out.
COMPOSE_HEALTH_DEFAULTS = {"interval": 30, "timeout": 30, "retries": 3, "start_period": 0}
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)")
DURATION_UNITS = {"ns": Decimal("1e-9"), "us": Decimal("1e-6"), "µs": Decimal("1e-6"), "ms": Decimal("0.001"), "s": 1, "m": 60, "h": 3600}
BYTES = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$", re.IGNORECASE)
BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# Restart policies that match what an ECS service does anyway: replace a task that stopped.
RESTARTING = re.compile(r"^(always|unless-stopped|on-failure(:\d+)?)$")
# Service keys the import reads; anything else is reported as untranslated.
TASK_READ_KEYS = {"image", "command", "entrypoint", "environment", "env_file", "healthcheck", "user", "read_only", "tmpfs", "volumes", "depends_on", "restart"}
READ_KEYS = {
    "image", "command", "entrypoint", "environment", "env_file", "ports", "expose", "healthcheck", "deploy", "cpus",
    "mem_limit", "user", "read_only", "tmpfs", "volumes", "depends_on", "links", "restart", "extra_hosts", "scale",
}
SECRET_PLACEHOLDER = "REPLACE-WITH-THE-ARN-OF-A-SECRETS-MANAGER-SECRET-OR-SSM-PARAMETER"
# ECS container dependency conditions and Compose's. Compose has no "exited, whatever the code":
# COMPLETE becomes service_completed_successfully, stricter locally (a failing exit stops the start).
CONDITIONS = {"START": "service_started", "COMPLETE": "service_completed_successfully",
              "SUCCESS": "service_completed_successfully", "HEALTHY": "service_healthy"}
IMPORTED_CONDITIONS = {"service_started": "START", "service_completed_successfully": "SUCCESS", "service_healthy": "HEALTHY"}
# A task's other containers, each a Compose service of its own: which key of the service lists them.
TASK_KINDS = {"init": "init_containers", "sidecar": "sidecars"}


class ComposeError(ValueError):
    """The model or the options cannot be rendered, or the input is not a Compose document."""


# ---------------------------------------------------------------------------------------------------
# The model -> a Compose document


def compose_document(model, phase, options=None):
    """The Compose document (data) for local development in phase 1 or 2."""
    phase = _phase(phase)
    opts = _options(options)
    services = {svc["name"]: svc for svc in model["services"]}
    on_host = list(opts["host_services"]) if phase == 1 else []
    unknown = [name for name in on_host if name not in services]
    if unknown:
        raise ComposeError(f"options.host_services: no service {', '.join(map(repr, unknown))} in the model ({', '.join(services)})")
    if INIT_SERVICE in services:
        raise ComposeError(f"the model has a service named {INIT_SERVICE!r}, the name the compose file gives its volume owner service")
    containers = [svc for svc in model["services"] if svc["name"] not in on_host]
    volumes, mounts = _named_volumes(containers)
    published = _published_ports(model, containers, on_host, opts)

    def address(target):
        """(host, port) where the containers reach a service: the host machine, or its compose service."""
        return (opts["host_address"] if target in on_host else target), services[target]["port"]

    rendered = {}
    for svc in containers:
        rendered[svc["name"]] = _container(svc, services, on_host, published, (volumes, mounts), address, opts)
    for svc in containers:
        for kind, key in TASK_KINDS.items():
            for spec in svc[key]:
                compose_name = task_member(svc["name"], spec["name"])
                if compose_name in services or compose_name in rendered or compose_name == INIT_SERVICE:
                    raise ComposeError(
                        f"{svc['name']}'s container {spec['name']!r} would be the compose service {compose_name!r}, "
                        "which another service has; rename one"
                    )
                rendered[compose_name] = _task_container(svc, spec, kind, mounts, opts)
    if volumes:
        rendered[INIT_SERVICE] = _volume_owners(volumes, opts)

    document = {
        "name": opts["project_name"] or f"quoin-{model['environment']}",
        EXTENSION: {
            "generated_by": "quoin.fargate local_dev.yml",
            "environment": model["environment"],
            "phase": phase,
        },
        "services": rendered,
    }
    if opts["source"]:
        document[EXTENSION]["source"] = opts["source"]
    if on_host:
        document[EXTENSION]["on_host"] = {name: "{}:{}".format(*address(name)) for name in on_host}
    if volumes:
        document["volumes"] = {name: {"labels": labels} for name, (labels, _owner) in volumes.items()}
    return _escape(document)


def _phase(phase):
    if isinstance(phase, bool) or str(phase).strip() not in ("1", "2"):
        raise ComposeError(f"phase: {phase!r} must be 1 (the site on the host) or 2 (every service in a container)")
    return int(str(phase).strip())


def _options(options):
    opts = dict(DEFAULT_OPTIONS)
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ComposeError(f"options: must be a mapping, got {type(options).__name__}")
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise ComposeError(f"options: unknown {', '.join(unknown)} (known: {', '.join(DEFAULT_OPTIONS)})")
    opts.update({key: value for key, value in options.items() if value is not None})
    if isinstance(opts["host_services"], str) or not isinstance(opts["host_services"], (list, tuple)):
        raise ComposeError("options.host_services: must be a list of service names")
    if not isinstance(opts["published_ports"], dict):
        raise ComposeError("options.published_ports: must map service names to host ports")
    return opts


def _named_volumes(containers):
    """One named volume per EFS access point directory (file system and root directory), so services
    that share a directory on EFS share it locally too. Returns {volume: (labels, owner)} and
    {(service, volume): volume name}."""
    volumes, mounts, by_place = {}, {}, {}
    # Writers first: a shared directory is named after (and owned like) the service that writes it.
    ordered = [(svc, vol) for svc in containers for vol in svc["volumes"]]
    ordered.sort(key=lambda pair: pair[1]["read_only"])
    for svc, vol in ordered:
        place = (vol["file_system"], vol["root_directory"])
        if place not in by_place:
            name = base = f"{svc['name']}-{vol['name']}"
            suffix = 2
            while name in volumes:
                name, suffix = f"{base}-{suffix}", suffix + 1
            by_place[place] = name
            labels = {
                "quoin.file_system": vol["file_system"],
                "quoin.root_directory": vol["root_directory"],
                "quoin.uid": str(vol["uid"]),
                "quoin.gid": str(vol["gid"]),
                "quoin.permissions": vol["permissions"],
                "quoin.backup": "true" if vol["backup"] else "false",
            }
            volumes[name] = (labels, (vol["uid"], vol["gid"], vol["permissions"]))
        mounts[(svc["name"], vol["name"])] = by_place[place]
    return volumes, mounts


def _published_ports(model, containers, on_host, opts):
    """Service -> host port: the entry service, services a host-run service talks to (it reaches them
    on localhost), and any the options name. Bound to 127.0.0.1: a development machine's network
    does not need them."""
    names = {svc["name"]: svc for svc in containers}
    wanted = {}
    for svc in containers:
        if svc["entry"]:
            wanted[svc["name"]] = svc["port"]
    for name in on_host:
        for target in next(s for s in model["services"] if s["name"] == name)["talks_to"]:
            if target in names:
                wanted.setdefault(target, names[target]["port"])
    for name, port in opts["published_ports"].items():
        if name not in names:
            raise ComposeError(f"options.published_ports: {name!r} is not a container in this phase")
        wanted[name] = int(port)
    taken = {}
    for name, port in wanted.items():
        if port in taken:
            raise ComposeError(
                f"host port {port} is wanted by {taken[port]!r} and {name!r}; choose one with options.published_ports"
            )
        taken[port] = name
    return wanted


def _container(svc, services, on_host, published, named, address, opts):
    name = svc["name"]
    volumes, mounts = named
    container = {"image": svc["image"]}
    if svc.get("entrypoint"):
        container["entrypoint"] = list(svc["entrypoint"])
    if svc.get("command"):
        container["command"] = list(svc["command"])
    if svc.get("user"):
        container["user"] = svc["user"]
    # Where each service it talks to is, by the names of this machine (the compose service, or the
    # host for a service run there); the same variables carry the Cloud Map names on Fargate.
    environment = dict(svc["environment"])
    for target in svc["talks_to"]:
        environment.update(upstream_environment(target, *address(target)))
    if environment:
        container["environment"] = environment
    if svc["secrets"]:
        # Values from the developer's git-ignored env file; the ARNs stay in x-quoin, never read.
        container["env_file"] = opts["env_file"]
    if name in published:
        container["ports"] = [{"target": svc["port"], "published": str(published[name]), "host_ip": "127.0.0.1", "protocol": "tcp"}]
    else:
        container["expose"] = [str(svc["port"])]
    check = svc.get("health_check")
    if check:
        container["healthcheck"] = _healthcheck(check)
    depends_on = {}
    if svc["volumes"]:
        depends_on[INIT_SERVICE] = {"condition": "service_completed_successfully"}
    for target in svc["talks_to"]:
        if target not in on_host:
            healthy = services[target].get("health_check")
            depends_on[target] = {"condition": "service_healthy" if healthy else "service_started"}
    depends_on.update(_task_dependencies(name, svc["depends_on"]))
    if depends_on:
        container["depends_on"] = depends_on
    if any(target in on_host for target in svc["talks_to"]) and not IPV4.match(opts["host_address"]):
        # Docker Desktop knows host.docker.internal; Docker Engine on Linux needs it mapped.
        container["extra_hosts"] = [f"{opts['host_address']}:host-gateway"]
    container["read_only"] = svc["readonly_root_filesystem"]
    if svc["scratch_paths"]:
        container["tmpfs"] = list(svc["scratch_paths"])
    if svc["volumes"]:
        container["volumes"] = [_mount(name, vol, mounts[(name, vol["name"])], volumes) for vol in svc["volumes"]]
    container["deploy"] = {"resources": {"limits": {"cpus": f"{svc['cpu'] / 1024:g}", "memory": f"{svc['memory']}M"}}}
    # As an ECS service replaces a stopped task.
    container["restart"] = "unless-stopped"
    extension = {}
    if svc["secrets"]:
        extension["secrets"] = dict(svc["secrets"])
    _complete_dependencies(svc["depends_on"], extension)
    # One container locally whatever the count on Fargate (several would compete for the host port).
    if svc["desired_count"] != 1:
        extension["desired_count"] = svc["desired_count"]
    for key in ("assign_public_ip", "enable_execute_command"):
        if svc.get(key):
            extension[key] = True
    if extension:
        container[EXTENSION] = extension
    return container


def task_member(service, container):
    """The compose service of a task's init container or sidecar: <service>-<container>."""
    return f"{service}-{container}"


def _task_dependencies(service, depends_on):
    """A container's depends_on entries on the containers of its own task, as compose services."""
    return {
        (service if item["container"] == service else task_member(service, item["container"])): {"condition": CONDITIONS[item["condition"]]}
        for item in depends_on
    }


def _complete_dependencies(depends_on, extension):
    """COMPLETE reads as service_completed_successfully, which the import takes as SUCCESS: the list is
    kept whole in x-quoin so it comes back as it was."""
    if any(item["condition"] == "COMPLETE" for item in depends_on):
        extension["depends_on"] = [dict(item) for item in depends_on]


def _task_container(svc, spec, kind, mounts, opts):
    """An init container or sidecar of a service's task as a compose service of its own. The task's EFS
    volumes are the same named volumes; a scratch path is a tmpfs of this container's."""
    service = svc["name"]
    container = {"image": spec["image"]}
    for key in ("entrypoint", "command"):
        if spec.get(key):
            container[key] = list(spec[key])
    if spec.get("user"):
        container["user"] = spec["user"]
    if spec["environment"]:
        container["environment"] = dict(spec["environment"])
    if spec["secrets"]:
        container["env_file"] = opts["env_file"]
    check = spec.get("health_check")
    if check:
        container["healthcheck"] = _healthcheck(check)
    depends_on = _task_dependencies(service, spec["depends_on"])
    if any("volume" in mount for mount in spec["mounts"]):
        depends_on = {INIT_SERVICE: {"condition": "service_completed_successfully"}, **depends_on}
    if depends_on:
        container["depends_on"] = depends_on
    container["read_only"] = spec["readonly_root_filesystem"]
    scratch = [mount["path"] for mount in spec["mounts"] if "scratch_path" in mount]
    if scratch:
        container["tmpfs"] = scratch
    efs = [mount for mount in spec["mounts"] if "volume" in mount]
    if efs:
        container["volumes"] = [
            {"type": "volume", "source": mounts[(service, mount["volume"])], "target": mount["path"], "read_only": mount["read_only"]}
            for mount in efs
        ]
    # An init container runs once, before the service; a sidecar is replaced like the service.
    container["restart"] = "no" if kind == "init" else "unless-stopped"
    extension = {"task": service, "kind": kind, "name": spec["name"]}
    if spec["essential"] != (kind == "sidecar"):
        extension["essential"] = spec["essential"]
    if spec["secrets"]:
        extension["secrets"] = dict(spec["secrets"])
    if spec["mounts"]:
        # Which volume of the task each mount is (the compose volume or tmpfs does not say).
        extension["mounts"] = [dict(mount) for mount in spec["mounts"]]
    _complete_dependencies(spec["depends_on"], extension)
    container[EXTENSION] = extension
    return container


def _healthcheck(check):
    return {
        "test": list(check["command"]),
        "interval": f"{check['interval']}s",
        "timeout": f"{check['timeout']}s",
        "retries": check["retries"],
        "start_period": f"{check['start_period']}s",
    }


def _mount(service, vol, source, volumes):
    """A named volume mount. Where the model's volume differs from the named volume's labels (another
    service's directory, read through its own access point), the difference goes in x-quoin."""
    labels = volumes[source][0]
    mount = {"type": "volume", "source": source, "target": vol["path"], "read_only": vol["read_only"]}
    extension = {}
    if source != f"{service}-{vol['name']}":
        extension["name"] = vol["name"]
    for key in ("uid", "gid", "permissions"):
        if str(vol[key]) != labels[f"quoin.{key}"]:
            extension[key] = vol[key]
    if not vol["read_only"] and vol["backup"] != (labels["quoin.backup"] == "true"):
        extension["backup"] = vol["backup"]
    if extension:
        mount[EXTENSION] = extension
    return mount


def _volume_owners(volumes, opts):
    """A one-shot root container that gives each named volume's directory the access point's owner and
    permissions, as EFS does when it creates an access point's root directory. Only the top directory,
    like EFS; the owning services wait until it has completed."""
    steps = []
    for name, (_labels, (uid, gid, permissions)) in volumes.items():
        steps.append(f"chown {uid}:{gid} /volumes/{name} && chmod {permissions} /volumes/{name}")
    return {
        "image": opts["init_image"],
        # Root, with only the two capabilities chown and chmod need; no network.
        "user": "0:0",
        "command": ["sh", "-c", " && ".join(steps)],
        "volumes": [{"type": "volume", "source": name, "target": f"/volumes/{name}"} for name in volumes],
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "cap_add": ["CHOWN", "FOWNER"],
        "restart": "no",
        EXTENSION: {"local_only": True},
    }


def _escape(value):
    """Compose interpolates $VAR everywhere; a literal $ is written $$."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escape(item) for item in value]
    return value


# ---------------------------------------------------------------------------------------------------
# A Compose document -> the inventory's services


def fargate_size(cpu_units, mib):
    """The smallest Fargate cpu/memory pair with at least this cpu (units) and memory (MiB)."""
    for cpu in sorted(FARGATE_SIZES):
        if cpu < cpu_units:
            continue
        for memory in FARGATE_SIZES[cpu]:
            if memory >= mib:
                return cpu, memory
    raise ComposeError(f"{cpu_units} cpu units with {mib} MiB is more than the largest Fargate size")


def duration_seconds(text):
    """A Compose duration ('30s', '1m30s', '1.5s', '500ms') in whole seconds, rounded up."""
    value = str(text).strip()
    if not value or DURATION_PART.sub("", value):
        raise ValueError(f"{text!r} is not a duration such as 30s or 1m30s")
    total = sum(Decimal(amount) * DURATION_UNITS[unit] for amount, unit in DURATION_PART.findall(value))
    return int(total.to_integral_value(rounding=ROUND_CEILING))


def memory_mib(value):
    """A Compose byte value ('1g', '512m', '2048M', 1073741824) in MiB, rounded up."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return math.ceil(value / 1024**2)
    match = BYTES.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a byte value such as 512m or 1g")
    try:
        amount = Decimal(match.group(1)) * BYTE_UNITS[match.group(2).lower()]
    except InvalidOperation as e:
        raise ValueError(f"{value!r} is not a byte value") from e
    return int((amount / 1024**2).to_integral_value(rounding=ROUND_CEILING))


class _Import:
    """One import: the document, and what could not be translated (paths) with notes on why."""

    def __init__(self, document):
        self.document = document
        self.untranslated = []
        self.notes = []

    def skip(self, path, reason=None):
        if path not in self.untranslated:
            self.untranslated.append(path)
        if reason:
            self.notes.append(f"{path}: {reason}")

    def text(self, value, path):
        """A string with $$ unescaped; None (and the path reported) when it needs interpolation."""
        if not isinstance(value, str):
            return value
        out, index = [], 0
        while index < len(value):
            if value[index] == "$":
                if value[index + 1:index + 2] == "$":
                    out.append("$")
                    index += 2
                    continue
                self.skip(path, "takes a value from the shell or a .env file when compose runs ($VAR); give the value itself")
                return None
            out.append(value[index])
            index += 1
        return "".join(out)


def import_compose(document):
    """Services (as inventories' services.yml write them), file systems and the untranslated keys of a
    Compose document (data or YAML text)."""
    if isinstance(document, (str, bytes)):
        try:
            document = yaml.safe_load(document)
        except yaml.YAMLError as e:
            raise ComposeError(f"not YAML: {e}") from e
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise ComposeError("not a Compose document: it has no services mapping")
    state = _Import(document)
    for key, value in document.items():
        if key in ("services", "volumes", "name", "version") or str(key).startswith("x-"):
            continue
        if isinstance(value, dict) and value:
            for entry in value:
                state.skip(f"{key}.{entry}")
        else:
            state.skip(str(key))
    local_only = {
        name for name, svc in document["services"].items() if isinstance(svc, dict) and (svc.get(EXTENSION) or {}).get("local_only")
    }
    # A task's init containers and sidecars, written by compose_document: {compose name: (task, kind, container)}.
    members = {}
    for original, svc in document["services"].items():
        extension = (svc.get(EXTENSION) or {}) if isinstance(svc, dict) else {}
        if extension.get("task") in document["services"] and extension.get("kind") in TASK_KINDS and extension.get("name"):
            members[original] = (extension["task"], extension["kind"], str(extension["name"]))
    names = _model_names([name for name in document["services"] if name not in local_only and name not in members], state)
    services, file_systems = [], []
    for original, svc in document["services"].items():
        if original in local_only or original in members:
            continue
        service = _import_service(original, names[original], svc or {}, names, (local_only, members), state)
        services.append(service)
        for volume in service.get("volumes", []):
            if {"name": volume["file_system"]} not in file_systems:
                file_systems.append({"name": volume["file_system"]})
    by_original = dict(zip([name for name in document["services"] if name not in local_only and name not in members], services))
    for original, (task, kind, container) in members.items():
        owner = by_original.get(task)
        if owner is None:
            state.skip(f"services.{original}", f"a container of {task}'s task, which is not a service of this file")
            continue
        spec = _import_task_container(original, container, document["services"][original], task, members, state)
        owner.setdefault(TASK_KINDS[kind], []).append(spec)
    _check_volumes(document.get("volumes") or {}, state)
    published = [svc["name"] for svc in services if svc.pop("_published", False)]
    entry = published[0] if len(published) == 1 else None
    if len(published) != 1:
        state.notes.append(
            "entry service: " + (f"several services publish ports ({', '.join(published)}); choose quoin_entry_service" if published
                                 else "no service publishes a port; choose quoin_entry_service")
        )
    return {
        "services": services,
        "file_systems": file_systems,
        "untranslated": state.untranslated,
        "notes": state.notes,
        "entry_service": entry,
    }


def _model_names(names, state):
    """Compose names as model names (lower-case letters, digits, hyphens, starting with a letter)."""
    result = {}
    for name in names:
        model_name = re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).lstrip("-0123456789")[:30].rstrip("-") or "service"
        if model_name != name:
            state.notes.append(f"services.{name}: named {model_name!r} (model names are lower-case letters, digits and hyphens)")
        if model_name in result.values():
            state.notes.append(f"services.{name}: {model_name!r} is taken by another service; rename one")
        result[name] = model_name
    return result


def _import_start(original, name, svc, known, state):
    """(path, x-quoin fields, {name, image}) of a compose service; its keys outside `known` reported."""
    where = f"services.{original}"
    for key in svc:
        if key not in known and not str(key).startswith("x-"):
            state.skip(f"{where}.{key}")
    imported = {"name": name}
    image = state.text(svc.get("image"), f"{where}.image")
    if image:
        imported["image"] = image
    return where, svc.get(EXTENSION) or {}, imported


def _import_process(svc, where, extension, into, state):
    """What every container has: command, entrypoint, environment, secrets, health check, user and
    whether its root file system is read-only."""
    for key in ("command", "entrypoint"):
        value = _import_command(svc.get(key), f"{where}.{key}", state)
        if value:
            into[key] = value
    environment, secrets = _import_environment(svc, where, extension, state)
    if environment:
        into["environment"] = environment
    if secrets:
        into["secrets"] = secrets
    check = _import_health_check(svc.get("healthcheck"), f"{where}.healthcheck", state)
    if check:
        into["health_check"] = check
    user = svc.get("user")
    if user is not None:
        into["user"] = str(user)
        if str(user).split(":", maxsplit=1)[0] in ("root", "0"):
            state.notes.append(f"{where}.user: {user!r} is root, which the model refuses; name an unprivileged user")
    # Compose's root file system is writable unless read_only says otherwise; the model's is read-only.
    if str(svc.get("read_only", False)).lower() != "true":
        into["readonly_root_filesystem"] = False


def _import_task_container(original, container, svc, task, members, state):
    """An init container or sidecar from its compose service (and the x-quoin fields compose_document
    wrote for what Compose has no key for)."""
    where, extension, spec = _import_start(original, container, svc, TASK_READ_KEYS, state)
    _import_process(svc, where, extension, spec, state)
    if "essential" in extension:
        spec["essential"] = extension["essential"]
    if extension.get("mounts"):
        spec["mounts"] = [dict(mount) for mount in extension["mounts"]]
    depends_on = extension.get("depends_on") or _task_depends_on(svc, task, members, where, state)
    if depends_on:
        spec["depends_on"] = [dict(item) for item in depends_on]
    return spec


def _task_depends_on(svc, task, members, where, state):
    """A container's depends_on entries on its own task's containers: [{container, condition}]."""
    raw = svc.get("depends_on") or {}
    result = []
    for dependency, settings in ([(dep, {}) for dep in raw] if isinstance(raw, list) else list(raw.items())):
        if dependency == task:
            container = task
        elif members.get(dependency, (None,))[0] == task:
            container = members[dependency][2]
        else:
            continue
        condition = IMPORTED_CONDITIONS.get((settings or {}).get("condition", "service_started"))
        if condition is None:
            state.skip(f"{where}.depends_on.{dependency}", "a condition ECS has no counterpart for")
            continue
        result.append({"container": container, "condition": condition})
    return result


def _import_service(original, name, svc, names, local_only, state):
    where, extension, service = _import_start(original, name, svc, READ_KEYS, state)
    if "image" not in service:
        state.notes.append(
            f"{where}: no image, only build; push the built image to a registry (ECR) and name it as image" if "build" in svc
            else f"{where}: no image; the model needs one"
        )

    port, published = _import_ports(svc, where, state)
    if port is None:
        state.notes.append(f"{where}: no container port (ports or expose); the model needs one")
    else:
        service["port"] = port
    service["_published"] = published

    _check_deploy(svc.get("deploy") or {}, f"{where}.deploy", state)
    size = _import_size(svc, where, state)
    if size:
        service["cpu"], service["memory"] = size

    _import_process(svc, where, extension, service, state)

    scratch, volumes = _import_volumes(svc, where, name, state)
    if scratch:
        service["scratch_paths"] = scratch

    local_only, members = local_only
    talks_to = _import_dependencies(svc, where, names, local_only | set(members), state)
    if talks_to:
        service["talks_to"] = talks_to
    # The talks_to variables are the model's to set, from the services' names and ports.
    for target in talks_to:
        for variable in upstream_environment(target, "", 0):
            if variable in service.get("environment", {}):
                del service["environment"][variable]
    if not service.get("environment"):
        service.pop("environment", None)
    depends_on = extension.get("depends_on") or _task_depends_on(svc, original, members, where, state)
    if depends_on:
        service["depends_on"] = depends_on
    if volumes:
        service["volumes"] = volumes

    count = extension.get("desired_count", (svc.get("deploy") or {}).get("replicas", svc.get("scale")))
    if count is not None and not re.fullmatch(r"\d+", str(count)):
        state.skip(f"{where}.deploy.replicas", f"{count!r} is not a whole number")
    elif count is not None and int(count) != 1:
        service["desired_count"] = int(count)
    for key in ("assign_public_ip", "enable_execute_command"):
        if extension.get(key):
            service[key] = True

    restart = svc.get("restart")
    if restart is not None and not RESTARTING.match(str(restart)):
        state.skip(f"{where}.restart", "an ECS service always replaces a stopped task")
    hosts = svc.get("extra_hosts") or []
    entries = [f"{host}:{address}" for host, address in hosts.items()] if isinstance(hosts, dict) else list(hosts)
    # host-gateway entries reach the development machine, which has no counterpart on Fargate.
    if any(not re.search(r"[:=]host-gateway$", str(entry)) for entry in entries):
        state.skip(f"{where}.extra_hosts", "Fargate tasks resolve names through DNS only")
    return service


def _import_ports(svc, where, state):
    """The container port (the model has one per service), and whether compose publishes it."""
    found = []
    for key in ("ports", "expose"):
        for index, entry in enumerate(svc.get(key) or []):
            path = f"{where}.{key}[{index}]"
            protocol = "tcp"
            if isinstance(entry, dict):
                target, protocol = entry.get("target"), entry.get("protocol") or "tcp"
            else:
                text, _slash, protocol = str(entry).partition("/")
                protocol = protocol or "tcp"
                target = text.rsplit(":", 1)[-1]
            if protocol != "tcp":
                state.skip(path, f"{protocol}: the model's services take TCP")
                continue
            try:
                target = int(str(target))
            except ValueError:
                state.skip(path, "not a single port (a range?); the model takes one port per service")
                continue
            if found and target != found[0][0]:
                state.skip(path, f"another port; the model takes one per service ({found[0][0]})")
                continue
            found.append((target, key == "ports"))
    if not found:
        return None, False
    return found[0][0], any(published for _target, published in found)


def _check_deploy(deploy, path, state):
    """deploy: only the limits (the Fargate size) and the replica count have a place in the model."""
    for key, value in deploy.items():
        if key == "resources":
            for kind, settings in (value or {}).items():
                if kind != "limits":
                    state.skip(f"{path}.resources.{kind}", "Fargate sizes a task by its limits")
                    continue
                for limit in settings or {}:
                    if limit not in ("cpus", "memory") and not str(limit).startswith("x-"):
                        state.skip(f"{path}.resources.limits.{limit}")
        elif key == "replicas" or (key == "mode" and value == "replicated") or str(key).startswith("x-"):
            continue
        else:
            state.skip(f"{path}.{key}")


def _import_size(svc, where, state):
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    cpus = limits.get("cpus", svc.get("cpus"))
    memory = limits.get("memory", svc.get("mem_limit"))
    if cpus is None and memory is None:
        state.notes.append(f"{where}: no cpu or memory limit; Fargate's smallest size (256 cpu units, 512 MiB) applies")
        return None
    try:
        units = math.ceil(Decimal(str(cpus)) * 1024) if cpus is not None else 0
        mib = memory_mib(memory) if memory is not None else 0
        size = fargate_size(units, mib)
    except (InvalidOperation, ValueError, ComposeError) as e:
        state.skip(f"{where}.deploy.resources.limits", str(e))
        return None
    if size != (units, mib):
        state.notes.append(f"{where}: cpus {cpus}, memory {memory} rounded up to the Fargate size {size[0]} cpu units, {size[1]} MiB")
    return size


def _import_command(value, path, state):
    if value is None:
        return None
    if isinstance(value, str):
        # Compose splits a string command into words (no shell); the model takes that list.
        value = shlex.split(value)
    words = [state.text(str(word), path) for word in value]
    return None if None in words else words


def _import_environment(svc, where, extension, state):
    raw = svc.get("environment") or {}
    if isinstance(raw, list):
        pairs = [(item.partition("=")[0], item.partition("=")[2] if "=" in item else None) for item in map(str, raw)]
    else:
        pairs = list(raw.items())
    environment, secrets = {}, {}
    for variable, value in pairs:
        path = f"{where}.environment.{variable}"
        if value is None:
            state.skip(path, "takes its value from the shell when compose runs; give the value itself")
            continue
        if SECRET_NAME.search(str(variable)):
            # The value is never copied: it belongs in Secrets Manager or SSM.
            secrets[variable] = SECRET_PLACEHOLDER
            state.notes.append(f"{path}: a credential; moved to secrets without its value: store it in Secrets Manager or SSM and name the ARN")
            continue
        value = state.text(value, path)
        if value is not None:
            environment[variable] = value
    known = extension.get("secrets") or {}
    secrets.update(known)
    if svc.get("env_file") is not None and not known:
        state.skip(f"{where}.env_file", "the import does not read files; name its variables in environment, or in secrets by ARN")
    return environment, secrets


def _import_health_check(check, path, state):
    if not check or str(check.get("disable", False)).lower() == "true":
        return None
    test = check.get("test")
    if isinstance(test, str):
        command = test
    elif isinstance(test, list) and test and test[0] == "NONE":
        return None
    elif isinstance(test, list) and len(test) == 2 and test[0] == "CMD-SHELL":
        command = test[1]
    elif isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        command = list(test)
    else:
        state.skip(f"{path}.test", "no command (the image's own health check cannot be read from here)")
        return None
    command = state.text(command, f"{path}.test") if isinstance(command, str) else _import_command(command, f"{path}.test", state)
    if command is None:
        return None
    result = {"command": command}
    for key, (low, high) in HEALTH_LIMITS.items():
        value = check.get(key)
        try:
            seconds = COMPOSE_HEALTH_DEFAULTS[key] if value is None else int(value) if key == "retries" else duration_seconds(value)
        except ValueError as e:
            state.skip(f"{path}.{key}", str(e))
            continue
        if not low <= seconds <= high:
            state.notes.append(f"{path}.{key}: {value} is outside ECS's {low} to {high}; {min(max(seconds, low), high)} instead")
            seconds = min(max(seconds, low), high)
        if seconds != MODEL_HEALTH_DEFAULTS[key]:
            result[key] = seconds
    for key in check:
        if key not in HEALTH_LIMITS and key not in ("test", "disable") and not str(key).startswith("x-"):
            state.skip(f"{path}.{key}")
    return result


def _labels(raw):
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return dict(raw or {})


def _import_volumes(svc, where, name, state):
    """Named volumes become EFS volumes; anonymous volumes and tmpfs mounts become scratch paths."""
    scratch, volumes = [], []
    tmpfs = svc.get("tmpfs") or []
    for index, entry in enumerate([tmpfs] if isinstance(tmpfs, str) else tmpfs):
        path, _colon, options = str(entry).partition(":")
        scratch.append(path)
        if options:
            state.notes.append(f"{where}.tmpfs[{index}]: options {options} dropped; a scratch path is task storage")
    declared = state.document.get("volumes") or {}
    for index, entry in enumerate(svc.get("volumes") or []):
        path = f"{where}.volumes[{index}]"
        if isinstance(entry, dict):
            kind, source, target = entry.get("type"), entry.get("source"), entry.get("target")
            read_only = str(entry.get("read_only", False)).lower() == "true"
            for key in entry:
                if key not in ("type", "source", "target", "read_only", "consistency") and not str(key).startswith("x-"):
                    state.skip(f"{path}.{key}")
        else:
            parts = str(entry).split(":")
            source, target = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
            modes = parts[2].split(",") if len(parts) > 2 else []
            read_only = "ro" in modes
            kind = "volume" if source is None or not re.match(r"^[./~]", source) else "bind"
        if kind == "tmpfs" or (kind == "volume" and not source):
            # Container-lived storage: Fargate's task-lived scratch volume is the nearest thing.
            scratch.append(target)
            continue
        if kind != "volume":
            state.skip(path, f"a {kind} mount of the development machine; bake it into the image, or use a named volume")
            continue
        labels = _labels((declared.get(source) or {}).get("labels"))
        volume = {"name": "", "file_system": labels.get("quoin.file_system") or _volume_name(source), "path": target}
        if labels.get("quoin.file_system") and source.startswith(f"{name}-"):
            volume["name"] = source[len(name) + 1:]
        else:
            volume["name"] = _volume_name(source)
        if read_only:
            volume["read_only"] = True
        uid, gid = labels.get("quoin.uid"), labels.get("quoin.gid")
        if uid is None and re.match(r"^\d+(:\d+)?$", str(svc.get("user", ""))):
            uid, _colon, gid = str(svc["user"]).partition(":")
        if uid is not None:
            volume["uid"] = int(uid)
            volume["gid"] = int(gid or uid)
        volume["permissions"] = labels.get("quoin.permissions")
        if labels.get("quoin.backup") == "false" and not read_only:
            volume["backup"] = False
        # This mount's own access point settings, where they differ from the named volume's.
        overrides = (entry.get(EXTENSION) or {}) if isinstance(entry, dict) else {}
        volume.update({key: overrides[key] for key in ("name", "uid", "gid", "permissions", "backup") if key in overrides})
        if "uid" not in volume:
            state.notes.append(f"{path}: owner unknown (no numeric user); uid/gid 1000 assumed, the model's default")
        if volume["permissions"] in (None, "0750"):
            del volume["permissions"]
        root = labels.get("quoin.root_directory")
        if root and root != f"/{name}/{volume['name']}":
            volume["root_directory"] = root
        volumes.append(volume)
    return scratch, volumes


def _volume_name(source):
    model_name = re.sub(r"[^a-z0-9-]+", "-", str(source).lower()).lstrip("-0123456789")[:30].rstrip("-")
    return model_name or "data"


def _check_volumes(declared, state):
    """Top-level volume settings are the local engine's; only our labels mean something to the model."""
    for name, settings in declared.items():
        for key, value in (settings or {}).items():
            if key == "labels":
                if any(not str(label).startswith("quoin.") for label in _labels(value)):
                    state.skip(f"volumes.{name}.labels")
            elif not str(key).startswith("x-"):
                state.skip(f"volumes.{name}.{key}", "EFS takes no volume driver or name; the file system is named after the volume")


def _import_dependencies(svc, where, names, local_only, state):
    """depends_on and links: the services this one talks to."""
    raw = svc.get("depends_on") or {}
    dependencies = [(dep, {}) for dep in raw] if isinstance(raw, list) else list(raw.items())
    for link in svc.get("links") or []:
        target, _colon, alias = str(link).partition(":")
        dependencies.append((target, {}))
        if alias and alias != target:
            state.skip(f"{where}.links", "aliases; services reach each other by their names")
    talks_to = []
    for dependency, settings in dependencies:
        if dependency in local_only:
            continue
        if (settings or {}).get("condition") == "service_completed_successfully":
            state.skip(f"{where}.depends_on.{dependency}", "a one-shot job before start; an ECS service has no such step")
            continue
        if dependency not in names:
            state.skip(f"{where}.depends_on.{dependency}", "not a service of this file")
            continue
        if names[dependency] not in talks_to:
            talks_to.append(names[dependency])
    return talks_to
