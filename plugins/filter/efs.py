# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for the efs role: access_point_requests, access_point_index, file_system_policy.

This file holds several filters, so each is documented in its own file next to it.
"""

from ansible.errors import AnsibleFilterError

MOUNT = "elasticfilesystem:ClientMount"
WRITE = "elasticfilesystem:ClientWrite"
ROOT = "elasticfilesystem:ClientRootAccess"


def access_point_requests(model, stack):
    """One quoin.fargate.efs_access_point request per volume of every service (in model order)."""
    requests = []
    for service in model["services"]:
        for volume in service["volumes"]:
            try:
                file_system_id = stack["file_systems"][volume["file_system"]]["id"]
            except KeyError:
                raise AnsibleFilterError(
                    f"the base stack has no file system {volume['file_system']!r} (used by {service['name']}): "
                    "run the stack role first"
                ) from None
            requests.append(
                {
                    "service": service["name"],
                    "volume": volume["name"],
                    "file_system": volume["file_system"],
                    "file_system_id": file_system_id,
                    "name": volume["access_point_name"],
                    "posix_user": {"uid": volume["uid"], "gid": volume["gid"]},
                    "root_directory": {
                        "path": volume["root_directory"],
                        "creation_info": {
                            "owner_uid": volume["uid"],
                            "owner_gid": volume["gid"],
                            "permissions": volume["permissions"],
                        },
                    },
                    "tags": {
                        "quoin:environment": model["environment"],
                        "quoin:service": service["name"],
                        "quoin:volume": volume["name"],
                    },
                }
            )
    return requests


def access_point_index(results, requests=None):
    """The efs_access_point results of a loop over access_point_requests, as service -> volume -> access point;
    with `requests`, `results` is the module's access_points (one run for all, in the order of `requests`).

    A predicted access point (check mode, not created yet) has no ID or ARN: both are None.
    """
    if requests is not None:
        if len(requests) != len(results):
            raise AnsibleFilterError(f"access_point_index: {len(results)} results for {len(requests)} requests")
        results = [dict(result, item=request) for result, request in zip(results, requests)]
    index = {}
    for result in results:
        request = result["item"]
        access_point = result.get("access_point") or {}
        index.setdefault(request["service"], {})[request["volume"]] = {
            "id": access_point.get("access_point_id"),
            "arn": access_point.get("access_point_arn"),
            "name": request["name"],
            "file_system": request["file_system"],
            "file_system_id": request["file_system_id"],
        }
    return index


def file_system_policy(file_system, model, stack, access_points=None):
    """The policy for one file system: TLS only, no root access, and mount (and write, where a volume is
    not read-only) only by each service's task role through that service's own access points; the backup
    task may read and the restore task write through the backed-up volumes' access points.

    Without `access_points`, each access point is named ({"access_point_arn": name}) for efs_access_point's
    file_system_policies to put its ARN in, in the run that also creates it."""
    arn = stack["file_systems"][file_system]["arn"]
    names = {(s["name"], v["name"]): v["access_point_name"] for s in model["services"] for v in s["volumes"]}

    def ap_arn(service, volume):
        if access_points is None:
            return {"access_point_arn": names[(service, volume["name"])]}
        access_point = access_points[service][volume["name"]]
        return access_point["arn"] or f"(new access point {access_point['name']})"

    statements = [
        {
            "Sid": "DenyWithoutTLS",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyRootAccess",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ROOT,
            "Resource": arn,
        },
    ]
    ours, read_only = [], []
    for service in model["services"]:
        volumes = [v for v in service["volumes"] if v["file_system"] == file_system]
        if not volumes:
            continue
        arns = [ap_arn(service["name"], v) for v in volumes]
        ours += arns
        read_only += [ap_arn(service["name"], v) for v in volumes if v["read_only"]]
        statements.append(
            {
                "Sid": f"{service['cfn_name']}MountsThroughItsAccessPoints",
                "Effect": "Allow",
                "Principal": {"AWS": stack["services"][service["name"]]["task_role_arn"]},
                "Action": [MOUNT, WRITE] if file_system in service["writes_to"] else [MOUNT],
                "Resource": arn,
                "Condition": {
                    "ArnEquals": {"elasticfilesystem:AccessPointArn": arns},
                    "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                },
            }
        )
    services = {service["name"] for service in model["services"]}
    backed_up = [
        ap_arn(b["service"], {"name": b["volume"]})
        for b in model["backup"]["volumes"]
        if b["file_system"] == file_system and b["service"] in services
    ]
    if backed_up:
        # The backup task reads and the restore task writes, each only through the backed-up volumes'
        # access points (so with the owning service's POSIX identity).
        for sid, role, actions in (
            ("BackupReadsThroughBackedUpAccessPoints", stack["backup"]["task_role_arn"], [MOUNT]),
            ("RestoreWritesThroughBackedUpAccessPoints", stack["backup"]["restore_task_role_arn"], [MOUNT, WRITE]),
        ):
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": role},
                    "Action": actions,
                    "Resource": arn,
                    "Condition": {
                        "ArnEquals": {"elasticfilesystem:AccessPointArn": backed_up},
                        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                    },
                }
            )
    if ours:
        # Identity policies may allow more (same account): these denies hold whatever they say.
        statements.append(
            {
                "Sid": "DenyOutsideTheAccessPoints",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": [MOUNT, WRITE],
                "Resource": arn,
                "Condition": {"ArnNotEquals": {"elasticfilesystem:AccessPointArn": ours}},
            }
        )
    if read_only:
        statements.append(
            {
                "Sid": "DenyWritesThroughReadOnlyAccessPoints",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": WRITE,
                "Resource": arn,
                "Condition": {"ArnEquals": {"elasticfilesystem:AccessPointArn": read_only}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class FilterModule:
    def filters(self):
        return {
            "access_point_requests": access_point_requests,
            "access_point_index": access_point_index,
            "file_system_policy": file_system_policy,
        }
