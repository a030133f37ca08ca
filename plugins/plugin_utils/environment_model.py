# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment model: one inventory's description of the website, checked and normalized.

Role argument specs check types, required keys and choices. What they cannot express lives here:
formats, ranges, uniqueness and references between variables. Every problem is collected and
reported at once, each naming the inventory variable it comes from, before any AWS call is made.
"""

import re

from ansible_collections.quoin.fargate.plugins.plugin_utils.pull_through import normalize_caches

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
OCTAL_PERMISSIONS = re.compile(r"^[0-7]{3,4}$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Variable names that say they hold a credential: their value belongs in Secrets Manager or SSM.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$", re.IGNORECASE)
# Secrets come only from Secrets Manager or SSM Parameter Store, by ARN (never as values).
SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)$"
)
# The cpu/memory pairs Fargate accepts: cpu units -> memory MiB.
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
MAX_POSIX_ID = 4294967295
# Where the SSM agent that ECS Exec starts in a container keeps its state and logs: it must write there.
SSM_AGENT_PATHS = ("/var/lib/amazon/ssm", "/var/log/amazon/ssm")
NUMERIC_USER = re.compile(r"^(\d+)(?::(\d+))?$")
# The containers a service's task definition adds itself: one that makes the writable scratch paths of
# non-root containers their own, one that checks the services this one talks to before it starts.
PREPARE_CONTAINER = "prepare-scratch"
CHECK_CONTAINER = "check-connections"
GENERATED_CONTAINERS = (PREPARE_CONTAINER, CHECK_CONTAINER)
DEPENDENCY_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
CONTAINER_KEYS = {
    "name", "image", "command", "entrypoint", "user", "environment", "secrets", "essential", "depends_on", "health_check",
    "mounts", "readonly_root_filesystem",
}
# Seconds the connection check may take for all of a service's talks_to targets together.
CONNECTION_CHECK_TIMEOUT = 60
# An image in an ECR registry: account, region, repository (the tag or digest after it).
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([^:@]+)")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

# Alarm defaults for every service; quoin_alarms changes them for all, a service's `alarms` for one.
# running_tasks compares Container Insights' running and desired task counts, so it has no threshold.
ALARM_DEFAULTS = {
    "cpu": {"threshold": 80, "period": 300, "evaluation_periods": 3},
    "memory": {"threshold": 80, "period": 300, "evaluation_periods": 3},
    "running_tasks": {"period": 60, "evaluation_periods": 5},
    "errors": {"threshold": 10, "period": 300, "evaluation_periods": 1, "pattern": "?ERROR ?Error ?error"},
}
# CloudWatch alarm periods: 10, 20, 30 or any multiple of 60 seconds.
ALARM_PERIODS = (10, 20, 30)
SUBSCRIPTION_PROTOCOLS = ("email", "email-json", "http", "https", "sms", "sqs", "lambda", "firehose", "application")
SCHEDULE_EXPRESSION = re.compile(r"^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")
# The small image of the containers a task runs before its main one (preparing scratch paths, checking
# connections) and of verify's probe task: busybox from ECR Public's copy of the Docker official images,
# so Fargate never counts against Docker Hub's anonymous pull limit for it.
INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.36"
# Task definition families of the collection's own tasks, quoin-<environment>-<name> like the services'.
RESERVED_FAMILIES = ("backup", "restore", "probe")
# A rolling update's bounds on the tasks that run during a deploy, as percentages of the desired count
# (ECS DeploymentConfiguration): ECS's defaults start the new tasks before the old ones stop. A service
# with a single-writer volume stops its task before the new one starts, so that two never write at once.
DEPLOYMENT_DEFAULTS = {"minimum_healthy_percent": 100, "maximum_percent": 200}
STOP_BEFORE_START = {"minimum_healthy_percent": 0, "maximum_percent": 100}
# ECS's ranges: the lower limit is at most the desired count; the upper limit as high as 200 % (we do
# not allow more: a Fargate service gains nothing from starting more than twice its tasks at once).
DEPLOYMENT_RANGES = {"minimum_healthy_percent": (0, 100), "maximum_percent": (100, 200)}
BACKUP_DEFAULTS = {
    "schedule": "cron(0 3 * * ? *)",
    "timezone": "UTC",
    "retention_days": 35,
    # The AWS CLI image: `aws s3 sync` copies each volume; its shell runs the loop.
    "image": "public.ecr.aws/aws-cli/aws-cli:2.22.35",
    "cpu": 256,
    "memory": 512,
}


class ModelError(ValueError):
    """The inventory does not describe a valid environment; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("the inventory is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


def cfn_name(name):
    """A CloudFormation logical-ID part for a model name: 'mesh-cms' -> 'MeshCms'."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value):
    """Whole numbers given as text (extra vars always are) become ints; anything else stays as it is."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


def _check_port(problems, where, value):
    if not _is_int(value) or not 1 <= value <= 65535:
        problems.append(f"{where}: must be a port number from 1 to 65535, got {value!r}")


def _check_ids(problems, where, values, pattern, what):
    if not values:
        problems.append(f"{where}: must list at least one {what}")
        return
    for index, value in enumerate(values):
        if not isinstance(value, str) or not pattern.match(value):
            problems.append(f"{where}[{index}]: {value!r} is not a {what} ID")
    if len(set(values)) != len(values):
        problems.append(f"{where}: lists the same {what} twice")


def _unique_names(problems, where, items, pattern, what):
    """Check each item's name; return the names in order (invalid ones included, for references)."""
    names = []
    for index, item in enumerate(items):
        name = item.get("name")
        if not isinstance(name, str) or not pattern.match(name):
            problems.append(
                f"{where}[{index}].name: {name!r} is not a valid {what} name "
                f"(lower-case letters, digits and hyphens, starting with a letter)"
            )
        elif name in names:
            problems.append(f"{where}[{index}].name: {what} {name!r} is defined twice")
        names.append(name)
    return names


def _normalize_container(problems, where, service):
    """Check and fill in what the task definition needs: image, size, command, environment, secrets,
    health check, count and the container's privileges."""
    _normalize_process(problems, where, service)
    cpu = _as_int(service.get("cpu", 256))
    memory = _as_int(service.get("memory", 512))
    if cpu not in FARGATE_SIZES:
        problems.append(f"{where}.cpu: {cpu!r} is not a Fargate cpu size ({', '.join(map(str, FARGATE_SIZES))})")
    elif memory not in FARGATE_SIZES[cpu]:
        problems.append(
            f"{where}.memory: {memory!r} MiB does not go with cpu {cpu} on Fargate "
            f"({FARGATE_SIZES[cpu][0]} to {FARGATE_SIZES[cpu][-1]} MiB)"
        )
    service["cpu"], service["memory"] = cpu, memory
    count = _as_int(service.get("desired_count", 1))
    if not _is_int(count) or count < 0:
        problems.append(f"{where}.desired_count: {count!r} must be a whole number, 0 or more")
    service["desired_count"] = count
    scratch = list(service.get("scratch_paths") or [])
    for path in scratch:
        if not isinstance(path, str) or not path.startswith("/") or path == "/":
            problems.append(f"{where}.scratch_paths: {path!r} must be an absolute path in the container, not /")
    service["scratch_paths"] = scratch
    service["assign_public_ip"] = bool(service.get("assign_public_ip", False))
    # ECS Exec opens a shell in a running container: off unless the inventory asks for it.
    execute = service.get("enable_execute_command", False)
    if not isinstance(execute, bool):
        problems.append(f"{where}.enable_execute_command: {execute!r} must be true or false")
    service["enable_execute_command"] = execute is True
    if service["enable_execute_command"] and service["readonly_root_filesystem"]:
        unwritable = [path for path in SSM_AGENT_PATHS if not any(_covers(scratch_path, path) for scratch_path in scratch)]
        if unwritable:
            problems.append(
                f"{where}.enable_execute_command: ECS Exec's SSM agent writes to {' and '.join(unwritable)}, which "
                f"the read-only root file system does not allow; add them to {where}.scratch_paths or set "
                f"{where}.readonly_root_filesystem: false"
            )


def _covers(scratch_path, path):
    """A scratch path makes `path` writable when it is `path` or a directory above it."""
    if not isinstance(scratch_path, str):
        return False
    scratch_path = scratch_path.rstrip("/")
    return path == scratch_path or path.startswith(scratch_path + "/")


def _normalize_process(problems, where, service):
    """What every container of a task has: image, command, environment, secrets, health check, user
    and a read-only root file system."""
    image = service.get("image")
    if not isinstance(image, str) or not image.strip() or any(c.isspace() for c in image):
        problems.append(f"{where}.image: {image!r} is not an image reference (repository[:tag][@digest])")
    for key in ("command", "entrypoint"):
        value = service.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            problems.append(f"{where}.{key}: must be a list of strings (exec form), got {value!r}")
    environment = dict(service.get("environment") or {})
    for name, value in environment.items():
        if not ENV_NAME.match(str(name)):
            problems.append(f"{where}.environment: {name!r} is not a valid variable name")
        if isinstance(value, (dict, list)) or value is None:
            problems.append(f"{where}.environment.{name}: must be a string, number or boolean")
        elif SECRET_NAME.search(str(name)):
            # The value is not quoted: it may be the credential itself.
            problems.append(
                f"{where}.environment.{name}: looks like a credential; put it in Secrets Manager or SSM "
                "and name its ARN in secrets, so it never sits in the task definition in plain text"
            )
    service["environment"] = {str(k): _env_value(v) for k, v in environment.items()}
    secrets = dict(service.get("secrets") or {})
    for name, arn in secrets.items():
        if not ENV_NAME.match(str(name)):
            problems.append(f"{where}.secrets: {name!r} is not a valid variable name")
        elif name in environment:
            problems.append(f"{where}.secrets.{name}: also set in environment; a variable comes from one place")
        if not isinstance(arn, str) or not SECRET_ARN.match(arn):
            problems.append(
                f"{where}.secrets.{name}: must be the ARN of a Secrets Manager secret or an SSM parameter, "
                "never the secret itself"
            )
    service["secrets"] = secrets
    check = service.get("health_check")
    if check is not None:
        check = dict(check)
        command = check.get("command")
        if isinstance(command, str):
            command = ["CMD-SHELL", command]
        if not isinstance(command, list) or not command or command[0] not in ("CMD", "CMD-SHELL"):
            problems.append(f"{where}.health_check.command: a shell command, or a list starting with CMD or CMD-SHELL")
        check["command"] = command
        for key, default, low, high in (("interval", 30, 5, 300), ("timeout", 5, 2, 120), ("retries", 3, 1, 10), ("start_period", 0, 0, 300)):
            value = _as_int(check.get(key, default))
            if not _is_int(value) or not low <= value <= high:
                problems.append(f"{where}.health_check.{key}: {value!r} must be from {low} to {high}")
            check[key] = value
    service["health_check"] = check
    user = service.get("user")
    if user is not None and str(user).split(":", maxsplit=1)[0] in ("root", "0"):
        problems.append(f"{where}.user: {user!r} runs the container as root; name an unprivileged user (uid[:gid])")
    service["user"] = None if user is None else str(user)
    service["readonly_root_filesystem"] = bool(service.get("readonly_root_filesystem", True))


def _env_value(value):
    """Environment values are strings in a task definition; booleans as the shell would write them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def upstream_variable(target):
    """The prefix of the variables that tell a service where a service it talks to is: cms -> CMS."""
    return re.sub(r"[^A-Za-z0-9]", "_", target).upper()


def upstream_environment(target, host, port):
    """The variables one `talks_to` edge gives the calling service, the same names on Fargate (host: the
    Cloud Map name) and locally (a compose service or the development machine):
    CMS_UPSTREAM=host:port, CMS_HOST=host, CMS_PORT=port."""
    prefix = upstream_variable(target)
    return {f"{prefix}_UPSTREAM": f"{host}:{port}", f"{prefix}_HOST": host, f"{prefix}_PORT": str(port)}


def numeric_user(user):
    """(uid, gid or None) of a numeric uid[:gid] user, else None."""
    match = NUMERIC_USER.match(str(user)) if user is not None else None
    return (int(match.group(1)), None if match.group(2) is None else int(match.group(2))) if match else None


def _normalize_mounts(problems, where, service, container):
    """An extra container's mounts of the task's volumes: a service volume by name or one of its
    scratch paths, at the main container's path unless `path` says otherwise."""
    volumes = {v.get("name"): v for v in service["volumes"]}
    mounts, paths = [], set()
    for index, raw in enumerate(container.get("mounts") or []):
        at = f"{where}.mounts[{index}]"
        # Unset keys may come as null (an argument spec's options): the same as absent.
        mount = {key: value for key, value in raw.items() if value is not None} if isinstance(raw, dict) else {}
        if ("volume" in mount) == ("scratch_path" in mount):
            problems.append(f"{at}: name either a volume of the service (volume) or one of its scratch paths (scratch_path)")
            continue
        if "volume" in mount:
            volume = volumes.get(mount["volume"])
            if volume is None:
                problems.append(f"{at}.volume: {mount['volume']!r} is not a volume of this service")
                continue
            default_path, default_read_only = volume.get("path"), volume["read_only"]
        else:
            if mount["scratch_path"] not in service["scratch_paths"]:
                problems.append(f"{at}.scratch_path: {mount['scratch_path']!r} is not one of this service's scratch_paths")
                continue
            default_path, default_read_only = mount["scratch_path"], False
        mount.setdefault("path", default_path)
        mount.setdefault("read_only", default_read_only)
        if not isinstance(mount["read_only"], bool):
            problems.append(f"{at}.read_only: must be true or false")
        elif default_read_only and not mount["read_only"]:
            problems.append(f"{at}.read_only: the volume is read-only for the service; no container of its task writes it")
        path = mount["path"]
        if not isinstance(path, str) or not path.startswith("/") or path == "/":
            problems.append(f"{at}.path: {path!r} must be an absolute path in the container, not /")
        elif path in paths:
            problems.append(f"{at}.path: {path} is mounted twice in this container")
        paths.add(path)
        unknown = sorted(set(mount) - {"volume", "scratch_path", "path", "read_only"})
        if unknown:
            problems.append(f"{at}: unknown keys {', '.join(unknown)}")
        mounts.append(mount)
    return mounts


def _normalize_task_containers(problems, where, service):
    """A service's init containers and sidecars, and the order the containers of its task start in.

    The main container waits for every init container with SUCCESS unless the service's own
    depends_on says otherwise. AWS's container dependency rules: COMPLETE and SUCCESS cannot be set
    on an essential container (its exit stops the task), HEALTHY needs the container's health check.
    """
    name = service.get("name")
    containers = {name: {"essential": True, "health_check": service.get("health_check")}}
    kinds = {}
    for kind, essential in (("init_containers", False), ("sidecars", True)):
        items = service.get(kind) or []
        if not isinstance(items, list):
            problems.append(f"{where}.{kind}: must be a list of containers")
            items = []
        items = [{k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else {"name": None} for item in items]
        for index, container in enumerate(items):
            at = f"{where}.{kind}[{index}]"
            cname = container.get("name")
            if not isinstance(cname, str) or not SERVICE_NAME.match(cname):
                problems.append(f"{at}.name: {cname!r} is not a valid container name (lower-case letters, digits and hyphens)")
            elif cname == name:
                problems.append(f"{at}.name: {cname!r} is the service's own container")
            elif cname in GENERATED_CONTAINERS:
                problems.append(f"{at}.name: {cname!r} is the name of a container the task definition adds itself")
            elif cname in containers:
                problems.append(f"{at}.name: {cname!r} is a container of this task already")
            _normalize_process(problems, at, container)
            if kind == "init_containers" and container.get("health_check") is not None:
                problems.append(f"{at}.health_check: an init container runs to completion; only sidecars take a health check")
            container.setdefault("essential", essential)
            if not isinstance(container["essential"], bool):
                problems.append(f"{at}.essential: {container['essential']!r} must be true or false")
            container["mounts"] = _normalize_mounts(problems, at, service, container)
            unknown = sorted(set(container) - CONTAINER_KEYS)
            if unknown:
                problems.append(f"{at}: unknown keys {', '.join(unknown)}")
            if isinstance(cname, str):
                containers.setdefault(cname, {"essential": container["essential"], "health_check": container.get("health_check")})
        kinds[kind] = items
    service.update(kinds)

    def dependencies(at, own, raw, defaults=()):
        if not isinstance(raw, list):
            problems.append(f"{at}: must be a list of {{container, condition}}")
            raw = []
        given = [dict(item) if isinstance(item, dict) else {} for item in raw]
        named = {item.get("container") for item in given}
        implied = [{"container": other, "condition": "SUCCESS"} for other in defaults if other not in named]
        seen = set()
        for index, item in enumerate(given + implied):
            # An implied dependency is named by what it waits for, since the inventory does not list it.
            place = f"{at}[{index}]" if index < len(given) else f"{at} (SUCCESS on init container {item['container']!r} unless it says otherwise)"
            target, condition = item.get("container"), item.get("condition")
            if target not in containers or target == own:
                problems.append(f"{place}: {target!r} is not another container of this task")
                continue
            if target in seen:
                problems.append(f"{place}: {target!r} is named twice")
            seen.add(target)
            if condition not in DEPENDENCY_CONDITIONS:
                problems.append(f"{place}: condition {condition!r} is not one of {', '.join(DEPENDENCY_CONDITIONS)}")
            elif condition in ("COMPLETE", "SUCCESS") and containers[target]["essential"]:
                problems.append(f"{place}: {condition} waits for {target!r} to exit, which AWS refuses for an essential container")
            elif condition == "HEALTHY" and not containers[target]["health_check"]:
                problems.append(f"{place}: HEALTHY needs a health check on {target!r}")
            unknown = sorted(set(item) - {"container", "condition"})
            if unknown:
                problems.append(f"{place}: unknown keys {', '.join(unknown)}")
        return sorted(given + implied, key=lambda item: str(item.get("container")))

    inits = [c.get("name") for c in kinds["init_containers"]]
    service["depends_on"] = dependencies(f"{where}.depends_on", name, service.get("depends_on") or [], inits)
    graph = {name: [d.get("container") for d in service["depends_on"]]}
    for kind in ("init_containers", "sidecars"):
        for index, container in enumerate(kinds[kind]):
            container["depends_on"] = dependencies(f"{where}.{kind}[{index}].depends_on", container.get("name"), container.get("depends_on") or [])
            graph.setdefault(container.get("name"), [d.get("container") for d in container["depends_on"]])
    cycle = _cycle(graph)
    if cycle:
        problems.append(f"{where}.depends_on: the containers wait for each other in a circle ({' -> '.join(cycle)})")


def _cycle(graph):
    """One dependency cycle of a graph {node: [nodes it waits for]}, as a path, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for other in graph.get(node, []):
            if state.get(other) == "open":
                return path[path.index(other):] + [other] if other in path else [node, other]
            if other not in state:
                found = visit(other, path + [other])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in graph:
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def _check_upstream_names(problems, where, service):
    """The variables a talks_to edge sets come from the model; the inventory cannot set them too."""
    for target in service["talks_to"]:
        for variable in upstream_environment(target, "", 0):
            for key in ("environment", "secrets"):
                if variable in service[key]:
                    problems.append(f"{where}.{key}.{variable}: set by talks_to ({target}); remove it from {key}")


def _check_scratch_owners(problems, where, service):
    """Who writes each scratch path: the task prepares it for one non-root uid, which must be numeric."""
    writers = {}
    containers = [(where, service, [{"scratch_path": p, "read_only": False} for p in service["scratch_paths"]])]
    for kind in ("init_containers", "sidecars"):
        for index, container in enumerate(service[kind]):
            containers.append((f"{where}.{kind}[{index}]", container, [m for m in container["mounts"] if "scratch_path" in m]))
    for at, container, mounts in containers:
        writes = [m["scratch_path"] for m in mounts if not m["read_only"]]
        if not writes or container.get("user") is None:
            continue
        owner = numeric_user(container["user"])
        if owner is None:
            problems.append(
                f"{at}.user: {container['user']!r} is not numeric (uid[:gid]); the task makes its writable scratch paths "
                "its own by uid"
            )
            continue
        for path in writes:
            first = writers.setdefault(path, (at, owner))
            if first[1] != owner:
                problems.append(f"{at}.user: {path} is written as {container['user']} here and by {first[0]} as another user; one user owns a scratch path")


def _normalize_deployment(problems, where, service):
    """The service's rolling-update percentages (`deployment`), checked against ECS's ranges and against
    the desired count (the scheduler must be able to start or stop a task); a single-writer volume's
    service deploys stop-before-start and runs at most one task."""
    given = service.get("deployment")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems.append(f"{where}.deployment: must be a mapping ({', '.join(DEPLOYMENT_DEFAULTS)})")
        given = {}
    unknown = sorted(set(given) - set(DEPLOYMENT_DEFAULTS))
    if unknown:
        problems.append(f"{where}.deployment: unknown settings {', '.join(unknown)} (known: {', '.join(DEPLOYMENT_DEFAULTS)})")
    writers = [volume["name"] for volume in service["volumes"] if volume.get("single_writer")]
    defaults = STOP_BEFORE_START if writers else DEPLOYMENT_DEFAULTS
    deployment = {}
    for key, default in defaults.items():
        value = _as_int(given.get(key, default))
        low, high = DEPLOYMENT_RANGES[key]
        if not _is_int(value) or not low <= value <= high:
            problems.append(f"{where}.deployment.{key}: {value!r} must be a whole number from {low} to {high}")
        deployment[key] = value
    service["deployment"] = deployment
    count = service["desired_count"]
    if not all(_is_int(value) for value in deployment.values()) or not _is_int(count):
        return
    if writers:
        volume = writers[0]
        if deployment != STOP_BEFORE_START:
            problems.append(
                f"{where}.deployment: the single-writer volume {volume} needs stop-before-start (minimum_healthy_percent 0, "
                f"maximum_percent 100), so that the old task stops before the new one starts; "
                f"{deployment['minimum_healthy_percent']} / {deployment['maximum_percent']} would run both"
            )
        if count > 1:
            problems.append(f"{where}.desired_count: {count} tasks would write the single-writer volume {volume} at once; at most 1")
        return
    # ECS starts a task while the running ones stay under the upper limit (rounded down) and stops one
    # while enough stay running (the lower limit, rounded up): with neither possible it waits for ever.
    upper = count * deployment["maximum_percent"] // 100
    lower = -(-count * deployment["minimum_healthy_percent"] // 100)
    if count and upper <= lower:
        problems.append(
            f"{where}.deployment: with desired_count {count}, maximum_percent {deployment['maximum_percent']} allows {upper} "
            f"tasks and minimum_healthy_percent {deployment['minimum_healthy_percent']} keeps {lower} running, so a deploy "
            "can neither start a new task nor stop an old one"
        )


def _normalize_volume(problems, where, environment, service, volume):
    """Fill in a volume's access point (owner, root directory, permissions) and check it.

    Each volume gets its own access point, named <environment>-<service>-<volume>, whose root
    directory EFS creates on first mount with the owner and permissions given here: without that
    CreationInfo the first mount fails on ownership.
    """
    volume["read_only"] = bool(volume.get("read_only", False))
    # A directory one process at a time may write (an embedded database such as Gentics Mesh's OrientDB).
    single_writer = volume.get("single_writer", False)
    if not isinstance(single_writer, bool):
        problems.append(f"{where}.single_writer: {single_writer!r} must be true or false")
    elif single_writer and volume["read_only"]:
        problems.append(f"{where}.single_writer: a read-only volume is not written; declare the volume that writes the data")
    volume["single_writer"] = single_writer is True
    path = volume.get("path")
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        problems.append(f"{where}.path: {path!r} must be an absolute path in the container, not /")
    for key, default in (("uid", 1000), ("gid", None)):
        value = _as_int(volume.get(key))
        if value is None:
            value = volume["uid"] if default is None else default
        if not _is_int(value) or not 0 <= value <= MAX_POSIX_ID:
            problems.append(f"{where}.{key}: {value!r} is not a POSIX ID (0 to {MAX_POSIX_ID})")
        volume[key] = value
    root = volume.get("root_directory") or f"/{service.get('name')}/{volume.get('name')}"
    if not isinstance(root, str) or not root.startswith("/") or root.rstrip("/") == "" or len(root) > 100:
        problems.append(
            f"{where}.root_directory: {root!r} must be an absolute directory other than / (at most 100 characters): "
            "an access point at the root would expose every other volume of the file system"
        )
    volume["root_directory"] = root
    permissions = str(volume.get("permissions") or "0750")
    if not OCTAL_PERMISSIONS.match(permissions):
        problems.append(f"{where}.permissions: {permissions!r} is not octal permissions such as '0750'")
    volume["permissions"] = permissions
    volume["access_point_name"] = f"{environment}-{service.get('name')}-{volume.get('name')}"
    # What a service writes is backed up unless the inventory says otherwise; a read-only mount is
    # a copy of data another volume owns (and restoring through it would be refused by EFS).
    backup = volume.get("backup", not volume["read_only"])
    if not isinstance(backup, bool):
        problems.append(f"{where}.backup: {backup!r} must be true or false")
    elif backup and volume["read_only"]:
        problems.append(f"{where}.backup: a read-only volume cannot be restored; back up the volume that writes the data")
    volume["backup"] = backup is True


def _normalize_alarms(problems, where, defaults, overrides):
    """Merge one level of alarm settings over another, checking each value."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        problems.append(f"{where}: must be a mapping of alarm kinds ({', '.join(ALARM_DEFAULTS)})")
        return defaults
    alarms = {}
    for kind, base in defaults.items():
        settings = dict(base)
        given = overrides.get(kind) or {}
        if not isinstance(given, dict):
            problems.append(f"{where}.{kind}: must be a mapping")
            given = {}
        unknown = sorted(set(given) - set(base) - {"enabled"})
        if unknown:
            problems.append(f"{where}.{kind}: unknown settings {', '.join(unknown)} (known: {', '.join(sorted(base))}, enabled)")
        settings.update({k: v for k, v in given.items() if k in base or k == "enabled"})
        settings.setdefault("enabled", True)
        if not isinstance(settings["enabled"], bool):
            problems.append(f"{where}.{kind}.enabled: must be true or false")
        period = _as_int(settings["period"])
        if not _is_int(period) or period <= 0 or (period not in ALARM_PERIODS and period % 60):
            problems.append(f"{where}.{kind}.period: {settings['period']!r} must be 10, 20, 30 or a multiple of 60 seconds")
        evaluations = _as_int(settings["evaluation_periods"])
        if not _is_int(evaluations) or evaluations < 1 or (_is_int(period) and period > 0 and evaluations * period > 86400):
            problems.append(f"{where}.{kind}.evaluation_periods: {settings['evaluation_periods']!r} must be 1 or more, spanning at most a day")
        settings["period"], settings["evaluation_periods"] = period, evaluations
        if "threshold" in base:
            threshold = settings["threshold"]
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold < 0:
                problems.append(f"{where}.{kind}.threshold: {threshold!r} must be a number, 0 or more")
            elif kind in ("cpu", "memory") and threshold > 100:
                problems.append(f"{where}.{kind}.threshold: {threshold!r} is a percentage (at most 100)")
        if "pattern" in base and (not isinstance(settings["pattern"], str) or not settings["pattern"].strip()):
            problems.append(f"{where}.{kind}.pattern: must be a CloudWatch Logs filter pattern")
        alarms[kind] = settings
    for kind in sorted(set(overrides) - set(defaults)):
        problems.append(f"{where}: {kind!r} is not an alarm kind ({', '.join(ALARM_DEFAULTS)})")
    return alarms


def _normalize_alerts(problems, raw):
    """Check the alert topic's subscriptions (who hears about alarms and failed deployments).

    An endpoint can carry a credential (a chat webhook URL holds its token), so endpoints are never
    quoted in a message and stay out of the model, which `-v` prints: the model keeps the protocols, and
    the stack template reads the endpoints from quoin_alerts itself."""
    subscriptions = []
    if raw is not None and not isinstance(raw, list):
        problems.append("quoin_alerts.subscriptions: must be a list of {protocol, endpoint}")
        raw = []
    for index, sub in enumerate(raw or []):
        where = f"quoin_alerts.subscriptions[{index}]"
        if not isinstance(sub, dict):
            problems.append(f"{where}: must be a mapping with protocol and endpoint")
            continue
        protocol, endpoint = sub.get("protocol", "email"), sub.get("endpoint")
        if protocol not in SUBSCRIPTION_PROTOCOLS:
            problems.append(f"{where}.protocol: {protocol!r} is not an SNS protocol ({', '.join(SUBSCRIPTION_PROTOCOLS)})")
        if not isinstance(endpoint, str) or not endpoint.strip():
            problems.append(f"{where}.endpoint: must say where the alert goes")
        elif protocol.startswith("email") and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", endpoint):
            problems.append(f"{where}.endpoint: is not an email address")
        elif protocol in ("http", "https") and not endpoint.startswith(f"{protocol}://"):
            problems.append(f"{where}.endpoint: is not an {protocol}:// URL")
        subscriptions.append((protocol, endpoint))
    for index, pair in enumerate(subscriptions):
        if pair in subscriptions[:index]:
            problems.append(f"quoin_alerts.subscriptions[{index}]: the same {pair[0]} endpoint as subscriptions[{subscriptions.index(pair)}]")
    return {"subscriptions": [{"protocol": protocol} for protocol, _endpoint in subscriptions]}


def _normalize_backup(problems, raw):
    """Schedule, retention and the task that copies volumes to S3."""
    backup = dict(BACKUP_DEFAULTS)
    given = raw or {}
    if not isinstance(given, dict):
        problems.append("quoin_backup: must be a mapping")
        given = {}
    unknown = sorted(set(given) - set(BACKUP_DEFAULTS) - {"enabled"})
    if unknown:
        problems.append(f"quoin_backup: unknown settings {', '.join(unknown)}")
    backup.update({k: v for k, v in given.items() if k in BACKUP_DEFAULTS or k == "enabled"})
    backup["enabled"] = backup.get("enabled", True)
    if not isinstance(backup["enabled"], bool):
        problems.append("quoin_backup.enabled: must be true or false")
    if not isinstance(backup["schedule"], str) or not SCHEDULE_EXPRESSION.match(backup["schedule"]):
        problems.append(
            f"quoin_backup.schedule: {backup['schedule']!r} is not a schedule expression "
            "(cron(minutes hours day-of-month month day-of-week year) or rate(N hours))"
        )
    retention = _as_int(backup["retention_days"])
    if not _is_int(retention) or not 1 <= retention <= 3650:
        problems.append(f"quoin_backup.retention_days: {backup['retention_days']!r} must be from 1 to 3650")
    backup["retention_days"] = retention
    image = backup["image"]
    if not isinstance(image, str) or not image.strip() or any(c.isspace() for c in image):
        problems.append(f"quoin_backup.image: {image!r} is not an image reference")
    cpu, memory = _as_int(backup["cpu"]), _as_int(backup["memory"])
    if cpu not in FARGATE_SIZES or memory not in FARGATE_SIZES[cpu]:
        problems.append(f"quoin_backup.cpu/memory: {backup['cpu']!r}/{backup['memory']!r} is not a Fargate size")
    backup["cpu"], backup["memory"] = cpu, memory
    return backup


def normalize_environment(raw):
    """Check the raw inventory values and return the normalized model; raise ModelError otherwise.

    `raw` maps the inventory variables without their `quoin_` prefix (environment, vpc_id, ...) to
    their values; None means unset.
    """
    problems = []
    environment = raw.get("environment")
    if not isinstance(environment, str) or not ENVIRONMENT_NAME.match(environment):
        problems.append(
            f"quoin_environment: {environment!r} is not a valid environment name "
            "(lower-case letters, digits and hyphens, at most 20, starting with a letter)"
        )
        environment = "invalid"
    stack_name = raw.get("stack_name") or f"quoin-{environment}"
    if not STACK_NAME.match(stack_name):
        problems.append(f"quoin_stack_name: {stack_name!r} is not a valid CloudFormation stack name")

    # network: false for a playbook that makes no AWS call (local_dev.yml): the network is neither
    # checked nor kept, so an environment whose network does not exist yet still has a model.
    if raw.get("network", True):
        vpc_id = raw.get("vpc_id")
        if not isinstance(vpc_id, str) or not VPC_ID.match(vpc_id):
            problems.append(f"quoin_vpc_id: {vpc_id!r} is not a VPC ID (vpc-...)")
        subnet_ids = list(raw.get("subnet_ids") or [])
        _check_ids(problems, "quoin_subnet_ids", subnet_ids, SUBNET_ID, "subnet")
        public_subnet_ids = list(raw.get("public_subnet_ids") or subnet_ids)
        if raw.get("public_subnet_ids") is not None:
            _check_ids(problems, "quoin_public_subnet_ids", public_subnet_ids, SUBNET_ID, "subnet")
    else:
        vpc_id, subnet_ids, public_subnet_ids = None, [], []

    retention = _as_int(raw.get("log_retention_days"))
    retention = 30 if retention is None else retention
    if retention not in LOG_RETENTION_DAYS:
        problems.append(
            f"quoin_log_retention_days: {retention!r} is not a retention CloudWatch Logs accepts "
            f"({', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
        )

    load_balancer = dict(raw.get("load_balancer") or {})
    load_balancer.setdefault("enabled", True)
    load_balancer.setdefault("certificate_arn", "")
    load_balancer.setdefault("health_check_path", "/")
    load_balancer.setdefault("access_logs_bucket", "")
    if load_balancer["access_logs_bucket"] and not BUCKET_NAME.match(str(load_balancer["access_logs_bucket"])):
        problems.append(f"quoin_load_balancer.access_logs_bucket: {load_balancer['access_logs_bucket']!r} is not an S3 bucket name")
    certificate = load_balancer["certificate_arn"]
    if certificate and not ACM_ARN.match(certificate):
        problems.append(f"quoin_load_balancer.certificate_arn: {certificate!r} is not an ACM certificate ARN")
    if not str(load_balancer["health_check_path"]).startswith("/"):
        problems.append("quoin_load_balancer.health_check_path: must start with /")

    file_systems = [dict(fs) for fs in raw.get("file_systems") or []]
    fs_names = _unique_names(problems, "quoin_file_systems", file_systems, SERVICE_NAME, "file system")
    for fs in file_systems:
        fs["cfn_name"] = cfn_name(str(fs.get("name")))

    alarm_defaults = _normalize_alarms(problems, "quoin_alarms", ALARM_DEFAULTS, raw.get("alarms"))
    services = [dict(svc) for svc in raw.get("services") or []]
    if not services:
        problems.append("quoin_services: must describe at least one service")
    names = _unique_names(problems, "quoin_services", services, SERVICE_NAME, "service")
    for index, name in enumerate(names):
        if name in RESERVED_FAMILIES:
            problems.append(
                f"quoin_services[{index}].name: {name!r} is taken: the {name} task definition is quoin-<environment>-{name}"
            )
    logical_ids = {}
    for index, svc in enumerate(services):
        where = f"quoin_services[{index}]"
        svc["cfn_name"] = cfn_name(str(svc.get("name")))
        # Distinct names can still collide as CloudFormation logical IDs ('a-b' and 'ab').
        if svc["cfn_name"] in logical_ids and logical_ids[svc["cfn_name"]] != svc.get("name"):
            problems.append(f"{where}.name: {svc.get('name')!r} clashes with {logical_ids[svc['cfn_name']]!r}")
        logical_ids[svc["cfn_name"]] = svc.get("name")
        svc["port"] = _as_int(svc.get("port"))
        _check_port(problems, f"{where}.port", svc["port"])
        talks_to = list(svc.get("talks_to") or [])
        for target in talks_to:
            if target not in names:
                problems.append(f"{where}.talks_to: {target!r} is not a service in quoin_services")
            elif target == svc.get("name"):
                problems.append(f"{where}.talks_to: a service does not need to list itself")
        svc["talks_to"] = talks_to
        volumes = [dict(v) for v in svc.get("volumes") or []]
        _unique_names(problems, f"{where}.volumes", volumes, SERVICE_NAME, "volume")
        for v_index, volume in enumerate(volumes):
            if volume.get("file_system") not in fs_names:
                problems.append(
                    f"{where}.volumes[{v_index}].file_system: {volume.get('file_system')!r} "
                    "is not a file system in quoin_file_systems"
                )
        for v_index, volume in enumerate(volumes):
            _normalize_volume(problems, f"{where}.volumes[{v_index}]", environment, svc, volume)
        _normalize_container(problems, where, svc)
        svc["volumes"] = volumes
        _normalize_deployment(problems, where, svc)
        _check_upstream_names(problems, where, svc)
        _normalize_task_containers(problems, where, svc)
        _check_scratch_owners(problems, where, svc)
        mounted = [v for v in volumes if v.get("file_system") in fs_names]
        svc["file_systems"] = sorted({v["file_system"] for v in mounted})
        svc["writes_to"] = sorted({v["file_system"] for v in mounted if not v["read_only"]})
        svc["alarms"] = _normalize_alarms(problems, f"{where}.alarms", alarm_defaults, svc.get("alarms"))

    entry = raw.get("entry_service")
    if entry not in names:
        problems.append(f"quoin_entry_service: {entry!r} is not a service in quoin_services")
    for svc in services:
        svc["entry"] = svc.get("name") == entry
        # Who may open a connection to this service: the services that say they talk to it.
        svc["reached_by"] = [other["name"] for other in services if svc.get("name") in other["talks_to"]]

    deploy_timeout = _as_int(raw.get("deploy_timeout") or 900)
    if not _is_int(deploy_timeout) or not 60 <= deploy_timeout <= 7200:
        problems.append(f"quoin_deploy_timeout: {deploy_timeout!r} must be from 60 to 7200 seconds")
    namespace = raw.get("discovery_namespace") or f"{environment}.quoin.internal"
    if not DNS_NAME.match(str(namespace)):
        problems.append(f"quoin_discovery_namespace: {namespace!r} is not a DNS name")
    init_image = raw.get("init_image") or INIT_IMAGE
    if not isinstance(init_image, str) or any(c.isspace() for c in init_image):
        problems.append(f"quoin_init_image: {init_image!r} is not an image reference")
    check_timeout = _as_int(raw.get("connection_check_timeout") or CONNECTION_CHECK_TIMEOUT)
    if not _is_int(check_timeout) or not 5 <= check_timeout <= 600:
        problems.append(f"quoin_connection_check_timeout: {check_timeout!r} must be from 5 to 600 seconds")

    # Public registries cached in the environment's ECR registry, so their images can be pinned by digest.
    pull_through_cache = normalize_caches(problems, environment, raw.get("registry_credentials"), raw.get("region"))

    alerts_raw = raw.get("alerts") or {}
    if not isinstance(alerts_raw, dict):
        problems.append("quoin_alerts: must be a mapping with a subscriptions list")
        alerts_raw = {}
    alerts = _normalize_alerts(problems, alerts_raw.get("subscriptions"))
    backup = _normalize_backup(problems, raw.get("backup"))
    # Each backed-up volume and where the backup and restore tasks mount it.
    backup["volumes"] = [
        {
            "service": svc["name"],
            "volume": volume["name"],
            "file_system": volume["file_system"],
            "access_point_name": volume["access_point_name"],
            "key": f"{svc['name']}/{volume['name']}",
        }
        for svc in services
        for volume in svc["volumes"]
        if volume.get("backup") and volume.get("file_system") in fs_names
    ]

    # The execution role may pull from exactly these repositories; other registries need no AWS permission.
    ecr_repositories = sorted(
        {
            f"arn:{'aws-cn' if match.group(3) else 'aws'}:ecr:{match.group(2)}:{match.group(1)}:repository/{match.group(4)}"
            for match in (ECR_IMAGE.match(str(image)) for image in [svc.get("image") for svc in services] + [backup["image"]])
            if match
        }
    )

    if problems:
        raise ModelError(problems)
    return {
        "alerts": alerts,
        "ecr_repositories": ecr_repositories,
        "backup": backup,
        "deploy_timeout": deploy_timeout,
        "discovery_namespace": namespace,
        "environment": environment,
        "init_image": init_image,
        "pull_through_cache": pull_through_cache,
        "connection_check_timeout": check_timeout,
        "stack_name": stack_name,
        "vpc_id": vpc_id,
        "subnet_ids": subnet_ids,
        "public_subnet_ids": public_subnet_ids,
        "log_retention_days": retention,
        "load_balancer": load_balancer,
        "file_systems": file_systems,
        "services": services,
        "entry_service": entry,
    }
