#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_info
version_added: 0.1.0
short_description: Resolve Amazon ECR image tags and digests
description:
  - Looks up the images of one ECR repository that the given tags or digests name, and returns each
    image's current digest, all its tags, when it was pushed and its size.
  - Resolving a tag to its digest lets a caller pin an image, so that a new push under the same tag
    is seen as a change.
  - Give O(images) instead of O(repository) to look up many repositories' images in one task, with one
    DescribeImages call per repository (per 100 tags and digests) covers all the items that name it.
author:
  - Quoin (@quoininc)
options:
  repository:
    description:
      - The repository's name (for example C(quoin/site)), not its URI.
      - Exactly one of O(repository) and O(images) is required.
    type: str
    aliases: ['repository_name']
  registry_id:
    description:
      - The account ID of the registry; the caller's own registry when omitted.
    type: str
  tags:
    description:
      - Image tags to resolve.
    type: list
    elements: str
    default: []
  digests:
    description:
      - Image digests (C(sha256:...)) to look up.
    type: list
    elements: str
    default: []
  images:
    description:
      - The look-ups to make, each one what O(repository), O(registry_id), O(tags) and O(digests) ask for
        in one task; RV(lookups) answers them in the same order.
      - Exactly one of O(repository) and O(images) is required; O(registry_id), O(tags) and O(digests)
        are then given in the items, not at the top level.
      - The items are grouped by registry and repository; each group takes one DescribeImages call per
        100 distinct tags and digests (a call that ECR refuses because a tag or digest names no image is
        split until the missing ones stand alone).
      - Every missing repository is reported, with the items that name it, in one failure.
    type: list
    elements: dict
    suboptions:
      repository:
        description: The repository's name, as O(repository).
        type: str
        required: true
        aliases: ['repository_name']
      registry_id:
        description: The account ID of the registry, as O(registry_id).
        type: str
      tags:
        description: Image tags to resolve, as O(tags).
        type: list
        elements: str
        default: []
      digests:
        description: Image digests to look up, as O(digests).
        type: list
        elements: str
        default: []
notes:
  - A missing repository fails the module with ECR's message, which names it.
  - A tag or digest that names no image is not a failure; it is listed in RV(missing), and RV(images)
    holds only what was found. Callers that need every image check that RV(missing) is empty.
  - An image that several of the tags or digests name is returned once.
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
- name: Resolve the tag the site deploys
  quoin.fargate.ecr_image_info:
    repository: quoin/site
    registry_id: "123456789012"
    tags: [latest]
  register: site_image

- name: Resolve the tags of every service's image in one task
  quoin.fargate.ecr_image_info:
    images:
      - repository: quoin/site
        registry_id: "123456789012"
        tags: [latest]
      - repository: quoin/cms
        registry_id: "123456789012"
        tags: [v1.4.2]
  register: service_images

- name: Fail on a tag that names no image
  ansible.builtin.assert:
    that: service_images.lookups | map(attribute='missing') | flatten | length == 0

- name: Pin the image by digest
  ansible.builtin.set_fact:
    site_image_uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/site@{{ site_image.images[0].digest }}"
  when: site_image.missing | length == 0
"""

RETURN = r"""
images:
  description: The images found, in the order of O(tags) then O(digests), each once.
  returned: with O(repository)
  type: list
  elements: dict
  contains:
    registry_id:
      description: The registry's account ID.
      type: str
      sample: "123456789012"
    repository:
      description: The repository's name.
      type: str
      sample: quoin/site
    digest:
      description: The image manifest's digest.
      type: str
      sample: sha256:8a1b6c3f0d0c1a8b3f8f1c2d9e1f0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f
    tags:
      description: Every tag the image carries, sorted.
      type: list
      elements: str
      sample: [latest, v1.4.2]
    pushed_at:
      description: When the image was pushed (ISO 8601).
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    size:
      description: The image's size in bytes, as ECR reports it.
      type: int
      sample: 52428800
    manifest_media_type:
      description: The manifest's media type.
      type: str
      sample: application/vnd.docker.distribution.manifest.v2+json
missing:
  description: The tags and digests asked for that name no image in the repository.
  returned: with O(repository)
  type: list
  elements: str
  sample: [v2.0.0]
lookups:
  description:
    - One element per item of O(images), in their order; on a failure, the items answered.
  returned: with O(images)
  type: list
  elements: dict
  contains:
    repository:
      description: The item's repository.
      type: str
      sample: quoin/site
    registry_id:
      description: The item's registry ID, as given (null when omitted).
      type: str
      sample: "123456789012"
    images:
      description: The images found, as RV(images) for that item.
      type: list
      elements: dict
      sample: [{"digest": "sha256:8a1b6c3f0d0c1a8b3f8f1c2d9e1f0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f", "tags": ["latest"]}]
    missing:
      description: The tags and digests that name no image, as RV(missing) for that item.
      type: list
      elements: str
      sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import digest_problems
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import find_images
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import image_ids
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import is_missing_repository
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import look_up
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import resolve


def look_up_one(client, module):
    """The singular mode (the option repository)."""
    problems = digest_problems(module.params["digests"])
    if problems:
        module.fail_json(msg="; ".join(problems))
    try:
        images, missing = look_up(
            client,
            module.params["repository"],
            tags=module.params["tags"],
            digests=module.params["digests"],
            registry_id=module.params["registry_id"],
        )
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, images=images, missing=missing)


def repository_label(registry_id, repository):
    return f"repository {repository}" + (f" of registry {registry_id}" if registry_id else "")


def item_labels(indexes):
    return ", ".join(f"images[{index}]" for index in indexes)


def look_up_all(client, module):
    """List mode (the option images): every item checked, then one batched look-up per repository,
    each item answered from it as the singular mode answers."""
    items = module.params["images"]
    problems = [
        f"images[{index}] ({item['repository']}): {problem}" for index, item in enumerate(items) for problem in digest_problems(item["digests"])
    ]
    if problems:
        module.fail_json(msg="; ".join(problems))

    groups = {}
    for index, item in enumerate(items):
        groups.setdefault((item["registry_id"], item["repository"]), []).append(index)
    lookups, missing_repositories = {}, []
    for (registry_id, repository), indexes in groups.items():
        wanted = {index: image_ids(items[index]["tags"], items[index]["digests"]) for index in indexes}
        try:
            asked = [image_id for index in indexes for image_id in wanted[index]]
            found = find_images(client, repository, asked, registry_id=registry_id)
        except AnsibleECRError as e:
            if is_missing_repository(e):
                missing_repositories.append(f"{repository_label(registry_id, repository)} does not exist (asked for by {item_labels(indexes)})")
                continue
            done = [lookups[index] for index in sorted(lookups)]
            msg = f"{repository_label(registry_id, repository)} ({item_labels(indexes)}): {e.message} ({len(done)} item(s) answered before it)"
            if e.exception:
                module.fail_json_aws(e.exception, msg=msg, lookups=done)
            module.fail_json(msg=msg, lookups=done)
        for index in indexes:
            images, missing = resolve(wanted[index], found.__getitem__)
            lookups[index] = dict(repository=repository, registry_id=registry_id, images=images, missing=missing)

    done = [lookups[index] for index in sorted(lookups)]
    if missing_repositories:
        module.fail_json(msg="; ".join(missing_repositories), lookups=done)
    module.exit_json(changed=False, lookups=done)


def main():
    argument_spec = dict(
        repository=dict(type="str", aliases=["repository_name"]),
        registry_id=dict(type="str"),
        tags=dict(type="list", elements="str", default=[]),
        digests=dict(type="list", elements="str", default=[]),
        images=dict(
            type="list",
            elements="dict",
            options=dict(
                repository=dict(type="str", required=True, aliases=["repository_name"]),
                registry_id=dict(type="str"),
                tags=dict(type="list", elements="str", default=[]),
                digests=dict(type="list", elements="str", default=[]),
            ),
        ),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["repository", "images"], ["images", "registry_id"], ["images", "tags"], ["images", "digests"]],
        required_one_of=[["repository", "images"]],
    )
    client = module.client("ecr", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["images"] is not None:
        look_up_all(client, module)
    else:
        look_up_one(client, module)


if __name__ == "__main__":
    main()
