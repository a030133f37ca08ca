# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for the verify role's connection probe: probe_task_definition, probe_runs.

The probe is a one-off task per calling service (each service with talks_to), in that service's subnets
and security group, so it reaches exactly what the caller reaches. Its shell script checks that every
edge answers (the Cloud Map name resolves, a TCP connection opens) and that every other service does
not (the security groups hold), writes one line per check and exits 1 when one fails.

This file holds several filters, so each is documented in its own file next to it.
"""

import shlex

from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import CONNECTION_FUNCTIONS

PROBE = "probe"
# Seconds a TCP connection may take: a security group drops what it does not allow, so a refused
# service times out rather than answering no.
CONNECT_TIMEOUT = 5


def probe_family(model):
    return f"quoin-{model['environment']}-{PROBE}"


def probe_task_definition(model, stack, region):
    """The quoin.fargate.ecs_taskdefinition entry of the probe: busybox (the model's init image), the
    stack's execution role, no task role (it calls no AWS API), awslogs with the stream prefix probe."""
    container = {
        "name": PROBE,
        "image": model["init_image"],
        "essential": True,
        # Each run gives the script; without one the probe proves nothing, so it fails.
        "command": ["sh", "-c", "echo 'the probe checks what its run tells it to (verify.yml gives each caller its own)'; exit 2"],
        # The task's whole memory as the container's hard limit, as the backup task has it.
        "memory": 512,
        "readonlyRootFilesystem": True,
        "user": "65534",
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": stack["log_group_name"], "awslogs-region": region, "awslogs-stream-prefix": PROBE},
        },
    }
    return {
        "family": probe_family(model),
        "task_definition": {
            "containerDefinitions": [container],
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            "executionRoleArn": stack["execution_role_arn"],
        },
        "tags": {"quoin:environment": model["environment"], "quoin:service": PROBE},
    }


def _address(model, service):
    return f"{service['name']}.{model['discovery_namespace']}", service["port"]


def probe_script(model, caller):
    """The shell script one caller's probe runs: one line per check, exit 1 when one failed."""
    services = {service["name"]: service for service in model["services"]}
    lines = [CONNECTION_FUNCTIONS + "failed=0"]
    for target in caller["talks_to"]:
        host, port = _address(model, services[target])
        edge = f"{caller['name']} -> {target}: {host}"
        lines += [
            f"if ! resolves {host}; then echo {shlex.quote(edge + ' does not resolve')}; failed=1",
            f"elif ! connects {host} {port} {CONNECT_TIMEOUT}; then echo {shlex.quote(f'{edge}:{port} did not answer')}; failed=1",
            f"else echo {shlex.quote(f'{edge}:{port} answers')}; fi",
        ]
    for other in model["services"]:
        if other["name"] == caller["name"] or other["name"] in caller["talks_to"]:
            continue
        host, port = _address(model, other)
        edge = f"{caller['name']} -> {other['name']}"
        reachable = f"{edge}: reachable but {caller['name']} does not talk to it"
        lines += [
            f"if connects {host} {port} {CONNECT_TIMEOUT}; then echo {shlex.quote(reachable)}; failed=1",
            f"else echo {shlex.quote(f'{edge}: {host}:{port} refused, as it should be')}; fi",
        ]
    lines.append('exit "$failed"')
    return "\n".join(lines)


def probe_runs(model, stack):
    """The runs of quoin.fargate.ecs_run_task: one per calling service, named after it, in its subnets
    and security group, with its script as the probe's command."""
    runs = []
    for caller in model["services"]:
        if not caller["talks_to"]:
            continue
        runs.append(
            {
                "name": caller["name"],
                "network_configuration": {
                    "subnets": list(stack["subnet_ids"]),
                    "security_groups": [stack["services"][caller["name"]]["security_group_id"]],
                    "assign_public_ip": "ENABLED" if caller["assign_public_ip"] else "DISABLED",
                },
                "overrides": {"container_overrides": [{"name": PROBE, "command": ["sh", "-c", probe_script(model, caller)]}]},
                "started_by": f"quoin-probe-{caller['name']}"[:36],
            }
        )
    return runs


class FilterModule:
    def filters(self):
        return {"probe_task_definition": probe_task_definition, "probe_runs": probe_runs}
