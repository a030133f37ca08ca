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
  state: &state
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
      - Exactly one of O(name) and O(services) is required.
    type: str
  task_definition: &task_definition
    description:
      - The task definition to run, as C(family:revision), an ARN, or a C(family) alone for its latest
        ACTIVE revision.
      - Required to create a service. Not compared when omitted.
    type: str
  desired_count: &desired_count
    description:
      - How many tasks the service keeps running.
      - Not compared when omitted, so that an autoscaling policy can own it; a service created without
        it gets AWS's default.
    type: int
  launch_type: &launch_type
    description:
      - The launch type. It cannot change on an existing service; asking for another one fails.
    type: str
    choices: ['FARGATE', 'EC2']
    default: FARGATE
  platform_version: &platform_version
    description:
      - The Fargate platform version. Ignored with O(launch_type=EC2).
    type: str
    default: LATEST
  network_configuration: &network_configuration
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
  deployment_configuration: &deployment_configuration
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
  load_balancers: &load_balancers
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
  service_registries: &service_registries
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
  health_check_grace_period_seconds: &health_check_grace_period_seconds
    description:
      - How long the scheduler ignores failing load balancer health checks of a new task.
      - Not compared when omitted.
    type: int
  propagate_tags: &propagate_tags
    description:
      - Whose tags the tasks get. Not compared when omitted; a new service then gets V(NONE).
    type: str
    choices: ['SERVICE', 'TASK_DEFINITION', 'NONE']
  enable_execute_command: &enable_execute_command
    description:
      - Whether ECS Exec is turned on for the tasks. Running tasks keep the setting they started with.
    type: bool
    default: false
  force_new_deployment: &force_new_deployment
    description:
      - Start a new deployment of an existing service even when nothing else changes, for example to
        pick up a new image pushed under the same tag. Reports a change on every run.
      - Ignored when the service is created.
    type: bool
    default: false
  services:
    description:
      - Many services of O(cluster) in one run, each with the options of one service; O(cluster), O(wait)
        and O(wait_timeout) apply to all of them.
      - Every service is described first (C(DescribeServices), 10 services a call) and checked before the
        first write; a service that cannot be done (a repeated name, a service being deleted, a launch
        type change, a new service without a task definition) fails the run with nothing changed.
      - Then every difference is applied, service after service. An AWS error part-way fails the run,
        naming the service that failed and the services already changed; RV(services) then holds the
        services done so far.
      - Services deleted with O(wait=true) are waited for after every service has been handled.
      - Mutually exclusive with O(name) and every other option of one service.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The name of the service.
        type: str
        required: true
      state: *state
      task_definition: *task_definition
      desired_count: *desired_count
      launch_type: *launch_type
      platform_version: *platform_version
      network_configuration: *network_configuration
      deployment_configuration: *deployment_configuration
      load_balancers: *load_balancers
      service_registries: *service_registries
      health_check_grace_period_seconds: *health_check_grace_period_seconds
      propagate_tags: *propagate_tags
      enable_execute_command: *enable_execute_command
      force_new_deployment: *force_new_deployment
      tags:
        description:
          - A dictionary of tags to apply to the service.
          - If the O(services[].tags) parameter is not set then tags will not be modified.
        type: dict
        aliases: ['resource_tags']
      purge_tags:
        description:
          - If O(services[].purge_tags=true) and O(services[].tags) is set, existing tags will be purged
            from the service to match exactly what is defined by O(services[].tags) parameter.
          - Tag keys beginning with C(aws:) are reserved by Amazon and cannot be modified.
        type: bool
        default: true
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

- name: Bring every service of the site to its settings in one task
  quoin.fargate.ecs_service:
    cluster: prod
    services:
      - name: prod-site
        task_definition: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:7
        desired_count: 2
        network_configuration:
          subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
          security_groups: [sg-0123456789abcdef0]
        tags:
          quoin:environment: prod
        purge_tags: false
      - name: prod-cms
        task_definition: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-cms:3
        desired_count: 1
        network_configuration:
          subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
          security_groups: [sg-0123456789abcdef0]
      - name: prod-old-worker
        state: absent
  register: site_services

- name: Name the services that started a deployment, with the task definition each was asked to run
  ansible.builtin.debug:
    msg: "{{ site_services.services | selectattr('deployment_started') | items2dict(key_name='service_name', value_name='requested_task_definition') }}"

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
  returned: when O(name) is given
  type: dict
  contains: &service_contains
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
  returned: when O(name) is given
  type: bool
  sample: true
changes:
  description: What differed and was changed (or would be, in check mode), one line each.
  returned: when O(name) is given
  type: list
  elements: str
  sample: ["task_definition from prod-site:6 to prod-site:7", "desired_count from 1 to 2"]
services:
  description:
    - With O(services), each service in the order given, after the change (predicted in check mode), as
      RV(service) holds one service (empty for a deleted one), with its own RV(services[].changed),
      RV(services[].deployment_started), RV(services[].changes) and RV(services[].requested_task_definition).
    - When the run fails part-way, the services done before the one that failed.
  returned: when O(services) is given
  type: list
  elements: dict
  contains:
    <<: *service_contains
    changed:
      description: Whether this service changed (or would, in check mode).
      type: bool
      sample: true
    deployment_started:
      description: Whether this run started a deployment of this service (or would, in check mode); see RV(deployment_started).
      type: bool
      sample: true
    changes:
      description: What differed in this service and was changed (or would be, in check mode), one line each.
      type: list
      elements: str
      sample: ["task_definition from prod-site:6 to prod-site:7"]
    requested_task_definition:
      description:
        - The task definition asked for, as given in O(services[].task_definition); null when not given.
        - A deployment to wait on is one of this task definition, not of the one the service reports, which
          may already be a rolled back one.
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:7
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import create_request
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import create_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import delete_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import describe_named_services
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

# The options every service of `services` shares; all the others are per service.
SHARED_OPTIONS = ("cluster", "wait", "wait_timeout")


def describe(client, module):
    """The service in any status, or None; a missing cluster fails with state=present."""
    params = module.params
    cluster_found, service = describe_service(client, params["cluster"], params["name"])
    if not cluster_found and params["state"] == "present":
        module.fail_json(msg=f"cluster {params['cluster']} does not exist")
    return service


def resolve_task_definition(client, module, resolved=None):
    """The task definition's ARN (the latest ACTIVE revision for a family alone), or None when not given.
    `resolved` (a dict) keeps each lookup, for the other services of a list that name the same one."""
    task_definition = module.params["task_definition"]
    if not task_definition or task_definition.startswith("arn:"):
        return task_definition
    if resolved is None:
        return describe_task_definition(client, task_definition)["taskDefinitionArn"]
    if task_definition not in resolved:
        resolved[task_definition] = describe_task_definition(client, task_definition)["taskDefinitionArn"]
    return resolved[task_definition]


def read_back(client, module, fallback):
    """The service as AWS now reports it; `fallback` if it does not report it yet."""
    _found, service = describe_service(client, module.params["cluster"], module.params["name"])
    return service or fallback


def present_plan(module, existing, result, resolve):
    """What brings one service, as described (`existing`), to its parameters, decided without writing:
    (writes, predicted), where writes is None when nothing differs, else {"create": request} or
    {"update": request or None, "arn", "to_set", "to_unset"}, and predicted is the service they lead
    to. Fills in result's changed, deployment_started and changes; fails (module.fail_json) on what
    cannot be done. `resolve()` gives the task definition's ARN, and is called only when needed."""
    params = module.params
    if existing is None or existing.get("status") == "INACTIVE":
        if not params["task_definition"]:
            module.fail_json(msg=f"service {params['name']} does not exist in cluster {params['cluster']}: give task_definition to create it")
        request = create_request(params, resolve())
        result.update(changed=True, deployment_started=True, changes=[f"create service {params['name']} in cluster {params['cluster']}"])
        return {"create": request}, predicted_new_service(request)
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
    request, changes, deployment_started = service_differences(existing, params, resolve())
    to_set, to_unset, tag_changes = tag_differences(existing, params["tags"], params["purge_tags"])
    result["changes"] = changes + tag_changes
    if not result["changes"]:
        return None, existing
    result.update(changed=True, deployment_started=deployment_started)
    writes = {"update": request, "arn": existing["serviceArn"], "to_set": to_set, "to_unset": to_unset}
    return writes, predicted_service(existing, request, to_set, to_unset)


def apply_present(client, writes, existing):
    """Make the writes of present_plan; the service as far as their answers tell (until it is read back)."""
    if "create" in writes:
        return create_service(client, **writes["create"])
    updated = update_service(client, **writes["update"]) if writes["update"] else existing
    if writes["to_unset"]:
        untag_resource(client, writes["arn"], writes["to_unset"])
    if writes["to_set"]:
        tag_resource(client, writes["arn"], writes["to_set"])
    # UpdateService does not return the tags.
    return predicted_service(dict(updated, tags=existing.get("tags")), None, writes["to_set"], writes["to_unset"])


def ensure_present(client, module, existing, result):
    writes, predicted = present_plan(module, existing, result, lambda: resolve_task_definition(client, module))
    if writes is None or module.check_mode:
        return predicted
    return read_back(client, module, apply_present(client, writes, existing))


def absent_plan(module, existing, result):
    """The writes that delete one service, as described (`existing`), decided without writing: None
    when there is nothing to delete, else a list of "scale_in" and "delete" (empty for a service
    already DRAINING). Fills in result's changed and changes."""
    params = module.params
    if existing is None or existing.get("status") == "INACTIVE":
        return None
    result["changed"] = True
    if existing.get("status") == "DRAINING":
        result["changes"] = ["already being deleted (DRAINING)"]
        return []
    writes = []
    if existing.get("desiredCount"):
        result["changes"].append(f"desired_count from {existing['desiredCount']} to 0")
        writes.append("scale_in")
    result["changes"].append(f"delete service {params['name']} from cluster {params['cluster']}")
    writes.append("delete")
    return writes


def apply_absent(client, module, writes):
    params = module.params
    for write in writes:
        if write == "scale_in":
            update_service(client, cluster=params["cluster"], service=params["name"], desiredCount=0)
        else:
            delete_service(client, params["cluster"], params["name"])


def ensure_absent(client, module, existing, result):
    writes = absent_plan(module, existing, result)
    if writes is None or module.check_mode:
        return {}
    apply_absent(client, module, writes)
    if module.params["wait"]:
        wait_for_service_gone(client, module.params["cluster"], module.params["name"], module.params["wait_timeout"])
    return {}


# The list mode: one run for many services of one cluster.


class ItemFailed(Exception):
    """A service of the list cannot be done; raised where the singular mode fails."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


class ServiceItem:
    """One entry of `services` as the per-service functions see a module: its options with the shared
    ones, the run's check mode, and a failure that is raised instead of ending the run."""

    def __init__(self, module, index, options):
        self.params = dict(options, **{key: module.params[key] for key in SHARED_OPTIONS})
        self.check_mode = module.check_mode
        self.label = f"services[{index}] ({options['name']})"

    def fail_json(self, msg, **kwargs):
        raise ItemFailed(msg)


class ServicePlan:
    """What the run does for one service: what was described, the writes decided, the result so far."""

    def __init__(self, item, existing):
        self.item = item
        self.existing = existing
        self.live = existing if existing and existing.get("status") != "INACTIVE" else None
        self.result = dict(changed=False, deployment_started=False, changes=[])
        self.writes = None
        self.after = {}

    @property
    def name(self):
        return self.item.params["name"]

    def returned(self):
        """The element of the returned `services`: the singular's service, its flags, and the task definition asked for."""
        return dict(normalize_service(self.after), **self.result, requested_task_definition=self.item.params["task_definition"])


def _duplicates(names):
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def _done_summary(plans):
    changed = [f"{plan.item.label}: {', '.join(plan.result['changes'])}" for plan in plans if plan.result["changed"]]
    return "; ".join(changed) or "nothing"


def plan_services(client, module, items):
    """Describe every service (DescribeServices, 10 a call) and decide what each one needs, before any
    write; fails naming every service that cannot be done."""
    cluster = module.params["cluster"]
    try:
        cluster_found, described = describe_named_services(client, cluster, [item.params["name"] for item in items])
    except AnsibleECSError as e:
        fail_part_way(client, module, e, [])
    if not cluster_found and any(item.params["state"] == "present" for item in items):
        module.fail_json(msg=f"cluster {cluster} does not exist", changed=False, services=[])
    resolved = {}
    plans, refused = [], []
    for item in items:
        plan = ServicePlan(item, described.get(item.params["name"]))
        try:
            if item.params["state"] == "present":
                plan.writes, plan.after = present_plan(
                    item, plan.existing, plan.result, lambda item=item: resolve_task_definition(client, item, resolved)
                )
            else:
                plan.writes = absent_plan(item, plan.existing, plan.result)
        except ItemFailed as e:
            refused.append(f"{item.label}: {e.msg}")
        except AnsibleECSError as e:
            fail_part_way(client, module, e, [], item)
        plans.append(plan)
    if refused:
        module.fail_json(msg="nothing was changed: " + "; ".join(refused), changed=False, services=[])
    return plans


def read_back_services(client, module, plans):
    """The services that were created or updated, as AWS now reports them (10 a DescribeServices call);
    a service it does not report yet keeps what the writes answered."""
    written = [plan for plan in plans if plan.writes is not None and plan.item.params["state"] == "present"]
    if not written:
        return
    _found, described = describe_named_services(client, module.params["cluster"], [plan.name for plan in written])
    for plan in written:
        plan.after = described.get(plan.name) or plan.after


def fail_part_way(client, module, error, done, item=None):
    """Fail on an AWS error (of `item`), naming the service and what the run already did; `services`
    holds the services done so far, read back (or as the writes answered, when that fails too)."""
    try:
        read_back_services(client, module, done)
    except AnsibleECSError:
        pass
    msg = f"{item.label + ': ' if item else ''}{error.message} (already done: {_done_summary(done)})"
    extra = dict(changed=any(plan.result["changed"] for plan in done), services=[plan.returned() for plan in done])
    if error.exception:
        module.fail_json_aws(error.exception, msg=msg, **extra)
    module.fail_json(msg=msg, **extra)


def ensure_services(client, module):
    """The list mode: every service described and decided first, then the writes, then the waits for
    the deleted ones, then one read back of the written ones."""
    items = [ServiceItem(module, index, options) for index, options in enumerate(module.params["services"])]
    repeated = _duplicates(item.params["name"] for item in items)
    if repeated:
        module.fail_json(msg="services names a service more than once: " + ", ".join(repeated), changed=False, services=[])
    plans = plan_services(client, module, items)
    if not module.check_mode:
        done = []
        for plan in plans:
            try:
                if plan.writes is not None and plan.item.params["state"] == "present":
                    plan.after = apply_present(client, plan.writes, plan.existing)
                elif plan.writes:
                    apply_absent(client, plan.item, plan.writes)
            except AnsibleECSError as e:
                fail_part_way(client, module, e, done, plan.item)
            done.append(plan)
        if module.params["wait"]:
            for plan in plans:
                if plan.writes is not None and plan.item.params["state"] == "absent":
                    try:
                        wait_for_service_gone(client, module.params["cluster"], plan.name, module.params["wait_timeout"])
                    except AnsibleECSError as e:
                        fail_part_way(client, module, e, done, plan.item)
        try:
            read_back_services(client, module, plans)
        except AnsibleECSError as e:
            fail_part_way(client, module, e, plans)
    result = dict(changed=any(plan.result["changed"] for plan in plans), services=[plan.returned() for plan in plans])
    if module._diff:
        result["diff"] = dict(
            before={plan.name: diff_view(normalize_service(plan.live)) for plan in plans},
            after={plan.name: diff_view(normalize_service(plan.after)) for plan in plans},
        )
    return result


def service_options():
    """The options of one service: the module's own in the singular mode, each entry's in `services`."""
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
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
    )


def main():
    item_options = service_options()
    item_options["name"] = dict(item_options["name"], required=True)
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        services=dict(type="list", elements="dict", options=item_options),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        **service_options(),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["name", "services"]],
        # With services, each service's options go in its entry.
        mutually_exclusive=[["services", option] for option in service_options()],
    )

    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["services"] is not None:
        module.exit_json(**ensure_services(client, module))

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
