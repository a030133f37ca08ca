# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for the backup role and the backup and restore playbooks: backup_task_definitions,
backup_schedule, backup_network, backup_overrides, restore_overrides.

This file holds several filters, so each is documented in its own file next to it.
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import log_configuration
from ansible_collections.quoin.fargate.plugins.plugin_utils.task_containers import prepare_scratch

# A backup's name is its UTC start time in ISO 8601 basic form: sortable, and safe in an S3 key.
TIMESTAMP = re.compile(r"^\d{8}T\d{6}Z$")
# Written beside a backup's prefix once every file is copied; a restore refuses a backup without it.
COMPLETE = ".complete"

# Runs in the AWS CLI image. BACKUP_VOLUMES lists <service>/<volume> keys, each mounted read-only at
# /backup/<key>; BACKUP_TIMESTAMP names the backup (the scheduled run takes the start time).
BACKUP_SCRIPT = """set -eu
stamp="${BACKUP_TIMESTAMP:-$(date -u +%Y%m%dT%H%M%SZ)}"
for volume in $BACKUP_VOLUMES; do
  target="s3://$BACKUP_BUCKET/$QUOIN_ENVIRONMENT/$volume/$stamp"
  echo "backing up /backup/$volume to $target/"
  aws s3 sync "/backup/$volume/" "$target/" --no-progress --only-show-errors
  echo "$stamp" | aws s3 cp - "$target""" + COMPLETE + """" --only-show-errors
done
echo "backup $stamp complete: $BACKUP_VOLUMES"
"""

# Runs in the AWS CLI image: replaces the volume's content (mounted writable at /restore/<key>) with a
# complete backup's. --delete removes what the backup does not hold.
RESTORE_SCRIPT = """set -eu
source="s3://$BACKUP_BUCKET/$QUOIN_ENVIRONMENT/$RESTORE_VOLUME/$RESTORE_FROM"
if ! aws s3 ls "$source""" + COMPLETE + """" >/dev/null; then
  echo "no complete backup at $source/" >&2
  exit 2
fi
echo "restoring /restore/$RESTORE_VOLUME from $source/"
aws s3 sync "$source/" "/restore/$RESTORE_VOLUME/" --delete --no-progress --only-show-errors
echo "restored $RESTORE_VOLUME from $RESTORE_FROM"
"""


def families(model):
    environment = model["environment"]
    return {"backup": f"quoin-{environment}-backup", "restore": f"quoin-{environment}-restore"}


def _task_definition(kind, model, stack, access_points, region):
    backup = model["backup"]
    mount_root = "/backup" if kind == "backup" else "/restore"
    container = {
        "name": kind,
        "image": backup["image"],
        "essential": True,
        # Container-level memory as well as the task's: the local emulator's RunTask needs it.
        "memory": backup["memory"],
        "entryPoint": ["/bin/sh", "-c"],
        "command": [BACKUP_SCRIPT if kind == "backup" else RESTORE_SCRIPT],
        "environment": sorted(
            [
                {"name": "BACKUP_BUCKET", "value": stack["backup_bucket"]},
                {"name": "QUOIN_ENVIRONMENT", "value": model["environment"]},
                {"name": "BACKUP_VOLUMES", "value": " ".join(v["key"] for v in backup["volumes"])},
                # The CLI keeps its cache under HOME; the root file system is read-only.
                {"name": "HOME", "value": "/tmp"},
            ],
            key=lambda e: e["name"],
        ),
        # The access point decides the identity on the file system; the container itself needs none.
        "user": "65534",
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": log_configuration(stack["log_group_name"], region, kind),
    }
    volumes = [{"name": "scratch"}]
    for index, volume in enumerate(backup["volumes"], 1):
        try:
            access_point = access_points[volume["service"]][volume["volume"]]
        except KeyError:
            raise AnsibleFilterError(f"no access point for {volume['key']}: run the efs role first") from None
        name = f"volume-{index}"
        volumes.append(
            {
                "name": name,
                "efsVolumeConfiguration": {
                    "fileSystemId": stack["file_systems"][volume["file_system"]]["id"],
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": access_point.get("id") or "(new access point)", "iam": "ENABLED"},
                },
            }
        )
        container["mountPoints"].append(
            {"sourceVolume": name, "containerPath": f"{mount_root}/{volume['key']}", "readOnly": kind == "backup"}
        )
    containers = [container]
    # /tmp is a bind mount, root's on Fargate: the CLI's user gets it before it starts.
    prepare_scratch(containers, volumes, model["init_image"], container["logConfiguration"])
    return {
        "family": families(model)[kind],
        "task_definition": {
            "containerDefinitions": containers,
            "cpu": str(backup["cpu"]),
            "memory": str(backup["memory"]),
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            "executionRoleArn": stack["execution_role_arn"],
            "taskRoleArn": stack["backup"]["task_role_arn" if kind == "backup" else "restore_task_role_arn"],
            "volumes": volumes,
        },
        "tags": {"quoin:environment": model["environment"], "quoin:service": kind},
    }


def backup_task_definitions(model, stack, access_points, region):
    """The backup task (every backed-up volume read-only) and the restore task (writable)."""
    return [_task_definition(kind, model, stack, access_points, region) for kind in ("backup", "restore")]


def backup_network(model, stack):
    """Private subnets, the backup tasks' security group, no public IP."""
    return {
        "subnets": list(stack["subnet_ids"]),
        "security_groups": [stack["backup"]["security_group_id"]],
        "assign_public_ip": "DISABLED",
    }


def backup_schedule(model, stack, task_definition_arn):
    """The quoin.fargate.scheduler_schedule arguments for the environment's backup."""
    backup = model["backup"]
    return {
        "name": families(model)["backup"],
        "description": f"quoin {model['environment']}: copy {len(backup['volumes'])} volume(s) to s3://{stack['backup_bucket']}/{model['environment']}/",
        "schedule_expression": backup["schedule"],
        "schedule_expression_timezone": backup["timezone"],
        "enabled": backup["enabled"],
        "flexible_time_window": {"mode": "OFF"},
        "target": {
            "arn": stack["cluster_arn"],
            "role_arn": stack["backup"]["scheduler_role_arn"],
            "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
            "ecs_parameters": {
                "task_definition_arn": task_definition_arn,
                "task_count": 1,
                "launch_type": "FARGATE",
                "network_configuration": backup_network(model, stack),
            },
        },
    }


def _check_timestamp(stamp, what):
    if not isinstance(stamp, str) or not TIMESTAMP.match(stamp):
        raise AnsibleFilterError(f"{what}: {stamp!r} is not a backup timestamp (UTC, like 20261126T030000Z)")


def backup_overrides(volumes, timestamp):
    """RunTask overrides for the backup task: which volumes (keys) and the backup's name."""
    _check_timestamp(timestamp, "timestamp")
    return {
        "container_overrides": [
            {"name": "backup", "environment": {"BACKUP_VOLUMES": " ".join(volumes), "BACKUP_TIMESTAMP": timestamp}}
        ]
    }


def restore_overrides(volume, timestamp):
    """RunTask overrides for the restore task: one volume (key) from one backup."""
    _check_timestamp(timestamp, "from")
    return {"container_overrides": [{"name": "restore", "environment": {"RESTORE_VOLUME": volume, "RESTORE_FROM": timestamp}}]}


class FilterModule:
    def filters(self):
        return {
            "backup_task_definitions": backup_task_definitions,
            "backup_schedule": backup_schedule,
            "backup_network": backup_network,
            "backup_overrides": backup_overrides,
            "restore_overrides": restore_overrides,
        }
