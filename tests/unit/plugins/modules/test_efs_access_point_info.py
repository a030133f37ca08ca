"""efs_access_point_info against a stubbed EFS client: which access points it lists, in which order."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.quoin.fargate.plugins.modules import efs_access_point_info
from ansible_collections.quoin.fargate.plugins.modules.efs_access_point_info import matches

from ..fake_efs import FILE_SYSTEM_ID
from ..fake_efs import FakeEFS
from ..fake_efs import access_point

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}


class Done(Exception):
    pass


@pytest.fixture
def run_module(monkeypatch):
    """main() with these arguments on this fake client; the result (failures included, as 'failed')."""

    def exit_json(self, **kwargs):
        raise Done(dict(kwargs, failed=False))

    def fail_json(self, msg, **kwargs):
        raise Done(dict(kwargs, msg=msg, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(efs, **args):
        monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kw: efs)
        with patch_module_args(dict(AWS, **args)), pytest.raises(Done) as done:
            efs_access_point_info.main()
        return json.loads(json.dumps(done.value.args[0]))

    return run


@pytest.fixture
def efs():
    return FakeEFS(
        access_point("fsap-3", name="web", tags={"env": "prod"}),
        access_point("fsap-1", name="cms", tags={"env": "prod", "team": "cms"}),
        access_point("fsap-2", name="cms", tags={"env": "dev"}),
        access_point("fsap-4", tags={"env": "prod"}),
        access_point("fsap-5", name="other-fs", file_system_id="fs-other"),
        file_systems=[FILE_SYSTEM_ID, "fs-other"],
    )


def ids(result):
    assert result["failed"] is False, result
    assert result["changed"] is False
    return [ap["access_point_id"] for ap in result["access_points"]]


class TestMatches:
    AP = {"name": "cms", "tags": {"Name": "cms", "env": "prod"}}

    @pytest.mark.parametrize(
        "name, tags, expected",
        [
            (None, None, True),
            ("cms", None, True),
            ("web", None, False),
            (None, {"env": "prod"}, True),
            (None, {"env": "dev"}, False),
            (None, {"env": "prod", "team": "x"}, False),
            ("cms", {"env": "prod"}, True),
            (None, {}, True),
        ],
    )
    def test_name_and_every_tag_must_match(self, name, tags, expected):
        assert matches(self.AP, name, tags) is expected


class TestList:
    def test_a_file_systems_access_points_sorted_by_name_then_id(self, run_module, efs):
        # No name sorts first.
        assert ids(run_module(efs, file_system_id=FILE_SYSTEM_ID)) == ["fsap-4", "fsap-1", "fsap-2", "fsap-3"]
        assert efs.calls == [("describe_access_points", {"FileSystemId": FILE_SYSTEM_ID})]

    def test_every_file_system_without_a_filter(self, run_module, efs):
        assert ids(run_module(efs)) == ["fsap-4", "fsap-1", "fsap-2", "fsap-5", "fsap-3"]
        assert efs.calls == [("describe_access_points", {})]

    def test_by_name(self, run_module, efs):
        assert ids(run_module(efs, file_system_id=FILE_SYSTEM_ID, name="cms")) == ["fsap-1", "fsap-2"]

    def test_by_tags(self, run_module, efs):
        assert ids(run_module(efs, file_system_id=FILE_SYSTEM_ID, tags={"env": "prod"})) == ["fsap-4", "fsap-1", "fsap-3"]
        assert ids(run_module(efs, file_system_id=FILE_SYSTEM_ID, tags={"env": "prod", "team": "cms"})) == ["fsap-1"]

    def test_by_name_and_tags(self, run_module, efs):
        assert ids(run_module(efs, name="cms", tags={"env": "dev"})) == ["fsap-2"]

    def test_by_id(self, run_module, efs):
        result = run_module(efs, access_point_id="fsap-2")
        assert ids(result) == ["fsap-2"]
        assert result["access_points"][0]["tags"] == {"Name": "cms", "env": "dev"}
        assert efs.calls == [("describe_access_points", {"AccessPointId": "fsap-2"})]

    def test_a_missing_id_or_file_system_is_an_empty_list(self, run_module, efs):
        assert ids(run_module(efs, access_point_id="fsap-missing")) == []
        assert ids(run_module(efs, file_system_id="fs-missing")) == []

    def test_file_system_and_id_are_mutually_exclusive(self, run_module, efs):
        result = run_module(efs, file_system_id=FILE_SYSTEM_ID, access_point_id="fsap-1")
        assert result["failed"] is True
        assert "mutually exclusive" in result["msg"]
        assert efs.calls == []

    def test_aws_errors_fail(self, run_module):
        result = run_module(FakeEFS(errors={"describe_access_points": "AccessDeniedException"}), file_system_id=FILE_SYSTEM_ID)
        assert result["failed"] is True
        assert result["msg"].startswith("Failed to describe access points")

    def test_check_mode_lists_too(self, run_module, efs):
        assert ids(run_module(efs, file_system_id=FILE_SYSTEM_ID, name="web", _ansible_check_mode=True)) == ["fsap-3"]
