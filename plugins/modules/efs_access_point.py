#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_access_point
version_added: 0.1.0
short_description: Manage Amazon EFS access points
description:
  - Creates, updates (tags) and deletes Amazon EFS access points.
  - An access point is identified by its C(Name) tag within a file system (O(name) and O(file_system_id)),
    or by its ID (O(access_point_id)).
  - Neither amazon.aws nor community.aws has a module for EFS access points; this one follows their conventions.
  - The POSIX user and the root directory of an access point are fixed when it is created. Asking for
    different ones fails with a message saying what differs, unless O(replace=true), which creates a new
    access point (a new ID and ARN) and deletes the old one. Task definitions that mount the old access
    point must then be registered again; the quoin.fargate ecs role does this.
author:
  - Quoin (@quoininc)
options:
  state: &state
    description:
      - Whether the access point should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  name:
    description:
      - The access point's C(Name) tag, unique within the file system.
      - Required unless O(access_point_id) is given.
    type: str
  access_point_id:
    description:
      - The access point's ID (C(fsap-...)), as an alternative to O(name).
      - An access point cannot be created with a chosen ID; with O(state=present) it must exist.
    type: str
  file_system_id:
    description:
      - The file system the access point belongs to (C(fs-...)).
      - Required with O(name).
    type: str
  posix_user: &posix_user
    description:
      - The POSIX identity every request through the access point uses, whatever the client's own.
      - Fixed at creation (see O(replace)). Not compared when omitted.
    type: dict
    suboptions:
      uid:
        description: User ID, 0 to 4294967295.
        type: int
        required: true
      gid:
        description: Group ID, 0 to 4294967295.
        type: int
        required: true
      secondary_gids:
        description: Secondary group IDs.
        type: list
        elements: int
  root_directory: &root_directory
    description:
      - The directory clients see as the root of the file system.
      - Fixed at creation (see O(replace)). Not compared when omitted.
    type: dict
    suboptions:
      path:
        description: Absolute path of the directory on the file system, at most 100 characters.
        type: str
        required: true
      creation_info:
        description:
          - Owner and permissions EFS gives the directory when it creates it on first use. Without it, a
            directory that does not exist yet makes every mount through the access point fail.
        type: dict
        suboptions:
          owner_uid:
            description: Owner user ID.
            type: int
            required: true
          owner_gid:
            description: Owner group ID.
            type: int
            required: true
          permissions:
            description: Octal permissions, for example C("0750").
            type: str
            required: true
  replace: &replace
    description:
      - When the existing access point has another POSIX user or root directory than asked, create a new
        one and delete the old one instead of failing.
    type: bool
    default: false
  access_points:
    description:
      - Many access points in one run, each identified by O(name) and O(file_system_id), instead of the
        options of one. Each entry takes O(state), O(name), O(file_system_id), O(posix_user),
        O(root_directory), O(tags), O(purge_tags) and O(replace), as the module does for one;
        O(wait) and O(wait_timeout) apply to all.
      - Each file system named is listed once, every entry is decided before anything is written, and an
        entry that cannot be done (a POSIX user or root directory that would change without O(replace))
        fails the run before any write, naming every such entry.
      - Returns RV(access_points) in the order given and RV(others), the access points of those file
        systems that no entry names.
    type: list
    elements: dict
    suboptions:
      state: *state
      name:
        description: The access point's C(Name) tag, unique within the file system.
        type: str
        required: true
      file_system_id:
        description: The file system the access point belongs to (C(fs-...)).
        type: str
        required: true
      posix_user: *posix_user
      root_directory: *root_directory
      tags:
        description:
          - The tags to apply (see O(tags)); the C(Name) tag is always O(access_points[].name).
          - When not set, tags are not modified.
        type: dict
        aliases: ['resource_tags']
      purge_tags:
        description: Remove tags not in O(access_points[].tags) (see O(purge_tags)).
        type: bool
        default: true
      replace: *replace
  file_system_policies:
    description:
      - With O(access_points), the file system policy of each file system listed, applied after the access
        points, as M(quoin.fargate.efs_file_system_policy) does for one (compared as a policy, so statement
        order does not count).
      - >-
        Where an access point's ARN goes, C({"access_point_arn": NAME}) names the entry of O(access_points)
        called NAME on the same file system, so that a policy can admit access points this run creates or
        replaces. Every such name, and every file system listed once, is checked before any write.
      - In check mode, an access point that does not exist yet stands in the predicted policy as
        C((new access point NAME)).
    type: list
    elements: dict
    suboptions:
      file_system_id:
        description: The file system (C(fs-...)).
        type: str
        required: true
      policy:
        description: The policy document, as a dict or a JSON string.
        type: json
        required: true
      bypass_policy_lockout_safety_check:
        description: Let EFS accept a policy that would lock the caller out of the file system.
        type: bool
        default: false
  list_file_systems:
    description:
      - With O(access_points), more file systems whose access points RV(others) lists, although no entry
        names them (a file system every volume of which left the inventory).
    type: list
    elements: str
    default: []
  wait:
    description:
      - Wait until the access point is available (or, when deleting, gone).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 120
notes:
  - Check mode predicts the result without writing; a predicted new access point has no ID or ARN yet.
  - Diff mode shows the access point before and after.
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
- name: Ensure the CMS data access point, owned by the Mesh user
  quoin.fargate.efs_access_point:
    file_system_id: fs-0123456789abcdef0
    name: prod-cms-data
    posix_user:
      uid: 1000
      gid: 1000
    root_directory:
      path: /cms/data
      creation_info:
        owner_uid: 1000
        owner_gid: 1000
        permissions: "0750"
    tags:
      quoin:environment: prod
  register: access_point

- name: Move the data to another root directory (a new access point replaces the old one)
  quoin.fargate.efs_access_point:
    file_system_id: fs-0123456789abcdef0
    name: prod-cms-data
    posix_user: {uid: 1000, gid: 1000}
    root_directory:
      path: /mesh/data
      creation_info: {owner_uid: 1000, owner_gid: 1000, permissions: "0750"}
    replace: true

- name: Delete an access point by its ID
  quoin.fargate.efs_access_point:
    access_point_id: fsap-0123456789abcdef0
    state: absent

- name: Ensure every volume's access point in one run, and see which others the file systems have
  quoin.fargate.efs_access_point:
    access_points:
      - file_system_id: fs-0123456789abcdef0
        name: prod-cms-data
        posix_user: {uid: 1000, gid: 1000}
        root_directory:
          path: /cms/data
          creation_info: {owner_uid: 1000, owner_gid: 1000, permissions: "0750"}
        purge_tags: false
      - file_system_id: fs-0123456789abcdef0
        name: prod-cms-uploads
        posix_user: {uid: 1000, gid: 1000}
        root_directory:
          path: /cms/uploads
          creation_info: {owner_uid: 1000, owner_gid: 1000, permissions: "0750"}
        purge_tags: false
  register: ensured

- name: The same, and let the CMS's task role mount the file system only through them
  quoin.fargate.efs_access_point:
    access_points:
      - file_system_id: fs-0123456789abcdef0
        name: prod-cms-data
        posix_user: {uid: 1000, gid: 1000}
        root_directory:
          path: /cms/data
          creation_info: {owner_uid: 1000, owner_gid: 1000, permissions: "0750"}
    file_system_policies:
      - file_system_id: fs-0123456789abcdef0
        policy:
          Version: "2012-10-17"
          Statement:
            - Sid: CmsMountsThroughItsAccessPoint
              Effect: Allow
              Principal: {AWS: arn:aws:iam::123456789012:role/prod-cms-task}
              Action: [elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite]
              Resource: arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0
              Condition:
                ArnEquals:
                  elasticfilesystem:AccessPointArn: [{access_point_arn: prod-cms-data}]
"""

RETURN = r"""
access_point:
  description: The access point after the change (predicted in check mode); empty once deleted.
  returned: always
  type: dict
  contains:
    access_point_id:
      description: The ID; absent for an access point check mode predicts.
      type: str
      sample: fsap-0123456789abcdef0
    access_point_arn:
      description: The ARN; absent for an access point check mode predicts.
      type: str
      sample: arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0123456789abcdef0
    file_system_id:
      description: The file system.
      type: str
      sample: fs-0123456789abcdef0
    name:
      description: The C(Name) tag.
      type: str
      sample: prod-cms-data
    posix_user:
      description: The POSIX identity of every request through the access point.
      type: dict
      sample: {"uid": 1000, "gid": 1000}
    root_directory:
      description: The root directory and how EFS creates it.
      type: dict
      sample: {"path": "/cms/data", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "0750"}}
    tags:
      description: The tags, as a dict.
      type: dict
      sample: {"Name": "prod-cms-data", "quoin:environment": "prod"}
    life_cycle_state:
      description: C(creating), C(available), C(updating), C(deleting), C(deleted) or C(error).
      type: str
      sample: available
    owner_id:
      description: The account that owns the access point.
      type: str
      sample: "123456789012"
replaced_access_point_id:
  description: The ID of the access point O(replace=true) deleted.
  returned: when an access point was replaced
  type: str
  sample: fsap-0fedcba9876543210
access_points:
  description:
    - With O(access_points), one element per entry, in the order given, each with C(changed), C(access_point)
      (as RV(access_point)) and, for a replaced one, C(replaced_access_point_id).
  returned: when O(access_points) is given
  type: list
  elements: dict
others:
  description:
    - With O(access_points), the access points of the file systems named that no entry names (nor one an
      entry replaced), in the form of RV(access_point), as listed before any change.
  returned: when O(access_points) is given
  type: list
  elements: dict
file_system_policies:
  description:
    - With O(file_system_policies), one element per entry, in the order given, each with C(file_system_id),
      C(changed) and C(policy), the policy after the change (predicted in check mode) with the access points'
      ARNs in place of their names.
  returned: when O(access_points) is given
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

import json

from ansible_collections.quoin.fargate.plugins.module_utils.efs import AnsibleEFSError
from ansible_collections.quoin.fargate.plugins.module_utils.efs import access_point_references
from ansible_collections.quoin.fargate.plugins.module_utils.efs import access_point_request
from ansible_collections.quoin.fargate.plugins.module_utils.efs import create_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import delete_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import describe_access_points
from ansible_collections.quoin.fargate.plugins.module_utils.efs import ensure_file_system_policy
from ansible_collections.quoin.fargate.plugins.module_utils.efs import fixed_differences
from ansible_collections.quoin.fargate.plugins.module_utils.efs import normalize_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import resolve_access_point_references
from ansible_collections.quoin.fargate.plugins.module_utils.efs import tag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.efs import untag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.efs import validate_access_point_params
from ansible_collections.quoin.fargate.plugins.module_utils.efs import wait_for_access_point


def find_access_point(client, module, listing=None):
    """The existing access point the parameters identify, or None. `listing(file_system_id)` gives a
    file system's access points (listed once for every entry of access_points); a call when None."""
    params = module.params
    listing = listing or (lambda file_system_id: describe_access_points(client, file_system_id=file_system_id))
    if params["access_point_id"]:
        found = describe_access_points(client, access_point_id=params["access_point_id"])
    else:
        found = [
            ap
            for ap in listing(params["file_system_id"])
            if normalize_access_point(ap)["name"] == params["name"] and ap.get("LifeCycleState") not in ("deleting", "deleted")
        ]
    if len(found) > 1:
        ids = ", ".join(sorted(ap["AccessPointId"] for ap in found))
        module.fail_json(
            msg=f"{len(found)} access points are named {params['name']} in {params['file_system_id']} ({ids}): "
            "give access_point_id, or delete the extra ones"
        )
    return found[0] if found else None


def desired_tags(module, current=None):
    """The tags to manage, or None to leave them alone (no tags given). The Name tag that identifies
    the access point is always kept: the one asked for, or the current one when found by ID."""
    tags = module.params["tags"]
    if tags is None:
        return None
    name = module.params["name"] or (current or {}).get("tags", {}).get("Name")
    return dict(tags, Name=name) if name else dict(tags)


def predicted(module, current=None):
    """What the access point will look like, for check mode: a new one as requested, or the current
    one with its tags changed."""
    if not current:
        # AWS reports a root directory of "/" when none is given.
        request = dict(access_point_request(module.params), LifeCycleState="available")
        request.setdefault("RootDirectory", {"Path": "/"})
        return normalize_access_point(request)
    result = dict(current)
    to_set, to_unset = compare_aws_tags(current["tags"], desired_tags(module, current), module.params["purge_tags"])
    result["tags"] = {k: v for k, v in dict(current["tags"], **to_set).items() if k not in to_unset}
    result["name"] = result["tags"].get("Name")
    return result


def create(client, module, result):
    request = access_point_request(module.params)
    result["changed"] = True
    if module.check_mode:
        return predicted(module)
    created = create_access_point(client, **request)
    if module.params["wait"]:
        wait_for_access_point(client, created["AccessPointId"], "available", module.params["wait_timeout"])
        return normalize_access_point(describe_access_points(client, access_point_id=created["AccessPointId"])[0])
    return normalize_access_point(created)


def update_tags(client, module, current, result):
    tags = desired_tags(module, current)
    if tags is None:
        return current
    to_set, to_unset = compare_aws_tags(current["tags"], tags, module.params["purge_tags"])
    if not to_set and not to_unset:
        return current
    result["changed"] = True
    if module.check_mode:
        return predicted(module, current)
    if to_unset:
        untag_resource(client, current["access_point_id"], to_unset)
    if to_set:
        tag_resource(client, current["access_point_id"], to_set)
    return normalize_access_point(describe_access_points(client, access_point_id=current["access_point_id"])[0])


def ensure_present(client, module, existing, result):
    if existing is None:
        if module.params["access_point_id"]:
            module.fail_json(msg=f"access point {module.params['access_point_id']} does not exist; give name and file_system_id to create one")
        return create(client, module, result)
    current = normalize_access_point(existing)
    differences = fixed_differences(current, module.params)
    if not differences:
        return update_tags(client, module, current, result)
    if not module.params["replace"]:
        module.fail_json(
            msg=(
                f"access point {current['name'] or current['access_point_id']} ({current['access_point_id']}) cannot change "
                + "; ".join(differences)
                + ": the POSIX user and root directory are fixed when an access point is created. "
                "Set replace=true to create a new access point (new ID) and delete this one; "
                "task definitions that mount it must then be registered again."
            ),
            access_point=current,
        )
    module.params["file_system_id"] = module.params["file_system_id"] or current["file_system_id"]
    module.params["name"] = module.params["name"] or current["name"]
    if module.params["tags"] is None:
        # The replacement carries the tags of the access point it replaces.
        module.params["tags"] = {key: value for key, value in current["tags"].items() if key != "Name"}
    new = create(client, module, result)
    result["replaced_access_point_id"] = current["access_point_id"]
    if not module.check_mode:
        delete_access_point(client, current["access_point_id"])
        if module.params["wait"]:
            wait_for_access_point(client, current["access_point_id"], "deleted", module.params["wait_timeout"])
    return new


def ensure_absent(client, module, existing, result):
    if existing is None:
        return {}
    result["changed"] = True
    if not module.check_mode:
        delete_access_point(client, existing["AccessPointId"])
        if module.params["wait"]:
            wait_for_access_point(client, existing["AccessPointId"], "deleted", module.params["wait_timeout"])
    return {}


# The list mode: many access points in one run.

# Options every entry of access_points shares with the module.
SHARED_OPTIONS = ("wait", "wait_timeout")


class ItemRefused(Exception):
    pass


class AccessPointItem:
    """One entry of access_points as the per-access-point functions see a module: its options (with the
    shared ones), the run's check mode; a failure names the entry instead of ending the run."""

    def __init__(self, module, index, options):
        self.params = dict(options, access_point_id=None, **{key: module.params[key] for key in SHARED_OPTIONS})
        self.check_mode = module.check_mode
        self.label = f"access_points[{index}] ({options['name']})"

    def fail_json(self, msg, **kwargs):
        raise ItemRefused(f"{self.label}: {msg}")


def policy_requests(module, items):
    """file_system_policies with each policy parsed, and every problem with them (before any write)."""
    present = {(i.params["file_system_id"], i.params["name"]) for i in items if i.params["state"] == "present"}
    requests, problems, listed = [], [], []
    for index, entry in enumerate(module.params["file_system_policies"] or []):
        label = f"file_system_policies[{index}] ({entry['file_system_id']})"
        try:
            policy = json.loads(entry["policy"])
        except ValueError as e:
            problems.append(f"{label}: the policy is not JSON: {e}")
            continue
        if not isinstance(policy, dict):
            problems.append(f"{label}: the policy is not a JSON object")
            continue
        if entry["file_system_id"] in listed:
            problems.append(f"{label}: {entry['file_system_id']} has a policy earlier in the list")
        listed.append(entry["file_system_id"])
        unknown = [name for name in access_point_references(policy) if (entry["file_system_id"], name) not in present]
        if unknown:
            problems.append(
                f"{label}: the policy names access points that no present entry of access_points has on this file "
                "system: " + ", ".join(sorted(set(unknown)))
            )
        requests.append(dict(entry, policy=policy, label=label))
    return requests, problems


def ensure_policies(client, module, requests, results):
    """Each policy with the run's access points' ARNs in place of their names; the access points are done."""
    arns = {
        (result["access_point"]["file_system_id"], result["access_point"]["name"]):
            result["access_point"].get("access_point_arn") or f"(new access point {result['access_point']['name']})"
        for result in results
        if result["access_point"]
    }
    done = []
    for request in requests:
        names = {name: arn for (fs, name), arn in arns.items() if fs == request["file_system_id"]}
        try:
            ensured = ensure_file_system_policy(
                client, request["file_system_id"], resolve_access_point_references(request["policy"], names),
                request["bypass_policy_lockout_safety_check"], module.check_mode,
            )
        except AnsibleEFSError as e:
            e.message = f"{request['label']}: {e.message} (access points done; policies already done: " + (
                ", ".join(d["file_system_id"] for d in done if d["changed"]) or "none") + ")"
            e.partial = done
            raise
        done.append(dict(file_system_id=request["file_system_id"], changed=ensured["changed"], policy=ensured["after"],
                         before=ensured["before"]))
    return done


def reported(policies):
    """The policies as RV(file_system_policies) returns them (the policy before is for the diff)."""
    return [{key: value for key, value in policy.items() if key != "before"} for policy in policies]


def ensure_access_points(client, module):
    """Every entry found first (each file system listed once) and checked, then the writes in order:
    the access points, then the file system policies."""
    items = [AccessPointItem(module, index, options) for index, options in enumerate(module.params["access_points"])]
    keys = [(item.params["file_system_id"], item.params["name"]) for item in items]
    repeated = sorted({f"{name} in {fs}" for fs, name in keys if keys.count((fs, name)) > 1})
    if repeated:
        module.fail_json(msg="access_points names an access point more than once: " + ", ".join(repeated))
    problems = [f"{item.label}: {problem}" for item in items for problem in validate_access_point_params(item.params)]
    policies, policy_problems = policy_requests(module, items)
    problems += policy_problems
    if problems:
        module.fail_json(msg="; ".join(problems))

    listings = {}

    def listing(file_system_id):
        if file_system_id not in listings:
            listings[file_system_id] = describe_access_points(client, file_system_id=file_system_id)
        return listings[file_system_id]

    found, refused = [], []
    for item in items:
        try:
            existing = find_access_point(client, item, listing)
            if existing and item.params["state"] == "present":
                differences = fixed_differences(normalize_access_point(existing), item.params)
                if differences and not item.params["replace"]:
                    # The singular mode's message, before any write.
                    ensure_present(client, item, existing, {})
        except ItemRefused as e:
            refused.append(str(e))
            existing = None
        found.append(existing)
    if refused:
        module.fail_json(msg="nothing was changed: " + "; ".join(refused), changed=False, access_points=[], others=[],
                         file_system_policies=[])

    for file_system_id in module.params["list_file_systems"]:
        listing(file_system_id)
    named = {ap["AccessPointId"] for ap in found if ap}
    others = [
        normalize_access_point(ap)
        for file_system_id in listings
        for ap in listings[file_system_id]
        if ap["AccessPointId"] not in named and ap.get("LifeCycleState") not in ("deleting", "deleted")
    ]
    others.sort(key=lambda ap: (ap["file_system_id"], ap["name"] or "", ap["access_point_id"]))
    results, diffs = [], dict(before={}, after={})
    for item, existing in zip(items, found):
        result = dict(changed=False)
        try:
            if item.params["state"] == "present":
                result["access_point"] = ensure_present(client, item, existing, result)
            else:
                result["access_point"] = ensure_absent(client, item, existing, result)
        except ItemRefused as e:
            module.fail_json(msg=str(e), changed=any(r["changed"] for r in results), access_points=results, others=others,
                             file_system_policies=[])
        except AnsibleEFSError as e:
            done = ", ".join(i.label for i, r in zip(items, results) if r["changed"]) or "nothing"
            fail_after_writes(module, e, f"{item.label}: {e.message} (already done: {done})", results, others, [])
        results.append(result)
        key = f"{item.params['file_system_id']}/{item.params['name']}"
        diffs["before"][key] = normalize_access_point(existing)
        diffs["after"][key] = result["access_point"]
    try:
        done = ensure_policies(client, module, policies, results)
    except AnsibleEFSError as e:
        fail_after_writes(module, e, e.message, results, others, e.partial)
    for policy in done:
        diffs["before"][f"{policy['file_system_id']} policy"] = policy["before"] or {}
        diffs["after"][f"{policy['file_system_id']} policy"] = policy["policy"]
    changed = any(r["changed"] for r in results + done)
    output = dict(changed=changed, access_points=results, others=others, file_system_policies=reported(done))
    if module._diff:
        output["diff"] = diffs
    return output


def fail_after_writes(module, error, msg, results, others, policies):
    """End the run on an API error once writes may have happened, returning what was done."""
    extra = dict(changed=any(r["changed"] for r in results + policies), access_points=results, others=others,
                 file_system_policies=reported(policies))
    if error.exception:
        module.fail_json_aws(error.exception, msg=msg, **extra)
    module.fail_json(msg=msg, **extra)


def access_point_options(id_spec):
    """The options of one access point: the module's own, and each entry's in access_points."""
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        file_system_id=dict(type="str"),
        posix_user=dict(
            type="dict",
            options=dict(uid=id_spec, gid=id_spec, secondary_gids=dict(type="list", elements="int")),
        ),
        root_directory=dict(
            type="dict",
            options=dict(
                path=dict(type="str", required=True),
                creation_info=dict(
                    type="dict",
                    options=dict(owner_uid=id_spec, owner_gid=id_spec, permissions=dict(type="str", required=True)),
                ),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        replace=dict(type="bool", default=False),
    )


def main():
    id_spec = dict(type="int", required=True)
    entry_options = access_point_options(id_spec)
    entry_options["name"] = dict(type="str", required=True)
    entry_options["file_system_id"] = dict(type="str", required=True)
    argument_spec = dict(
        access_point_id=dict(type="str"),
        access_points=dict(type="list", elements="dict", options=entry_options),
        file_system_policies=dict(
            type="list", elements="dict",
            options=dict(
                file_system_id=dict(type="str", required=True),
                policy=dict(type="json", required=True),
                bypass_policy_lockout_safety_check=dict(type="bool", default=False),
            ),
        ),
        list_file_systems=dict(type="list", elements="str", default=[]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        **access_point_options(id_spec),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["name", "access_point_id", "access_points"]],
        mutually_exclusive=[["name", "access_point_id", "access_points"]]
        + [["access_points", option] for option in access_point_options(id_spec)],
        required_by={"name": "file_system_id", "file_system_policies": "access_points"},
    )
    client = module.client("efs", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["access_points"] is not None:
        try:
            module.exit_json(**ensure_access_points(client, module))
        except AnsibleEFSError as e:
            module.fail_json_aws_error(e)

    problems = validate_access_point_params(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    result = dict(changed=False)
    try:
        existing = find_access_point(client, module)
        before = normalize_access_point(existing)
        if module.params["state"] == "present":
            after = ensure_present(client, module, existing, result)
        else:
            after = ensure_absent(client, module, existing, result)
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)

    result["access_point"] = after
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
