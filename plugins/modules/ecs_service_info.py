#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service_info
version_added: 0.1.0
short_description: Describe Amazon ECS services, with their tags
description:
  - Describes the named services of one cluster, ten per C(DescribeServices) call (the API's limit), with
    their tags in the same calls.
  - Returns each service in the shape of M(quoin.fargate.ecs_service)'s RV(quoin.fargate.ecs_service#module:service),
    snake_cased with the tags as a dict. The stock M(community.aws.ecs_service_info) returns neither the
    tags nor the snake_cased shape, and M(community.aws.ecs_tag) reads the tags of one service per call.
author:
  - Quoin (@quoininc)
options:
  cluster:
    description:
      - The name or ARN of the cluster.
    type: str
    required: true
  services:
    description:
      - The names or ARNs of the services. A name given more than once is described and returned once.
    type: list
    elements: str
    required: true
  include_tags:
    description:
      - Whether to return each service's tags (RV(services[].tags)).
    type: bool
    default: true
notes:
  - A service that was deleted is still described for a while, with C(status) C(DRAINING) or C(INACTIVE),
    and so is in RV(services) with that status. RV(missing) lists only the services C(DescribeServices)
    reports as failures (not known to the cluster at all).
  - A cluster that does not exist fails the module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
"""

EXAMPLES = r"""
- name: Read every service of the environment, with its tags
  quoin.fargate.ecs_service_info:
    cluster: quoin-prod
    services: [prod-site, prod-api, prod-worker]
  register: found

- name: Check that every service runs and carries the environment's tag
  ansible.builtin.assert:
    that:
      - found.missing == []
      - found.services | selectattr('status', '!=', 'ACTIVE') | list == []
      - found.services | map(attribute='tags') | map(attribute='quoin:environment') | unique == ['prod']
"""

RETURN = r"""
services:
  description:
    - The services found, in the order of O(services), each snake_cased as DescribeServices returns it
      (the shape of M(quoin.fargate.ecs_service)'s RV(quoin.fargate.ecs_service#module:service)).
    - A service deleted and created again under its name is returned once, its C(ACTIVE) incarnation.
  returned: always
  type: list
  elements: dict
  contains:
    service_name:
      description: The name.
      type: str
      sample: prod-site
    service_arn:
      description: The ARN.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:service/quoin-prod/prod-site
    cluster_arn:
      description: The cluster's ARN.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:cluster/quoin-prod
    status:
      description: C(ACTIVE), C(DRAINING) or C(INACTIVE).
      type: str
      sample: ACTIVE
    task_definition:
      description: The task definition's ARN.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:7
    desired_count:
      description: How many tasks the service keeps running.
      type: int
      sample: 2
    running_count:
      description: How many tasks run.
      type: int
      sample: 2
    deployments:
      description: The deployments, as DescribeServices reports them.
      type: list
      elements: dict
    events:
      description: The service's latest events.
      type: list
      elements: dict
    tags:
      description: The tags, as a dict; absent with O(include_tags=false).
      type: dict
      sample: {"quoin:environment": "prod"}
missing:
  description: The names or ARNs of O(services) that DescribeServices reports as failures (not in the cluster).
  returned: always
  type: list
  elements: str
  sample: [prod-old]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import AnsibleECSDeploymentError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_deployment import describe_service_batches
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import normalize_service


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        services=dict(type="list", elements="str", required=True),
        include_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    include_tags = module.params["include_tags"]
    # Each name once, in the order first given.
    names = list(dict.fromkeys(module.params["services"]))
    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = describe_service_batches(client, module.params["cluster"], names, ["TAGS"] if include_tags else None)
    except AnsibleECSDeploymentError as e:
        module.fail_json_aws_error(e)

    services = []
    for name in names:
        if found[name] is not None:
            service = normalize_service(found[name])
            if not include_tags:
                service.pop("tags")
            services.append(service)
    module.exit_json(changed=False, services=services, missing=[name for name in names if found[name] is None])


if __name__ == "__main__":
    main()
