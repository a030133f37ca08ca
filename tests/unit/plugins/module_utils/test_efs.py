"""The EFS API layer: comparison of the fields fixed at creation, parameter checks, the request and
result shapes, and the API calls' error handling and waiter against a stubbed client."""

import botocore.waiter
import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.efs import MAX_ID
from ansible_collections.quoin.fargate.plugins.module_utils.efs import AnsibleEFSError
from ansible_collections.quoin.fargate.plugins.module_utils.efs import access_point_request
from ansible_collections.quoin.fargate.plugins.module_utils.efs import create_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import delete_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import describe_access_points
from ansible_collections.quoin.fargate.plugins.module_utils.efs import fixed_differences
from ansible_collections.quoin.fargate.plugins.module_utils.efs import normalize_access_point
from ansible_collections.quoin.fargate.plugins.module_utils.efs import tag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.efs import untag_resource
from ansible_collections.quoin.fargate.plugins.module_utils.efs import validate_access_point_params
from ansible_collections.quoin.fargate.plugins.module_utils.efs import wait_for_access_point

from ..fake_efs import FILE_SYSTEM_ID
from ..fake_efs import FakeEFS
from ..fake_efs import access_point


def posix(uid=1000, gid=1000, secondary_gids=None):
    """posix_user as the argument spec hands it over (omitted suboptions are None)."""
    return {"uid": uid, "gid": gid, "secondary_gids": secondary_gids}


def root(path="/data", owner_uid=1000, owner_gid=1000, permissions="0750", creation_info=True):
    info = {"owner_uid": owner_uid, "owner_gid": owner_gid, "permissions": permissions} if creation_info else None
    return {"path": path, "creation_info": info}


def params(**overrides):
    result = {
        "file_system_id": FILE_SYSTEM_ID,
        "name": "cms-data",
        "access_point_id": None,
        "posix_user": None,
        "root_directory": None,
        "tags": None,
    }
    result.update(overrides)
    return result


# An access point as normalize_access_point returns it.
CURRENT = {
    "access_point_id": "fsap-1",
    "file_system_id": FILE_SYSTEM_ID,
    "name": "cms-data",
    "tags": {"Name": "cms-data"},
    "posix_user": {"uid": 1000, "gid": 1000, "secondary_gids": [20, 10]},
    "root_directory": {"path": "/data", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"}},
    "life_cycle_state": "available",
}


class TestFixedDifferences:
    def test_the_same_access_point_has_no_differences(self):
        assert fixed_differences(CURRENT, params(posix_user=posix(secondary_gids=[10, 20]), root_directory=root())) == []

    @pytest.mark.parametrize(
        "posix_user, expected",
        [
            (posix(uid=1001), ["posix_user.uid from 1000 to 1001"]),
            (posix(gid=0), ["posix_user.gid from 1000 to 0"]),
            (posix(uid=1, gid=2), ["posix_user.uid from 1000 to 1", "posix_user.gid from 1000 to 2"]),
            (posix(secondary_gids=[10]), ["posix_user.secondary_gids from [10, 20] to [10]"]),
            (posix(secondary_gids=[]), ["posix_user.secondary_gids from [10, 20] to []"]),
        ],
    )
    def test_posix_user_differences_are_named(self, posix_user, expected):
        assert fixed_differences(CURRENT, params(posix_user=posix_user)) == expected

    def test_secondary_gids_compare_as_a_set_of_values_in_any_order(self):
        assert fixed_differences(CURRENT, params(posix_user=posix(secondary_gids=[20, 10]))) == []

    def test_omitted_secondary_gids_are_not_compared(self):
        assert fixed_differences(CURRENT, params(posix_user=posix())) == []

    def test_empty_secondary_gids_match_an_access_point_without_any(self):
        current = dict(CURRENT, posix_user={"uid": 1000, "gid": 1000})
        assert fixed_differences(current, params(posix_user=posix(secondary_gids=[]))) == []

    def test_posix_user_asked_of_an_access_point_without_one(self):
        current = dict(CURRENT, posix_user=None)
        assert fixed_differences(current, params(posix_user=posix())) == [
            "posix_user.uid from None to 1000",
            "posix_user.gid from None to 1000",
        ]

    def test_omitted_posix_user_and_root_directory_are_not_compared(self):
        assert fixed_differences(CURRENT, params()) == []

    def test_root_path_difference_is_named(self):
        assert fixed_differences(CURRENT, params(root_directory=root(path="/other"))) == [
            "root_directory.path from /data to /other"
        ]

    def test_aws_reports_the_default_root_as_slash(self):
        current = dict(CURRENT, root_directory={"path": "/"})
        assert fixed_differences(current, params(root_directory=root(path="/", creation_info=False))) == []

    def test_an_access_point_without_root_directory_has_root_slash(self):
        current = {k: v for k, v in CURRENT.items() if k != "root_directory"}
        assert fixed_differences(current, params(root_directory=root(path="/", creation_info=False))) == []
        assert fixed_differences(current, params(root_directory=root(path="/data", creation_info=False))) == [
            "root_directory.path from / to /data"
        ]

    @pytest.mark.parametrize("have, want", [("750", "0750"), ("0750", "750"), ("0750", "0750"), ("000", "0000")])
    def test_permissions_with_and_without_leading_zero_are_equal(self, have, want):
        info = dict(CURRENT["root_directory"]["creation_info"], permissions=have)
        current = dict(CURRENT, root_directory={"path": "/data", "creation_info": info})
        assert fixed_differences(current, params(root_directory=root(permissions=want))) == []

    @pytest.mark.parametrize("want", ["0755", "0700", "2750", "0075"])
    def test_other_permissions_differ(self, want):
        assert fixed_differences(CURRENT, params(root_directory=root(permissions=want))) == [
            f"root_directory.creation_info.permissions from 750 to {want}"
        ]

    def test_creation_info_owner_differences_are_named(self):
        assert fixed_differences(CURRENT, params(root_directory=root(owner_uid=0, owner_gid=33))) == [
            "root_directory.creation_info.owner_uid from 1000 to 0",
            "root_directory.creation_info.owner_gid from 1000 to 33",
        ]

    def test_omitted_creation_info_is_not_compared(self):
        assert fixed_differences(CURRENT, params(root_directory=root(creation_info=False))) == []

    def test_creation_info_asked_of_a_root_without_one(self):
        current = dict(CURRENT, root_directory={"path": "/data"})
        assert fixed_differences(current, params(root_directory=root())) == [
            "root_directory.creation_info.owner_uid from None to 1000",
            "root_directory.creation_info.owner_gid from None to 1000",
            "root_directory.creation_info.permissions from None to 0750",
        ]

    def test_every_difference_is_listed(self):
        differences = fixed_differences(
            CURRENT, params(posix_user=posix(uid=1), root_directory=root(path="/x", permissions="0700"))
        )
        assert differences == [
            "posix_user.uid from 1000 to 1",
            "root_directory.path from /data to /x",
            "root_directory.creation_info.permissions from 750 to 0700",
        ]


class TestValidateAccessPointParams:
    def test_valid_parameters_have_no_problems(self):
        assert validate_access_point_params(params(posix_user=posix(secondary_gids=[0, MAX_ID]), root_directory=root())) == []

    def test_nothing_to_check_without_posix_user_and_root(self):
        assert validate_access_point_params(params()) == []

    @pytest.mark.parametrize("value", [0, MAX_ID])
    def test_ids_at_the_bounds_are_accepted(self, value):
        checked = params(posix_user=posix(uid=value, gid=value), root_directory=root(owner_uid=value, owner_gid=value))
        assert validate_access_point_params(checked) == []

    @pytest.mark.parametrize(
        "checked, where",
        [
            (params(posix_user=posix(uid=-1)), "posix_user.uid: -1"),
            (params(posix_user=posix(gid=MAX_ID + 1)), f"posix_user.gid: {MAX_ID + 1}"),
            (params(posix_user=posix(secondary_gids=[1, -5])), "posix_user.secondary_gids[1]: -5"),
            (params(root_directory=root(owner_uid=-1)), "root_directory.creation_info.owner_uid: -1"),
            (params(root_directory=root(owner_gid=MAX_ID + 1)), f"root_directory.creation_info.owner_gid: {MAX_ID + 1}"),
        ],
    )
    def test_ids_out_of_range_are_named(self, checked, where):
        assert validate_access_point_params(checked) == [f"{where} is out of range (0 to {MAX_ID})"]

    @pytest.mark.parametrize("path", ["/", "/data", "/" + "a" * 99])
    def test_absolute_paths_up_to_100_characters_are_accepted(self, path):
        assert validate_access_point_params(params(root_directory=root(path=path))) == []

    @pytest.mark.parametrize("path", ["data", "", "./data", "/" + "a" * 100])
    def test_relative_or_long_paths_are_refused(self, path):
        assert validate_access_point_params(params(root_directory=root(path=path))) == [
            f"root_directory.path: {path!r} must be an absolute path of at most 100 characters"
        ]

    @pytest.mark.parametrize("permissions", ["750", "0750", "0000", "7777", "2775"])
    def test_octal_permissions_are_accepted(self, permissions):
        assert validate_access_point_params(params(root_directory=root(permissions=permissions))) == []

    @pytest.mark.parametrize("permissions", ["75", "07500", "0758", "0988", "rwx", "", "0x1f", "-750"])
    def test_other_permissions_are_refused(self, permissions):
        assert validate_access_point_params(params(root_directory=root(permissions=permissions))) == [
            f"root_directory.creation_info.permissions: {permissions!r} is not octal permissions such as '0750'"
        ]

    def test_every_problem_is_reported(self):
        problems = validate_access_point_params(
            params(posix_user=posix(uid=-1), root_directory=root(path="data", permissions="999"))
        )
        assert len(problems) == 3
        assert problems[0].startswith("root_directory.path:")
        assert problems[1].startswith("root_directory.creation_info.permissions:")
        assert problems[2].startswith("posix_user.uid:")


class TestAccessPointRequest:
    def test_everything_given(self):
        request = access_point_request(
            params(posix_user=posix(secondary_gids=[2000]), root_directory=root(), tags={"team": "web"})
        )
        assert request == {
            "FileSystemId": FILE_SYSTEM_ID,
            "PosixUser": {"Uid": 1000, "Gid": 1000, "SecondaryGids": [2000]},
            "RootDirectory": {
                "Path": "/data",
                "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
            },
            "Tags": [{"Key": "team", "Value": "web"}, {"Key": "Name", "Value": "cms-data"}],
        }

    def test_only_a_name(self):
        assert access_point_request(params()) == {
            "FileSystemId": FILE_SYSTEM_ID,
            "Tags": [{"Key": "Name", "Value": "cms-data"}],
        }

    def test_no_name_and_no_tags_sends_no_tags(self):
        assert access_point_request(params(name=None)) == {"FileSystemId": FILE_SYSTEM_ID}

    @pytest.mark.parametrize("secondary_gids", [None, []])
    def test_no_secondary_gids_are_left_out(self, secondary_gids):
        request = access_point_request(params(posix_user=posix(secondary_gids=secondary_gids)))
        assert request["PosixUser"] == {"Uid": 1000, "Gid": 1000}

    def test_root_without_creation_info(self):
        assert access_point_request(params(root_directory=root(creation_info=False)))["RootDirectory"] == {"Path": "/data"}

    def test_the_name_wins_over_a_name_tag(self):
        request = access_point_request(params(tags={"Name": "other", "team": "web"}))
        assert sorted((t["Key"], t["Value"]) for t in request["Tags"]) == [("Name", "cms-data"), ("team", "web")]

    def test_tags_can_be_left_out(self):
        request = access_point_request(params(tags={"team": "web"}), include_tags=False)
        assert "Tags" not in request

    def test_the_parameters_are_not_changed(self):
        given = params(tags={"team": "web"}, posix_user=posix(secondary_gids=[1]))
        access_point_request(given)
        assert given["tags"] == {"team": "web"}


class TestNormalizeAccessPoint:
    @pytest.mark.parametrize("missing", [None, {}])
    def test_nothing_is_an_empty_dict(self, missing):
        assert normalize_access_point(missing) == {}

    def test_the_api_shape_becomes_the_module_shape(self):
        api = access_point(
            "fsap-1",
            name="cms-data",
            tags={"team": "web"},
            posix_user={"Uid": 1, "Gid": 2, "SecondaryGids": [3]},
            root={"Path": "/data", "CreationInfo": {"OwnerUid": 1, "OwnerGid": 2, "Permissions": "0750"}},
        )
        api["ResponseMetadata"] = {"HTTPStatusCode": 200}
        assert normalize_access_point(api) == {
            "access_point_id": "fsap-1",
            "access_point_arn": "arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-1",
            "file_system_id": FILE_SYSTEM_ID,
            "name": "cms-data",
            "tags": {"team": "web", "Name": "cms-data"},
            "posix_user": {"uid": 1, "gid": 2, "secondary_gids": [3]},
            "root_directory": {"path": "/data", "creation_info": {"owner_uid": 1, "owner_gid": 2, "permissions": "0750"}},
            "owner_id": "123456789012",
            "life_cycle_state": "available",
        }

    def test_tag_keys_and_values_keep_their_case(self):
        normalized = normalize_access_point(access_point("fsap-1", tags={"CostCenter": "WebOps", "quoin:environment": "prod"}))
        assert normalized["tags"] == {"CostCenter": "WebOps", "quoin:environment": "prod"}

    def test_without_a_name_tag_the_name_is_none(self):
        normalized = normalize_access_point(access_point("fsap-1", tags={"team": "web"}))
        assert normalized["name"] is None
        assert normalized["tags"] == {"team": "web"}

    def test_the_input_is_not_changed(self):
        api = access_point("fsap-1", name="x")
        normalize_access_point(api)
        assert api["Tags"] == [{"Key": "Name", "Value": "x"}]


class TestApiCalls:
    def test_describe_by_id_asks_for_that_id_only(self):
        efs = FakeEFS(access_point("fsap-1", name="a"), access_point("fsap-2", name="b"))
        found = describe_access_points(efs, file_system_id=FILE_SYSTEM_ID, access_point_id="fsap-2")
        assert [ap["AccessPointId"] for ap in found] == ["fsap-2"]
        assert efs.calls == [("describe_access_points", {"AccessPointId": "fsap-2"})]

    def test_describe_by_file_system(self):
        efs = FakeEFS(
            access_point("fsap-1"),
            access_point("fsap-2", file_system_id="fs-other"),
            file_systems=[FILE_SYSTEM_ID, "fs-other"],
        )
        found = describe_access_points(efs, file_system_id=FILE_SYSTEM_ID)
        assert [ap["AccessPointId"] for ap in found] == ["fsap-1"]
        assert efs.calls == [("describe_access_points", {"FileSystemId": FILE_SYSTEM_ID})]

    def test_describe_everything(self):
        efs = FakeEFS(access_point("fsap-1"), access_point("fsap-2", file_system_id="fs-other"))
        assert len(describe_access_points(efs)) == 2
        assert efs.calls == [("describe_access_points", {})]

    def test_a_missing_access_point_or_file_system_is_an_empty_list(self):
        efs = FakeEFS()
        assert describe_access_points(efs, access_point_id="fsap-missing") == []
        assert describe_access_points(efs, file_system_id="fs-missing") == []

    def test_other_errors_are_raised(self):
        efs = FakeEFS(errors={"describe_access_points": "AccessDeniedException"})
        with pytest.raises(AnsibleEFSError, match="Failed to describe access points"):
            describe_access_points(efs, file_system_id=FILE_SYSTEM_ID)

    def test_create_errors_are_raised(self):
        efs = FakeEFS(errors={"create_access_point": "AccessPointLimitExceeded"})
        with pytest.raises(AnsibleEFSError, match="Failed to create access point"):
            create_access_point(efs, FileSystemId=FILE_SYSTEM_ID)

    def test_deleting_a_missing_access_point_is_false(self):
        efs = FakeEFS(access_point("fsap-1"))
        assert delete_access_point(efs, "fsap-missing") is False
        assert delete_access_point(efs, "fsap-1") is True
        assert efs.access_points == {}

    def test_tags_go_out_as_the_api_lists_them(self):
        efs = FakeEFS(access_point("fsap-1", name="a", tags={"old": "1"}))
        tag_resource(efs, "fsap-1", {"team": "web"})
        untag_resource(efs, "fsap-1", ["old"])
        assert efs.writes == [
            ("tag_resource", {"ResourceId": "fsap-1", "Tags": [{"Key": "team", "Value": "web"}]}),
            ("untag_resource", {"ResourceId": "fsap-1", "TagKeys": ["old"]}),
        ]
        assert efs.tags_of("fsap-1") == {"Name": "a", "team": "web"}


class TestWaitForAccessPoint:
    @pytest.fixture(autouse=True)
    def sleeps(self, monkeypatch):
        slept = []
        monkeypatch.setattr(botocore.waiter.time, "sleep", slept.append)
        return slept

    def test_an_available_access_point_needs_one_look(self, sleeps):
        efs = FakeEFS(access_point("fsap-1"))
        wait_for_access_point(efs, "fsap-1", "available", 120)
        assert efs.operations() == ["describe_access_points"]
        assert sleeps == []

    @pytest.mark.parametrize("timeout, attempts", [(0, 1), (1, 1), (2, 1), (7, 3), (10, 5)])
    def test_the_timeout_bounds_the_attempts(self, sleeps, timeout, attempts):
        efs = FakeEFS(access_point("fsap-1", state="creating"))
        with pytest.raises(AnsibleEFSError, match="Timeout trying to wait for the access point"):
            wait_for_access_point(efs, "fsap-1", "available", timeout)
        assert efs.operations() == ["describe_access_points"] * attempts
        assert sleeps == [2] * (attempts - 1)

    def test_an_access_point_in_error_fails_at_once(self):
        efs = FakeEFS(access_point("fsap-1", state="error"))
        with pytest.raises(AnsibleEFSError):
            wait_for_access_point(efs, "fsap-1", "available", 120)
        assert efs.operations() == ["describe_access_points"]

    def test_a_missing_access_point_is_deleted(self):
        efs = FakeEFS()
        wait_for_access_point(efs, "fsap-1", "deleted", 120)
        assert efs.operations() == ["describe_access_points"]

    def test_a_deleting_access_point_is_waited_for(self, sleeps):
        efs = FakeEFS(access_point("fsap-1", state="deleting"))
        with pytest.raises(AnsibleEFSError, match="Timeout"):
            wait_for_access_point(efs, "fsap-1", "deleted", 4)
        assert efs.operations() == ["describe_access_points"] * 2
