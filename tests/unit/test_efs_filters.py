"""The efs role's filters: one access point per volume, and a file system policy that admits each
service only through its own access points, over TLS, without root."""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.filter.efs import access_point_index
from ansible_collections.quoin.fargate.plugins.filter.efs import access_point_requests
from ansible_collections.quoin.fargate.plugins.filter.efs import file_system_policy
from ansible_collections.quoin.fargate.plugins.module_utils.efs import access_point_references
from ansible_collections.quoin.fargate.plugins.module_utils.efs import resolve_access_point_references
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_environment_model import VALID

FS_ARN = "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-1"
MEDIA_ARN = "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-2"
BACKUP_ROLE = "arn:aws:iam::123456789012:role/backup"
RESTORE_ROLE = "arn:aws:iam::123456789012:role/restore"
ROLES = {name: f"arn:aws:iam::123456789012:role/{name}" for name in ("site", "cms", "proxy")}


@pytest.fixture
def model():
    raw = copy.deepcopy(VALID)
    raw["file_systems"].append({"name": "media"})
    raw["services"][0]["volumes"] = [{"name": "media", "file_system": "media", "path": "/srv/media", "read_only": True}]
    raw["services"][1]["volumes"].append({"name": "uploads", "file_system": "media", "path": "/mesh/uploads", "uid": 2000})
    return normalize_environment(raw)


@pytest.fixture
def stack():
    return {
        "file_systems": {"cms": {"id": "fs-1", "arn": FS_ARN}, "media": {"id": "fs-2", "arn": MEDIA_ARN}},
        "services": {name: {"task_role_arn": arn} for name, arn in ROLES.items()},
        "backup": {"task_role_arn": BACKUP_ROLE, "restore_task_role_arn": RESTORE_ROLE},
    }


def ap_arn(name):
    return f"arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-{name}"


@pytest.fixture
def access_points(model, stack):
    results = [
        {"item": request, "access_point": {"access_point_id": f"fsap-{request['name']}", "access_point_arn": ap_arn(request["name"])}}
        for request in access_point_requests(model, stack)
    ]
    return access_point_index(results)


def test_one_request_per_volume_with_creation_info(model, stack):
    requests = access_point_requests(model, stack)
    assert [(r["service"], r["volume"], r["file_system_id"], r["name"]) for r in requests] == [
        ("site", "media", "fs-2", "prod-site-media"),
        ("cms", "data", "fs-1", "prod-cms-data"),
        ("cms", "uploads", "fs-2", "prod-cms-uploads"),
    ]
    uploads = requests[2]
    assert uploads["posix_user"] == {"uid": 2000, "gid": 2000}
    assert uploads["root_directory"] == {
        "path": "/cms/uploads",
        "creation_info": {"owner_uid": 2000, "owner_gid": 2000, "permissions": "0750"},
    }
    assert uploads["tags"] == {"quoin:environment": "prod", "quoin:service": "cms", "quoin:volume": "uploads"}


def test_a_file_system_missing_from_the_stack_is_named(model, stack):
    del stack["file_systems"]["media"]
    with pytest.raises(AnsibleFilterError, match="no file system 'media'"):
        access_point_requests(model, stack)


def test_results_are_indexed_by_service_and_volume(access_points):
    assert access_points["cms"]["uploads"] == {
        "id": "fsap-prod-cms-uploads",
        "arn": ap_arn("prod-cms-uploads"),
        "name": "prod-cms-uploads",
        "file_system": "media",
        "file_system_id": "fs-2",
    }
    assert set(access_points) == {"site", "cms"}


def test_predicted_access_points_have_no_id(model, stack):
    results = [{"item": r, "access_point": {"name": r["name"]}} for r in access_point_requests(model, stack)]
    assert access_point_index(results)["cms"]["data"]["id"] is None


def statements(policy):
    return {s["Sid"]: s for s in policy["Statement"]}


def test_every_policy_refuses_plain_nfs_and_root(model, stack, access_points):
    for name, arn in (("cms", FS_ARN), ("media", MEDIA_ARN)):
        policy = statements(file_system_policy(name, model, stack, access_points))
        assert policy["DenyWithoutTLS"] == {
            "Sid": "DenyWithoutTLS", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        assert policy["DenyRootAccess"]["Action"] == "elasticfilesystem:ClientRootAccess"
        assert "Condition" not in policy["DenyRootAccess"]


def test_each_service_mounts_only_through_its_own_access_points(model, stack, access_points):
    policy = statements(file_system_policy("media", model, stack, access_points))
    site = policy["SiteMountsThroughItsAccessPoints"]
    assert site["Principal"] == {"AWS": ROLES["site"]}
    assert site["Action"] == ["elasticfilesystem:ClientMount"]
    assert site["Condition"]["ArnEquals"] == {"elasticfilesystem:AccessPointArn": [ap_arn("prod-site-media")]}
    assert site["Condition"]["Bool"] == {"elasticfilesystem:AccessedViaMountTarget": "true"}
    cms = policy["CmsMountsThroughItsAccessPoints"]
    assert cms["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert cms["Condition"]["ArnEquals"] == {"elasticfilesystem:AccessPointArn": [ap_arn("prod-cms-uploads")]}
    assert "ProxyMountsThroughItsAccessPoints" not in policy


def test_nothing_mounts_outside_the_access_points_or_writes_through_read_only_ones(model, stack, access_points):
    policy = statements(file_system_policy("media", model, stack, access_points))
    outside = policy["DenyOutsideTheAccessPoints"]
    assert outside["Effect"] == "Deny" and outside["Principal"] == {"AWS": "*"}
    assert outside["Condition"] == {
        "ArnNotEquals": {"elasticfilesystem:AccessPointArn": [ap_arn("prod-site-media"), ap_arn("prod-cms-uploads")]}
    }
    read_only = policy["DenyWritesThroughReadOnlyAccessPoints"]
    assert read_only["Action"] == "elasticfilesystem:ClientWrite"
    assert read_only["Condition"] == {"ArnEquals": {"elasticfilesystem:AccessPointArn": [ap_arn("prod-site-media")]}}
    assert "DenyWritesThroughReadOnlyAccessPoints" not in statements(file_system_policy("cms", model, stack, access_points))


@pytest.mark.parametrize("file_system", ["cms", "media"])
def test_without_access_points_the_policy_names_them_for_the_module(model, stack, access_points, file_system):
    """The efs role's one run: the policy names each access point, and once efs_access_point has put their
    ARNs in, it is the policy the ARNs give."""
    named = file_system_policy(file_system, model, stack)
    names = access_point_references(named)
    assert names and all(name.startswith("prod-") for name in names)
    assert "arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point" not in str(named)
    resolved = resolve_access_point_references(named, {name: ap_arn(name) for name in names})
    assert resolved == file_system_policy(file_system, model, stack, access_points)


def test_an_unused_file_system_still_refuses_plain_nfs(model, stack, access_points):
    model["services"] = [s for s in model["services"] if s["name"] == "proxy"]
    policy = statements(file_system_policy("cms", model, stack, {}))
    assert set(policy) == {"DenyWithoutTLS", "DenyRootAccess"}


def test_backup_reads_and_restore_writes_only_through_backed_up_access_points(model, stack, access_points):
    # site's media volume is read-only, so not backed up; cms's uploads on the same file system is.
    media = statements(file_system_policy("media", model, stack, access_points))
    backup, restore = media["BackupReadsThroughBackedUpAccessPoints"], media["RestoreWritesThroughBackedUpAccessPoints"]
    assert backup["Principal"] == {"AWS": BACKUP_ROLE}
    assert backup["Action"] == ["elasticfilesystem:ClientMount"]
    assert restore["Principal"] == {"AWS": RESTORE_ROLE}
    assert restore["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    for statement in (backup, restore):
        assert statement["Condition"]["ArnEquals"]["elasticfilesystem:AccessPointArn"] == [ap_arn("prod-cms-uploads")]
        assert statement["Condition"]["Bool"] == {"elasticfilesystem:AccessedViaMountTarget": "true"}


def list_mode_results(requests, ids=True):
    """quoin.fargate.efs_access_point's `access_points` for one run with these requests as its entries."""
    return [
        {"changed": False, "access_point": {"access_point_id": f"fsap-{r['name']}", "access_point_arn": ap_arn(r["name"]), "name": r["name"]}
         if ids else {"name": r["name"]}}
        for r in requests
    ]


def test_one_runs_results_are_indexed_like_a_loops(model, stack):
    requests = access_point_requests(model, stack)
    loop = [dict(result, item=request) for result, request in zip(list_mode_results(requests), requests)]
    index = access_point_index(list_mode_results(requests), requests)
    assert index == access_point_index(loop)
    assert index["site"]["media"] == {
        "id": "fsap-prod-site-media", "arn": ap_arn("prod-site-media"), "name": "prod-site-media",
        "file_system": "media", "file_system_id": "fs-2",
    }
    assert sorted((service, volume) for service in index for volume in index[service]) == [
        ("cms", "data"), ("cms", "uploads"), ("site", "media"),
    ]


def test_with_requests_the_results_are_matched_by_position(model, stack):
    requests = access_point_requests(model, stack)
    results = list_mode_results(requests)
    results[0], results[2] = results[2], results[0]
    # Each result belongs to the request at its position, whatever access point it names.
    assert access_point_index(results, requests)["site"]["media"]["id"] == "fsap-prod-cms-uploads"


def test_with_requests_predicted_access_points_have_no_id(model, stack):
    requests = access_point_requests(model, stack)
    index = access_point_index(list_mode_results(requests, ids=False), requests)
    assert index["cms"]["data"] == {"id": None, "arn": None, "name": "prod-cms-data", "file_system": "cms", "file_system_id": "fs-1"}


def test_with_requests_a_deleted_access_point_has_no_id(model, stack):
    requests = access_point_requests(model, stack)[:1]
    assert access_point_index([{"changed": True, "access_point": {}}], requests)["site"]["media"]["id"] is None


@pytest.mark.parametrize("count", [2, 4])
def test_results_and_requests_must_pair_up(model, stack, count):
    requests = access_point_requests(model, stack)
    results = list_mode_results(requests * 2)[:count]
    with pytest.raises(AnsibleFilterError, match=f"^access_point_index: {count} results for 3 requests$"):
        access_point_index(results, requests)


def test_the_results_are_not_changed(model, stack):
    requests = access_point_requests(model, stack)
    results = list_mode_results(requests)
    before = copy.deepcopy(results)
    access_point_index(results, requests)
    assert results == before


def test_an_empty_list_of_requests_is_requests_too(model, stack):
    # No volume at all: one run with no entries, nothing to index; results without requests do not pair up.
    assert access_point_index([], []) == {}
    results = list_mode_results(access_point_requests(model, stack))[:1]
    with pytest.raises(AnsibleFilterError, match="1 results for 0 requests"):
        access_point_index(results, [])
