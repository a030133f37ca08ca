#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_taskdefinition
version_added: 0.1.0
short_description: Register and deregister Amazon ECS task definitions, with exact change detection
description:
  - Registers a new revision of an ECS task definition family exactly when the desired definition
    differs from the family's latest C(ACTIVE) revision, and deregisters revisions.
  - Replaces community.aws.ecs_taskdefinition, whose change detection misses changes and reports
    false ones. It takes lists of the same length as equal, so a changed environment value, secret or
    mount point keeps the old revision; it re-registers a definition with a C(healthCheck) that leaves
    out AWS's defaults on every run; it never compares the task's cpu, memory, execution role or
    runtime platform; it has no C(ephemeralStorage) and no tags.
  - The definition is given in the API's own shape (O(task_definition)), and both it and the
    registered revision are brought to one canonical form before they are compared. Only the members
    of the C(RegisterTaskDefinition) request count. The values AWS fills in when they are omitted do
    not count as differences (a container's C(essential=true) and C(cpu=0), a port mapping's
    C(protocol=tcp) and, in C(awsvpc) or C(host) network mode, a host port equal to the container
    port, the C(healthCheck) C(interval=30), C(timeout=5), C(retries=3) and C(startPeriod=0), an EFS
    C(rootDirectory) of C(/), C(transitEncryption) and C(iam) C(DISABLED), network mode C(bridge),
    booleans that are false, empty lists and dicts). Numbers and strings are compared in the types of
    the API's model (task C(cpu) V(256) and V("256") are equal, and so are V("1 vCPU") and V("1024"),
    V("2 GB") and V("2048")). Lists that ECS does not keep in order are compared in any order
    (environment, secrets, ulimits, mount points, volumes, port mappings, requiresCompatibilities, ...),
    and lists of named items item by item (containers by name, variables and secrets by name, ...).
  - When only the tags differ, the latest revision is tagged; no new revision is registered.
  - With O(pin_ecr_images=true), ECR images given by tag are pinned to the digest the tag names now, so
    a new push under the same tag is a changed definition.
author:
  - Quoin (@quoininc)
options:
  family:
    description:
      - The task definition family. Only the revisions of exactly this family are looked at, not those
        of other families whose names start with it.
      - Exactly one of O(family) and O(task_definitions) is required.
    type: str
  state: &state
    description:
      - V(present) registers a new revision when the latest C(ACTIVE) one differs from O(task_definition).
      - V(absent) deregisters the C(ACTIVE) revisions of the family, or only O(revision).
    type: str
    choices: ['present', 'absent']
    default: present
  task_definition: &task_definition
    description:
      - The C(RegisterTaskDefinition) request without C(family) and C(tags), in the API's camelCase
        shape, for example C(containerDefinitions), C(cpu), C(memory), C(networkMode),
        C(requiresCompatibilities), C(executionRoleArn), C(taskRoleArn), C(volumes),
        C(runtimePlatform), C(ephemeralStorage).
      - Members the API does not know (a typo, a snake_cased name) fail the task before anything is
        sent, and so do values of the wrong type. Numbers written as strings and strings written as
        numbers are converted to the types of the API's model (C(hostPort="80") becomes V(80), a log
        option V(true) becomes V("true")).
      - Required with O(state=present).
    type: dict
  revision: &revision
    description:
      - With O(state=absent), deregister only this revision of the family. Without it, every C(ACTIVE)
        revision is deregistered.
    type: int
  task_definitions:
    description:
      - Many families in one run, each with the options of one family.
      - Every entry is checked before any call (a repeated family, O(task_definitions[].revision) with
        O(task_definitions[].state=present), a definition the API would refuse), and every family is read
        before the first write; then each family is registered, tagged or deregistered as it needs, in
        the order given. An AWS error part-way fails the run, naming the family that failed and the
        families already changed; RV(task_definitions) then holds the families done so far.
      - Mutually exclusive with O(family) and every other option of one family.
    type: list
    elements: dict
    suboptions:
      family:
        description:
          - The task definition family. Only the revisions of exactly this family are looked at.
        type: str
        required: true
      state: *state
      task_definition: *task_definition
      revision: *revision
      tags:
        description:
          - A dictionary of tags to apply to the family's latest revision (see O(tags)).
          - If the O(task_definitions[].tags) parameter is not set then tags will not be modified.
        type: dict
        aliases: ['resource_tags']
      purge_tags:
        description:
          - If O(task_definitions[].purge_tags=true) and O(task_definitions[].tags) is set, existing tags
            will be purged to match exactly what is defined by O(task_definitions[].tags) parameter.
          - Tag keys beginning with C(aws:) are reserved by Amazon and cannot be modified.
        type: bool
        default: true
  pin_ecr_images:
    description:
      - Pin every container image in an Amazon ECR registry,
        C(<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>]) (no tag meaning C(latest)), to the
        digest its tag names now, as C(<registry>/<repository>@sha256:...), and keep the reference as given
        in the container's C(quoin.image) docker label (ECS takes a tag or a digest, not both; the label
        tells operators which tag a revision came from).
      - The definition is compared with the latest revision with the pinned image and label, so a new push
        under the same tag registers a new revision and an unchanged tag does not. Check mode and diff
        show the pinned image.
      - One C(DescribeImages) per registry, region and repository, for all the families of the task
        together, with an ECR client in the image's region; this needs C(ecr:DescribeImages) on those
        repositories.
      - A repository or tag that does not exist fails the task before any task definition is read or
        registered, naming the family, the container and the image.
      - Images from other registries (Docker Hub, C(public.ecr.aws)) and images already given by digest are
        used as given; the task warns once, naming the family, container and image of each image given by a
        tag it cannot pin (a tag that moves there is not noticed). An ECR pull-through cache holds such
        images in ECR (see O(pull_through_prefixes)).
      - Applies to every entry of O(task_definitions) with O(task_definitions[].state=present).
    type: bool
    default: false
  pull_through_prefixes:
    description:
      - The repository prefixes of the registry's pull-through cache rules, for example V(prod/docker-hub).
        With O(pin_ecr_images=true), the tags of repositories under them are resolved with C(BatchGetImage)
        instead of C(DescribeImages). It is the call a pull starts with, which makes ECR fetch the tag from the
        upstream registry, creating the cache repository on its first use and checking a tag cached more
        than a day ago again. So the first run pins an image never pulled before, and a tag that moved
        upstream is a changed definition. This needs C(ecr:BatchGetImage), C(ecr:BatchImportUpstreamImage)
        and C(ecr:CreateRepository) on those repositories.
      - Check mode only reads the cache (C(DescribeImages)). A tag not cached yet is shown by its tag, with a
        warning, and a tag that moved upstream since it was cached is seen by the next real run.
    type: list
    elements: str
    default: []
notes:
  - Tags belong to each revision. A new revision gets the tags the latest one would have after this
    task (O(tags) merged or purged as asked); without O(tags), it carries the latest revision's tags.
    Tags whose keys start with C(aws:) are AWS's own and are not copied.
  - A definition equal to an older C(ACTIVE) revision, but not to the latest, registers a new revision,
    since the latest revision is the one that services pick up.
  - Check mode predicts the result without writing. A predicted new revision has the number after the
    family's highest (C(ACTIVE) or C(INACTIVE)) and no ARN yet.
  - Diff mode shows the canonical definitions before and after.
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
    description: Returns the canonical task definitions before and after the change (or the predicted change in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Register the site's task definition when it changed, its ECR image pinned to the digest its tag names now
  quoin.fargate.ecs_taskdefinition:
    family: prod-site
    pin_ecr_images: true
    task_definition:
      networkMode: awsvpc
      requiresCompatibilities: [FARGATE]
      cpu: "512"
      memory: "1024"
      executionRoleArn: arn:aws:iam::123456789012:role/prod-site-execution
      taskRoleArn: arn:aws:iam::123456789012:role/prod-site-task
      runtimePlatform:
        cpuArchitecture: X86_64
        operatingSystemFamily: LINUX
      ephemeralStorage:
        sizeInGiB: 30
      containerDefinitions:
        # Registered as .../quoin/site@sha256:..., with the docker label quoin.image: .../quoin/site:1.4
        - name: site
          image: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/site:1.4
          portMappings:
            - containerPort: 3000
          environment:
            - name: NODE_ENV
              value: production
          secrets:
            - name: SESSION_SECRET
              valueFrom: arn:aws:ssm:eu-central-1:123456789012:parameter/prod/site/session-secret
          readonlyRootFilesystem: true
          user: "1000:1000"
          healthCheck:
            command: [CMD-SHELL, "wget -q -O /dev/null http://localhost:3000/health || exit 1"]
          logConfiguration:
            logDriver: awslogs
            options:
              awslogs-group: /quoin/prod/site
              awslogs-region: eu-central-1
              awslogs-stream-prefix: site
    tags:
      quoin:environment: prod
  register: site_task_definition

- name: Show what made a new revision
  ansible.builtin.debug:
    var: site_task_definition.changes

- name: Mount an EFS access point into the CMS container
  quoin.fargate.ecs_taskdefinition:
    family: prod-cms
    task_definition:
      networkMode: awsvpc
      requiresCompatibilities: [FARGATE]
      cpu: "1024"
      memory: "2048"
      executionRoleArn: arn:aws:iam::123456789012:role/prod-cms-execution
      volumes:
        - name: data
          efsVolumeConfiguration:
            fileSystemId: fs-0123456789abcdef0
            transitEncryption: ENABLED
            authorizationConfig:
              accessPointId: fsap-0123456789abcdef0
              iam: ENABLED
      containerDefinitions:
        - name: cms
          image: gentics/mesh:2.1.0
          mountPoints:
            - sourceVolume: data
              containerPath: /mesh/data

- name: Register every family of the environment where its definition changed, in one task
  quoin.fargate.ecs_taskdefinition:
    task_definitions:
      - family: prod-site
        task_definition: "{{ site_task_definition_request }}"
        tags:
          quoin:environment: prod
      - family: prod-cms
        task_definition: "{{ cms_task_definition_request }}"
        tags:
          quoin:environment: prod
      - family: prod-old-worker
        state: absent
  register: task_definitions

- name: Show the latest revision of each family
  ansible.builtin.debug:
    msg: "{{ task_definitions.task_definitions | items2dict(key_name='family', value_name='task_definition_arn') }}"

- name: Deregister one revision
  quoin.fargate.ecs_taskdefinition:
    family: prod-site
    revision: 12
    state: absent

- name: Deregister every active revision of a family
  quoin.fargate.ecs_taskdefinition:
    family: prod-site
    state: absent
"""

RETURN = r"""
family:
  description: The family.
  returned: when O(family) is given
  type: str
  sample: prod-site
task_definition_arn:
  description: The ARN of the family's latest C(ACTIVE) revision after the change; null for a revision check mode predicts.
  returned: when O(family) is given and O(state=present)
  type: str
  sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:13
revision:
  description: The number of that revision (predicted in check mode).
  returned: when O(family) is given and O(state=present)
  type: int
  sample: 13
task_definition:
  description:
    - The latest C(ACTIVE) revision as AWS describes it, snake_cased (predicted from the request in
      check mode); empty with O(state=absent).
    - The keys of C(docker_labels), C(options), C(driver_opts), C(labels) and C(system_controls) are the
      user's and keep their case.
  returned: when O(family) is given
  type: dict
  sample:
    family: prod-site
    revision: 13
    status: ACTIVE
    task_definition_arn: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:13
    cpu: "512"
    memory: "1024"
    network_mode: awsvpc
    requires_compatibilities: [FARGATE]
    container_definitions:
      - name: site
        image: site:1.4.2
        essential: true
        environment: [{"name": "NODE_ENV", "value": "production"}]
        log_configuration:
          log_driver: awslogs
          options: {"awslogs-group": "/quoin/prod/site", "awslogs-stream-prefix": "site"}
    tags: {"quoin:environment": "prod"}
changes:
  description:
    - What differs between the latest C(ACTIVE) revision and O(task_definition), one line per value, in
      the canonical form (see the description); empty when nothing does.
    - A family without an C(ACTIVE) revision lists everything the definition sets.
  returned: when O(family) is given and O(state=present)
  type: list
  elements: str
  sample:
    - "containerDefinitions[site].environment[NODE_ENV]: production -> staging"
    - "containerDefinitions[site].image: site:1.4.2 -> site:1.4.3"
    - "memory: 1024 -> 2048"
deregistered_task_definition_arns:
  description: The revisions deregistered (to be deregistered, in check mode).
  returned: when O(family) is given and O(state=absent)
  type: list
  elements: str
  sample: ["arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:12"]
task_definitions:
  description:
    - With O(task_definitions), each family in the order given, with what the module returns for one
      family (RV(family), RV(task_definition_arn), RV(revision), RV(task_definition), RV(changes) or
      RV(deregistered_task_definition_arns)) and its own RV(task_definitions[].changed).
    - When the run fails part-way, the families done before the one that failed.
  returned: when O(task_definitions) is given
  type: list
  elements: dict
  contains:
    family:
      description: The family.
      type: str
      sample: prod-site
    changed:
      description: Whether this family changed (or would, in check mode).
      type: bool
      sample: true
    task_definition_arn:
      description: See RV(task_definition_arn).
      returned: with O(task_definitions[].state=present)
      type: str
      sample: arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-site:13
    revision:
      description: See RV(revision).
      returned: with O(task_definitions[].state=present)
      type: int
      sample: 13
    task_definition:
      description: See RV(task_definition); empty with O(task_definitions[].state=absent).
      type: dict
    changes:
      description: See RV(changes).
      returned: with O(task_definitions[].state=present)
      type: list
      elements: str
    deregistered_task_definition_arns:
      description: See RV(deregistered_task_definition_arns).
      returned: with O(task_definitions[].state=absent)
      type: list
      elements: str
"""

import copy

# Not AnsibleAWSModule.warn: under ansible-core 2.19 it also passes the warning to exit_json, which
# ansible-core reports as deprecated on every run.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.quoin.fargate.plugins.module_utils.ecr import IMAGE_LABEL
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import ecr_image
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import find_tag_digests
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import is_cache_repository
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import pin_image
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import canonical_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import deregister_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import describe_family
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import describe_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import list_revisions
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import register_shape
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import register_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import request_problems
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import snake_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import tag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import task_definition_request
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import untag_resource

# Every status a revision number can be taken by.
STATUSES = ("ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS")


def latest_active(client, family):
    """(taskDefinition, tags) of the family's latest ACTIVE revision, or (None, {}): DescribeTaskDefinition
    of the family alone answers it in one call. An answer that is not ACTIVE (moto answers with the
    family's latest revision whatever its status) is settled by the family's listing."""
    found = describe_family(client, family)
    if found is None:
        return None, {}
    if found[0].get("status") == "ACTIVE":
        return found
    revisions = list_revisions(client, family)
    if not revisions:
        return None, {}
    return describe_task_definition(client, revisions[-1][1])


def next_revision(client, family):
    """The number AWS will give the family's next revision: revision numbers are not reused, so the
    inactive ones count too."""
    numbers = [found[0] for status in STATUSES for found in list_revisions(client, family, status)]
    return max(numbers, default=0) + 1


def desired_tags(module, current_tags):
    """The tags the latest revision should have after this run: the current ones when no tags are
    asked for, else merged or purged as asked."""
    tags = module.params["tags"]
    if tags is None:
        return dict(current_tags)
    to_set, to_unset = compare_aws_tags(current_tags, tags, module.params["purge_tags"])
    return {k: v for k, v in dict(current_tags, **to_set).items() if k not in to_unset}


def update_tags(client, module, current, current_tags, result):
    """Tag the current revision as asked; its tags afterwards."""
    if module.params["tags"] is None:
        return current_tags
    to_set, to_unset = compare_aws_tags(current_tags, module.params["tags"], module.params["purge_tags"])
    if not to_set and not to_unset:
        return current_tags
    result["changed"] = True
    if module.check_mode:
        return desired_tags(module, current_tags)
    arn = current["taskDefinitionArn"]
    if to_unset:
        untag_resource(client, arn, to_unset)
    if to_set:
        tag_resource(client, arn, to_set)
    return describe_task_definition(client, arn)[1]


def absent_targets(client, module, shape):
    """(arns, before): the ACTIVE revisions to deregister (only O(revision) when given), and the
    latest of them in the canonical form, for diff mode."""
    revisions = list_revisions(client, module.params["family"])
    if module.params["revision"] is not None:
        revisions = [(number, arn) for number, arn in revisions if number == module.params["revision"]]
    arns = [found[1] for found in revisions]
    before = canonical_task_definition(describe_task_definition(client, arns[-1])[0], shape) if arns and module._diff else {}
    return arns, before


def read_family(client, module, shape):
    """What a family's run starts from, read before any write: latest_active() with state=present,
    absent_targets() with state=absent."""
    if module.params["state"] == "present":
        return latest_active(client, module.params["family"])
    return absent_targets(client, module, shape)


def ensure_present(client, module, shape, result, latest=None):
    """Register a new revision when the latest ACTIVE one (`latest`, read here when None) differs;
    (taskDefinition, tags) of the latest ACTIVE revision afterwards."""
    family = module.params["family"]
    current, current_tags = latest if latest is not None else latest_active(client, family)
    before = canonical_task_definition(current, shape)
    after = canonical_task_definition(module.params["task_definition"], shape)
    result["changes"] = differences(before, after)
    result["diff"] = dict(before=before, after=after)
    if current is not None and not result["changes"]:
        tags = update_tags(client, module, current, current_tags, result)
        return current, tags

    result["changed"] = True
    tags = desired_tags(module, current_tags)
    request = task_definition_request(family, module.params["task_definition"], shape, tags)
    if module.check_mode:
        predicted = {k: v for k, v in request.items() if k != "tags"}
        predicted.update(revision=next_revision(client, family), status="ACTIVE")
        return predicted, tags
    return register_task_definition(client, request)


def ensure_absent(client, module, shape, result, targets=None):
    """Deregister the family's ACTIVE revisions (`targets`, read here when None)."""
    arns, before = targets if targets is not None else absent_targets(client, module, shape)
    result["deregistered_task_definition_arns"] = arns
    result["changed"] = bool(arns)
    result["diff"] = dict(before=before, after={})
    if not module.check_mode:
        for arn in arns:
            deregister_task_definition(client, arn)


def ensure_family(client, module, shape, current=None):
    """One family's run from what read_family() found (read here when None): the module's result for
    it, with its diff under "diff"."""
    params = module.params
    result = dict(changed=False, family=params["family"])
    if params["state"] == "present":
        active, tags = ensure_present(client, module, shape, result, current)
        result["task_definition_arn"] = active.get("taskDefinitionArn")
        result["revision"] = active.get("revision")
        result["task_definition"] = snake_task_definition(active, tags)
    else:
        ensure_absent(client, module, shape, result, current)
        result["task_definition"] = {}
    return result


def option_problems(params, shape):
    """What is wrong with one family's options, one line each, before anything is sent."""
    if params["revision"] is not None and params["state"] == "present":
        return ["revision only applies to state=absent: state=present registers the next revision"]
    if params["state"] == "present":
        return request_problems(params["task_definition"], shape)
    return []


class FamilyItem:
    """One family as the per-family functions see a module: its options, the run's check and diff
    modes (they never fail the run themselves), and the label failures name it by."""

    def __init__(self, module, options, label):
        self.params = options
        self.check_mode = module.check_mode
        self._diff = module._diff
        self.label = label


def ecr_client_for(module):
    """A function region -> the ECR client of that region, each made once."""
    clients = {}

    def client_for(region):
        if region not in clients:
            clients[region] = module.client("ecr", region=region, retry_decorator=AWSRetry.jittered_backoff())
        return clients[region]

    return client_for


def pin_ecr_images(module, items, **failure):
    """Pin each ECR image of the items with state=present by the digest its tag names now (a pinned
    copy of each definition; module_args keep what was given), its reference kept in the IMAGE_LABEL
    docker label. Fails the run before any ECS call when an image is missing or ECR errs, naming what;
    `failure` is what the failure returns besides."""
    found = []  # (item, container, reference)
    unpinned = []  # what cannot be pinned: "<label>: container <name>: <image>"
    for item in items:
        if item.params["state"] != "present":
            continue
        item.params = dict(item.params, task_definition=copy.deepcopy(item.params["task_definition"]))
        for container in item.params["task_definition"].get("containerDefinitions") or []:
            reference = ecr_image(container.get("image"))
            if reference is not None:
                found.append((item, container, reference))
            elif "@" not in str(container.get("image")):
                unpinned.append(f"{item.label}: container {container.get('name')}: {container.get('image')}")
    if unpinned:
        warn(
            "not pinned by digest, so a tag that moves is not noticed (only ECR images are pinned; a pull-through "
            "cache holds a public registry's images in ECR): " + ", ".join(unpinned)
        )
    if not found:
        return
    prefixes = module.params["pull_through_prefixes"]
    try:
        digests, missing_repositories = find_tag_digests(
            ecr_client_for(module), [entry[2] for entry in found], cache_prefixes=prefixes, fetch_upstream=not module.check_mode
        )
    except AnsibleECRError as e:
        msg = f"resolving ECR images: {e.message} (nothing was registered)"
        if e.exception:
            module.fail_json_aws(e.exception, msg=msg, changed=False, **failure)
        module.fail_json(msg=msg, changed=False, **failure)

    problems, not_cached = [], []
    for item, container, reference in found:
        image, repository, tag = container["image"], reference[2], reference[3]
        if module.check_mode and is_cache_repository(repository, prefixes) and (reference[:3] in missing_repositories or digests[reference] is None):
            not_cached.append(f"{item.label}: container {container.get('name')}: {image}")
            continue
        if reference[:3] in missing_repositories or digests[reference] is None:
            if is_cache_repository(repository, prefixes):
                # BatchGetImage creates a cache repository when a rule covers it: a missing one has no rule.
                missing = "no pull-through cache rule covers it" if reference[:3] in missing_repositories else f"tag {tag} not found upstream"
            else:
                missing = f"repository {repository} does not exist" if reference[:3] in missing_repositories else f"tag {tag} not found"
            problems.append(f"{item.label}: container {container.get('name')}: image {image} is not in ECR ({missing})")
            continue
        container["image"] = pin_image(image, digests[reference])
        container["dockerLabels"] = dict(container.get("dockerLabels") or {}, **{IMAGE_LABEL: image})
    if not_cached:
        warn("not in the pull-through cache yet, shown by tag: a real run fetches it from upstream and pins it: " + ", ".join(not_cached))
    if problems:
        module.fail_json(msg="; ".join(problems) + " (nothing was registered)", changed=False, **failure)


# The list mode: one run for many families.


def fail_part_way(module, error, items, done, item):
    """Fail on an AWS error of `item`, naming it and the families already changed; `task_definitions`
    holds the results of the families done so far (`done`, the first of `items`)."""
    changed = [done_item.label for done_item, result in zip(items, done) if result["changed"]]
    msg = f"{item.label}: {error.message} (already done: {', '.join(changed) or 'nothing'})"
    extra = dict(changed=bool(changed), task_definitions=done)
    if error.exception:
        module.fail_json_aws(error.exception, msg=msg, **extra)
    module.fail_json(msg=msg, **extra)


def ensure_task_definitions(client, module, shape):
    """The list mode: every entry checked before any call, every family read (one call each for
    state=present) before the first write, then the writes."""
    items = [
        FamilyItem(module, options, f"task_definitions[{index}] ({options['family']})") for index, options in enumerate(module.params["task_definitions"])
    ]
    families = [item.params["family"] for item in items]
    repeated = sorted({family for family in families if families.count(family) > 1})
    if repeated:
        module.fail_json(msg="task_definitions names a family more than once: " + ", ".join(repeated), changed=False, task_definitions=[])
    problems = [f"{item.label}: {problem}" for item in items for problem in option_problems(item.params, shape)]
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False, task_definitions=[])
    if module.params["pin_ecr_images"]:
        pin_ecr_images(module, items, task_definitions=[])

    current = []
    for item in items:
        try:
            current.append(read_family(client, item, shape))
        except AnsibleECSError as e:
            fail_part_way(module, e, items, [], item)
    done, diffs = [], []
    for item, found in zip(items, current):
        try:
            done.append(ensure_family(client, item, shape, found))
        except AnsibleECSError as e:
            fail_part_way(module, e, items, done, item)
        diffs.append(done[-1].pop("diff"))

    result = dict(changed=any(found["changed"] for found in done), task_definitions=done)
    if module._diff:
        result["diff"] = dict(
            before={found["family"]: diff["before"] for found, diff in zip(done, diffs)},
            after={found["family"]: diff["after"] for found, diff in zip(done, diffs)},
        )
    return result


def family_options():
    """The options of one family: the module's own in the singular mode, each entry's in `task_definitions`."""
    return dict(
        family=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        task_definition=dict(type="dict"),
        revision=dict(type="int"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def main():
    item_options = family_options()
    item_options["family"] = dict(item_options["family"], required=True)
    argument_spec = dict(
        task_definitions=dict(
            type="list",
            elements="dict",
            options=item_options,
            required_if=[["state", "present", ["task_definition"]]],
        ),
        pin_ecr_images=dict(type="bool", default=False),
        pull_through_prefixes=dict(type="list", elements="str", default=[]),
        **family_options(),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["family", "task_definitions"]],
        # With task_definitions, each family's options go in its entry.
        mutually_exclusive=[["task_definitions", option] for option in family_options()],
    )
    params = module.params
    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    shape = register_shape(client)
    if params["task_definitions"] is not None:
        module.exit_json(**ensure_task_definitions(client, module, shape))

    # required_if for the singular mode alone: state defaults to present with task_definitions too.
    if params["state"] == "present" and params["task_definition"] is None:
        module.fail_json(msg="state is present but all of the following are missing: task_definition")
    problems = option_problems(params, shape)
    if problems:
        module.fail_json(msg="; ".join(problems))
    family = FamilyItem(module, params, params["family"])
    if params["pin_ecr_images"]:
        pin_ecr_images(module, [family])

    try:
        result = ensure_family(client, family, shape)
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)

    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
