#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_file_system_policy
version_added: 0.1.0
short_description: Manage the resource policy of an Amazon EFS file system
description:
  - Sets or removes the file system policy of an Amazon EFS file system.
  - Neither amazon.aws nor community.aws manages EFS file system policies. Policies are compared as
    policies, not as text, so the order of statements or actions and single values written as lists
    do not count as changes.
author:
  - Quoin (@quoininc)
options:
  file_system_id:
    description:
      - The file system (C(fs-...)).
    type: str
    required: true
  state:
    description:
      - Whether the file system should have the policy, or none at all.
    type: str
    choices: ['present', 'absent']
    default: present
  policy:
    description:
      - The policy document, as a dict or a JSON string. Required with O(state=present).
    type: json
  bypass_policy_lockout_safety_check:
    description:
      - Let EFS accept a policy that would stop the caller from changing the policy again.
    type: bool
    default: false
notes:
  - Diff mode shows the policy before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and predict the result without changing anything.
    support: full
  diff_mode:
    description: Returns the resource before and after the change (or the predicted change in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Refuse unencrypted connections to the CMS file system
  quoin.fargate.efs_file_system_policy:
    file_system_id: fs-0123456789abcdef0
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyWithoutTLS
          Effect: Deny
          Principal: {AWS: "*"}
          Action: "*"
          Resource: arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0
          Condition:
            Bool: {"aws:SecureTransport": "false"}

- name: Remove the policy
  quoin.fargate.efs_file_system_policy:
    file_system_id: fs-0123456789abcdef0
    state: absent
"""

RETURN = r"""
policy:
  description: The file system's policy after the change (predicted in check mode); null when it has none.
  returned: always
  type: dict
  sample: {"Version": "2012-10-17", "Statement": []}
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.efs import AnsibleEFSError
from ansible_collections.quoin.fargate.plugins.module_utils.efs import delete_file_system_policy
from ansible_collections.quoin.fargate.plugins.module_utils.efs import describe_file_system_policy
from ansible_collections.quoin.fargate.plugins.module_utils.efs import ensure_file_system_policy


def main():
    argument_spec = dict(
        file_system_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        policy=dict(type="json"),
        bypass_policy_lockout_safety_check=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["state", "present", ["policy"]]],
    )
    file_system_id = module.params["file_system_id"]
    desired = json.loads(module.params["policy"]) if module.params["policy"] else None
    client = module.client("efs", retry_decorator=AWSRetry.jittered_backoff())

    try:
        if module.params["state"] == "present":
            ensured = ensure_file_system_policy(
                client, file_system_id, desired, module.params["bypass_policy_lockout_safety_check"], module.check_mode
            )
            changed, current, after = ensured["changed"], ensured["before"], ensured["after"]
        else:
            current = describe_file_system_policy(client, file_system_id)
            changed = current is not None
            after = None
            if changed and not module.check_mode:
                delete_file_system_policy(client, file_system_id)
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, policy=after)
    if module._diff:
        result["diff"] = dict(before=current or {}, after=after or {})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
