#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_service
version_added: 0.1.0
short_description: Manage AWS Cloud Map services in a DNS namespace
description:
  - Creates, updates and deletes AWS Cloud Map services. A service is a name in a namespace (C(site) in
    C(quoin-prod.internal) is C(site.quoin-prod.internal)); an ECS service that names it in its service
    registries registers each task's address under that name.
  - A service is identified by its name within the namespace (O(name) and O(namespace_id)).
  - Give O(namespace) instead of O(namespace_id) to ensure the private DNS namespace in the same task,
    before its services, as M(quoin.fargate.servicediscovery_namespace) does with O(state=present).
  - Give O(services) instead of O(name) to manage many services of one namespace in one task; the
    namespace is listed once, and only the services that differ are written.
  - Neither amazon.aws nor community.aws has a Cloud Map module; this one follows their conventions.
  - Cloud Map can change the TTLs of the DNS records and the description of an existing service. The
    record types, the routing policy and the custom health check are fixed when a service is created;
    asking for others fails with a message saying what differs. To change them, delete the service
    (after the ECS service that registers in it no longer does) and create it again.
  - A service that still has registered instances cannot be deleted; the module says which instances
    are left. ECS deregisters a task when it stops, so scale the ECS service to zero, delete it or drop
    its service registry first.
author:
  - Quoin (@quoininc)
options:
  state:
    description:
      - Whether the service should exist.
      - With O(name) only; each item of O(services) has its own.
    type: str
    choices: ['present', 'absent']
    default: present
  name:
    description:
      - The service's name, the first label of the DNS name its instances get, for example C(site).
      - Exactly one of O(name) and O(services) is required.
    type: str
  services:
    description:
      - The services to manage, each with the options that describe one service; O(namespace_id) (or
        O(namespace)), O(wait) and O(wait_timeout) apply to them all.
      - Exactly one of O(name) and O(services) is required. With O(services), the options that describe
        one service (O(state), O(dns_records), O(routing_policy), O(health_check_custom_config),
        O(description), O(tags), O(purge_tags)) are given in its items, not at the top level.
      - Every item is checked before the first call (a name given twice, invalid records) and every
        service compared before the first change (fields Cloud Map cannot change); then the items are
        applied in order.
    type: list
    elements: dict
    suboptions:
      name:
        description: The service's name, as O(name).
        type: str
        required: true
      state:
        description: Whether the service should exist, as O(state).
        type: str
        choices: ['present', 'absent']
        default: present
      dns_records:
        description: The DNS records, as O(dns_records).
        type: list
        elements: dict
        default: [{type: A, ttl: 10}]
        suboptions:
          type:
            description: The record type.
            type: str
            choices: ['A', 'AAAA', 'SRV']
            required: true
          ttl:
            description: How many seconds resolvers cache the record.
            type: int
            default: 10
      routing_policy:
        description: The routing policy, as O(routing_policy).
        type: str
        choices: ['MULTIVALUE', 'WEIGHTED']
        default: MULTIVALUE
      health_check_custom_config:
        description: The custom health check, as O(health_check_custom_config).
        type: dict
        suboptions:
          failure_threshold:
            description: Sent to Cloud Map when given, but not compared.
            type: int
      description:
        description: The description, as O(description). Not compared when omitted.
        type: str
      tags:
        description: The tags, as O(tags). Not managed when omitted.
        type: dict
        aliases: ['resource_tags']
      purge_tags:
        description: Remove the tags that O(services[].tags) does not list, as O(purge_tags).
        type: bool
        default: true
  namespace_id:
    description:
      - The ID of the namespace (C(ns-...)), for example the C(namespace.id) that
        M(quoin.fargate.servicediscovery_namespace) returns.
      - Exactly one of O(namespace_id) and O(namespace) is required.
    type: str
  namespace:
    description:
      - The private DNS namespace the services are in, created or updated (description, tags) before
        them, as M(quoin.fargate.servicediscovery_namespace) does with O(state=present) and O(wait=true).
        It is identified by its name and VPC.
      - Exactly one of O(namespace_id) and O(namespace) is required.
      - The services are checked against the namespace as it is before anything is written (fields
        Cloud Map cannot change are refused first); the namespace is written, then the services.
      - A namespace this task creates holds no services yet, so every service that should be present is
        created in it. In check mode a new namespace is predicted without an ID, and so are the services
        predicted in it (RV(service.namespace_id) is null).
      - The namespace is never deleted here, whatever O(state) says of the services; use
        M(quoin.fargate.servicediscovery_namespace) with O(state=absent) for that.
    type: dict
    suboptions:
      name:
        description: The namespace's name, which is also its DNS domain, for example C(quoin-prod.internal).
        type: str
        required: true
      vpc:
        description:
          - The ID of the VPC (C(vpc-...)) whose resources resolve the namespace's names; fixed when the
            namespace is created. A namespace of the same name in another VPC is another namespace.
        type: str
        required: true
      description:
        description: A description of the namespace. Not compared when omitted.
        type: str
      tags:
        description: The namespace's tags. Not managed when omitted.
        type: dict
        aliases: ['resource_tags']
      purge_tags:
        description: Remove the namespace's tags that O(namespace.tags) does not list.
        type: bool
        default: true
      wait_timeout:
        description: How many seconds to wait for Cloud Map to create or update the namespace.
        type: int
        default: 300
  dns_records:
    description:
      - The DNS records Cloud Map creates for each registered instance, one per type.
      - ECS tasks in awsvpc mode (Fargate) register C(A) records, and C(SRV) records when the ECS service
        registry names a container port.
      - The types are fixed at creation; the TTLs can be changed.
    type: list
    elements: dict
    default: [{type: A, ttl: 10}]
    suboptions:
      type:
        description: The record type.
        type: str
        choices: ['A', 'AAAA', 'SRV']
        required: true
      ttl:
        description: How many seconds resolvers cache the record.
        type: int
        default: 10
  routing_policy:
    description:
      - C(MULTIVALUE) answers with up to eight healthy instances, C(WEIGHTED) with one picked at random.
      - Fixed at creation.
    type: str
    choices: ['MULTIVALUE', 'WEIGHTED']
    default: MULTIVALUE
  health_check_custom_config:
    description:
      - Give the service a custom health check, so that ECS reports each task's health to Cloud Map and
        unhealthy tasks drop out of DNS answers. Without it, every registered task is answered.
      - Fixed at creation. Not compared when omitted.
    type: dict
    suboptions:
      failure_threshold:
        description:
          - Sent to Cloud Map when given, but not compared; AWS no longer supports it and reports 1.
        type: int
  description:
    description:
      - A description of the service. Not compared when omitted.
    type: str
  wait:
    description:
      - Wait until Cloud Map has applied an update (TTLs, description) before reading the service back.
      - Creating and deleting a service take effect at once.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 120
notes:
  - Check mode predicts the result without writing; a predicted new service has no ID or ARN yet.
  - Diff mode shows the service before and after; with O(services), C(before) and C(after) map each
    service's name to what it shows for one service. With O(namespace), C(before) and C(after) hold
    C(namespace) (the namespace) and C(service) or C(services) (what they hold without it).
  - With O(services), an AWS error part-way fails the task naming the item and what was done before it,
    and RV(services) lists the items done.
  - With O(namespace), a failure while creating or updating the namespace names what was written before
    it (a creation started may still complete) and says that no service was changed; a failure with the
    services after it says what was done to the namespace.
  - With O(namespace), creating the namespace needs the permissions that
    M(quoin.fargate.servicediscovery_namespace) lists, and finding it route53:GetHostedZone.
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
- name: Ensure the name site.quoin-prod.internal, healthy tasks only
  quoin.fargate.servicediscovery_service:
    name: site
    namespace_id: "{{ namespace.namespace.id }}"
    dns_records:
      - type: A
        ttl: 10
    health_check_custom_config: {}
    tags:
      quoin:environment: prod
  register: site_discovery

- name: Register the ECS service's tasks under that name
  community.aws.ecs_service:
    name: prod-site
    cluster: prod
    task_definition: prod-site
    desired_count: 2
    launch_type: FARGATE
    network_configuration:
      subnets: [subnet-0123456789abcdef0]
      security_groups: [sg-0123456789abcdef0]
    service_registries:
      - arn: "{{ site_discovery.service.arn }}"

- name: Ensure the names of every service in one task
  quoin.fargate.servicediscovery_service:
    namespace_id: "{{ namespace.namespace.id }}"
    services:
      - name: site
        health_check_custom_config: {}
        tags:
          quoin:service: site
      - name: cms
        dns_records:
          - type: A
          - type: SRV
            ttl: 30
      - name: legacy
        state: absent
  register: discovery

- name: The ARN of each, in the order given (none for a deleted one)
  ansible.builtin.debug:
    msg: "{{ discovery.services | map(attribute='arn', default=none) | list }}"

- name: Ensure the namespace and the names of every service in one task
  quoin.fargate.servicediscovery_service:
    namespace:
      name: quoin-prod.internal
      vpc: vpc-0123456789abcdef0
      description: Names of the quoin production services
      tags:
        quoin:environment: prod
    services:
      - name: site
        health_check_custom_config: {}
      - name: cms
  register: discovery

- name: The namespace's ID and the services' ARNs
  ansible.builtin.debug:
    msg: "{{ discovery.namespace.id }}: {{ discovery.services | map(attribute='arn', default=none) | list }}"

- name: Delete the CMS's name once no task is registered in it
  quoin.fargate.servicediscovery_service:
    name: cms
    namespace_id: ns-abcdefghijklmnop
    state: absent
"""

RETURN = r"""
service:
  description: The service after the change (predicted in check mode); empty once deleted.
  returned: with O(name)
  type: dict
  contains:
    id:
      description: The ID; absent for a service check mode predicts.
      type: str
      sample: srv-abcdefghijklmnop
    arn:
      description: The ARN, which an ECS service registry names; absent for a service check mode predicts.
      type: str
      sample: arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-abcdefghijklmnop
    name:
      description: The name.
      type: str
      sample: site
    namespace_id:
      description: The namespace; null for a service check mode predicts in a namespace it predicts.
      type: str
      sample: ns-abcdefghijklmnop
    description:
      description: The description, or null.
      type: str
      sample: The website
    dns_config:
      description: The records each instance gets and how they are answered.
      type: dict
      contains:
        routing_policy:
          description: C(MULTIVALUE) or C(WEIGHTED).
          type: str
          sample: MULTIVALUE
        dns_records:
          description: One record per type, with its TTL.
          type: list
          elements: dict
          sample: [{"type": "A", "ttl": 10}]
    health_check_custom_config:
      description: The custom health check, or null when the service has none.
      type: dict
      sample: {"failure_threshold": 1}
    health_check_config:
      description: The Route 53 health check of a service in a public namespace.
      returned: when the service has one
      type: dict
      sample: {"type": "HTTPS", "resource_path": "/health", "failure_threshold": 3}
    instance_count:
      description: How many instances are registered, when AWS reports it.
      type: int
      sample: 2
    tags:
      description: The tags, as a dict.
      type: dict
      sample: {"quoin:environment": "prod"}
operation_id:
  description: The Cloud Map update operation the module started and did not wait for.
  returned: with O(name), when O(wait=false) and the service was updated
  type: str
  sample: gv4g5meo7ndmeh4fqskygvk23d2fijwa-k9302yzd
namespace:
  description:
    - The namespace after the change (predicted in check mode), as RV(quoin.fargate.servicediscovery_namespace#module:namespace)
      holds it; a namespace check mode predicts has no ID, ARN or hosted zone yet.
    - On a failure, the namespace as the module last read or wrote it.
  returned: with O(namespace)
  type: dict
  sample:
    id: ns-abcdefghijklmnop
    arn: arn:aws:servicediscovery:eu-central-1:123456789012:namespace/ns-abcdefghijklmnop
    name: quoin-prod.internal
    type: DNS_PRIVATE
    description: Names of the quoin production services
    properties:
      hosted_zone_id: Z0123456789ABCDEFGHIJ
      dns_name: quoin-prod.internal
    service_count: 2
    tags:
      quoin:environment: prod
services:
  description:
    - One element per item of O(services), in their order; on a failure part-way, the items done before it.
    - Each is what RV(service) holds for that service (empty but for RV(services[].changed) once deleted),
      plus RV(services[].changed) and RV(services[].operation_id).
  returned: with O(services)
  type: list
  elements: dict
  contains:
    changed:
      description: Whether this service changed (would change, in check mode).
      type: bool
      sample: false
    operation_id:
      description: The Cloud Map update operation started and not waited for.
      returned: when O(wait=false) and the service was updated
      type: str
      sample: gv4g5meo7ndmeh4fqskygvk23d2fijwa-k9302yzd
    arn:
      description: The ARN, as in RV(service); absent for a deleted service or one check mode predicts.
      type: str
      sample: arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-abcdefghijklmnop
    name:
      description: The name; absent for a deleted service.
      type: str
      sample: site
    tags:
      description: The tags, as a dict; absent for a deleted service.
      type: dict
      sample: {"quoin:service": "site"}
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import AnsibleServiceDiscoveryError
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import create_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import current_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import delete_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import ensure_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import fixed_service_differences
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import get_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import get_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import list_instances
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import list_tags
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import normalize_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import service_request
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import service_update
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import services_by_name
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import services_in_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import tag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import untag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import update_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import validate_service_params
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import wait_for_operation

# How many instance IDs a refusal to delete names.
LISTED_INSTANCES = 10


def find_service(client, module):
    """The existing service the parameters identify (the API's shape), or None."""
    found = services_in_namespace(client, module.params["namespace_id"], name=module.params["name"])
    return found[0] if found else None


def read_service(client, service_id):
    service = get_service(client, service_id)
    if not service:
        return {}
    return normalize_service(service, list_tags(client, service["Arn"]))


def predicted_new(module):
    request = service_request(module.params, creator_request_id=None)
    request.pop("Tags", None)
    return normalize_service(request, module.params["tags"])


def create(client, module, result):
    result["changed"] = True
    if module.check_mode:
        return predicted_new(module)
    created = create_service(client, **service_request(module.params, str(uuid.uuid4())))
    return read_service(client, created["Id"]) or normalize_service(created, module.params["tags"])


def fixed_fields_message(current, differences):
    return (
        f"service {current['name']} ({current['id']}) cannot change "
        + "; ".join(differences)
        + ": Cloud Map fixes them when a service is created (only the TTLs and the description can change). "
        "Delete the service and create it again, after the ECS service registered in it has stopped using it."
    )


def update(client, module, current, result):
    params = module.params
    differences = fixed_service_differences(current, params)
    if differences:
        module.fail_json(msg=fixed_fields_message(current, differences), service=current)
    change, after = service_update(current, params)
    to_set, to_unset = {}, []
    if params["tags"] is not None:
        to_set, to_unset = compare_aws_tags(current["tags"], params["tags"], params["purge_tags"])
        after = dict(after, tags={k: v for k, v in dict(current["tags"], **to_set).items() if k not in to_unset})
    if change is None and not to_set and not to_unset:
        return current
    result["changed"] = True
    if module.check_mode:
        return after
    if to_unset:
        untag_resource(client, current["arn"], to_unset)
    if to_set:
        tag_resource(client, current["arn"], to_set)
    if change is not None:
        operation_id = update_service(client, current["id"], change)
        if not params["wait"]:
            result["operation_id"] = operation_id
            return after
        wait_for_operation(client, operation_id, params["wait_timeout"])
    return read_service(client, current["id"])


def ensure_present(client, module, current, result, namespace_checked=False):
    """The service after making it match the parameters. namespace_checked: the caller has made sure
    that the namespace exists."""
    if not namespace_checked and get_namespace(client, module.params["namespace_id"]) is None:
        module.fail_json(msg=f"namespace {module.params['namespace_id']} does not exist")
    if not current:
        return create(client, module, result)
    return update(client, module, current, result)


def instances_message(current, instances):
    ids = sorted(instance["Id"] for instance in instances)
    listed = ", ".join(ids[:LISTED_INSTANCES]) + (", ..." if len(ids) > LISTED_INSTANCES else "")
    held = f"{len(ids)} registered instance(s): {listed}" if ids else "registered instances"
    return (
        f"service {current['name']} ({current['id']}) still has {held}. "
        "Cloud Map deletes only services without instances; ECS deregisters its tasks when they stop: "
        "scale the ECS service to zero, delete it or remove its service registry first."
    )


def ensure_absent(client, module, current, result):
    if not current:
        return {}
    instances = list_instances(client, current["id"])
    if instances:
        module.fail_json(msg=instances_message(current, instances), service=current)
    result["changed"] = True
    if module.check_mode:
        return {}
    try:
        delete_service(client, current["id"])
    except is_ansible_aws_error_code("ResourceInUse") as e:
        # An instance registered between the check and the deletion.
        module.fail_json_aws(
            e.exception,
            msg=instances_message(current, list_instances(client, current["id"])),
            service=current,
        )
    return {}


def ensure_one(client, module, current, result, namespace_checked=False):
    """The service after applying the parameters' state to it."""
    if module.params["state"] == "present":
        return ensure_present(client, module, current, result, namespace_checked)
    return ensure_absent(client, module, current, result)


def ensure_service(client, module, route53=None):
    """The singular mode (the option name)."""
    params = module.params
    if params["state"] == "present":
        problems = validate_service_params(params)
        if problems:
            module.fail_json(msg="; ".join(problems))
    result = dict(changed=False)
    namespace = NamespaceStep(module, route53) if params["namespace"] else None
    try:
        # A namespace that does not exist yet holds no service.
        existing = find_service(client, module) if namespace is None or namespace.read(client) else None
        before = normalize_service(existing, list_tags(client, existing["Arn"])) if existing else {}
        if namespace is None:
            after = ensure_one(client, module, before, result)
        else:
            # What Cloud Map cannot change is refused before the namespace is written.
            differences = fixed_service_differences(before, params) if before and params["state"] == "present" else []
            if differences:
                module.fail_json(msg=fixed_fields_message(before, differences), service=before)
            namespace.apply(client, result)
            try:
                after = ensure_one(client, ItemModule(module, {}), before, result, namespace_checked=True)
            except (ItemFailed, AnsibleServiceDiscoveryError) as e:
                details, msg, exception = failure_parts(e)
                details.update(changed=result["changed"], namespace=result["namespace"])
                fail(module, f"{msg} (before it: {namespace.done() or 'namespace unchanged'})", exception, details)
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)

    result["service"] = after
    if module._diff:
        result["diff"] = dict(before=before, after=after) if namespace is None else namespace.diff(service=(before, after))
    module.exit_json(**result)


# The option namespace: the namespace read before anything is written, ensured before the services.


class NamespaceStep:
    """The namespace the option namespace describes, for either mode."""

    def __init__(self, module, route53):
        self.module = module
        self.route53 = route53
        self.params = dict(module.params["namespace"], wait=True)  # the services need its ID
        self.before = {}
        self.outcome = None

    def read(self, client):
        """The namespace as it is ({} when it does not exist yet); its ID becomes the module's namespace_id."""
        self.before = current_namespace(client, self.route53, self.params["name"], self.params["vpc"])
        self.module.params["namespace_id"] = self.before.get("id")
        return self.before

    def apply(self, client, result):
        """Create or update the namespace; in check mode a new one has no ID, nor have the services predicted in it."""
        try:
            self.outcome = ensure_namespace(client, self.params, self.before, self.module.check_mode)
        except AnsibleServiceDiscoveryError as e:
            msg = f"namespace {self.params['name']}: {e.message} (done: {'; '.join(e.done) or 'nothing'}; no service was changed)"
            fail(self.module, msg, e.exception, dict(changed=bool(e.done), namespace=self.before))
        self.module.params["namespace_id"] = self.outcome.namespace.get("id")
        result["changed"] = result["changed"] or self.outcome.changed
        result["namespace"] = self.outcome.namespace

    def done(self):
        """What the namespace step did, for a failure after it, or None."""
        if not self.outcome or not self.outcome.changed:
            return None
        return f"namespace {self.params['name']} {'updated' if self.before else 'created'}"

    def diff(self, **parts):
        """The diff with the namespace: parts maps a key (service, services) to its (before, after)."""
        before = dict(namespace=self.before, **{key: value[0] for key, value in parts.items()})
        after = dict(namespace=self.outcome.namespace, **{key: value[1] for key, value in parts.items()})
        return dict(before=before, after=after)


class ItemFailed(Exception):
    """One item of services failed: what the singular mode would have passed to fail_json."""

    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class ItemModule:
    """The module as the functions above see it for one item of services: the item's options over the
    shared ones; a failure raises ItemFailed, for the list to report with what was done before it."""

    def __init__(self, module, item):
        self.params = dict(module.params, **item)
        self.check_mode = module.check_mode

    def fail_json(self, **kwargs):
        raise ItemFailed(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise ItemFailed(dict(kwargs, msg=msg, exception=exception))


def failure_parts(error):
    """(details, msg, exception) of an ItemFailed or an AnsibleServiceDiscoveryError."""
    if isinstance(error, ItemFailed):
        details = dict(error.kwargs)
        return details, details.pop("msg"), details.pop("exception", None)
    return {}, error.message, error.exception


def fail(module, msg, exception, details):
    if exception is not None:
        module.fail_json_aws(exception, msg=msg, **details)
    module.fail_json(msg=msg, **details)


def item_label(index, item):
    return f"services[{index}] ({item['name']})"


def validate_items(items):
    """Problems with the items that the argument spec cannot express, one line each."""
    problems = []
    first = {}
    for index, item in enumerate(items):
        if item["name"] in first:
            problems.append(f"{item_label(index, item)}: the name is given already at services[{first[item['name']]}]")
        first.setdefault(item["name"], index)
        if item["state"] == "present":
            problems += [f"{item_label(index, item)}: {problem}" for problem in validate_service_params(item)]
    return problems


def read_items(client, module, items):
    """Each item's service as it is (normalized; {} when there is none): the namespace read once and
    listed once, the tags of each service the items name. Fails when the namespace does not exist and
    an item should be present."""
    if not items:
        return []
    namespace_id = module.params["namespace_id"]
    namespace = get_namespace(client, namespace_id)
    if namespace is None:
        wanted = [item_label(index, item) for index, item in enumerate(items) if item["state"] == "present"]
        if wanted:
            module.fail_json(msg=f"namespace {namespace_id} does not exist (wanted by {', '.join(wanted)})", services=[])
        return [{} for item in items]
    found = services_by_name(client, namespace, {item["name"] for item in items})
    return [
        normalize_service(found[item["name"]], list_tags(client, found[item["name"]]["Arn"])) if item["name"] in found else {}
        for item in items
    ]


def refusals(items, befores):
    """What the items ask of the fields Cloud Map fixes at creation, one line per item refused."""
    refused = []
    for index, (item, before) in enumerate(zip(items, befores)):
        differences = fixed_service_differences(before, item) if before and item["state"] == "present" else []
        if differences:
            refused.append(f"{item_label(index, item)}: {fixed_fields_message(before, differences)}")
    return refused


def done_before(items, befores, done, namespace=None):
    """What the items applied before a failure did (and the namespace step, when there was one), in a sentence."""
    changes, unchanged = [namespace.done()] if namespace and namespace.done() else [], 0
    for item, before, element in zip(items, befores, done):
        if not element["changed"]:
            unchanged += 1
        elif not before:
            changes.append(f"{item['name']} created")
        elif item["state"] == "absent":
            changes.append(f"{item['name']} deleted")
        else:
            changes.append(f"{item['name']} updated")
    return f"before it: {', '.join(changes) or 'no change'}; {unchanged} unchanged"


def fail_part_way(module, index, items, befores, done, error, namespace=None):
    details, msg, exception = failure_parts(error)
    details.update(changed=any(element["changed"] for element in done), services=done)
    if namespace:
        details.update(changed=details["changed"] or namespace.outcome.changed, namespace=namespace.outcome.namespace)
    msg = f"{item_label(index, items[index])}: {msg} ({done_before(items, befores, done, namespace)})"
    fail(module, msg, exception, details)


def ensure_services(client, module, route53=None):
    """List mode: every item checked, then every service read, then the namespace ensured (with the
    option namespace), then each item applied in order."""
    items = module.params["services"]
    problems = validate_items(items)
    if problems:
        module.fail_json(msg="; ".join(problems))
    namespace = NamespaceStep(module, route53) if module.params["namespace"] else None
    try:
        # A namespace that does not exist yet holds no services.
        befores = read_items(client, module, items) if namespace is None or namespace.read(client) else [{} for item in items]
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)
    refused = refusals(items, befores)
    if refused:
        module.fail_json(msg=" ".join(refused), services=[])

    result = dict(changed=False)
    if namespace:
        namespace.apply(client, result)
    done, afters = [], []
    for index, (item, before) in enumerate(zip(items, befores)):
        item_module, item_result = ItemModule(module, item), {"changed": False}
        try:
            after = ensure_one(client, item_module, before, item_result, namespace_checked=True)
        except (ItemFailed, AnsibleServiceDiscoveryError) as e:
            fail_part_way(module, index, items, befores, done, e, namespace)
        afters.append(after)
        done.append(dict(after, **item_result))

    result.update(changed=result["changed"] or any(element["changed"] for element in done), services=done)
    if module._diff:
        services_diff = (
            {item["name"]: before for item, before in zip(items, befores)},
            {item["name"]: after for item, after in zip(items, afters)},
        )
        result["diff"] = dict(before=services_diff[0], after=services_diff[1]) if namespace is None else namespace.diff(services=services_diff)
    module.exit_json(**result)


def service_options():
    """The options that describe one service: at the top level with name, in each item of services."""
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        dns_records=dict(
            type="list",
            elements="dict",
            default=[{"type": "A", "ttl": 10}],
            options=dict(
                type=dict(type="str", choices=["A", "AAAA", "SRV"], required=True),
                ttl=dict(type="int", default=10),
            ),
        ),
        routing_policy=dict(type="str", choices=["MULTIVALUE", "WEIGHTED"], default="MULTIVALUE"),
        health_check_custom_config=dict(type="dict", options=dict(failure_threshold=dict(type="int"))),
        description=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def main():
    per_service = service_options()
    argument_spec = dict(
        name=dict(type="str"),
        services=dict(type="list", elements="dict", options=dict(name=dict(type="str", required=True), **service_options())),
        namespace_id=dict(type="str"),
        namespace=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                vpc=dict(type="str", required=True),
                description=dict(type="str"),
                tags=dict(type="dict", aliases=["resource_tags"]),
                purge_tags=dict(type="bool", default=True),
                wait_timeout=dict(type="int", default=300),
            ),
        ),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        **per_service,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["name", "services"], ["namespace_id", "namespace"]] + [["services", option] for option in per_service],
        required_one_of=[["name", "services"], ["namespace_id", "namespace"]],
    )
    client = module.client("servicediscovery", retry_decorator=AWSRetry.jittered_backoff())
    # Route 53 tells which VPC a namespace of the option namespace is in.
    route53 = module.client("route53", retry_decorator=AWSRetry.jittered_backoff()) if module.params["namespace"] else None
    if module.params["services"] is not None:
        ensure_services(client, module, route53)
    else:
        ensure_service(client, module, route53)


if __name__ == "__main__":
    main()
