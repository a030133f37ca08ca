"""ecs_taskdefinition against a stubbed ECS client: when it registers a new revision and when it does
not, what check mode predicts without writing, tags without a new revision, deregistration."""

import copy

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.modules import ecs_taskdefinition as module_under_test
from ansible_collections.quoin.fargate.plugins.modules.ecs_taskdefinition import ensure_absent
from ansible_collections.quoin.fargate.plugins.modules.ecs_taskdefinition import ensure_present

from ..fake_ecr import FakeECR
from ..fake_ecr import image
from ..fake_ecs_taskdefinitions import ACCOUNT
from ..fake_ecs_taskdefinitions import REGISTER_SHAPE as SHAPE
from ..fake_ecs_taskdefinitions import FakeECS
from ..fake_ecs_taskdefinitions import arn
from ..module_utils.test_ecs_task_definition import AWS_DESCRIBED
from ..module_utils.test_ecs_task_definition import MOTO_DESCRIBED
from ..module_utils.test_ecs_task_definition import MOTO_REQUEST
from ..module_utils.test_ecs_task_definition import REQUEST
from ..module_utils.test_ecs_task_definition import REMOVE
from ..module_utils.test_ecs_task_definition import changed
from ..module_runner import module_runner

FAMILY = "prod-cms"
DEFAULTS = {
    "family": FAMILY,
    "state": "present",
    "task_definition": None,
    "revision": None,
    "tags": None,
    "purge_tags": True,
}


class FailJson(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, check_mode=False, diff=False, **params):
        unknown = set(params) - set(DEFAULTS)
        assert not unknown, unknown
        self.params = dict(copy.deepcopy(DEFAULTS), **params)
        self.check_mode = check_mode
        self._diff = diff

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


def registered(*requests, tags=None, family=FAMILY):
    """A stub with these revisions registered (as AWS describes them), 1, 2, ..."""
    ecs = FakeECS()
    for request in requests:
        ecs.add(dict(copy.deepcopy(request), family=family), tags=tags)
    return ecs


def present(ecs, check_mode=False, **params):
    """ensure_present as main() runs it: (result, (task definition, tags))."""
    params.setdefault("task_definition", copy.deepcopy(REQUEST))
    result = {"changed": False}
    after = ensure_present(ecs, FakeModule(check_mode, **params), SHAPE, result)
    return result, after


def absent(ecs, check_mode=False, **params):
    result = {"changed": False}
    ensure_absent(ecs, FakeModule(check_mode, state="absent", **params), SHAPE, result)
    return result


def registrations(ecs):
    return [kwargs for operation, kwargs in ecs.writes if operation == "register_task_definition"]


# Each change the stock module misses or never compares, as edits of REQUEST.
CHANGES = {
    "environment value": {"containerDefinitions__0__environment__0__value": "staging"},
    "secret": {"containerDefinitions__0__secrets__0__valueFrom": "arn:aws:ssm:eu-central-1:123456789012:parameter/other"},
    "mount point": {"containerDefinitions__0__mountPoints__0__containerPath": "/data"},
    "access point": {"volumes__0__efsVolumeConfiguration__authorizationConfig__accessPointId": "fsap-0fedcba9876543210"},
    "cpu": {"cpu": "2048"},
    "memory": {"memory": "4096"},
    "execution role": {"executionRoleArn": "arn:aws:iam::123456789012:role/other"},
    "task role": {"taskRoleArn": REMOVE},
    "image": {"containerDefinitions__0__image": "gentics/mesh:2.1.1"},
    "health check": {"containerDefinitions__0__healthCheck__retries": 5},
    "read-only root": {"containerDefinitions__0__readonlyRootFilesystem": False},
    "user": {"containerDefinitions__0__user": "0:0"},
    "ephemeral storage": {"ephemeralStorage__sizeInGiB": 50},
    "runtime platform": {"runtimePlatform__cpuArchitecture": "ARM64"},
}


class TestRegister:
    def test_a_new_family_is_registered(self):
        ecs = FakeECS()
        result, (after, tags) = present(ecs, tags={"team": "cms"})
        assert result["changed"] is True
        [request] = registrations(ecs)
        assert request["family"] == FAMILY
        assert request["tags"] == [{"key": "team", "value": "cms"}]
        assert request["cpu"] == "1024"
        assert after["taskDefinitionArn"] == arn(FAMILY, 1)
        assert tags == {"team": "cms"}
        assert "containerDefinitions[cms]: added" in result["changes"]

    def test_the_same_definition_again_changes_nothing(self):
        ecs = FakeECS()
        present(ecs)
        result, (after, _) = present(ecs)
        assert result == {"changed": False, "changes": [], "diff": result["diff"]}
        assert result["diff"]["before"] == result["diff"]["after"]
        assert len(registrations(ecs)) == 1
        assert after["revision"] == 1

    def test_a_description_with_all_of_aws_defaults_changes_nothing(self):
        ecs = FakeECS()
        ecs.add_described(AWS_DESCRIBED)
        result, (after, _) = present(ecs)
        assert result["changed"] is False
        assert result["changes"] == []
        assert ecs.writes == []
        assert after["revision"] == 7

    def test_a_description_from_moto_changes_nothing(self):
        ecs = FakeECS()
        ecs.add_described(MOTO_DESCRIBED)
        result, _ = present(ecs, family="probe-site", task_definition=copy.deepcopy(MOTO_REQUEST))
        assert result["changed"] is False
        assert ecs.writes == []

    @pytest.mark.parametrize("edits", CHANGES.values(), ids=CHANGES.keys())
    def test_each_change_registers_a_new_revision(self, edits):
        ecs = registered(REQUEST)
        result, (after, _) = present(ecs, task_definition=changed(REQUEST, **edits))
        assert result["changed"] is True
        assert len(result["changes"]) >= 1
        assert len(registrations(ecs)) == 1
        assert after["revision"] == 2
        assert ecs.active(FAMILY) == [1, 2]

    def test_only_the_latest_active_revision_counts(self):
        staging = changed(REQUEST, containerDefinitions__0__environment__0__value="staging")
        ecs = registered(REQUEST, staging)
        result, (after, _) = present(ecs)
        assert result["changes"] == ["containerDefinitions[cms].environment[NODE_ENV]: staging -> production"]
        assert after["revision"] == 3

    def test_an_inactive_latest_revision_does_not_count(self):
        staging = changed(REQUEST, containerDefinitions__0__environment__0__value="staging")
        ecs = registered(staging)
        ecs.add(dict(REQUEST, family=FAMILY), status="INACTIVE")
        result, (after, _) = present(ecs)
        assert result["changed"] is True
        assert result["changes"] == ["containerDefinitions[cms].environment[NODE_ENV]: staging -> production"]
        assert after["revision"] == 3

    def test_families_that_share_the_prefix_do_not_count(self):
        ecs = registered(REQUEST, family=f"{FAMILY}-worker")
        result, (after, _) = present(ecs)
        assert result["changed"] is True
        assert after["taskDefinitionArn"] == arn(FAMILY, 1)
        assert ecs.active(f"{FAMILY}-worker") == [1]

    def test_a_new_revision_carries_the_tags_when_none_are_asked(self):
        ecs = registered(REQUEST, tags={"team": "cms", "aws:cloudformation:stack-name": "s"})
        _, (after, tags) = present(ecs, task_definition=changed(REQUEST, cpu="2048"))
        assert registrations(ecs)[0]["tags"] == [{"key": "team", "value": "cms"}]
        assert tags == {"team": "cms"}
        assert ecs.tags_of(FAMILY, 2) == {"team": "cms"}

    @pytest.mark.parametrize(
        "purge, expected",
        [(True, {"owner": "ops"}), (False, {"team": "cms", "owner": "ops"})],
    )
    def test_a_new_revision_gets_the_tags_as_asked(self, purge, expected):
        ecs = registered(REQUEST, tags={"team": "cms"})
        present(ecs, task_definition=changed(REQUEST, cpu="2048"), tags={"owner": "ops"}, purge_tags=purge)
        assert ecs.tags_of(FAMILY, 2) == expected
        assert ecs.tags_of(FAMILY, 1) == {"team": "cms"}


class TestCheckMode:
    def test_a_new_family_is_predicted_without_writing(self):
        ecs = FakeECS()
        result, (after, tags) = present(ecs, check_mode=True, tags={"team": "cms"})
        assert result["changed"] is True
        assert ecs.writes == []
        assert ecs.revisions == {}
        assert after["revision"] == 1
        assert "taskDefinitionArn" not in after
        assert after["family"] == FAMILY
        assert tags == {"team": "cms"}

    def test_the_predicted_revision_follows_the_inactive_ones(self):
        ecs = registered(REQUEST, REQUEST, REQUEST)
        for revision in (1, 2, 3):
            ecs.revisions[FAMILY][revision]["taskDefinition"]["status"] = "INACTIVE"
        result, (after, _) = present(ecs, check_mode=True)
        assert result["changed"] is True
        assert after["revision"] == 4
        assert ecs.writes == []

    @pytest.mark.parametrize("edits", CHANGES.values(), ids=CHANGES.keys())
    def test_each_change_is_predicted_without_writing(self, edits):
        ecs = registered(REQUEST)
        result, (after, _) = present(ecs, check_mode=True, task_definition=changed(REQUEST, **edits))
        assert result["changed"] is True
        assert ecs.writes == []
        assert ecs.active(FAMILY) == [1]
        assert after["revision"] == 2

    def test_check_mode_reports_the_same_changes_as_a_run(self):
        edits = CHANGES["environment value"]
        checked, _ = present(registered(REQUEST), check_mode=True, task_definition=changed(REQUEST, **edits))
        applied, _ = present(registered(REQUEST), task_definition=changed(REQUEST, **edits))
        assert checked == applied

    def test_nothing_to_do_is_not_changed(self):
        ecs = registered(REQUEST, tags={"team": "cms"})
        result, (after, _) = present(ecs, check_mode=True, tags={"team": "cms"})
        assert result["changed"] is False
        assert after["revision"] == 1


class TestTags:
    def test_tags_alone_tag_the_latest_revision(self):
        ecs = registered(REQUEST, REQUEST, tags={"team": "cms"})
        result, (after, tags) = present(ecs, tags={"team": "web"})
        assert result["changed"] is True
        assert result["changes"] == []
        assert registrations(ecs) == []
        assert ecs.writes == [("tag_resource", {"resourceArn": arn(FAMILY, 2), "tags": [{"key": "team", "value": "web"}]})]
        assert after["revision"] == 2
        assert tags == {"team": "web"}
        assert ecs.tags_of(FAMILY, 1) == {"team": "cms"}

    def test_purging_untags(self):
        ecs = registered(REQUEST, tags={"team": "cms", "owner": "ops", "aws:cloudformation:stack-name": "s"})
        result, (_, tags) = present(ecs, tags={"team": "cms"})
        assert result["changed"] is True
        assert ecs.writes == [("untag_resource", {"resourceArn": arn(FAMILY, 1), "tagKeys": ["owner"]})]
        assert tags == {"team": "cms", "aws:cloudformation:stack-name": "s"}

    def test_without_purge_tags_are_only_added(self):
        ecs = registered(REQUEST, tags={"team": "cms"})
        _, (_, tags) = present(ecs, tags={"owner": "ops"}, purge_tags=False)
        assert [operation for operation, _ in ecs.writes] == ["tag_resource"]
        assert tags == {"team": "cms", "owner": "ops"}

    def test_no_tags_asked_leaves_them_alone(self):
        ecs = registered(REQUEST, tags={"team": "cms"})
        result, (_, tags) = present(ecs)
        assert result["changed"] is False
        assert ecs.writes == []
        assert tags == {"team": "cms"}

    def test_tags_in_check_mode_are_predicted_without_writing(self):
        ecs = registered(REQUEST, tags={"team": "cms"})
        result, (_, tags) = present(ecs, check_mode=True, tags={"owner": "ops"})
        assert result["changed"] is True
        assert ecs.writes == []
        assert tags == {"owner": "ops"}
        assert ecs.tags_of(FAMILY, 1) == {"team": "cms"}


class TestDeregister:
    def test_every_active_revision(self):
        ecs = registered(REQUEST, REQUEST, REQUEST)
        ecs.revisions[FAMILY][1]["taskDefinition"]["status"] = "INACTIVE"
        result = absent(ecs)
        assert result["changed"] is True
        assert result["deregistered_task_definition_arns"] == [arn(FAMILY, 2), arn(FAMILY, 3)]
        assert ecs.writes == [
            ("deregister_task_definition", {"taskDefinition": arn(FAMILY, 2)}),
            ("deregister_task_definition", {"taskDefinition": arn(FAMILY, 3)}),
        ]
        assert ecs.active(FAMILY) == []

    def test_one_revision(self):
        ecs = registered(REQUEST, REQUEST)
        result = absent(ecs, revision=1)
        assert result["deregistered_task_definition_arns"] == [arn(FAMILY, 1)]
        assert ecs.active(FAMILY) == [2]

    @pytest.mark.parametrize("revision", [1, 5])
    def test_a_revision_that_is_not_active_is_nothing_to_do(self, revision):
        ecs = registered(REQUEST)
        ecs.revisions[FAMILY][1]["taskDefinition"]["status"] = "INACTIVE"
        result = absent(ecs, revision=revision)
        assert result["changed"] is False
        assert ecs.writes == []

    def test_another_family_is_left_alone(self):
        ecs = registered(REQUEST, family=f"{FAMILY}-worker")
        assert absent(ecs)["changed"] is False
        assert ecs.active(f"{FAMILY}-worker") == [1]

    def test_check_mode_deregisters_nothing(self):
        ecs = registered(REQUEST, REQUEST)
        result = absent(ecs, check_mode=True)
        assert result["changed"] is True
        assert result["deregistered_task_definition_arns"] == [arn(FAMILY, 1), arn(FAMILY, 2)]
        assert ecs.writes == []
        assert ecs.active(FAMILY) == [1, 2]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


class TestMain:
    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}

    def args(self, **args):
        return dict(self.AWS, family=FAMILY, task_definition=copy.deepcopy(REQUEST), **args)

    def test_check_mode_with_diff(self, run_module):
        ecs = registered(REQUEST)
        args = self.args(_ansible_check_mode=True, _ansible_diff=True)
        args["task_definition"]["containerDefinitions"][0]["image"] = "gentics/mesh:2.1.1"
        failed, result = run_module(ecs, args)
        assert not failed, result
        assert result["changed"] is True
        assert ecs.writes == []
        assert result["task_definition_arn"] is None
        assert result["revision"] == 2
        assert result["changes"] == ["containerDefinitions[cms].image: gentics/mesh:2.1.0 -> gentics/mesh:2.1.1"]
        assert result["diff"]["before"]["containerDefinitions"][0]["image"] == "gentics/mesh:2.1.0"
        assert result["diff"]["after"]["containerDefinitions"][0]["image"] == "gentics/mesh:2.1.1"
        assert result["task_definition"]["container_definitions"][0]["image"] == "gentics/mesh:2.1.1"

    def test_register_then_nothing_to_do(self, run_module):
        ecs = FakeECS()
        failed, first = run_module(ecs, self.args(tags={"team": "cms"}))
        assert not failed, first
        assert first["changed"] is True
        assert first["task_definition_arn"] == arn(FAMILY, 1)
        assert first["revision"] == 1
        failed, second = run_module(ecs, self.args(tags={"team": "cms"}))
        assert not failed, second
        assert second["changed"] is False
        assert second["changes"] == []
        assert "diff" not in second
        assert second["task_definition"] == first["task_definition"]
        assert len(registrations(ecs)) == 1

    def test_the_returned_definition_is_snake_cased_with_the_users_keys(self, run_module):
        failed, result = run_module(FakeECS(), self.args(tags={"Team": "CMS"}))
        assert not failed, result
        returned = result["task_definition"]
        container = returned["container_definitions"][0]
        assert returned["execution_role_arn"] == REQUEST["executionRoleArn"]
        assert returned["ephemeral_storage"] == {"size_in_gi_b": 30}
        assert container["docker_labels"] == {"com.quoin.Service": "cms"}
        assert container["log_configuration"]["options"]["awslogs-stream-prefix"] == "cms"
        assert returned["tags"] == {"Team": "CMS"}
        assert isinstance(returned["registered_at"], str)

    def test_absent_with_diff(self, run_module):
        ecs = registered(REQUEST, REQUEST)
        failed, result = run_module(ecs, dict(self.AWS, family=FAMILY, state="absent", _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert result["deregistered_task_definition_arns"] == [arn(FAMILY, 1), arn(FAMILY, 2)]
        assert result["task_definition"] == {}
        assert result["diff"]["after"] == {}
        assert result["diff"]["before"]["cpu"] == "1024"
        failed, again = run_module(ecs, dict(self.AWS, family=FAMILY, state="absent"))
        assert (failed, again["changed"], again["deregistered_task_definition_arns"]) == (False, False, [])

    def test_an_invalid_definition_fails_before_any_call(self, run_module):
        ecs = FakeECS()
        args = self.args()
        args["task_definition"]["container_definitions"] = args["task_definition"].pop("containerDefinitions")
        failed, result = run_module(ecs, args)
        assert failed
        assert result["msg"] == (
            "task_definition has members that RegisterTaskDefinition does not know "
            "(the API's camelCase names are expected): container_definitions"
        )
        assert ecs.calls == []

    def test_family_inside_the_definition_fails(self, run_module):
        ecs = FakeECS()
        args = self.args()
        args["task_definition"]["family"] = "other"
        failed, result = run_module(ecs, args)
        assert failed
        assert result["msg"] == "task_definition.family: give it as the module's family option"
        assert ecs.calls == []

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"family": FAMILY}, "state is present but all of the following are missing: task_definition"),
            ({"family": FAMILY, "revision": 3, "task_definition": {"containerDefinitions": []}}, "revision only applies to state=absent"),
        ],
    )
    def test_argument_combinations(self, run_module, args, message):
        ecs = FakeECS()
        failed, result = run_module(ecs, dict(self.AWS, **args))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []

    def test_aws_errors_fail_with_the_call_named(self, run_module):
        ecs = FakeECS(errors={"register_task_definition": "ClientException"})
        failed, result = run_module(ecs, self.args())
        assert failed
        assert result["msg"].startswith("Failed to register task definition")
        assert result["error"]["code"] == "ClientException"


class TestLatestActive:
    """The latest ACTIVE revision is one DescribeTaskDefinition of the family alone."""

    def test_one_read_for_a_registered_family(self):
        ecs = registered(REQUEST, REQUEST, tags={"team": "cms"})
        result, (after, tags) = present(ecs)
        assert result["changed"] is False
        assert ecs.calls == [("describe_task_definition", {"taskDefinition": FAMILY, "include": ["TAGS"]})]
        assert (after["revision"], tags) == (2, {"team": "cms"})

    def test_a_new_family_is_one_failed_read(self):
        ecs = FakeECS()
        result, _ = present(ecs)
        assert result["changed"] is True
        assert ecs.operations() == ["describe_task_definition", "register_task_definition"]

    def test_an_answer_that_is_not_active_is_settled_by_the_listing(self):
        # moto answers a family alone with its latest revision whatever its status.
        staging = changed(REQUEST, containerDefinitions__0__environment__0__value="staging")
        ecs = FakeECS(family_answers_any_status=True)
        ecs.add(dict(staging, family=FAMILY))
        ecs.add(dict(REQUEST, family=FAMILY), status="INACTIVE")
        result, (after, _) = present(ecs)
        assert result["changes"] == ["containerDefinitions[cms].environment[NODE_ENV]: staging -> production"]
        assert ecs.operations()[:3] == ["describe_task_definition", "list_task_definitions", "describe_task_definition"]
        assert after["revision"] == 3

    def test_other_errors_fail(self):
        ecs = FakeECS(errors={"describe_task_definition": "AccessDeniedException"})
        with pytest.raises(AnsibleECSError, match="Failed to describe task definition"):
            present(ecs)


def entry(family, **options):
    return dict({"family": family, "task_definition": copy.deepcopy(REQUEST)}, **options)


def families(count):
    return [f"prod-{index:02d}" for index in range(count)]


class TestList:
    AWS = TestMain.AWS

    def args(self, *entries, **args):
        return dict(self.AWS, task_definitions=list(entries), **args)

    def test_30_unchanged_families_are_30_reads_and_no_write(self, run_module):
        names = families(30)
        ecs = FakeECS()
        for name in names:
            ecs.add(dict(REQUEST, family=name), tags={"team": "cms"})
        failed, result = run_module(ecs, self.args(*[entry(name, tags={"team": "cms"}) for name in names]))
        assert not failed, result
        assert ecs.calls == [("describe_task_definition", {"taskDefinition": name, "include": ["TAGS"]}) for name in names]
        assert result["changed"] is False
        assert [item["family"] for item in result["task_definitions"]] == names
        assert [item["revision"] for item in result["task_definitions"]] == [1] * 30

    def test_each_element_is_what_the_singular_mode_returns(self, run_module):
        def setup():
            ecs = FakeECS()
            ecs.add(dict(REQUEST, family="kept"))
            ecs.add(dict(REQUEST, family="tagged"))
            ecs.add(dict(REQUEST, family="changed"))
            ecs.add(dict(REQUEST, family="gone"))
            return ecs

        entries = [
            entry("kept"),
            entry("tagged", tags={"team": "cms"}),
            entry("changed", task_definition=changed(REQUEST, cpu="2048")),
            entry("new"),
            {"family": "gone", "state": "absent"},
        ]
        for check_mode in (False, True):
            _, listed = run_module(setup(), self.args(*entries, _ansible_check_mode=check_mode))
            for options, element in zip(entries, listed["task_definitions"]):
                _, alone = run_module(setup(), dict(self.AWS, _ansible_check_mode=check_mode, **copy.deepcopy(options)))
                assert element == {k: v for k, v in alone.items() if k != "failed"}, (options["family"], check_mode)
            assert listed["changed"] is True
            assert [item["changed"] for item in listed["task_definitions"]] == [False, True, True, True, True]

    def test_every_family_is_read_before_the_first_write_and_written_once(self, run_module):
        ecs = FakeECS()
        ecs.add(dict(REQUEST, family="kept"))
        ecs.add(dict(REQUEST, family="changed"))
        ecs.add(dict(REQUEST, family="gone"))
        entries = [entry("changed", task_definition=changed(REQUEST, cpu="2048")), entry("kept"), {"family": "gone", "state": "absent"}]
        failed, result = run_module(ecs, self.args(*entries))
        assert not failed, result
        assert ecs.operations() == [
            "describe_task_definition",
            "describe_task_definition",
            "list_task_definitions",
            "register_task_definition",
            "deregister_task_definition",
        ]
        assert result["task_definitions"][0]["revision"] == 2
        assert result["task_definitions"][2]["deregistered_task_definition_arns"] == [arn("gone", 1)]

    def test_check_mode_writes_nothing(self, run_module):
        ecs = registered(REQUEST)
        entries = [entry(FAMILY, task_definition=changed(REQUEST, cpu="2048")), entry("new", tags={"team": "cms"})]
        failed, result = run_module(ecs, self.args(*entries, _ansible_check_mode=True))
        assert not failed, result
        assert ecs.writes == []
        assert [(item["revision"], item["task_definition_arn"]) for item in result["task_definitions"]] == [(2, None), (1, None)]

    def test_the_diff_is_keyed_by_family(self, run_module):
        ecs = registered(REQUEST)
        ecs.add(dict(REQUEST, family="gone"))
        entries = [entry(FAMILY, task_definition=changed(REQUEST, cpu="2048")), entry("new"), {"family": "gone", "state": "absent"}]
        failed, result = run_module(ecs, self.args(*entries, _ansible_diff=True))
        assert not failed, result
        before, after = result["diff"]["before"], result["diff"]["after"]
        assert sorted(before) == sorted(after) == sorted([FAMILY, "new", "gone"])
        assert (before[FAMILY]["cpu"], after[FAMILY]["cpu"]) == ("1024", "2048")
        assert before["new"] == {} and after["new"]["cpu"] == "1024"
        assert before["gone"]["cpu"] == "1024" and after["gone"] == {}
        assert all("diff" not in item for item in result["task_definitions"])

    @pytest.mark.parametrize(
        "entries, message",
        [
            ([entry("a"), entry("b"), entry("a")], "task_definitions names a family more than once: a"),
            ([{"family": "a"}], "state is present but all of the following are missing: task_definition found in task_definitions"),
            ([entry("a"), entry("b", revision=3)], "task_definitions[1] (b): revision only applies to state=absent"),
            ([entry("a", task_definition={"containerDefinitions": [], "network_mode": "awsvpc"})], "task_definitions[0] (a): task_definition has members"),
            ([entry("a", task_definition=dict(REQUEST, family="x"))], "task_definitions[0] (a): task_definition.family: give it as the module's family option"),
            ([{"task_definition": REQUEST}], "missing required arguments: family"),
        ],
    )
    def test_invalid_entries_fail_before_any_call(self, run_module, entries, message):
        ecs = FakeECS()
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []

    @pytest.mark.parametrize("args", [{"family": "a"}, {"tags": {}}, {"state": "absent"}, {"purge_tags": False}])
    def test_per_family_options_belong_in_the_entries(self, run_module, args):
        ecs = FakeECS()
        failed, result = run_module(ecs, self.args(entry("a"), **args))
        assert failed
        assert f"parameters are mutually exclusive: task_definitions|{next(iter(args))}" in result["msg"]
        assert ecs.calls == []

    def test_family_or_task_definitions(self, run_module):
        failed, result = run_module(FakeECS(), dict(self.AWS))
        assert failed
        assert "one of the following is required: family, task_definitions" in result["msg"]

    def test_a_read_error_fails_before_the_first_write(self, run_module):
        ecs = registered(REQUEST)
        ecs.errors_after["describe_task_definition"] = (1, "AccessDeniedException")
        entries = [entry(FAMILY, task_definition=changed(REQUEST, cpu="2048")), entry("b")]
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert result["msg"].startswith("task_definitions[1] (b): Failed to describe task definition (already done: nothing): ")
        assert ecs.writes == []
        assert (result["changed"], result["task_definitions"]) == (False, [])

    def test_an_aws_error_part_way_names_the_family_and_what_was_done(self, run_module):
        ecs = FakeECS(errors_after={"register_task_definition": (2, "ClientException")})
        for name in ("a", "b", "c", "d"):
            ecs.add(dict(REQUEST, family=name))
        entries = [entry(name, task_definition=changed(REQUEST, cpu="2048")) for name in ("a", "b", "c", "d")]
        entries[1] = entry("b")  # unchanged
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert result["msg"].startswith(
            "task_definitions[3] (d): Failed to register task definition (already done: task_definitions[0] (a), task_definitions[2] (c)): "
        )
        assert result["error"]["code"] == "ClientException"
        assert result["changed"] is True
        assert [(item["family"], item["changed"], item["revision"]) for item in result["task_definitions"]] == [
            ("a", True, 2),
            ("b", False, 1),
            ("c", True, 2),
        ]
        assert all("diff" not in item for item in result["task_definitions"])
        assert ecs.active("d") == [1]


ECR = f"{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com"
ECR_US = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
CMS = "sha256:" + "c" * 64


def with_images(*images):
    """REQUEST with one container per image: the first is REQUEST's cms, the others sidecars."""
    request = copy.deepcopy(REQUEST)
    cms = request["containerDefinitions"][0]
    request["containerDefinitions"] = [dict(cms, image=images[0])] + [
        {"name": f"sidecar-{index}", "image": other, "essential": False} for index, other in enumerate(images[1:], 1)
    ]
    return request


class TestPinEcrImages:
    """pin_ecr_images: ECR images resolved to their current digest (one DescribeImages per registry,
    region and repository), everything else as given, a missing image failing before any ECS call."""

    AWS = TestMain.AWS

    def clients(self, ecs, **ecr_by_region):
        clients = {("ecr", region.replace("_", "-")): ecr for region, ecr in ecr_by_region.items()}
        clients["ecs"] = ecs
        return clients

    def args(self, task_definition, **args):
        return dict(self.AWS, family=FAMILY, pin_ecr_images=True, task_definition=task_definition, **args)

    def test_an_ecr_tag_is_pinned_by_its_digest_with_the_reference_in_a_label(self, run_module):
        ecs, ecr = FakeECS(), FakeECR({"quoin/cms": [image(OLD, "v1"), image(NEW, "2.1")]})
        request = with_images(f"{ECR}/quoin/cms:2.1")
        failed, result = run_module(self.clients(ecs, eu_central_1=ecr), self.args(request))
        assert not failed, result
        [registered_request] = registrations(ecs)
        container = registered_request["containerDefinitions"][0]
        assert container["image"] == f"{ECR}/quoin/cms@{NEW}"
        assert container["dockerLabels"] == {"com.quoin.Service": "cms", "quoin.image": f"{ECR}/quoin/cms:2.1"}
        assert result["task_definition"]["container_definitions"][0]["image"] == f"{ECR}/quoin/cms@{NEW}"
        assert ecr.calls == [{"repositoryName": "quoin/cms", "imageIds": [{"imageTag": "2.1"}], "registryId": ACCOUNT}]
        # The given definition is not changed in place.
        assert request["containerDefinitions"][0]["image"] == f"{ECR}/quoin/cms:2.1"

    def test_the_same_digest_again_is_no_change_and_a_new_push_is_one(self, run_module):
        ecs, ecr = FakeECS(), FakeECR({"quoin/cms": [image(OLD, "latest")]})
        clients = self.clients(ecs, eu_central_1=ecr)
        run_module(clients, self.args(with_images(f"{ECR}/quoin/cms")))
        failed, again = run_module(clients, self.args(with_images(f"{ECR}/quoin/cms")))
        assert (failed, again["changed"], again["changes"]) == (False, False, [])
        ecr.repositories["quoin/cms"] = [image(OLD), image(NEW, "latest")]
        failed, pushed = run_module(clients, self.args(with_images(f"{ECR}/quoin/cms")))
        assert not failed, pushed
        assert pushed["changed"] is True and pushed["revision"] == 2
        assert pushed["changes"] == [f"containerDefinitions[cms].image: {ECR}/quoin/cms@{OLD} -> {ECR}/quoin/cms@{NEW}"]
        assert len(registrations(ecs)) == 2

    def test_check_mode_and_diff_show_the_pinned_image_without_writing(self, run_module):
        ecs, ecr = registered(REQUEST), FakeECR({"quoin/cms": [image(NEW, "2.1")]})
        args = self.args(with_images(f"{ECR}/quoin/cms:2.1"), _ansible_check_mode=True, _ansible_diff=True)
        failed, result = run_module(self.clients(ecs, eu_central_1=ecr), args)
        assert not failed, result
        assert ecs.writes == []
        assert (result["changed"], result["revision"], result["task_definition_arn"]) == (True, 2, None)
        assert f"containerDefinitions[cms].image: gentics/mesh:2.1.0 -> {ECR}/quoin/cms@{NEW}" in result["changes"]
        after = result["diff"]["after"]["containerDefinitions"][0]
        assert after["image"] == f"{ECR}/quoin/cms@{NEW}"
        assert after["dockerLabels"]["quoin.image"] == f"{ECR}/quoin/cms:2.1"
        assert result["task_definition"]["container_definitions"][0]["image"] == f"{ECR}/quoin/cms@{NEW}"

    @pytest.mark.parametrize(
        "repositories, missing",
        [
            ({"quoin/cms": [image(OLD, "v1")]}, "tag 2.1 not found"),
            ({}, "repository quoin/cms does not exist"),
        ],
        ids=["missing tag", "missing repository"],
    )
    def test_a_missing_image_fails_before_any_ecs_call_naming_family_container_and_image(self, run_module, repositories, missing):
        ecs = registered(REQUEST)
        calls_before = len(ecs.calls)
        args = self.args(with_images("gentics/mesh:2.1.0", f"{ECR}/quoin/cms:2.1"))
        failed, result = run_module(self.clients(ecs, eu_central_1=FakeECR(repositories)), args)
        assert failed
        assert result["msg"] == f"{FAMILY}: container sidecar-1: image {ECR}/quoin/cms:2.1 is not in ECR ({missing}) (nothing was registered)"
        assert result["changed"] is False
        assert len(ecs.calls) == calls_before

    def test_other_images_are_used_as_given_without_an_ecr_call(self, run_module):
        ecs = FakeECS()
        given = ["gentics/mesh:2.1.0", "public.ecr.aws/docker/library/node:22-alpine", f"{ECR}/quoin/cms@{OLD}"]
        # No ECR client at all: asking for one would fail the test.
        failed, result = run_module({"ecs": ecs}, self.args(with_images(*given)))
        assert not failed, result
        [registered_request] = registrations(ecs)
        assert [c["image"] for c in registered_request["containerDefinitions"]] == given
        assert [sorted(c.get("dockerLabels", {})) for c in registered_request["containerDefinitions"]] == [["com.quoin.Service"], [], []]

    def test_without_the_option_an_ecr_tag_stays(self, run_module):
        ecs = FakeECS()
        args = dict(self.args(with_images(f"{ECR}/quoin/cms:2.1")), pin_ecr_images=False)
        failed, result = run_module({"ecs": ecs}, args)
        assert not failed, result
        assert registrations(ecs)[0]["containerDefinitions"][0]["image"] == f"{ECR}/quoin/cms:2.1"

    def test_one_describe_images_per_registry_region_and_repository(self, run_module):
        ecs = FakeECS()
        eu = FakeECR({"quoin/site": [image(OLD, "v1"), image(NEW, "latest")], "quoin/cms": [image(CMS, "2.1")]})
        us = FakeECR({"quoin/site": [image(CMS, "v1")]})
        entries = [
            entry("prod-site", task_definition=with_images(f"{ECR}/quoin/site", f"{ECR}/quoin/cms:2.1")),
            entry("prod-site-v1", task_definition=with_images(f"{ECR}/quoin/site:v1")),
            entry("prod-site-us", task_definition=with_images(f"{ECR_US}/quoin/site:v1", f"{ECR}/quoin/site")),
            {"family": "gone", "state": "absent"},
        ]
        args = dict(self.AWS, pin_ecr_images=True, task_definitions=entries)
        failed, result = run_module(self.clients(ecs, eu_central_1=eu, us_east_1=us), args)
        assert not failed, result
        assert eu.calls == [
            {"repositoryName": "quoin/site", "imageIds": [{"imageTag": "latest"}, {"imageTag": "v1"}], "registryId": ACCOUNT},
            {"repositoryName": "quoin/cms", "imageIds": [{"imageTag": "2.1"}], "registryId": ACCOUNT},
        ]
        assert us.calls == [{"repositoryName": "quoin/site", "imageIds": [{"imageTag": "v1"}], "registryId": ACCOUNT}]
        images = [[c["image"] for c in r["containerDefinitions"]] for r in registrations(ecs)]
        assert images == [
            [f"{ECR}/quoin/site@{NEW}", f"{ECR}/quoin/cms@{CMS}"],
            [f"{ECR}/quoin/site@{OLD}"],
            [f"{ECR_US}/quoin/site@{CMS}", f"{ECR}/quoin/site@{NEW}"],
        ]

    def test_in_list_mode_every_missing_image_is_named_before_any_ecs_call(self, run_module):
        ecs = FakeECS()
        ecr = FakeECR({"quoin/site": [image(NEW, "latest")]})
        entries = [
            entry("prod-site", task_definition=with_images(f"{ECR}/quoin/site:v9")),
            entry("prod-ok", task_definition=with_images(f"{ECR}/quoin/site")),
            entry("prod-cms", task_definition=with_images(f"{ECR}/quoin/cms:2.1")),
        ]
        failed, result = run_module(self.clients(ecs, eu_central_1=ecr), dict(self.AWS, pin_ecr_images=True, task_definitions=entries))
        assert failed
        assert result["msg"] == (
            f"task_definitions[0] (prod-site): container cms: image {ECR}/quoin/site:v9 is not in ECR (tag v9 not found); "
            f"task_definitions[2] (prod-cms): container cms: image {ECR}/quoin/cms:2.1 is not in ECR (repository quoin/cms does not exist)"
            " (nothing was registered)"
        )
        assert (result["changed"], result["task_definitions"]) == (False, [])
        assert ecs.calls == []

    def test_an_ecr_error_fails_before_any_ecs_call(self, run_module):
        ecs = FakeECS()
        ecr = FakeECR({"quoin/cms": []}, errors={"quoin/cms": "AccessDeniedException"})
        failed, result = run_module(self.clients(ecs, eu_central_1=ecr), self.args(with_images(f"{ECR}/quoin/cms:2.1")))
        assert failed
        assert result["msg"].startswith(f"resolving ECR images: quoin/cms of {ACCOUNT} in eu-central-1: Failed to describe images (nothing was registered)")
        assert result["error"]["code"] == "AccessDeniedException"
        assert ecs.calls == []


@pytest.fixture
def warnings(monkeypatch):
    """The warnings a module run gives, in order."""
    given = []
    monkeypatch.setattr(module_under_test, "warn", given.append)
    return given


class TestPullThroughCache:
    """pin_ecr_images with pull_through_prefixes: a cache repository's tags resolved with BatchGetImage,
    which imports them from upstream (creating the repository the first time), DescribeImages only in
    check mode; images nothing can pin named in one warning."""

    AWS = TestMain.AWS
    MESH = f"{ECR}/prod/docker-hub/gentics/mesh"

    def clients(self, ecs, ecr):
        return {"ecs": ecs, ("ecr", "eu-central-1"): ecr}

    def args(self, *images, **args):
        return dict(self.AWS, family=FAMILY, pin_ecr_images=True, pull_through_prefixes=["prod/docker-hub"], task_definition=with_images(*images), **args)

    def test_the_first_run_imports_the_tag_and_pins_it(self, run_module, warnings):
        ecs, ecr = FakeECS(), FakeECR({}, upstream={"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.6")]})
        failed, result = run_module(self.clients(ecs, ecr), self.args(f"{self.MESH}:2.1.6"))
        assert not failed, result
        [registered_request] = registrations(ecs)
        assert registered_request["containerDefinitions"][0]["image"] == f"{self.MESH}@{OLD}"
        assert registered_request["containerDefinitions"][0]["dockerLabels"]["quoin.image"] == f"{self.MESH}:2.1.6"
        # One BatchGetImage, asking for manifest lists and indexes too (their digest is the tag's), and
        # no DescribeImages, which would answer RepositoryNotFoundException before the first pull.
        [call] = ecr.batch_calls
        assert (call["repositoryName"], call["imageIds"]) == ("prod/docker-hub/gentics/mesh", [{"imageTag": "2.1.6"}])
        assert "application/vnd.oci.image.index.v1+json" in call["acceptedMediaTypes"]
        assert "application/vnd.docker.distribution.manifest.list.v2+json" in call["acceptedMediaTypes"]
        assert ecr.calls == []
        assert warnings == []

    def test_a_tag_moved_upstream_is_a_new_revision_an_unmoved_one_is_none(self, run_module):
        ecs, ecr = FakeECS(), FakeECR({}, upstream={"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.6")]})
        clients = self.clients(ecs, ecr)
        run_module(clients, self.args(f"{self.MESH}:2.1.6"))
        failed, again = run_module(clients, self.args(f"{self.MESH}:2.1.6"))
        assert (failed, again["changed"]) == (False, False)
        ecr.upstream["prod/docker-hub/gentics/mesh"] = [image(NEW, "2.1.6")]
        failed, moved = run_module(clients, self.args(f"{self.MESH}:2.1.6"))
        assert not failed, moved
        assert moved["changes"] == [f"containerDefinitions[cms].image: {self.MESH}@{OLD} -> {self.MESH}@{NEW}"]
        assert len(registrations(ecs)) == 2

    def test_check_mode_reads_the_cache_and_imports_nothing(self, run_module, warnings):
        ecs, ecr = FakeECS(), FakeECR({"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.6")]}, upstream={"prod/docker-hub/gentics/mesh": [image(NEW, "2.1.6")]})
        failed, result = run_module(self.clients(ecs, ecr), self.args(f"{self.MESH}:2.1.6", _ansible_check_mode=True))
        assert not failed, result
        assert result["task_definition"]["container_definitions"][0]["image"] == f"{self.MESH}@{OLD}"
        assert (ecr.batch_calls, ecs.writes, warnings) == ([], [], [])

    def test_check_mode_shows_a_tag_not_cached_yet_by_its_tag_with_a_warning(self, run_module, warnings):
        ecs, ecr = FakeECS(), FakeECR({}, upstream={"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.6")]})
        failed, result = run_module(self.clients(ecs, ecr), self.args(f"{self.MESH}:2.1.6", _ansible_check_mode=True))
        assert not failed, result
        assert result["changed"] is True
        assert result["task_definition"]["container_definitions"][0]["image"] == f"{self.MESH}:2.1.6"
        assert (ecr.batch_calls, ecr.repositories, ecs.writes) == ([], {}, [])
        assert warnings == [f"not in the pull-through cache yet, shown by tag: a real run fetches it from upstream and pins it: {FAMILY}: container cms: {self.MESH}:2.1.6"]

    @pytest.mark.parametrize(
        "ecr, reason",
        [
            (FakeECR({}, upstream={"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.5")]}), f"image {MESH}:2.1.6 is not in ECR (tag 2.1.6 not found upstream)"),
            (FakeECR({}), f"image {MESH}:2.1.6 is not in ECR (no pull-through cache rule covers it)"),
        ],
        ids=["tag missing upstream", "no rule"],
    )
    def test_an_image_upstream_lacks_fails_before_any_ecs_call(self, run_module, ecr, reason):
        ecs = FakeECS()
        failed, result = run_module(self.clients(ecs, ecr), self.args(f"{self.MESH}:2.1.6"))
        assert failed
        assert result["msg"] == f"{FAMILY}: container cms: {reason} (nothing was registered)"
        assert ecs.calls == []

    def test_an_upstream_failure_fails_naming_the_repository_and_the_reason(self, run_module):
        ecs = FakeECS()
        ecr = FakeECR(
            {}, upstream={"prod/docker-hub/gentics/mesh": [image(OLD, "2.1.6")]}, upstream_failures={("prod/docker-hub/gentics/mesh", "2.1.6"): "UpstreamTooManyRequests"}
        )
        failed, result = run_module(self.clients(ecs, ecr), self.args(f"{self.MESH}:2.1.6"))
        assert failed
        assert result["msg"] == (
            f"resolving ECR images: prod/docker-hub/gentics/mesh of {ACCOUNT} in eu-central-1: tag 2.1.6: UpstreamTooManyRequests: "
            "stubbed upstream failure (nothing was registered)"
        )
        assert ecs.calls == []

    def test_images_nothing_can_pin_are_named_in_one_warning(self, run_module, warnings):
        ecs = FakeECS()
        given = ["gentics/mesh:2.1.6", "public.ecr.aws/docker/library/busybox:1.36", f"{ECR}/quoin/cms@{OLD}"]
        failed, result = run_module({"ecs": ecs}, self.args(*given))
        assert not failed, result
        assert warnings == [
            "not pinned by digest, so a tag that moves is not noticed (only ECR images are pinned; a pull-through cache holds "
            f"a public registry's images in ECR): {FAMILY}: container cms: gentics/mesh:2.1.6, "
            f"{FAMILY}: container sidecar-1: public.ecr.aws/docker/library/busybox:1.36"
        ]
