# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for the ecs role and the rollback playbook: task_definition, service_request,
started_deployments, good_records, rollback_targets.

This file holds several filters, so each is documented in its own file next to it.
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.quoin.fargate.plugins.filter.backup import backup_task_definitions
from ansible_collections.quoin.fargate.plugins.filter.verify import probe_runs
from ansible_collections.quoin.fargate.plugins.filter.verify import probe_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import COMPLETED
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import judge_service
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import CHECK_CONTAINER
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import upstream_environment
from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import connection_check
from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import log_configuration
from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import prepare_scratch

# Where a deploy records what it verified, on the ECS service itself: the last good task definition and
# the good one before it, so that a rollback after a verified but unwanted deploy has somewhere to go.
LAST_GOOD = "quoin:last-good-task-definition"
PREVIOUS_GOOD = "quoin:previous-good-task-definition"

# An access point that check mode predicts has no ID yet; the task definition still shows where it goes.
PREDICTED_ACCESS_POINT = "(new access point)"


def _service(model, name):
    for service in model["services"]:
        if service["name"] == name:
            return service
    raise AnsibleFilterError(f"no service {name!r} in the model")


def family(model, name):
    return f"quoin-{model['environment']}-{name}"


def _health_check(check):
    return {
        "command": list(check["command"]),
        "interval": check["interval"],
        "timeout": check["timeout"],
        "retries": check["retries"],
        "startPeriod": check["start_period"],
    }


def _container(spec, essential, environment, log):
    """A container definition of what every container of a task has (model keys as in the inventory)."""
    container = {
        "name": spec["name"],
        "image": spec["image"],
        "essential": essential,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(spec["secrets"].items())],
        "readonlyRootFilesystem": spec["readonly_root_filesystem"],
        "mountPoints": [],
        "logConfiguration": log,
    }
    if spec.get("command"):
        container["command"] = list(spec["command"])
    if spec.get("entrypoint"):
        container["entryPoint"] = list(spec["entrypoint"])
    if spec.get("user"):
        container["user"] = spec["user"]
    if spec.get("health_check"):
        container["healthCheck"] = _health_check(spec["health_check"])
    if spec.get("depends_on"):
        container["dependsOn"] = [{"containerName": d["container"], "condition": d["condition"]} for d in spec["depends_on"]]
    return container


def upstreams(service, model):
    """[(target, host, port)] of the services this one talks to, by their Cloud Map names."""
    ports = {other["name"]: other["port"] for other in model["services"]}
    return [(target, f"{target}.{model['discovery_namespace']}", ports[target]) for target in service["talks_to"]]


def task_definition(name, model, stack, access_points, region):
    """The RegisterTaskDefinition request (without family) for one service, and its family and tags.

    The image is the inventory's; quoin.fargate.ecs_taskdefinition's pin_ecr_images pins an ECR image
    by digest.

    FARGATE and awsvpc; the service's own task role and the stack's execution role; awslogs into the
    stack's log group with the service name as stream prefix; each volume through its access point with
    transit encryption and IAM authorization; secrets only by reference; scratch paths as task-lived
    volumes for a read-only root file system; the talks_to variables with the Cloud Map names; the
    service's init containers and sidecars, and the containers the task adds before the main one:
    one that makes writable scratch paths their non-root user's, one that checks the connections.
    """
    service = _service(model, name)
    log = log_configuration(stack["log_group_name"], region, name)
    environment = dict(service["environment"])
    targets = upstreams(service, model)
    for target, host, port in targets:
        environment.update(upstream_environment(target, host, port))
    container = _container(service, True, environment, log)
    container["portMappings"] = [{"containerPort": service["port"], "protocol": "tcp"}]

    volumes, efs_mounts, scratch_mounts = [], {}, {}
    for volume in service["volumes"]:
        access_point = (access_points.get(name) or {}).get(volume["name"]) or {}
        volumes.append(
            {
                "name": volume["name"],
                "efsVolumeConfiguration": {
                    "fileSystemId": stack["file_systems"][volume["file_system"]]["id"],
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": access_point.get("id") or PREDICTED_ACCESS_POINT, "iam": "ENABLED"},
                },
            }
        )
        efs_mounts[volume["name"]] = volume["name"]
        container["mountPoints"].append(
            {"sourceVolume": volume["name"], "containerPath": volume["path"], "readOnly": volume["read_only"]}
        )
    for index, path in enumerate(service["scratch_paths"], 1):
        volumes.append({"name": f"scratch-{index}"})
        scratch_mounts[path] = f"scratch-{index}"
        container["mountPoints"].append({"sourceVolume": f"scratch-{index}", "containerPath": path, "readOnly": False})

    containers = [container]
    for kind in ("init_containers", "sidecars"):
        for spec in service[kind]:
            extra = _container(spec, spec["essential"], spec["environment"], log)
            for mount in spec["mounts"]:
                source = efs_mounts[mount["volume"]] if "volume" in mount else scratch_mounts[mount["scratch_path"]]
                extra["mountPoints"].append({"sourceVolume": source, "containerPath": mount["path"], "readOnly": mount["read_only"]})
            containers.append(extra)
    if targets:
        # On a first deploy every service starts at once: a slow starter (the CMS) has its start period
        # to come up, and only then the check's own time.
        starting = max((((_service(model, target).get("health_check") or {}).get("start_period", 0)) for target, _h, _p in targets), default=0)
        containers.append(connection_check(targets, starting + model["connection_check_timeout"], model["init_image"], log))
        container.setdefault("dependsOn", []).append({"containerName": CHECK_CONTAINER, "condition": "SUCCESS"})
    prepare_scratch(containers, volumes, model["init_image"], log)

    return {
        "family": family(model, name),
        "task_definition": {
            "containerDefinitions": containers,
            "cpu": str(service["cpu"]),
            "memory": str(service["memory"]),
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            "executionRoleArn": stack["execution_role_arn"],
            "taskRoleArn": stack["services"][name]["task_role_arn"],
            "volumes": volumes,
        },
        "tags": {"quoin:environment": model["environment"], "quoin:service": name},
    }


def environment_task_definitions(names, model, stack, access_points, region, own_tasks=True):
    """Every task definition a deploy keeps current, for one quoin.fargate.ecs_taskdefinition run, by name:
    the named services' in their order, then (with own_tasks) the probe where a service talks to another
    and the backup and restore tasks where a volume is backed up (names RESERVED_FAMILIES keeps apart
    from services')."""
    entries = {name: task_definition(name, model, stack, access_points, region) for name in names}
    if not own_tasks:
        return entries
    if probe_runs(model, stack):
        entries["probe"] = probe_task_definition(model, stack, region)
    if model["backup"]["volumes"]:
        entries.update(zip(("backup", "restore"), backup_task_definitions(model, stack, access_points, region)))
    return entries


def service_request(name, model, stack, task_definition_arn, registry_arn):
    """The quoin.fargate.ecs_service arguments for one service."""
    service = _service(model, name)
    request = {
        "cluster": stack["cluster_name"],
        "name": name,
        "task_definition": task_definition_arn,
        "desired_count": service["desired_count"],
        "network_configuration": {
            "subnets": list(stack["subnet_ids"]),
            "security_groups": [stack["services"][name]["security_group_id"]],
            "assign_public_ip": service["assign_public_ip"],
        },
        "deployment_configuration": dict(service["deployment"], circuit_breaker={"enable": True, "rollback": True}),
        "load_balancers": [],
        "service_registries": [{"registry_arn": registry_arn}] if registry_arn else [],
        "propagate_tags": "SERVICE",
        "enable_execute_command": service["enable_execute_command"],
        "tags": {"quoin:environment": model["environment"], "quoin:service": name},
    }
    if service["entry"] and model["load_balancer"]["enabled"]:
        request["load_balancers"] = [
            {"target_group_arn": stack["target_group_arn"], "container_name": name, "container_port": service["port"]}
        ]
        # Give slow starters (a health check's start period) time before the load balancer judges them.
        request["health_check_grace_period_seconds"] = max(60, (service.get("health_check") or {}).get("start_period", 0))
    return request


def service_requests(names, model, stack, task_definitions, registries, region):
    """The `services` list of one quoin.fargate.ecs_service call for the named services.

    `task_definitions` is the `task_definitions` result of quoin.fargate.ecs_taskdefinition for the same
    services in the same order; in check mode a revision not registered yet has no ARN, so it is predicted
    from the family and revision (the account is the stack's). `registries` maps a service's name to its
    Cloud Map service ARN."""
    partition, account = stack["execution_role_arn"].split(":")[1], stack["execution_role_arn"].split(":")[4]
    requests = []
    for name, registered in zip(names, task_definitions):
        arn = registered.get("task_definition_arn") or (
            f"arn:{partition}:ecs:{region}:{account}:task-definition/{registered['family']}:{registered['revision']}"
        )
        request = service_request(name, model, stack, arn, registries.get(name))
        del request["cluster"]
        # The last-good record is a tag too; it is not the inventory's to remove.
        request["purge_tags"] = False
        requests.append(request)
    return requests


def started_deployments(results):
    """The services whose deployment must be waited on: [{name, task_definition, previous_good}], from
    the `services` result of quoin.fargate.ecs_service (list mode) or the results of a loop over it."""
    # The task definition asked for, not the one the service reports: a deployment that failed at once
    # and was rolled back already reports the previous one, which must not count as success.
    started = []
    for result in results:
        if not result.get("deployment_started"):
            continue
        if "requested_task_definition" in result:
            wanted, service = result["requested_task_definition"], result
        else:
            wanted, service = result["invocation"]["module_args"]["task_definition"], result["service"]
        recorded = (service.get("tags") or {}).get(LAST_GOOD)
        started.append(
            {
                "name": service["service_name"],
                "task_definition": wanted,
                # The verified one this deploy replaces becomes the previous good one.
                "previous_good": recorded if recorded and recorded != wanted else None,
            }
        )
    return started


def good_records(started):
    """The tags that record a verified deploy: {service: {last good, previous good (when known)}}."""
    records = {}
    for deployment in started:
        tags = {LAST_GOOD: deployment["task_definition"]}
        if deployment.get("previous_good"):
            tags[PREVIOUS_GOOD] = deployment["previous_good"]
        records[deployment["name"]] = tags
    return records


def verify_targets(described, deployed=None):
    """What the verify role checks each described service on ([{name, task_definition}], in the order
    given): the task definition this run deployed (`deployed`, by name), else the one its tag records,
    else "" (never verified)."""
    deployed = deployed or {}
    return [
        {"name": service["service_name"], "task_definition": deployed.get(service["service_name"]) or (service.get("tags") or {}).get(LAST_GOOD, "")}
        for service in described
    ]


def unrecorded(targets, described):
    """The targets the services' tags do not record yet, as the records take them ([{name, task_definition,
    previous_good}]): the verified one replaces the recorded one, which becomes the previous good one."""
    tags = {service["service_name"]: service.get("tags") or {} for service in described}
    found = []
    for target in targets:
        recorded = tags.get(target["name"], {}).get(LAST_GOOD)
        if target["task_definition"] and target["task_definition"] != recorded:
            found.append({"name": target["name"], "task_definition": target["task_definition"], "previous_good": recorded or None})
    return found


def rollback_targets(names, tags, running):
    """Each service's rollback target: the last good task definition, or, when the service already runs
    it, the good one before it (or itself, when none is recorded); "" when nothing is recorded at all.
    `tags` and `running` are per name."""
    targets = {}
    for name in names:
        recorded = tags.get(name) or {}
        last, previous = recorded.get(LAST_GOOD), recorded.get(PREVIOUS_GOOD)
        # Already on the last good one with nothing older recorded (a second rollback): stay there.
        targets[name] = last if last and last != running.get(name) else (previous or last or "")
    return targets


def _plain(value):
    """Plain dicts and lists (the API's form, which snake_dict_to_camel_dict rebuilds) of a templated value."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def stable_services(read, names, tag="quoin:last-good-task-definition"):
    """What the verify role would read and conclude, from services an earlier task of the run described
    (quoin.fargate.ecs_service's `services`), or None unless that read shows every named service ACTIVE,
    with a recorded task definition (`tag`), its PRIMARY deployment running that one with its rollout
    COMPLETED and every task running: {"services": [{service_name, status, tags}], "wait": [the deploy
    wait's verdict per service]}. Judged by the deploy wait's own rule (module_utils/ecs_verdict.py).
    Anything less and None: the verify role then reads (and waits) itself."""
    if not read:
        return None
    by_name = {service.get("service_name"): service for service in read if service}
    services, waited = [], []
    for name in names:
        service = by_name.get(name)
        if not service:
            return None
        tags = service.get("tags") or {}
        recorded = tags.get(tag) or ""
        if not recorded:
            return None
        verdict = judge_service(name, recorded, snake_dict_to_camel_dict(_plain(service)))
        if verdict["outcome"] != COMPLETED or verdict["running_count"] != verdict["desired_count"]:
            return None
        services.append({"service_name": name, "status": service.get("status"), "tags": tags})
        waited.append(verdict)
    return {"services": services, "wait": waited}


class FilterModule:
    def filters(self):
        return {
            "task_definition": task_definition,
            "environment_task_definitions": environment_task_definitions,
            "service_request": service_request,
            "started_deployments": started_deployments,
            "service_requests": service_requests,
            "good_records": good_records,
            "rollback_targets": rollback_targets,
            "stable_services": stable_services,
            "verify_targets": verify_targets,
            "unrecorded": unrecorded,
        }
