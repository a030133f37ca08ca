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
author:
  - Quoin (@quoininc)
options:
  repository:
    description:
      - The repository's name (for example C(quoin/site)), not its URI.
    type: str
    required: true
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

- name: Pin the image by digest
  ansible.builtin.set_fact:
    site_image_uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/site@{{ site_image.images[0].digest }}"
  when: site_image.missing | length == 0
"""

RETURN = r"""
images:
  description: The images found, in the order of O(tags) then O(digests), each once.
  returned: always
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
  returned: always
  type: list
  elements: str
  sample: [v2.0.0]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import look_up


def main():
    argument_spec = dict(
        repository=dict(type="str", required=True, aliases=["repository_name"]),
        registry_id=dict(type="str"),
        tags=dict(type="list", elements="str", default=[]),
        digests=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    for digest in module.params["digests"]:
        if not digest.startswith("sha256:"):
            module.fail_json(msg=f"digests: {digest!r} is not a digest (sha256:...)")
    client = module.client("ecr", retry_decorator=AWSRetry.jittered_backoff())
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


if __name__ == "__main__":
    main()
