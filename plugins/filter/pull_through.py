# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The pull_through_images filter (documented in pull_through_images.yml next to it)."""

import copy

from ansible_collections.quoin.fargate.plugins.plugin_utils.pull_through import cached_image


def pull_through_images(requests, model, stack, region):
    """quoin.fargate.ecs_taskdefinition's task_definitions with every container image that a pull-through
    cache of the model holds rewritten to its reference in that cache, in the stack's account and the
    region; the requests given are left as they are."""
    caches = model.get("pull_through_cache") or []
    if not caches:
        return requests
    account = stack["execution_role_arn"].split(":")[4]
    rewritten = copy.deepcopy(list(requests))
    for request in rewritten:
        for container in (request.get("task_definition") or {}).get("containerDefinitions") or []:
            container["image"] = cached_image(container.get("image"), caches, account, region) or container.get("image")
    return rewritten


class FilterModule:
    def filters(self):
        return {"pull_through_images": pull_through_images}
