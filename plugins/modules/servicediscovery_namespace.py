#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_namespace
version_added: 0.1.0
short_description: Manage AWS Cloud Map private DNS namespaces
description:
  - Creates, updates (description, tags) and deletes AWS Cloud Map private DNS namespaces, the DNS
    domains (for example C(quoin-prod.internal)) in which ECS services register their tasks so that
    other services in the VPC reach them by name.
  - A namespace is identified by its name and its VPC. Cloud Map creates a Route 53 private hosted zone
    of the same name, associated with the VPC; the VPC of an existing namespace is read from that zone.
  - Neither amazon.aws nor community.aws has a Cloud Map module; this one follows their conventions.
  - Creating, updating and deleting a namespace are asynchronous operations in Cloud Map; with
    O(wait=true) the module polls the operation until it succeeds or fails.
  - A namespace that still holds services cannot be deleted. The module says which services are left
    (see M(quoin.fargate.servicediscovery_service)).
  - M(quoin.fargate.servicediscovery_service) with its option C(namespace) ensures a namespace as this
    module does with O(state=present) (the same code) and then its services, in one task.
author:
  - Quoin (@quoininc)
options:
  state:
    description:
      - Whether the namespace should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  name:
    description:
      - The namespace's name, which is also its DNS domain, for example C(quoin-prod.internal).
    type: str
    required: true
  vpc:
    description:
      - The ID of the VPC (C(vpc-...)) whose resources resolve the namespace's names.
      - Required with O(state=present). The VPC is fixed when the namespace is created; a namespace of
        the same name in another VPC is another namespace.
      - With O(state=absent), only the namespace in this VPC is deleted; without it, the name must be
        unambiguous.
    type: str
  description:
    description:
      - A description of the namespace. Not compared when omitted.
    type: str
  wait:
    description:
      - Wait until Cloud Map has finished creating, updating or deleting the namespace.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 300
notes:
  - Check mode predicts the result without writing; a predicted new namespace has no ID, ARN or hosted zone yet.
  - Diff mode shows the namespace before and after.
  - Besides the Cloud Map permissions, creating a namespace needs those Cloud Map uses on the caller's
    behalf (route53:CreateHostedZone, route53:GetHostedZone, ec2:DescribeVpcs and others, see the Cloud
    Map documentation). The module itself calls route53:GetHostedZone to read an existing namespace's VPC.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
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
- name: Ensure the private namespace of the production services
  quoin.fargate.servicediscovery_namespace:
    name: quoin-prod.internal
    vpc: vpc-0123456789abcdef0
    description: Names of the quoin production services
    tags:
      quoin:environment: prod
  register: namespace

- name: Delete the namespace once its services are gone
  quoin.fargate.servicediscovery_namespace:
    name: quoin-prod.internal
    vpc: vpc-0123456789abcdef0
    state: absent
"""

RETURN = r"""
namespace:
  description: The namespace after the change (predicted in check mode); empty once deleted.
  returned: always
  type: dict
  contains:
    id:
      description: The ID; absent for a namespace check mode predicts.
      type: str
      sample: ns-abcdefghijklmnop
    arn:
      description: The ARN; absent for a namespace check mode predicts.
      type: str
      sample: arn:aws:servicediscovery:eu-central-1:123456789012:namespace/ns-abcdefghijklmnop
    name:
      description: The name.
      type: str
      sample: quoin-prod.internal
    type:
      description: The type, C(DNS_PRIVATE) for the namespaces this module creates.
      type: str
      sample: DNS_PRIVATE
    description:
      description: The description, or null.
      type: str
      sample: Names of the quoin production services
    properties:
      description: Where the names live.
      type: dict
      contains:
        hosted_zone_id:
          description: The Route 53 private hosted zone Cloud Map created; null for a predicted namespace.
          type: str
          sample: Z0123456789ABCDEFGHIJ
        dns_name:
          description: The DNS domain the services' names end in.
          type: str
          sample: quoin-prod.internal
    service_count:
      description: How many services the namespace holds, when AWS reports it.
      type: int
      sample: 3
    tags:
      description: The tags, as a dict.
      type: dict
      sample: {"quoin:environment": "prod"}
operation_id:
  description: The Cloud Map operation the module started and did not wait for.
  returned: when O(wait=false) and a namespace was created, updated or deleted
  type: str
  sample: gv4g5meo7ndmeh4fqskygvk23d2fijwa-k9302yzd
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import AnsibleServiceDiscoveryError
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import current_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import delete_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import ensure_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import services_in_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import wait_for_operation


def ensure_absent(client, module, current, result):
    if not current:
        return {}
    services = services_in_namespace(client, current["id"])
    if services:
        names = ", ".join(sorted(service["Name"] for service in services))
        module.fail_json(
            msg=(
                f"namespace {current['name']} ({current['id']}) still holds {len(services)} service(s): {names}. "
                "Cloud Map deletes only empty namespaces: delete the services first."
            ),
            namespace=current,
        )
    result["changed"] = True
    if module.check_mode:
        return {}
    try:
        operation_id = delete_namespace(client, current["id"])
    except is_ansible_aws_error_code("ResourceInUse") as e:
        module.fail_json_aws(
            e.exception,
            msg=f"namespace {current['name']} ({current['id']}) is in use (services were added meanwhile?); delete its services first",
            namespace=current,
        )
    if operation_id:
        if module.params["wait"]:
            wait_for_operation(client, operation_id, module.params["wait_timeout"])
        else:
            result["operation_id"] = operation_id
    return {}


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str", required=True),
        vpc=dict(type="str"),
        description=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["state", "present", ["vpc"]]],
    )
    client = module.client("servicediscovery", retry_decorator=AWSRetry.jittered_backoff())
    route53 = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False)
    params = module.params
    try:
        before = current_namespace(client, route53, params["name"], params["vpc"])
        if params["state"] == "present":
            outcome = ensure_namespace(client, params, before, module.check_mode)
            result["changed"], after = outcome.changed, outcome.namespace
            if outcome.operation_id:
                result["operation_id"] = outcome.operation_id
        else:
            after = ensure_absent(client, module, before, result)
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)

    result["namespace"] = after
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
