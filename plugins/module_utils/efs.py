# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EFS API layer shared by the access point and file system policy modules.

One small function per API call, each retried with jittered backoff and wrapped by an error handler
(a missing resource is None on a read and False on a delete); conversions to the snake_cased shape
the modules return; a waiter for access point life cycle states, which botocore does not provide.
"""

import json

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory


class AnsibleEFSError(AnsibleAWSError):
    pass


class EFSAccessPointErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEFSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["AccessPointNotFound", "FileSystemNotFound"])


class EFSPolicyErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEFSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["PolicyNotFound", "FileSystemNotFound"])


@EFSAccessPointErrorHandler.list_error_handler("describe access points", [])
@AWSRetry.jittered_backoff()
def describe_access_points(client, file_system_id=None, access_point_id=None):
    params = {}
    if access_point_id:
        params["AccessPointId"] = access_point_id
    elif file_system_id:
        params["FileSystemId"] = file_system_id
    paginator = client.get_paginator("describe_access_points")
    return paginator.paginate(**params).build_full_result()["AccessPoints"]


@EFSAccessPointErrorHandler.common_error_handler("create access point")
@AWSRetry.jittered_backoff()
def create_access_point(client, **params):
    return client.create_access_point(**params)


@EFSAccessPointErrorHandler.deletion_error_handler("delete access point")
@AWSRetry.jittered_backoff()
def delete_access_point(client, access_point_id):
    client.delete_access_point(AccessPointId=access_point_id)
    return True


@EFSAccessPointErrorHandler.common_error_handler("tag resource")
@AWSRetry.jittered_backoff()
def tag_resource(client, resource_id, tags):
    client.tag_resource(ResourceId=resource_id, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@EFSAccessPointErrorHandler.common_error_handler("untag resource")
@AWSRetry.jittered_backoff()
def untag_resource(client, resource_id, tag_keys):
    client.untag_resource(ResourceId=resource_id, TagKeys=list(tag_keys))
    return True


@EFSPolicyErrorHandler.list_error_handler("describe file system policy")
@AWSRetry.jittered_backoff()
def describe_file_system_policy(client, file_system_id):
    """The file system's policy as a dict, or None when it has none."""
    return json.loads(client.describe_file_system_policy(FileSystemId=file_system_id)["Policy"])


@EFSPolicyErrorHandler.common_error_handler("put file system policy")
@AWSRetry.jittered_backoff()
def put_file_system_policy(client, file_system_id, policy, bypass_lockout_check=False):
    client.put_file_system_policy(
        FileSystemId=file_system_id,
        Policy=json.dumps(policy),
        BypassPolicyLockoutSafetyCheck=bypass_lockout_check,
    )
    return True


@EFSPolicyErrorHandler.deletion_error_handler("delete file system policy")
@AWSRetry.jittered_backoff()
def delete_file_system_policy(client, file_system_id):
    client.delete_file_system_policy(FileSystemId=file_system_id)
    return True


def ensure_file_system_policy(client, file_system_id, desired, bypass_lockout_check, check_mode):
    """Put `desired` (a dict) unless the current policy is the same policy (statement order does not
    count): changed, and the policy before and after (predicted in check mode)."""
    current = describe_file_system_policy(client, file_system_id)
    changed = current is None or compare_policies(current, desired)
    after = desired
    if changed and not check_mode:
        put_file_system_policy(client, file_system_id, desired, bypass_lockout_check)
        after = describe_file_system_policy(client, file_system_id)
    return dict(changed=changed, before=current, after=after)


# In a policy given with access points (efs_access_point's file_system_policies), where an access point's
# ARN goes, {"access_point_arn": NAME} names one of the run's access points: it may not exist yet.
ACCESS_POINT_REFERENCE = "access_point_arn"


def _is_reference(value):
    return isinstance(value, dict) and list(value) == [ACCESS_POINT_REFERENCE]


def access_point_references(policy):
    """The access point names a policy refers to, in the order they appear."""
    if _is_reference(policy):
        return [policy[ACCESS_POINT_REFERENCE]]
    values = policy.values() if isinstance(policy, dict) else policy if isinstance(policy, list) else []
    return [name for value in values for name in access_point_references(value)]


def resolve_access_point_references(policy, arns):
    """The policy with each reference replaced by arns[name]."""
    if _is_reference(policy):
        return arns[policy[ACCESS_POINT_REFERENCE]]
    if isinstance(policy, dict):
        return {key: resolve_access_point_references(value, arns) for key, value in policy.items()}
    if isinstance(policy, list):
        return [resolve_access_point_references(value, arns) for value in policy]
    return policy


class EFSWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return {
            "access_point_available": {
                "operation": "DescribeAccessPoints",
                "delay": 2,
                "maxAttempts": 60,
                "acceptors": [
                    {"state": "success", "matcher": "pathAll", "argument": "AccessPoints[].LifeCycleState", "expected": "available"},
                    {"state": "failure", "matcher": "pathAny", "argument": "AccessPoints[].LifeCycleState", "expected": "error"},
                    {"state": "retry", "matcher": "error", "expected": "AccessPointNotFound"},
                ],
            },
            "access_point_deleted": {
                "operation": "DescribeAccessPoints",
                "delay": 2,
                "maxAttempts": 60,
                "acceptors": [
                    {"state": "success", "matcher": "error", "expected": "AccessPointNotFound"},
                    {"state": "success", "matcher": "path", "argument": "length(AccessPoints[]) == `0`", "expected": True},
                    {"state": "retry", "matcher": "pathAny", "argument": "AccessPoints[].LifeCycleState", "expected": "deleting"},
                    {"state": "retry", "matcher": "pathAny", "argument": "AccessPoints[].LifeCycleState", "expected": "available"},
                ],
            },
        }


@EFSAccessPointErrorHandler.common_error_handler("wait for the access point")
def wait_for_access_point(client, access_point_id, state, timeout):
    """Wait until the access point is 'available' or 'deleted', for at most `timeout` seconds."""
    delay = 2
    waiter = EFSWaiterFactory().get_waiter(client, f"access_point_{state}")
    waiter.wait(
        AccessPointId=access_point_id,
        WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)},
    )


def normalize_access_point(access_point):
    """The API's access point as the modules return it: snake_cased, tags as a dict, name at the top."""
    if not access_point:
        return {}
    tags = boto3_tag_list_to_ansible_dict(access_point.get("Tags", []))
    result = camel_dict_to_snake_dict({k: v for k, v in access_point.items() if k not in ("Tags", "ResponseMetadata")})
    result["tags"] = tags
    result["name"] = tags.get("Name", access_point.get("Name"))
    return result


MAX_ID = 4294967295


def access_point_request(params, include_tags=True):
    """CreateAccessPoint's arguments for the module parameters (snake_case in, the API's shape out)."""
    request = {"FileSystemId": params["file_system_id"]}
    posix_user = params.get("posix_user")
    if posix_user:
        request["PosixUser"] = {"Uid": posix_user["uid"], "Gid": posix_user["gid"]}
        if posix_user.get("secondary_gids"):
            request["PosixUser"]["SecondaryGids"] = list(posix_user["secondary_gids"])
    root = params.get("root_directory")
    if root:
        request["RootDirectory"] = {"Path": root["path"]}
        info = root.get("creation_info")
        if info:
            request["RootDirectory"]["CreationInfo"] = {
                "OwnerUid": info["owner_uid"],
                "OwnerGid": info["owner_gid"],
                "Permissions": info["permissions"],
            }
    if include_tags:
        tags = dict(params.get("tags") or {})
        if params.get("name"):
            tags["Name"] = params["name"]
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def _octal(permissions):
    """'750' and '0750' are the same permissions."""
    return permissions.lstrip("0") or "0"


def fixed_differences(current, params):
    """What the parameters ask to change among the fields fixed at creation, one line each.

    `current` is a normalized access point. Only what the user set is compared: an omitted POSIX
    user or root directory (or creation info) is left as it is. AWS reports a root directory of "/"
    when none was given at creation.
    """
    differences = []
    posix_user = params.get("posix_user")
    if posix_user:
        have = current.get("posix_user") or {}
        for key in ("uid", "gid"):
            if have.get(key) != posix_user[key]:
                differences.append(f"posix_user.{key} from {have.get(key)} to {posix_user[key]}")
        want_gids = sorted(posix_user.get("secondary_gids") or [])
        have_gids = sorted(have.get("secondary_gids") or [])
        if posix_user.get("secondary_gids") is not None and want_gids != have_gids:
            differences.append(f"posix_user.secondary_gids from {have_gids} to {want_gids}")
    root = params.get("root_directory")
    if root:
        have = current.get("root_directory") or {"path": "/"}
        if have.get("path") != root["path"]:
            differences.append(f"root_directory.path from {have.get('path')} to {root['path']}")
        info = root.get("creation_info")
        if info:
            have_info = have.get("creation_info") or {}
            for key in ("owner_uid", "owner_gid"):
                if have_info.get(key) != info[key]:
                    differences.append(f"root_directory.creation_info.{key} from {have_info.get(key)} to {info[key]}")
            have_permissions = have_info.get("permissions")
            if have_permissions is None or _octal(have_permissions) != _octal(info["permissions"]):
                differences.append(
                    f"root_directory.creation_info.permissions from {have_permissions} to {info['permissions']}"
                )
    return differences


def validate_access_point_params(params):
    """Problems with the parameters that the argument spec cannot express, one line each."""
    problems = []
    ids = []
    posix_user = params.get("posix_user")
    if posix_user:
        ids += [("posix_user.uid", posix_user["uid"]), ("posix_user.gid", posix_user["gid"])]
        ids += [(f"posix_user.secondary_gids[{i}]", g) for i, g in enumerate(posix_user.get("secondary_gids") or [])]
    root = params.get("root_directory")
    if root:
        path = root["path"]
        if not path.startswith("/") or len(path) > 100:
            problems.append(f"root_directory.path: {path!r} must be an absolute path of at most 100 characters")
        info = root.get("creation_info")
        if info:
            ids += [("root_directory.creation_info.owner_uid", info["owner_uid"])]
            ids += [("root_directory.creation_info.owner_gid", info["owner_gid"])]
            permissions = info["permissions"]
            if not (3 <= len(permissions) <= 4 and all(c in "01234567" for c in permissions)):
                problems.append(
                    f"root_directory.creation_info.permissions: {permissions!r} is not octal permissions such as '0750'"
                )
    for where, value in ids:
        if not 0 <= value <= MAX_ID:
            problems.append(f"{where}: {value} is out of range (0 to {MAX_ID})")
    return problems
