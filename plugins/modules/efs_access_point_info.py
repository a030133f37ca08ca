#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_access_point_info
version_added: 0.1.0
short_description: List Amazon EFS access points
description:
  - Lists the access points of a file system, or one access point by its ID or name, optionally only
    those carrying all the given tags.
author:
  - Quoin (@quoininc)
options:
  file_system_id:
    description:
      - List the access points of this file system (C(fs-...)).
    type: str
  access_point_id:
    description:
      - Return only this access point (C(fsap-...)); an empty list when it does not exist.
    type: str
  name:
    description:
      - Return only access points with this C(Name) tag.
    type: str
  tags:
    description:
      - Return only access points that carry all of these tags with these values.
    type: dict
    aliases: ['resource_tags']
notes:
  - Without O(file_system_id) or O(access_point_id), the access points of every file system in the
    region are listed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and predict the result without changing anything.
    support: full
"""

EXAMPLES = r"""
- name: List the access points the production environment manages
  quoin.fargate.efs_access_point_info:
    file_system_id: fs-0123456789abcdef0
    tags:
      quoin:environment: prod
  register: found

- name: Look up one access point by its ID
  quoin.fargate.efs_access_point_info:
    access_point_id: fsap-0123456789abcdef0
"""

RETURN = r"""
access_points:
  description: The access points found, sorted by name then ID; the same shape as quoin.fargate.efs_access_point returns.
  returned: always
  type: list
  elements: dict
  contains:
    access_point_id:
      description: The ID.
      type: str
      sample: fsap-0123456789abcdef0
    access_point_arn:
      description: The ARN.
      type: str
      sample: arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0123456789abcdef0
    file_system_id:
      description: The file system.
      type: str
      sample: fs-0123456789abcdef0
    name:
      description: The C(Name) tag.
      type: str
      sample: prod-cms-data
    posix_user:
      description: The POSIX identity of every request through the access point.
      type: dict
      sample: {"uid": 1000, "gid": 1000}
    root_directory:
      description: The root directory and how EFS creates it.
      type: dict
      sample: {"path": "/cms/data", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "0750"}}
    tags:
      description: The tags, as a dict.
      type: dict
      sample: {"Name": "prod-cms-data"}
    life_cycle_state:
      description: The life cycle state.
      type: str
      sample: available
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.efs import AnsibleEFSError
from ansible_collections.quoin.fargate.plugins.module_utils.efs import describe_access_points
from ansible_collections.quoin.fargate.plugins.module_utils.efs import normalize_access_point


def matches(access_point, name, tags):
    if name is not None and access_point["name"] != name:
        return False
    return all(access_point["tags"].get(key) == value for key, value in (tags or {}).items())


def main():
    argument_spec = dict(
        file_system_id=dict(type="str"),
        access_point_id=dict(type="str"),
        name=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["file_system_id", "access_point_id"]],
    )
    client = module.client("efs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = describe_access_points(
            client, file_system_id=module.params["file_system_id"], access_point_id=module.params["access_point_id"]
        )
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)
    access_points = [normalize_access_point(ap) for ap in found]
    access_points = [ap for ap in access_points if matches(ap, module.params["name"], module.params["tags"])]
    access_points.sort(key=lambda ap: (ap["name"] or "", ap["access_point_id"]))
    module.exit_json(changed=False, access_points=access_points)


if __name__ == "__main__":
    main()
