#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service
version_added: 0.1.0
short_description: Manage Amazon ECS services on Fargate
description:
  - Creates, updates and deletes Amazon ECS services.
  - An existing service is compared with what the parameters set, and only with that; every difference
    is applied with a single C(UpdateService) call, and tags with C(TagResource) and C(UntagResource).
  - Replaces community.aws.ecs_service, which does not apply a change to O(deployment_configuration) or
    O(network_configuration) alone, and fails when O(service_registries), O(propagate_tags) or O(tags)
    change on an existing service.
  - This module does not wait for a deployment to finish. RV(deployment_started) tells when a run
    started one, for the caller to wait on.
author:
  - Quoin (@quoininc)
options:
  state:
    description:
      - Whether the service should exist.
      - With V(absent), the service is scaled to 0 tasks and deleted.
    type: str
    choices: ['present', 'absent']
    default: present
  cluster:
    description:
      - The name or ARN of the cluster the service runs in.
    type: str
    required: true
  name:
    description:
      - The name of the service.
    type: str
    required: true
  task_definition:
    description:
      - The task definition to run, as C(family:revision), an ARN, or a C(family) alone for its latest
        ACTIVE revision.
      - Required to create a service. Not compared when omitted.
    type: str
  desired_count:
    description:
      - How many tasks the service keeps running.
      - Not compared when omitted, so that an autoscaling policy can own it; a service created without
        it gets AWS's default.
    type: int
  launch_type:
    description:
      - The launch type. It cannot change on an existing service; asking for another one fails.
    type: str
    choices: ['FARGATE', 'EC2']
    default: FARGATE
  platform_version:
    description:
      - The Fargate platform version. Ignored with O(launch_type=EC2).
    type: str
    default: LATEST
  network_configuration:
    description:
      - The awsvpc network configuration of the tasks.
    type: dict
    suboptions:
      subnets:
        description:
          - The IDs of the subnets the tasks run in. Compared without regard to order.
        type: list
        elements: str
        required: true
      security_groups:
        description:
          - The IDs of the security groups of the tasks. Compared without regard to order.
          - When omitted, not compared, and an update keeps the current ones.
        type: list
        elements: str
      assign_public_ip:
        description:
          - Whether the tasks get a public IP address.
        type: bool
        default: false
  deployment_configuration:
    description:
      - How deployments replace tasks. Settings the module does not manage (for example alarms) are kept.
      - Without it, the deployment circuit breaker is turned on, with rollback.
    type: dict
    suboptions:
      minimum_healthy_percent:
        description:
          - The lower limit of running tasks during a deployment, in percent of O(desired_count).
          - Not compared when omitted.
        type: int
      maximum_percent:
        description:
          - The upper limit of running and pending tasks during a deployment, in percent of O(desired_count).
          - Not compared when omitted.
        type: int
      circuit_breaker:
        description:
          - The deployment circuit breaker, which stops a deployment whose tasks keep failing.
        type: dict
        suboptions:
          enable:
            description:
              - Whether the circuit breaker is on.
            type: bool
            default: true
          rollback:
            description:
              - Whether a stopped deployment rolls back to the last deployment that completed.
            type: bool
            default: true
  load_balancers:
    description:
      - The target groups the service registers its tasks with. Compared without regard to order.
      - An empty list removes them all; not compared when omitted.
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description: The ARN of the target group.
        type: str
        required: true
      container_name:
        description: The container that receives the traffic.
        type: str
        required: true
      container_port:
        description: The container's port that receives the traffic.
        type: int
        required: true
  service_registries:
    description:
      - The AWS Cloud Map services the service registers its tasks with.
      - An empty list removes them all; not compared when omitted.
    type: list
    elements: dict
    suboptions:
      registry_arn:
        description: The ARN of the Cloud Map service.
        type: str
        required: true
      container_name:
        description: The container whose address is registered, for SRV records.
        type: str
      container_port:
        description: The container's port that is registered, for SRV records.
        type: int
  health_check_grace_period_seconds:
    description:
      - How long the scheduler ignores failing load balancer health checks of a new task.
      - Not compared when omitted.
    type: int
  propagate_tags:
    description:
      - Whose tags the tasks get. Not compared when omitted; a new service then gets V(NONE).
    type: str
    choices: ['SERVICE', 'TASK_DEFINITION', 'NONE']
  enable_execute_command:
    description:
      - Whether ECS Exec is turned on for the tasks. Running tasks keep the setting they started with.
    type: bool
    default: false
  force_new_deployment:
    description:
      - Start a new deployment of an existing service even when nothing else changes, for example to
        pick up a new image pushed under the same tag. Reports a change on every run.
      - Ignored when the service is created.
    type: bool
    default: false
  wait:
    description:
      - With O(state=absent), wait until the service is C(INACTIVE) or gone.
      - Ignored with O(state=present); this module never waits for a deployment.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait with O(wait=true).
    type: int
    default: 600
notes:
  - Check mode predicts the result without writing; a predicted new service has no ARN yet.
  - Diff mode shows the service's configuration before and after.
  - A service that is being deleted (C(DRAINING)) cannot be created again until it is C(INACTIVE).
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
    description: Returns the service's configuration before and after the change (or the predicted change in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Ensure the site service runs revision 7 with two tasks
  quoin.fargate.ecs_service:
    cluster: prod
    name: prod-site
    task_definition: prod-site:7
    desired_count: 2
    network_configuration:
      subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
      security_groups: [sg-0123456789abcdef0]
    load_balancers:
      - target_group_arn: arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/prod-site/0123456789abcdef
        container_name: site
        container_port: 3000
    service_registries:
      - registry_arn: arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-0123456789abcdef
    health_check_grace_period_seconds: 60
    propagate_tags: SERVICE
    tags:
      quoin:environment: prod
  register: site_service

- name: Wait for the deployment only when one started
  community.aws.ecs_service_info:
    cluster: prod
    service: prod-site
    details: true
    events: false
  register: site_found
  until: >-
    site_found.services[0].deployments | length == 1
    and site_found.services[0].deployments[0].rolloutState == 'COMPLETED'
  retries: 60
  delay: 10
  when: site_service.deployment_started

- name: Roll the tasks over to a new image pushed under the same tag
  quoin.fargate.ecs_service:
    cluster: prod
    name: prod-site
    force_new_deployment: true

- name: Delete the service and wait until it is gone
  quoin.fargate.ecs_service:
    cluster: prod
    name: prod-site
    state: absent
    wait_timeout: 900
"""

RETURN = r"""
service:
  description:
    - The service after the change (predicted in check mode), snake_cased as DescribeServices returns it;
      empty with O(state=absent).
  returned: always
  type: dict
  contains:
    service_name:
      description: The name.
      type: str
      sample: prod-site
    service_arn:
      description: The ARN; absent for a service check mode predicts.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:service/prod/prod-site
    cluster_arn:
      description: The cluster's ARN; absent for a service check mode predicts, unless O(cluster) is an ARN.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:cluster/prod
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
    launch_type:
      description: The launch type.
      type: str
      sample: FARGATE
    platform_version:
      description: The Fargate platform version.
      type: str
      sample: LATEST
    network_configuration:
      description: The awsvpc network configuration.
      type: dict
      sample: {"awsvpc_configuration": {"subnets": ["subnet-0123456789abcdef0"], "security_groups": ["sg-0123456789abcdef0"],
               "assign_public_ip": "DISABLED"}}
    deployment_configuration:
      description: The deployment configuration.
      type: dict
      sample: {"maximum_percent": 200, "minimum_healthy_percent": 100, "deployment_circuit_breaker": {"enable": true, "rollback": true}}
    load_balancers:
      description: The target groups.
      type: list
      elements: dict
      sample: [{"target_group_arn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/prod-site/0123456789abcdef",
                "container_name": "site", "container_port": 3000}]
    service_registries:
      description: The Cloud Map services.
      type: list
      elements: dict
      sample: [{"registry_arn": "arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-0123456789abcdef"}]
    health_check_grace_period_seconds:
      description: The health check grace period; absent when AWS reports none.
      type: int
      sample: 60
    propagate_tags:
      description: Whose tags the tasks get.
      type: str
      sample: SERVICE
    enable_execute_command:
      description: Whether ECS Exec is on.
      type: bool
      sample: false
    deployments:
      description: The deployments, as DescribeServices reports them.
      type: list
      elements: dict
    tags:
      description: The tags, as a dict.
      type: dict
      sample: {"quoin:environment": "prod"}
deployment_started:
  description:
    - Whether this run started a deployment (or would, in check mode), for the caller to wait on.
    - True when it created the service, or changed its task definition, network configuration, platform
      version, load balancers or service registries (ECS deploys on each of these), or forced a new deployment.
  returned: always
  type: bool
  sample: true
changes:
  description: What differed and was changed (or would be, in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["task_definition from prod-site:6 to prod-site:7", "desired_count from 1 to 2"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import create_request
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import create_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import delete_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import describe_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import describe_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import diff_view
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import fixed_differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import normalize_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import predicted_new_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import predicted_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import service_differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import tag_differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import tag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import untag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import update_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import wait_for_service_gone


def describe(client, module):
    """The service in any status, or None; a missing cluster fails with state=present."""
    params = module.params
    cluster_found, service = describe_service(client, params["cluster"], params["name"])
    if not cluster_found and params["state"] == "present":
        module.fail_json(msg=f"cluster {params['cluster']} does not exist")
    return service


def resolve_task_definition(client, module):
    """The task definition's ARN (the latest ACTIVE revision for a family alone), or None when not given."""
    task_definition = module.params["task_definition"]
    if not task_definition or task_definition.startswith("arn:"):
        return task_definition
    return describe_task_definition(client, task_definition)["taskDefinitionArn"]


def read_back(client, module, fallback):
    """The service as AWS now reports it; `fallback` if it does not report it yet."""
    _found, service = describe_service(client, module.params["cluster"], module.params["name"])
    return service or fallback


def create(client, module, result):
    params = module.params
    if not params["task_definition"]:
        module.fail_json(msg=f"service {params['name']} does not exist in cluster {params['cluster']}: give task_definition to create it")
    request = create_request(params, resolve_task_definition(client, module))
    result.update(changed=True, deployment_started=True, changes=[f"create service {params['name']} in cluster {params['cluster']}"])
    if module.check_mode:
        return predicted_new_service(request)
    created = create_service(client, **request)
    return read_back(client, module, created)


def ensure_present(client, module, existing, result):
    params = module.params
    if existing is None or existing.get("status") == "INACTIVE":
        return create(client, module, result)
    if existing.get("status") == "DRAINING":
        module.fail_json(
            msg=f"service {params['name']} in cluster {params['cluster']} is being deleted (DRAINING); "
            "it can be created again once it is INACTIVE",
            service=normalize_service(existing),
        )
    fixed = fixed_differences(existing, params)
    if fixed:
        module.fail_json(
            msg=f"service {params['name']} in cluster {params['cluster']} cannot change " + "; ".join(fixed)
            + ": UpdateService cannot change the launch type. Delete the service (state=absent) and create it again.",
            service=normalize_service(existing),
        )
    request, changes, deployment_started = service_differences(existing, params, resolve_task_definition(client, module))
    to_set, to_unset, tag_changes = tag_differences(existing, params["tags"], params["purge_tags"])
    result["changes"] = changes + tag_changes
    if not result["changes"]:
        return existing
    result.update(changed=True, deployment_started=deployment_started)
    if module.check_mode:
        return predicted_service(existing, request, to_set, to_unset)
    updated = update_service(client, **request) if request else existing
    if to_unset:
        untag_resource(client, existing["serviceArn"], to_unset)
    if to_set:
        tag_resource(client, existing["serviceArn"], to_set)
    # UpdateService does not return the tags.
    return read_back(client, module, predicted_service(dict(updated, tags=existing.get("tags")), None, to_set, to_unset))


def ensure_absent(client, module, existing, result):
    params = module.params
    if existing is None or existing.get("status") == "INACTIVE":
        return {}
    result["changed"] = True
    if existing.get("status") == "DRAINING":
        result["changes"] = ["already being deleted (DRAINING)"]
    else:
        if existing.get("desiredCount"):
            result["changes"].append(f"desired_count from {existing['desiredCount']} to 0")
            if not module.check_mode:
                update_service(client, cluster=params["cluster"], service=params["name"], desiredCount=0)
        result["changes"].append(f"delete service {params['name']} from cluster {params['cluster']}")
        if not module.check_mode:
            delete_service(client, params["cluster"], params["name"])
    if params["wait"] and not module.check_mode:
        wait_for_service_gone(client, params["cluster"], params["name"], params["wait_timeout"])
    return {}


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        launch_type=dict(type="str", choices=["FARGATE", "EC2"], default="FARGATE"),
        platform_version=dict(type="str", default="LATEST"),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str"),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        deployment_configuration=dict(
            type="dict",
            apply_defaults=True,
            options=dict(
                minimum_healthy_percent=dict(type="int"),
                maximum_percent=dict(type="int"),
                circuit_breaker=dict(
                    type="dict",
                    apply_defaults=True,
                    options=dict(enable=dict(type="bool", default=True), rollback=dict(type="bool", default=True)),
                ),
            ),
        ),
        load_balancers=dict(
            type="list",
            elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        service_registries=dict(
            type="list",
            elements="dict",
            options=dict(
                registry_arn=dict(type="str", required=True),
                container_name=dict(type="str"),
                container_port=dict(type="int"),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        propagate_tags=dict(type="str", choices=["SERVICE", "TASK_DEFINITION", "NONE"]),
        enable_execute_command=dict(type="bool", default=False),
        force_new_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, deployment_started=False, changes=[])
    try:
        existing = describe(client, module)
        live = existing if existing and existing.get("status") != "INACTIVE" else None
        if module.params["state"] == "present":
            after = ensure_present(client, module, existing, result)
        else:
            after = ensure_absent(client, module, existing, result)
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)

    result["service"] = normalize_service(after)
    if module._diff:
        result["diff"] = dict(before=diff_view(normalize_service(live)), after=diff_view(result["service"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
