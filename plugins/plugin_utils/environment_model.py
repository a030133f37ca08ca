# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment model: one inventory's description of the website, checked and normalized.

Role argument specs check types, required keys and choices. What they cannot express lives here:
formats, ranges, uniqueness and references between variables. Every problem is collected and
reported at once, each naming the inventory variable it comes from, before any AWS call is made.
"""

import re

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
OCTAL_PERMISSIONS = re.compile(r"^[0-7]{3,4}$")
MAX_POSIX_ID = 4294967295
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


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


def _normalize_volume(problems, where, environment, service, volume):
    """Fill in a volume's access point (owner, root directory, permissions) and check it.

    Each volume gets its own access point, named <environment>-<service>-<volume>, whose root
    directory EFS creates on first mount with the owner and permissions given here: without that
    CreationInfo the first mount fails on ownership.
    """
    volume["read_only"] = bool(volume.get("read_only", False))
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

    vpc_id = raw.get("vpc_id")
    if not isinstance(vpc_id, str) or not VPC_ID.match(vpc_id):
        problems.append(f"quoin_vpc_id: {vpc_id!r} is not a VPC ID (vpc-...)")
    subnet_ids = list(raw.get("subnet_ids") or [])
    _check_ids(problems, "quoin_subnet_ids", subnet_ids, SUBNET_ID, "subnet")
    public_subnet_ids = list(raw.get("public_subnet_ids") or subnet_ids)
    if raw.get("public_subnet_ids") is not None:
        _check_ids(problems, "quoin_public_subnet_ids", public_subnet_ids, SUBNET_ID, "subnet")

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
    certificate = load_balancer["certificate_arn"]
    if certificate and not ACM_ARN.match(certificate):
        problems.append(f"quoin_load_balancer.certificate_arn: {certificate!r} is not an ACM certificate ARN")
    if not str(load_balancer["health_check_path"]).startswith("/"):
        problems.append("quoin_load_balancer.health_check_path: must start with /")

    file_systems = [dict(fs) for fs in raw.get("file_systems") or []]
    fs_names = _unique_names(problems, "quoin_file_systems", file_systems, SERVICE_NAME, "file system")
    for fs in file_systems:
        fs["cfn_name"] = cfn_name(str(fs.get("name")))

    services = [dict(svc) for svc in raw.get("services") or []]
    if not services:
        problems.append("quoin_services: must describe at least one service")
    names = _unique_names(problems, "quoin_services", services, SERVICE_NAME, "service")
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
        svc["volumes"] = volumes
        mounted = [v for v in volumes if v.get("file_system") in fs_names]
        svc["file_systems"] = sorted({v["file_system"] for v in mounted})
        svc["writes_to"] = sorted({v["file_system"] for v in mounted if not v["read_only"]})

    entry = raw.get("entry_service")
    if entry not in names:
        problems.append(f"quoin_entry_service: {entry!r} is not a service in quoin_services")
    for svc in services:
        svc["entry"] = svc.get("name") == entry
        # Who may open a connection to this service: the services that say they talk to it.
        svc["reached_by"] = [other["name"] for other in services if svc.get("name") in other["talks_to"]]

    if problems:
        raise ModelError(problems)
    return {
        "environment": environment,
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
