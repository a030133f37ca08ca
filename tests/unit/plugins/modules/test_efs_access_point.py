"""efs_access_point against a stubbed EFS client: what it finds, what it changes, what check mode
predicts without writing, and what it refuses."""

import copy
import json

import botocore.waiter
import pytest
import yaml

from ansible_collections.quoin.fargate.plugins.modules import efs_access_point as module_under_test
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import desired_tags
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import ensure_absent
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import ensure_present
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import find_access_point
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import predicted
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point import update_tags

from ..fake_efs import FILE_SYSTEM_ID
from ..fake_efs import FakeEFS
from ..fake_efs import access_point
from ..module_runner import module_runner

# The argument spec's defaults; omitted suboptions arrive as None.
DEFAULTS = {
    "state": "present",
    "name": None,
    "access_point_id": None,
    "file_system_id": None,
    "posix_user": None,
    "root_directory": None,
    "tags": None,
    "purge_tags": True,
    "replace": False,
    "wait": True,
    "wait_timeout": 120,
}
POSIX = {"uid": 1000, "gid": 1000, "secondary_gids": None}
ROOT = {"path": "/data", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "0750"}}
API_POSIX = {"Uid": 1000, "Gid": 1000}
API_ROOT = {"Path": "/data", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"}}


class FailJson(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, check_mode=False, **params):
        unknown = set(params) - set(DEFAULTS)
        assert not unknown, unknown
        self.params = dict(copy.deepcopy(DEFAULTS), **params)
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


def named(check_mode=False, **params):
    """A module asking for the access point cms-data of the file system."""
    return FakeModule(check_mode, **dict({"name": "cms-data", "file_system_id": FILE_SYSTEM_ID}, **params))


def existing(ap_id="fsap-old", name="cms-data", tags=None, **kwargs):
    kwargs.setdefault("posix_user", copy.deepcopy(API_POSIX))
    kwargs.setdefault("root", copy.deepcopy(API_ROOT))
    return access_point(ap_id, name=name, tags=tags, **kwargs)


def present(efs, module):
    """What the module's main() does for state=present: (result, returned access point)."""
    result = {"changed": False}
    found = find_access_point(efs, module)
    return result, ensure_present(efs, module, found, result)


def absent(efs, module):
    result = {"changed": False}
    found = find_access_point(efs, module)
    return result, ensure_absent(efs, module, found, result)


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    # The fake answers at once; a waiter that sleeps would mean the test went wrong.
    def refuse(seconds):
        raise AssertionError(f"the waiter slept {seconds}s")

    monkeypatch.setattr(botocore.waiter.time, "sleep", refuse)


class TestFindAccessPoint:
    def test_by_name_within_the_file_system(self):
        efs = FakeEFS(
            existing("fsap-1", name="other"),
            existing("fsap-2"),
            existing("fsap-3", file_system_id="fs-other"),
            file_systems=[FILE_SYSTEM_ID, "fs-other"],
        )
        assert find_access_point(efs, named())["AccessPointId"] == "fsap-2"
        assert efs.calls == [("describe_access_points", {"FileSystemId": FILE_SYSTEM_ID})]

    def test_by_id(self):
        efs = FakeEFS(existing("fsap-1"), existing("fsap-2"))
        found = find_access_point(efs, FakeModule(access_point_id="fsap-2"))
        assert found["AccessPointId"] == "fsap-2"
        assert efs.calls == [("describe_access_points", {"AccessPointId": "fsap-2"})]

    def test_nothing_found_is_none(self):
        assert find_access_point(FakeEFS(existing(name="other")), named()) is None
        assert find_access_point(FakeEFS(), FakeModule(access_point_id="fsap-missing")) is None

    @pytest.mark.parametrize("state", ["deleting", "deleted"])
    def test_access_points_on_their_way_out_do_not_count(self, state):
        efs = FakeEFS(existing("fsap-1", state=state), existing("fsap-2"))
        assert find_access_point(efs, named())["AccessPointId"] == "fsap-2"

    def test_two_access_points_with_the_same_name_fail_clearly(self):
        efs = FakeEFS(existing("fsap-b"), existing("fsap-a"), existing("fsap-c", name="other"))
        with pytest.raises(FailJson) as failed:
            find_access_point(efs, named())
        assert failed.value.kwargs["msg"] == (
            f"2 access points are named cms-data in {FILE_SYSTEM_ID} (fsap-a, fsap-b): "
            "give access_point_id, or delete the extra ones"
        )

    def test_two_access_points_with_the_same_name_fail_in_every_mode(self):
        efs = FakeEFS(existing("fsap-b"), existing("fsap-a"))
        for module in (named(check_mode=True), named(state="absent"), named(check_mode=True, state="absent")):
            with pytest.raises(FailJson, match="2 access points are named cms-data"):
                find_access_point(efs, module)
        assert efs.writes == []


class TestDesiredTags:
    def test_the_name_joins_the_tags(self):
        assert desired_tags(named(tags={"team": "web"})) == {"team": "web", "Name": "cms-data"}

    def test_the_name_wins_over_a_name_tag(self):
        assert desired_tags(named(tags={"Name": "other"})) == {"Name": "cms-data"}

    def test_by_id_the_tags_are_the_users(self):
        assert desired_tags(FakeModule(access_point_id="fsap-1", tags={"team": "web"})) == {"team": "web"}

    def test_by_id_without_tags_there_is_nothing_to_manage(self):
        assert desired_tags(FakeModule(access_point_id="fsap-1")) is None


class TestCreate:
    def test_check_mode_predicts_without_writing(self):
        efs = FakeEFS()
        module = named(check_mode=True, posix_user=POSIX, root_directory=ROOT, tags={"team": "web"})
        result, after = present(efs, module)
        assert result == {"changed": True}
        assert efs.writes == []
        assert efs.access_points == {}
        assert after == {
            "file_system_id": FILE_SYSTEM_ID,
            "name": "cms-data",
            "tags": {"team": "web", "Name": "cms-data"},
            "posix_user": {"uid": 1000, "gid": 1000},
            "root_directory": ROOT,
            "life_cycle_state": "available",
        }

    def test_create_sends_the_request_and_returns_what_aws_reports(self):
        efs = FakeEFS()
        module = named(posix_user=dict(POSIX, secondary_gids=[2000]), root_directory=ROOT, tags={"team": "web"})
        result, after = present(efs, module)
        assert result == {"changed": True}
        assert efs.writes == [
            (
                "create_access_point",
                {
                    "FileSystemId": FILE_SYSTEM_ID,
                    "PosixUser": {"Uid": 1000, "Gid": 1000, "SecondaryGids": [2000]},
                    "RootDirectory": {
                        "Path": "/data",
                        "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
                    },
                    "Tags": [{"Key": "team", "Value": "web"}, {"Key": "Name", "Value": "cms-data"}],
                },
            )
        ]
        [ap_id] = efs.access_points
        assert after["access_point_id"] == ap_id
        assert after["name"] == "cms-data"
        assert after["life_cycle_state"] == "available"

    def test_check_mode_predicts_what_a_real_run_returns(self):
        module_args = dict(posix_user=POSIX, root_directory=ROOT, tags={"team": "web"})
        _, prediction = present(FakeEFS(), named(check_mode=True, **module_args))
        _, created = present(FakeEFS(), named(**module_args))
        expected = {k: v for k, v in created.items() if k not in ("access_point_id", "access_point_arn", "owner_id")}
        assert prediction == expected

    def test_waiting_reads_the_access_point_back_once_available(self):
        efs = FakeEFS()
        present(efs, named())
        [ap_id] = efs.access_points
        assert efs.calls[1:] == [
            ("create_access_point", efs.calls[1][1]),
            ("describe_access_points", {"AccessPointId": ap_id}),  # the waiter
            ("describe_access_points", {"AccessPointId": ap_id}),  # the result
        ]

    def test_without_wait_nothing_is_read_after_creating(self):
        efs = FakeEFS(new_state="creating")
        _, after = present(efs, named(wait=False))
        assert efs.operations() == ["describe_access_points", "create_access_point"]
        assert after["life_cycle_state"] == "creating"

    def test_an_access_point_not_available_in_time_fails(self):
        efs = FakeEFS(new_state="creating")
        with pytest.raises(module_under_test.AnsibleEFSError, match="Timeout"):
            present(efs, named(wait_timeout=1))

    def test_an_unknown_id_is_not_created(self):
        efs = FakeEFS()
        for check_mode in (False, True):
            with pytest.raises(FailJson) as failed:
                present(efs, FakeModule(check_mode, access_point_id="fsap-missing"))
            assert failed.value.kwargs["msg"] == (
                "access point fsap-missing does not exist; give name and file_system_id to create one"
            )
        assert efs.writes == []


class TestUnchanged:
    @pytest.mark.parametrize("check_mode", [False, True])
    def test_the_same_parameters_change_nothing(self, check_mode):
        efs = FakeEFS(existing(tags={"team": "web"}))
        result, after = present(efs, named(check_mode, posix_user=POSIX, root_directory=ROOT, tags={"team": "web"}))
        assert result == {"changed": False}
        assert efs.writes == []
        assert after["access_point_id"] == "fsap-old"

    def test_permissions_750_and_0750_are_the_same(self):
        efs = FakeEFS(existing())  # AWS holds "750"
        result, _ = present(efs, named(root_directory=ROOT))  # asks for "0750"
        assert result == {"changed": False}

    def test_omitted_posix_user_and_root_directory_are_left_alone(self):
        efs = FakeEFS(existing())
        result, _ = present(efs, named(tags={}))
        assert result == {"changed": False}
        assert efs.writes == []

    def test_root_slash_matches_an_access_point_created_without_a_root(self):
        efs = FakeEFS(access_point("fsap-old", name="cms-data"))  # AWS reports {"Path": "/"}
        result, _ = present(efs, named(root_directory={"path": "/", "creation_info": None}))
        assert result == {"changed": False}

    def test_by_id_without_tags_nothing_is_touched(self):
        efs = FakeEFS(existing(tags={"team": "web"}))
        result, after = present(efs, FakeModule(access_point_id="fsap-old"))
        assert result == {"changed": False}
        assert after["tags"] == {"team": "web", "Name": "cms-data"}
        assert efs.writes == []

    def test_by_name_without_tags_the_tags_are_left_alone(self):
        efs = FakeEFS(existing(tags={"team": "web"}))
        result, _ = present(efs, named())
        assert efs.tags_of("fsap-old") == {"team": "web", "Name": "cms-data"}
        assert result == {"changed": False}


class TestTags:
    START = {"team": "web", "quoin:environment": "prod"}

    def run(self, check_mode=False, **params):
        efs = FakeEFS(existing(tags=self.START))
        result, after = present(efs, named(check_mode, **params))
        return efs, result, after

    def test_purge_false_adds_and_keeps_the_others(self):
        efs, result, after = self.run(tags={"owner": "ops", "team": "cms"}, purge_tags=False)
        assert result == {"changed": True}
        [(operation, kwargs)] = efs.writes
        assert (operation, kwargs["ResourceId"]) == ("tag_resource", "fsap-old")
        assert sorted((t["Key"], t["Value"]) for t in kwargs["Tags"]) == [("owner", "ops"), ("team", "cms")]
        expected = {"Name": "cms-data", "team": "cms", "quoin:environment": "prod", "owner": "ops"}
        assert efs.tags_of("fsap-old") == expected
        assert after["tags"] == expected

    def test_purge_true_removes_the_others_but_not_the_name(self):
        efs, result, after = self.run(tags={"owner": "ops"}, purge_tags=True)
        assert result == {"changed": True}
        untagged = [kwargs["TagKeys"] for op, kwargs in efs.writes if op == "untag_resource"]
        assert [sorted(keys) for keys in untagged] == [["quoin:environment", "team"]]
        assert efs.tags_of("fsap-old") == {"Name": "cms-data", "owner": "ops"}
        assert after["tags"] == {"Name": "cms-data", "owner": "ops"}
        assert after["name"] == "cms-data"

    def test_an_empty_dict_with_purge_keeps_only_the_name(self):
        efs, result, _ = self.run(tags={})
        assert result == {"changed": True}
        assert [op for op, _ in efs.writes] == ["untag_resource"]
        assert efs.tags_of("fsap-old") == {"Name": "cms-data"}

    def test_aws_reserved_tags_are_not_purged(self):
        efs = FakeEFS(existing(tags={"aws:cloudformation:stack-name": "s", "team": "web"}))
        present(efs, named(tags={}))
        assert efs.tags_of("fsap-old") == {"Name": "cms-data", "aws:cloudformation:stack-name": "s"}

    def test_the_same_tags_change_nothing(self):
        efs, result, _ = self.run(tags=self.START, purge_tags=True)
        assert result == {"changed": False}
        assert efs.writes == []

    @pytest.mark.parametrize(
        "params",
        [
            {"tags": {"owner": "ops"}, "purge_tags": False},
            {"tags": {"owner": "ops"}, "purge_tags": True},
            {"tags": {}, "purge_tags": True},
            {"tags": {"team": "cms"}, "purge_tags": False},
        ],
    )
    def test_check_mode_predicts_the_tags_without_writing(self, params):
        efs, result, prediction = self.run(check_mode=True, **params)
        assert result == {"changed": True}
        assert efs.writes == []
        assert efs.tags_of("fsap-old") == dict(self.START, Name="cms-data")
        _, _, after = self.run(**params)
        assert prediction == after

    def test_update_tags_alone_in_check_mode(self):
        efs = FakeEFS(existing(tags=self.START))
        current = module_under_test.normalize_access_point(efs.access_points["fsap-old"])
        result = {"changed": False}
        after = update_tags(efs, named(True, tags={"owner": "ops"}), current, result)
        assert result["changed"] is True
        assert after["tags"] == {"Name": "cms-data", "owner": "ops"}
        assert efs.calls == []

    def test_by_id_tags_are_set(self):
        efs = FakeEFS(existing(tags=self.START))
        result, after = present(efs, FakeModule(access_point_id="fsap-old", tags={"owner": "ops"}, purge_tags=False))
        assert result == {"changed": True}
        assert after["tags"] == dict(self.START, Name="cms-data", owner="ops")

    def test_by_id_purge_keeps_the_name(self):
        efs = FakeEFS(existing(tags=self.START))
        present(efs, FakeModule(access_point_id="fsap-old", tags={"owner": "ops"}))
        assert efs.tags_of("fsap-old") == {"Name": "cms-data", "owner": "ops"}


class TestPredicted:
    def test_a_new_access_point_has_no_id(self):
        prediction = predicted(named(tags={"team": "web"}, posix_user=POSIX))
        assert "access_point_id" not in prediction
        assert "access_point_arn" not in prediction
        assert prediction["name"] == "cms-data"
        assert prediction["posix_user"] == {"uid": 1000, "gid": 1000}

    def test_an_existing_one_keeps_everything_but_the_changed_tags(self):
        current = module_under_test.normalize_access_point(existing(tags={"team": "web"}))
        prediction = predicted(named(tags={"owner": "ops"}, purge_tags=False), current)
        assert prediction == dict(current, tags={"Name": "cms-data", "team": "web", "owner": "ops"})
        assert current["tags"] == {"Name": "cms-data", "team": "web"}


class TestFixedFields:
    @pytest.mark.parametrize("check_mode", [False, True])
    def test_a_root_path_change_is_refused_with_what_differs(self, check_mode):
        efs = FakeEFS(existing())
        with pytest.raises(FailJson) as failed:
            present(efs, named(check_mode, root_directory=dict(ROOT, path="/other")))
        msg = failed.value.kwargs["msg"]
        assert msg.startswith("access point cms-data (fsap-old) cannot change root_directory.path from /data to /other: ")
        assert "Set replace=true" in msg
        assert failed.value.kwargs["access_point"]["access_point_id"] == "fsap-old"
        assert efs.writes == []

    def test_a_posix_user_change_is_refused(self):
        efs = FakeEFS(existing())
        with pytest.raises(FailJson) as failed:
            present(efs, named(posix_user=dict(POSIX, uid=1001, secondary_gids=[5])))
        msg = failed.value.kwargs["msg"]
        assert "posix_user.uid from 1000 to 1001; posix_user.secondary_gids from [] to [5]" in msg
        assert efs.writes == []

    def test_a_tag_change_with_a_fixed_change_is_refused_too(self):
        efs = FakeEFS(existing())
        with pytest.raises(FailJson):
            present(efs, named(tags={"team": "web"}, posix_user=dict(POSIX, gid=1)))
        assert efs.writes == []

    def test_replace_creates_the_new_one_before_deleting_the_old(self):
        efs = FakeEFS(existing(tags={"team": "web"}))
        new_root = dict(ROOT, path="/other")
        result, after = present(efs, named(root_directory=new_root, posix_user=POSIX, tags={"team": "web"}, replace=True))
        writes = efs.writes
        assert [op for op, _ in writes] == ["create_access_point", "delete_access_point"]
        assert writes[0][1]["RootDirectory"]["Path"] == "/other"
        assert writes[0][1]["FileSystemId"] == FILE_SYSTEM_ID
        assert {"Key": "Name", "Value": "cms-data"} in writes[0][1]["Tags"]
        assert writes[1][1] == {"AccessPointId": "fsap-old"}
        assert result == {"changed": True, "replaced_access_point_id": "fsap-old"}
        assert list(efs.access_points) == [after["access_point_id"]]
        assert after["access_point_id"] != "fsap-old"
        assert after["root_directory"]["path"] == "/other"
        assert after["tags"] == {"team": "web", "Name": "cms-data"}

    def test_replace_waits_for_the_old_one_to_be_gone(self):
        efs = FakeEFS(existing())
        present(efs, named(root_directory=dict(ROOT, path="/other"), replace=True))
        delete = efs.calls.index(("delete_access_point", {"AccessPointId": "fsap-old"}))
        assert efs.calls[delete + 1] == ("describe_access_points", {"AccessPointId": "fsap-old"})

    def test_replace_in_check_mode_writes_nothing(self):
        efs = FakeEFS(existing())
        result, after = present(efs, named(True, root_directory=dict(ROOT, path="/other"), replace=True))
        assert efs.writes == []
        assert list(efs.access_points) == ["fsap-old"]
        assert result == {"changed": True, "replaced_access_point_id": "fsap-old"}
        assert after["root_directory"]["path"] == "/other"
        assert "access_point_id" not in after

    def test_replace_without_a_difference_changes_nothing(self):
        efs = FakeEFS(existing())
        result, after = present(efs, named(root_directory=ROOT, posix_user=POSIX, replace=True, tags={}))
        assert result == {"changed": False}
        assert after["access_point_id"] == "fsap-old"
        assert efs.writes == []

    def test_replace_by_id_keeps_the_file_system_and_name(self):
        efs = FakeEFS(existing())
        module = FakeModule(access_point_id="fsap-old", posix_user=dict(POSIX, uid=7), replace=True)
        result, after = present(efs, module)
        create = efs.writes[0][1]
        assert create["FileSystemId"] == FILE_SYSTEM_ID
        assert create["PosixUser"] == {"Uid": 7, "Gid": 1000}
        assert create["Tags"] == [{"Key": "Name", "Value": "cms-data"}]
        assert result["replaced_access_point_id"] == "fsap-old"
        assert after["name"] == "cms-data"


class TestAbsent:
    def test_nothing_to_delete(self):
        efs = FakeEFS(existing(name="other"))
        result, after = absent(efs, named(state="absent"))
        assert (result, after) == ({"changed": False}, {})
        assert efs.writes == []

    def test_check_mode_deletes_nothing(self):
        efs = FakeEFS(existing())
        result, after = absent(efs, named(True, state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert efs.writes == []
        assert list(efs.access_points) == ["fsap-old"]

    def test_delete_and_wait(self):
        efs = FakeEFS(existing())
        result, after = absent(efs, named(state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert efs.calls[1:] == [
            ("delete_access_point", {"AccessPointId": "fsap-old"}),
            ("describe_access_points", {"AccessPointId": "fsap-old"}),
        ]
        assert efs.access_points == {}

    def test_delete_by_id_without_waiting(self):
        efs = FakeEFS(existing(), existing("fsap-2"))
        result, _ = absent(efs, FakeModule(access_point_id="fsap-2", state="absent", wait=False))
        assert result == {"changed": True}
        assert efs.operations() == ["describe_access_points", "delete_access_point"]
        assert list(efs.access_points) == ["fsap-old"]

    def test_only_the_named_one_is_deleted(self):
        efs = FakeEFS(existing("fsap-1", name="keep"), existing("fsap-2"))
        absent(efs, named(state="absent"))
        assert list(efs.access_points) == ["fsap-1"]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


class TestMain:
    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}

    def test_check_mode_with_diff(self, run_module):
        efs = FakeEFS()
        args = dict(self.AWS, name="cms-data", file_system_id=FILE_SYSTEM_ID, root_directory={"path": "/data"})
        failed, result = run_module(efs, dict(args, _ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert efs.writes == []
        assert result["diff"]["before"] == {}
        assert result["diff"]["after"] == result["access_point"]
        assert result["access_point"]["root_directory"] == {"path": "/data"}

    def test_create_then_nothing_to_do(self, run_module):
        efs = FakeEFS()
        args = dict(self.AWS, name="cms-data", file_system_id=FILE_SYSTEM_ID, posix_user={"uid": 1, "gid": 1}, tags={"a": "b"})
        failed, first = run_module(efs, args)
        assert not failed, first
        assert first["changed"] is True
        failed, second = run_module(efs, args)
        assert not failed, second
        assert second["changed"] is False
        assert second["access_point"]["access_point_id"] == first["access_point"]["access_point_id"]
        assert [op for op, _ in efs.writes] == ["create_access_point"]

    def test_invalid_parameters_fail_before_any_call(self, run_module):
        efs = FakeEFS()
        args = dict(
            self.AWS,
            name="cms-data",
            file_system_id=FILE_SYSTEM_ID,
            posix_user={"uid": -1, "gid": 1},
            root_directory={"path": "data", "creation_info": {"owner_uid": 1, "owner_gid": 1, "permissions": "0789"}},
        )
        failed, result = run_module(efs, args)
        assert failed
        assert result["msg"] == (
            "root_directory.path: 'data' must be an absolute path of at most 100 characters; "
            "root_directory.creation_info.permissions: '0789' is not octal permissions such as '0750'; "
            "posix_user.uid: -1 is out of range (0 to 4294967295)"
        )
        assert efs.calls == []

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"name": "x", "access_point_id": "fsap-1", "file_system_id": FILE_SYSTEM_ID}, "mutually exclusive"),
            ({"file_system_id": FILE_SYSTEM_ID}, "one of the following is required"),
            ({"name": "x"}, "file_system_id"),
        ],
    )
    def test_argument_combinations(self, run_module, args, message):
        efs = FakeEFS()
        failed, result = run_module(efs, dict(self.AWS, **args))
        assert failed
        assert message in result["msg"]
        assert efs.calls == []

    def test_aws_errors_fail_with_the_call_named(self, run_module):
        efs = FakeEFS(errors={"create_access_point": "AccessPointLimitExceeded"})
        failed, result = run_module(efs, dict(self.AWS, name="x", file_system_id=FILE_SYSTEM_ID))
        assert failed
        assert result["msg"].startswith("Failed to create access point")
        assert result["error"]["code"] == "AccessPointLimitExceeded"

    def test_the_refusal_returns_the_current_access_point(self, run_module):
        efs = FakeEFS(existing())
        args = dict(self.AWS, name="cms-data", file_system_id=FILE_SYSTEM_ID, root_directory={"path": "/x"})
        failed, result = run_module(efs, args)
        assert failed
        assert "root_directory.path from /data to /x" in result["msg"]
        assert result["access_point"]["access_point_id"] == "fsap-old"


OTHER_FS = "fs-0fedcba9876543210"


def entry(name, file_system_id=FILE_SYSTEM_ID, **options):
    """One element of access_points, with the POSIX user and root directory `existing` gives."""
    return dict({"name": name, "file_system_id": file_system_id, "posix_user": POSIX, "root_directory": ROOT}, **options)


def listed(efs):
    """The file systems each DescribeAccessPoints call by file system asked for, in order."""
    return [kwargs["FileSystemId"] for operation, kwargs in efs.calls if operation == "describe_access_points" and "FileSystemId" in kwargs]


class TestList:
    AWS = TestMain.AWS

    def args(self, *entries, **args):
        return dict(self.AWS, access_points=list(entries), **args)

    def test_one_run_ensures_every_entry_listing_each_file_system_once(self, run_module):
        efs = FakeEFS(existing("fsap-kept", name="kept"), file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        entries = [entry("new"), entry("kept"), entry("elsewhere", OTHER_FS), entry("also-new")]
        failed, result = run_module(efs, self.args(*entries))
        assert not failed, result
        assert listed(efs) == [FILE_SYSTEM_ID, OTHER_FS]
        assert [(op, kwargs["FileSystemId"], kwargs["Tags"]) for op, kwargs in efs.writes] == [
            ("create_access_point", FILE_SYSTEM_ID, [{"Key": "Name", "Value": "new"}]),
            ("create_access_point", OTHER_FS, [{"Key": "Name", "Value": "elsewhere"}]),
            ("create_access_point", FILE_SYSTEM_ID, [{"Key": "Name", "Value": "also-new"}]),
        ]
        assert result["changed"] is True
        assert [item["changed"] for item in result["access_points"]] == [True, False, True, True]
        assert [item["access_point"]["name"] for item in result["access_points"]] == ["new", "kept", "elsewhere", "also-new"]
        assert result["access_points"][1]["access_point"]["access_point_id"] == "fsap-kept"
        created = {item["access_point"]["access_point_id"] for i, item in enumerate(result["access_points"]) if i != 1}
        assert created == set(efs.access_points) - {"fsap-kept"}
        assert result["others"] == []

    def test_a_rerun_lists_and_writes_nothing_more(self, run_module):
        efs = FakeEFS(file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        args = self.args(entry("a"), entry("b", OTHER_FS, tags={"team": "web"}))
        _, first = run_module(efs, args)
        calls = len(efs.calls)
        failed, second = run_module(efs, args)
        assert not failed, second
        assert second["changed"] is False
        assert efs.calls[calls:] == [
            ("describe_access_points", {"FileSystemId": FILE_SYSTEM_ID}),
            ("describe_access_points", {"FileSystemId": OTHER_FS}),
        ]
        assert [item["access_point"] for item in second["access_points"]] == [item["access_point"] for item in first["access_points"]]

    def test_each_element_is_what_the_singular_mode_returns(self, run_module):
        start = [existing("fsap-kept", name="kept"), existing("fsap-tagged", name="tagged", tags={"team": "web"}), existing("fsap-gone", name="gone")]
        entries = [
            entry("kept"),
            entry("tagged", tags={"team": "cms"}, purge_tags=False),
            entry("new", tags={"team": "web"}),
            {"name": "gone", "file_system_id": FILE_SYSTEM_ID, "state": "absent"},
        ]
        _, listed_result = run_module(FakeEFS(*start), self.args(*entries))
        assert [item["changed"] for item in listed_result["access_points"]] == [False, True, True, True]
        for options, element in zip(entries, listed_result["access_points"]):
            _, alone = run_module(FakeEFS(*start), dict(self.AWS, **options))
            assert element == {"changed": alone["changed"], "access_point": alone["access_point"]}, options["name"]
        assert listed_result["access_points"][1]["access_point"]["tags"] == {"Name": "tagged", "team": "cms"}
        assert listed_result["access_points"][3] == {"changed": True, "access_point": {}}

    def test_a_replaced_access_point_is_named_in_its_element(self, run_module):
        efs = FakeEFS(existing("fsap-old", name="moved"), existing("fsap-kept", name="kept"))
        entries = [entry("moved", root_directory=dict(ROOT, path="/other"), replace=True), entry("kept")]
        failed, result = run_module(efs, self.args(*entries))
        assert not failed, result
        moved, kept = result["access_points"]
        assert moved["replaced_access_point_id"] == "fsap-old"
        assert moved["access_point"]["root_directory"]["path"] == "/other"
        assert "replaced_access_point_id" not in kept
        assert [op for op, _ in efs.writes] == ["create_access_point", "delete_access_point"]
        assert sorted(efs.access_points) == sorted([moved["access_point"]["access_point_id"], "fsap-kept"])
        # The old one is not an access point that no entry names.
        assert result["others"] == []

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_an_entry_that_cannot_be_done_refuses_every_entry_before_any_write(self, run_module, check_mode):
        efs = FakeEFS(
            existing("fsap-tagged", name="tagged"),
            existing("fsap-moved", name="moved"),
            existing("fsap-user", name="user"),
            existing("fsap-b", name="twice"),
            existing("fsap-a", name="twice"),
        )
        entries = [
            entry("new"),
            entry("tagged", tags={"team": "web"}),
            entry("moved", root_directory=dict(ROOT, path="/other")),
            entry("user", posix_user=dict(POSIX, uid=7)),
            entry("twice"),
        ]
        failed, result = run_module(efs, self.args(*entries, _ansible_check_mode=check_mode))
        assert failed
        assert efs.writes == []
        assert listed(efs) == [FILE_SYSTEM_ID]
        msg = result["msg"]
        assert msg.startswith(
            "nothing was changed: access_points[2] (moved): access point moved (fsap-moved) cannot change "
            "root_directory.path from /data to /other: "
        )
        assert "; access_points[3] (user): access point user (fsap-user) cannot change posix_user.uid from 1000 to 7: " in msg
        assert msg.endswith(f"; access_points[4] (twice): 2 access points are named twice in {FILE_SYSTEM_ID} (fsap-a, fsap-b): "
                            "give access_point_id, or delete the extra ones")
        assert "access_points[0]" not in msg and "access_points[1]" not in msg
        assert (result["changed"], result["access_points"], result["others"]) == (False, [], [])

    def test_an_entry_that_replaces_is_not_refused(self, run_module):
        efs = FakeEFS(existing("fsap-moved", name="moved"))
        failed, result = run_module(efs, self.args(entry("moved", root_directory=dict(ROOT, path="/other"), replace=True),
                                                   _ansible_check_mode=True))
        assert not failed, result
        assert result["access_points"][0]["replaced_access_point_id"] == "fsap-moved"
        assert efs.writes == []

    @pytest.mark.parametrize(
        "entries, message",
        [
            ([entry("a"), entry("b"), entry("a")], f"access_points names an access point more than once: a in {FILE_SYSTEM_ID}"),
            (
                [entry("a"), entry("b", root_directory={"path": "relative"})],
                "access_points[1] (b): root_directory.path: 'relative' must be an absolute path of at most 100 characters",
            ),
            ([entry("a", posix_user={"uid": -1, "gid": 0})], "access_points[0] (a): posix_user.uid: -1 is out of range"),
            ([{"name": "a"}], "missing required arguments: file_system_id found in access_points"),
            ([{"file_system_id": FILE_SYSTEM_ID}], "missing required arguments: name found in access_points"),
        ],
    )
    def test_invalid_entries_fail_before_any_call(self, run_module, entries, message):
        efs = FakeEFS(existing())
        failed, result = run_module(efs, self.args(*entries))
        assert failed
        assert message in result["msg"]
        assert efs.calls == []

    def test_the_same_name_on_two_file_systems_is_two_access_points(self, run_module):
        efs = FakeEFS(file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        failed, result = run_module(efs, self.args(entry("a"), entry("a", OTHER_FS)))
        assert not failed, result
        assert [kwargs["FileSystemId"] for _, kwargs in efs.writes] == [FILE_SYSTEM_ID, OTHER_FS]

    @pytest.mark.parametrize("option", [{"name": "a", "file_system_id": FILE_SYSTEM_ID}, {"purge_tags": False}, {"tags": {}},
                                        {"replace": True}, {"access_point_id": "fsap-1"}, {"state": "absent"}])
    def test_per_access_point_options_belong_in_the_entries(self, run_module, option):
        efs = FakeEFS()
        failed, result = run_module(efs, self.args(entry("a"), **option))
        assert failed
        assert "parameters are mutually exclusive: " in result["msg"]
        groups = [group.split("|") for group in result["msg"].split(": ", 1)[1].split(", ")]
        assert all("access_points" in group for group in groups), result["msg"]
        assert efs.calls == []

    def test_others_are_the_access_points_no_entry_names(self, run_module):
        efs = FakeEFS(
            existing("fsap-kept", name="kept"),
            existing("fsap-z", name="zz-orphan", tags={"quoin:environment": "prod"}),
            existing("fsap-y", name="an-orphan"),
            access_point("fsap-x"),  # no Name tag
            existing("fsap-leaving", name="leaving", state="deleting"),
            existing("fsap-listed", name="listed-only", file_system_id=OTHER_FS),
            existing("fsap-unasked", name="unasked", file_system_id="fs-unasked"),
            file_systems=[FILE_SYSTEM_ID, OTHER_FS, "fs-unasked"],
        )
        failed, result = run_module(efs, self.args(entry("kept"), entry("new"), list_file_systems=[OTHER_FS, FILE_SYSTEM_ID]))
        assert not failed, result
        # Each file system once, whether an entry or list_file_systems names it.
        assert listed(efs) == [FILE_SYSTEM_ID, OTHER_FS]
        assert [(ap["file_system_id"], ap["name"], ap["access_point_id"]) for ap in result["others"]] == [
            (FILE_SYSTEM_ID, None, "fsap-x"),
            (FILE_SYSTEM_ID, "an-orphan", "fsap-y"),
            (FILE_SYSTEM_ID, "zz-orphan", "fsap-z"),
            (OTHER_FS, "listed-only", "fsap-listed"),
        ]
        assert result["others"][2] == module_under_test.normalize_access_point(efs.access_points["fsap-z"])
        assert result["others"][2]["tags"] == {"Name": "zz-orphan", "quoin:environment": "prod"}

    def test_others_are_as_listed_before_any_change_and_leave_out_what_an_entry_deletes(self, run_module):
        efs = FakeEFS(existing("fsap-gone", name="gone"), existing("fsap-orphan", name="orphan"))
        entries = [{"name": "gone", "file_system_id": FILE_SYSTEM_ID, "state": "absent"}, entry("new")]
        failed, result = run_module(efs, self.args(*entries))
        assert not failed, result
        assert [ap["access_point_id"] for ap in result["others"]] == ["fsap-orphan"]
        assert "fsap-gone" not in efs.access_points

    def test_list_file_systems_alone_only_lists(self, run_module):
        efs = FakeEFS(existing("fsap-1", name="a"), file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        failed, result = run_module(efs, self.args(list_file_systems=[FILE_SYSTEM_ID, OTHER_FS]))
        assert not failed, result
        assert (result["changed"], result["access_points"]) == (False, [])
        assert [ap["access_point_id"] for ap in result["others"]] == ["fsap-1"]
        assert listed(efs) == [FILE_SYSTEM_ID, OTHER_FS]
        assert efs.writes == []

    def test_check_mode_predicts_each_entry_without_writing(self, run_module):
        start = [existing("fsap-tagged", name="tagged"), existing("fsap-moved", name="moved"), existing("fsap-gone", name="gone")]
        entries = [
            entry("new", tags={"team": "web"}),
            entry("tagged", tags={"team": "web"}),
            entry("moved", root_directory=dict(ROOT, path="/other"), replace=True),
            {"name": "gone", "file_system_id": FILE_SYSTEM_ID, "state": "absent"},
        ]
        efs = FakeEFS(*start)
        failed, result = run_module(efs, self.args(*entries, _ansible_check_mode=True))
        assert not failed, result
        assert efs.writes == []
        assert efs.operations() == ["describe_access_points"]
        assert sorted(efs.access_points) == ["fsap-gone", "fsap-moved", "fsap-tagged"]
        assert result["changed"] is True
        assert [item["changed"] for item in result["access_points"]] == [True, True, True, True]
        assert "access_point_id" not in result["access_points"][0]["access_point"]
        assert result["access_points"][1]["access_point"]["tags"] == {"Name": "tagged", "team": "web"}
        for options, element in zip(entries, result["access_points"]):
            _, alone = run_module(FakeEFS(*start), dict(self.AWS, _ansible_check_mode=True, **options))
            expected = {"changed": alone["changed"], "access_point": alone["access_point"]}
            if "replaced_access_point_id" in alone:
                expected["replaced_access_point_id"] = alone["replaced_access_point_id"]
            assert element == expected, options["name"]

    def test_check_mode_predicts_what_a_real_run_returns(self, run_module):
        start = [existing("fsap-tagged", name="tagged", tags={"team": "web"})]
        entries = [entry("new", tags={"team": "web"}), entry("tagged", tags={"owner": "ops"}, purge_tags=False)]
        _, prediction = run_module(FakeEFS(*start), self.args(*entries, _ansible_check_mode=True))
        _, done = run_module(FakeEFS(*start), self.args(*entries))
        ids = ("access_point_id", "access_point_arn", "owner_id")
        assert [item["changed"] for item in prediction["access_points"]] == [item["changed"] for item in done["access_points"]]
        assert prediction["access_points"][0]["access_point"] == {
            k: v for k, v in done["access_points"][0]["access_point"].items() if k not in ids
        }
        assert prediction["access_points"][1] == done["access_points"][1]

    def test_the_diff_is_keyed_by_file_system_and_name(self, run_module):
        efs = FakeEFS(existing("fsap-tagged", name="tagged"), existing("fsap-gone", name="gone"), existing("fsap-kept", name="kept"),
                      file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        entries = [
            entry("tagged", tags={"team": "web"}),
            entry("new", OTHER_FS),
            {"name": "gone", "file_system_id": FILE_SYSTEM_ID, "state": "absent"},
            entry("kept"),
        ]
        failed, result = run_module(efs, self.args(*entries, _ansible_diff=True))
        assert not failed, result
        before, after = result["diff"]["before"], result["diff"]["after"]
        keys = [f"{FILE_SYSTEM_ID}/tagged", f"{OTHER_FS}/new", f"{FILE_SYSTEM_ID}/gone", f"{FILE_SYSTEM_ID}/kept"]
        assert sorted(before) == sorted(after) == sorted(keys)
        assert (before[keys[0]]["tags"], after[keys[0]]["tags"]) == ({"Name": "tagged"}, {"Name": "tagged", "team": "web"})
        assert before[keys[1]] == {} and after[keys[1]] == result["access_points"][1]["access_point"]
        assert before[keys[2]]["access_point_id"] == "fsap-gone" and after[keys[2]] == {}
        assert before[keys[3]] == after[keys[3]]

    def test_no_diff_unless_asked(self, run_module):
        _, result = run_module(FakeEFS(), self.args(entry("new")))
        assert "diff" not in result

    def test_an_aws_error_part_way_names_the_entry_and_what_was_done(self, run_module):
        efs = FakeEFS(existing("fsap-kept", name="kept"), existing("fsap-tagged", name="tagged"), existing("fsap-orphan", name="orphan"),
                      existing("fsap-another", name="another-orphan"), errors={"tag_resource": "AccessDeniedException"})
        entries = [entry("new"), entry("kept"), entry("tagged", tags={"team": "web"}), entry("later")]
        failed, result = run_module(efs, self.args(*entries))
        assert failed
        assert result["msg"].startswith("access_points[2] (tagged): Failed to tag resource (already done: access_points[0] (new)): ")
        assert result["error"]["code"] == "AccessDeniedException"
        assert result["changed"] is True
        # What was done before the entry that failed; nothing after it.
        assert [(item["changed"], item["access_point"]["name"]) for item in result["access_points"]] == [(True, "new"), (False, "kept")]
        assert [op for op, _ in efs.writes] == ["create_access_point", "tag_resource"]
        # Sorted as in a run that succeeds.
        assert [ap["access_point_id"] for ap in result["others"]] == ["fsap-another", "fsap-orphan"]

    def test_an_aws_error_on_the_first_write_says_nothing_was_done(self, run_module):
        efs = FakeEFS(errors={"create_access_point": "AccessPointLimitExceeded"})
        failed, result = run_module(efs, self.args(entry("new"), entry("next")))
        assert failed
        assert result["msg"].startswith("access_points[0] (new): Failed to create access point (already done: nothing): ")
        assert (result["changed"], result["access_points"]) == (False, [])
        assert [op for op, _ in efs.writes] == ["create_access_point"]

    def test_a_failed_listing_fails_before_any_write(self, run_module):
        efs = FakeEFS(errors={"describe_access_points": "AccessDeniedException"})
        failed, result = run_module(efs, self.args(entry("new")))
        assert failed
        assert result["msg"].startswith("Failed to describe access points")
        assert result["error"]["code"] == "AccessDeniedException"
        assert efs.writes == []

    def test_wait_and_wait_timeout_apply_to_every_entry(self, run_module):
        efs = FakeEFS(new_state="creating")
        failed, result = run_module(efs, self.args(entry("a"), entry("b"), wait=False))
        assert not failed, result
        assert efs.operations() == ["describe_access_points", "create_access_point", "create_access_point"]
        assert [item["access_point"]["life_cycle_state"] for item in result["access_points"]] == ["creating", "creating"]
        failed, result = run_module(FakeEFS(new_state="creating"), self.args(entry("a"), wait_timeout=1))
        assert failed
        assert result["msg"].startswith("access_points[0] (a): Timeout")


FS_ARN = f"arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/{FILE_SYSTEM_ID}"


def admitting(*names, sid="MountsThroughItsAccessPoints"):
    """A policy admitting a role through the access points named (references for the module to fill in)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/cms-task"},
                "Action": "elasticfilesystem:ClientMount",
                "Resource": FS_ARN,
                "Condition": {"ArnEquals": {"elasticfilesystem:AccessPointArn": [{"access_point_arn": n} for n in names]}},
            }
        ],
    }


def admitted(efs, file_system_id=FILE_SYSTEM_ID):
    """The access point ARNs the policy put on the file system admits."""
    policy = json.loads(efs.policies[file_system_id])
    return policy["Statement"][0]["Condition"]["ArnEquals"]["elasticfilesystem:AccessPointArn"]


class TestFileSystemPolicies:
    AWS = TestMain.AWS

    def args(self, entries, policies, **args):
        return dict(self.AWS, access_points=entries, file_system_policies=policies, **args)

    def test_a_policy_admits_the_access_points_created_in_the_same_run(self, run_module):
        efs = FakeEFS(existing("fsap-kept", name="kept"))
        policies = [{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("kept", "new")}]
        failed, result = run_module(efs, self.args([entry("kept"), entry("new")], policies))
        assert not failed, result
        new = result["access_points"][1]["access_point"]
        assert [op for op, _ in efs.writes] == ["create_access_point", "put_file_system_policy"]
        assert admitted(efs) == [existing("fsap-kept")["AccessPointArn"], new["access_point_arn"]]
        assert result["file_system_policies"] == [
            {"file_system_id": FILE_SYSTEM_ID, "changed": True, "policy": json.loads(efs.policies[FILE_SYSTEM_ID])}
        ]
        assert result["changed"] is True

    def test_a_rerun_puts_nothing(self, run_module):
        efs = FakeEFS()
        args = self.args([entry("new")], [{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("new")}], _ansible_diff=True)
        run_module(efs, args)
        writes = len(efs.writes)
        failed, second = run_module(efs, args)
        assert not failed, second
        assert second["changed"] is False
        assert second["file_system_policies"][0]["changed"] is False
        assert len(efs.writes) == writes
        key = f"{FILE_SYSTEM_ID} policy"
        assert second["diff"]["before"][key] == second["diff"]["after"][key]

    def test_statement_order_does_not_count(self, run_module):
        efs = FakeEFS(existing("fsap-kept", name="kept"))
        policy = admitting("kept")
        policy["Statement"].append(dict(policy["Statement"][0], Sid="Second"))
        run_module(efs, self.args([entry("kept")], [{"file_system_id": FILE_SYSTEM_ID, "policy": policy}]))
        policy["Statement"].reverse()
        failed, result = run_module(efs, self.args([entry("kept")], [{"file_system_id": FILE_SYSTEM_ID, "policy": policy}]))
        assert not failed, result
        assert result["changed"] is False

    def test_check_mode_predicts_with_a_stand_in_for_a_new_access_point(self, run_module):
        efs = FakeEFS()
        policies = [{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("new")}]
        failed, result = run_module(efs, self.args([entry("new")], policies, _ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert efs.writes == []
        predicted_policy = result["file_system_policies"][0]["policy"]
        arns = predicted_policy["Statement"][0]["Condition"]["ArnEquals"]["elasticfilesystem:AccessPointArn"]
        assert arns == ["(new access point new)"]
        assert result["diff"]["before"][f"{FILE_SYSTEM_ID} policy"] == {}
        assert result["diff"]["after"][f"{FILE_SYSTEM_ID} policy"] == predicted_policy

    @pytest.mark.parametrize("policies, refusal", [
        ([{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("nobody")}], "names access points that no present entry"),
        ([{"file_system_id": OTHER_FS, "policy": admitting("new")}], "names access points that no present entry"),
        ([{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("new")}] * 2, "has a policy earlier in the list"),
        ([{"file_system_id": FILE_SYSTEM_ID, "policy": "[1, 2]"}], "is not a JSON object"),
        ([{"file_system_id": FILE_SYSTEM_ID, "policy": "{not json"}], "is not JSON"),
    ])
    def test_a_bad_policy_is_refused_before_any_write(self, run_module, policies, refusal):
        efs = FakeEFS(file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        failed, result = run_module(efs, self.args([entry("new")], policies))
        assert failed
        assert refusal in result["msg"], result["msg"]
        assert result["msg"].startswith("file_system_policies[")
        assert efs.writes == []

    def test_an_access_point_being_deleted_cannot_be_admitted(self, run_module):
        efs = FakeEFS(existing("fsap-old", name="old"))
        entries = [{"name": "old", "file_system_id": FILE_SYSTEM_ID, "state": "absent"}]
        failed, result = run_module(efs, self.args(entries, [{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("old")}]))
        assert failed
        assert "no present entry of access_points has on this file system: old" in result["msg"]
        assert efs.writes == []

    def test_a_failed_put_names_what_was_done(self, run_module):
        efs = FakeEFS(errors={"put_file_system_policy": "InvalidPolicyException"})
        failed, result = run_module(efs, self.args([entry("new")], [{"file_system_id": FILE_SYSTEM_ID, "policy": admitting("new")}]))
        assert failed
        assert result["msg"].startswith(f"file_system_policies[0] ({FILE_SYSTEM_ID}): Failed to put file system policy")
        assert "access points done; policies already done: none" in result["msg"]
        assert result["changed"] is True
        assert [item["changed"] for item in result["access_points"]] == [True]
        assert list(efs.access_points) == [result["access_points"][0]["access_point"]["access_point_id"]]

    def test_policies_need_access_points(self, run_module):
        failed, result = run_module(FakeEFS(), dict(self.AWS, name="a", file_system_id=FILE_SYSTEM_ID,
                                                    file_system_policies=[{"file_system_id": FILE_SYSTEM_ID, "policy": "{}"}]))
        assert failed
        assert "file_system_policies" in result["msg"] and "access_points" in result["msg"]


class TestSingularContract:
    """The single access point's result is what it was before the list mode: no access_points, no others."""

    AWS = TestMain.AWS

    def test_the_result_keys(self, run_module):
        efs = FakeEFS(existing())
        args = dict(self.AWS, name="cms-data", file_system_id=FILE_SYSTEM_ID)
        _, result = run_module(efs, args)
        assert sorted(result) == ["access_point", "changed", "failed"]
        _, result = run_module(efs, dict(args, root_directory=dict(ROOT, path="/other"), replace=True, _ansible_diff=True))
        assert sorted(result) == ["access_point", "changed", "diff", "failed", "replaced_access_point_id"]
        _, result = run_module(efs, dict(args, state="absent"))
        assert (sorted(result), result["access_point"]) == (["access_point", "changed", "failed"], {})

    def test_the_file_system_is_listed_once_and_nothing_else(self, run_module):
        efs = FakeEFS(existing(), existing("fsap-other", file_system_id=OTHER_FS), file_systems=[FILE_SYSTEM_ID, OTHER_FS])
        run_module(efs, dict(self.AWS, name="cms-data", file_system_id=FILE_SYSTEM_ID))
        assert efs.calls == [("describe_access_points", {"FileSystemId": FILE_SYSTEM_ID})]


class TestExamples:
    def test_every_example_is_accepted_in_check_mode(self, run_module):
        tasks = [task for task in yaml.safe_load(module_under_test.EXAMPLES) if "quoin.fargate.efs_access_point" in task]
        assert len(tasks) == 5
        for task in tasks:
            efs = FakeEFS()
            failed, result = run_module(efs, dict(TestMain.AWS, _ansible_check_mode=True, **task["quoin.fargate.efs_access_point"]))
            assert not failed, (task["name"], result["msg"])
            assert efs.writes == []
