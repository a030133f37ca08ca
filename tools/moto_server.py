#!/usr/bin/env python3
"""moto's server, with the fixes that make it answer like AWS where this project depends on it.

    python tools/moto_server.py -H 127.0.0.1 -p 4566     (same arguments as moto_server)

Each fix below names what AWS does and what moto 5.2 does instead. They only make the emulator
apply what a template or request already says; none of them changes what our code sends.
"""

import sys

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse
from moto.ecs.models import Cluster
from moto.efs.exceptions import FileSystemNotFound
from moto.efs.responses import EFSResponse
from moto.ecs.models import ecs_backends
from moto.logs.models import LogGroup
from moto.logs.models import logs_backends
from moto.s3.models import FakeBucket
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition
from moto.server import main


# CreateChangeSet: AWS takes an omitted ChangeSetType as UPDATE and answers an unchanged template with
# a FAILED change set ("didn't contain changes"). moto takes it as CREATE, which adds a second stack of
# the same name in REVIEW_IN_PROGRESS, and answers an unchanged UPDATE with a ValidationError.
# amazon.aws.cloudformation's check mode relies on the AWS behaviour.
_create_change_set = CloudFormationResponse.create_change_set


def _stack_exists(response, name):
    try:
        stack = response.cloudformation_backend.get_stack(name)
    except ValidationError:
        return False
    return stack.status != "REVIEW_IN_PROGRESS"


def create_change_set(self):
    get_param = self._get_param

    def get_param_as_aws(name, if_none=None):
        if name == "ChangeSetType" and get_param(name) is None and _stack_exists(self, get_param("StackName")):
            return "UPDATE"
        return get_param(name, if_none)

    self._get_param = get_param_as_aws
    # The backend marks an unchanged UPDATE as a FAILED change set, as AWS does.
    self._validate_different_update = lambda *args, **kwargs: None
    return _create_change_set(self)


CloudFormationResponse.create_change_set = create_change_set


# AWS::S3::Bucket: moto applies only BucketEncryption and Tags from a template; AWS also applies
# VersioningConfiguration and PublicAccessBlockConfiguration, on create and on update.
def _apply_bucket_properties(bucket, properties, region_name):
    backend = s3_backends[bucket.account_id][get_partition(region_name)]
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(bucket.name, versioning["Status"])
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(bucket.name, {key: str(value).lower() for key, value in block.items()})
    return bucket


_bucket_create = FakeBucket.create_from_cloudformation_json.__func__
_bucket_update = FakeBucket.update_from_cloudformation_json.__func__


def bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    return _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), region_name)


def bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    bucket = _bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    return _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), region_name)


FakeBucket.create_from_cloudformation_json = classmethod(bucket_create)
FakeBucket.update_from_cloudformation_json = classmethod(bucket_update)


# AWS::ECS::Cluster: moto ignores ClusterSettings (Container Insights) from a template.
def _cluster_settings(cloudformation_json):
    return [
        {"name": setting["Name"], "value": setting["Value"]}
        for setting in cloudformation_json.get("Properties", {}).get("ClusterSettings", [])
    ]


def cluster_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    backend = ecs_backends[account_id][region_name]
    return backend.create_cluster(cluster_name=resource_name, cluster_settings=_cluster_settings(cloudformation_json))


def cluster_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    backend = ecs_backends[account_id][region_name]
    if original_resource.name != new_resource_name:
        backend.delete_cluster(original_resource.arn)
        return cluster_create(cls, new_resource_name, cloudformation_json, account_id, region_name)
    original_resource.settings = _cluster_settings(cloudformation_json)
    return original_resource


Cluster.create_from_cloudformation_json = classmethod(cluster_create)
Cluster.update_from_cloudformation_json = classmethod(cluster_update)


# AWS::Logs::LogGroup: moto cannot update a log group from a template, and drops it from the stack
# (its outputs disappear); AWS changes the retention in place.
def log_group_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    backend = logs_backends[account_id][region_name]
    retention = cloudformation_json.get("Properties", {}).get("RetentionInDays")
    if retention is None:
        backend.delete_retention_policy(original_resource.name)
    else:
        backend.put_retention_policy(original_resource.name, int(retention))
    return original_resource


LogGroup.update_from_cloudformation_json = classmethod(log_group_update)


# DeletionPolicy RetainExceptOnCreate: AWS keeps such resources when a stack is deleted (and deletes
# them only when it rolls back a failed creation); moto deletes them.
_resource_map_delete = ResourceMap.delete


def resource_map_delete(self):
    for resource in self._resource_json_map.values():
        if resource.get("DeletionPolicy") == "RetainExceptOnCreate":
            resource["DeletionPolicy"] = "Retain"
    return _resource_map_delete(self)


ResourceMap.delete = resource_map_delete


# DeleteFileSystemPolicy: AWS removes a file system's policy; moto does not implement the call (500).
def delete_file_system_policy(self):
    file_system_id = self._get_param("FileSystemId")
    file_system = self.efs_backend.file_systems_by_id.get(file_system_id)
    if file_system is None:
        raise FileSystemNotFound(file_system_id)
    file_system.file_system_policy = None
    return "{}", {"Content-Type": "application/json"}


EFSResponse.delete_file_system_policy = delete_file_system_policy

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
