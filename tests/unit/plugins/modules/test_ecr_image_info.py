"""ecr_image_info against a stubbed ECR client: which images a tag or digest resolves to, what is
missing, and that a missing repository fails."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.quoin.fargate.plugins.modules import ecr_image_info

from ..fake_ecr import ACCOUNT
from ..fake_ecr import FakeECR
from ..fake_ecr import image

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


class Done(Exception):
    pass


@pytest.fixture
def ecr():
    return FakeECR({"quoin/site": [image(OLD, "v1"), image(NEW, "v2", "latest")]})


@pytest.fixture
def run_module(monkeypatch):
    def exit_json(self, **kwargs):
        raise Done(dict(kwargs, failed=False))

    def fail_json(self, msg, **kwargs):
        raise Done(dict(kwargs, msg=msg, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(ecr, **args):
        monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kw: ecr)
        with patch_module_args(dict(AWS, **args)), pytest.raises(Done) as done:
            ecr_image_info.main()
        return json.loads(json.dumps(done.value.args[0]))

    return run


def test_a_tag_resolves_to_its_current_digest(run_module, ecr):
    result = run_module(ecr, repository="quoin/site", tags=["latest"])
    assert result["failed"] is False and result["changed"] is False
    assert result["missing"] == []
    assert result["images"] == [
        {
            "registry_id": ACCOUNT,
            "repository": "quoin/site",
            "digest": NEW,
            "tags": ["latest", "v2"],
            "pushed_at": "2025-01-31T12:00:00+00:00",
            "size": 1234,
            "manifest_media_type": "application/vnd.docker.distribution.manifest.v2+json",
        }
    ]


def test_tags_then_digests_in_the_order_asked_each_image_once(run_module, ecr):
    result = run_module(ecr, repository="quoin/site", tags=["v1", "latest", "v2"], digests=[OLD])
    assert [i["digest"] for i in result["images"]] == [OLD, NEW]
    assert len(ecr.calls) == 4


def test_a_tag_or_digest_that_names_nothing_is_missing_not_a_failure(run_module, ecr):
    result = run_module(ecr, repository="quoin/site", tags=["latest", "v9"], digests=["sha256:" + "c" * 64])
    assert result["failed"] is False
    assert [i["digest"] for i in result["images"]] == [NEW]
    assert result["missing"] == ["v9", "sha256:" + "c" * 64]


def test_a_missing_repository_fails_naming_it(run_module, ecr):
    result = run_module(ecr, repository="quoin/nope", tags=["latest"])
    assert result["failed"] is True
    assert "quoin/nope" in result["msg"] and "describe images" in result["msg"]


def test_the_registry_id_is_passed_on_only_when_given(run_module, ecr):
    run_module(ecr, repository="quoin/site", tags=["latest"], registry_id="210987654321")
    run_module(ecr, repository="quoin/site", tags=["latest"])
    assert [c["registryId"] for c in ecr.calls] == ["210987654321", None]


def test_a_digest_that_is_not_one_fails_before_any_call(run_module, ecr):
    result = run_module(ecr, repository="quoin/site", digests=["latest"])
    assert result["failed"] is True and "digests" in result["msg"]
    assert ecr.calls == []


def test_check_mode_reads_the_same(run_module, ecr):
    result = run_module(ecr, repository="quoin/site", tags=["v1"], _ansible_check_mode=True)
    assert result["failed"] is False and result["changed"] is False
    assert [i["digest"] for i in result["images"]] == [OLD]


# List mode (the option images)


def digest(n):
    return f"sha256:{n:064x}"


def repositories(count, tags_each=1):
    """quoin/r00... each with `tags_each` images tagged t0..."""
    return {f"quoin/r{r:02d}": [image(digest(r * 1000 + t), f"t{t}") for t in range(tags_each)] for r in range(count)}


def ids_asked(ecr):
    return [len(call["imageIds"]) for call in ecr.calls]


def test_thirty_images_in_thirty_repositories_take_thirty_calls(run_module):
    ecr = FakeECR(repositories(30))
    items = [{"repository": f"quoin/r{r:02d}", "tags": ["t0"]} for r in range(30)]
    result = run_module(ecr, images=items)
    assert result["failed"] is False and result["changed"] is False
    assert ids_asked(ecr) == [1] * 30
    assert [lookup["images"][0]["digest"] for lookup in result["lookups"]] == [digest(r * 1000) for r in range(30)]


def test_five_tags_of_one_repository_take_one_call_and_answer_as_the_singular_does(run_module):
    ecr = FakeECR(repositories(1, tags_each=5))
    items = [{"repository": "quoin/r00", "tags": [f"t{t}"]} for t in range(5)]
    result = run_module(ecr, images=items)
    assert result["failed"] is False
    assert ids_asked(ecr) == [5]
    for item, lookup in zip(items, result["lookups"], strict=True):
        single = run_module(FakeECR(repositories(1, tags_each=5)), **item)
        assert lookup == {"repository": "quoin/r00", "registry_id": None, "images": single["images"], "missing": single["missing"]}


def test_each_lookup_is_what_the_singular_mode_returns(run_module, ecr):
    items = [
        {"repository": "quoin/site", "tags": ["v1", "latest", "v2"], "digests": [OLD]},
        {"repository": "quoin/site", "tags": ["latest", "v9"], "digests": ["sha256:" + "c" * 64]},
        {"repository": "quoin/site", "registry_id": "210987654321", "tags": ["v2"]},
    ]
    result = run_module(ecr, images=items)
    assert result["failed"] is False
    for item, lookup in zip(items, result["lookups"], strict=True):
        single = run_module(FakeECR(ecr.repositories), **item)
        expected = {"repository": "quoin/site", "registry_id": item.get("registry_id"), "images": single["images"], "missing": single["missing"]}
        assert lookup == expected
    assert result["lookups"][1]["missing"] == ["v9", "sha256:" + "c" * 64]


def test_more_than_a_hundred_ids_are_split_and_each_is_asked_once(run_module):
    ecr = FakeECR(repositories(1, tags_each=250))
    items = [{"repository": "quoin/r00", "tags": [f"t{t}" for t in range(250)]}, {"repository": "quoin/r00", "tags": ["t0", "t1"]}]
    result = run_module(ecr, images=items)
    assert result["failed"] is False
    assert ids_asked(ecr) == [100, 100, 50]
    assert len(result["lookups"][0]["images"]) == 250
    assert [i["digest"] for i in result["lookups"][1]["images"]] == [digest(0), digest(1)]


def test_a_missing_tag_is_found_by_halving_the_refused_call(run_module):
    ecr = FakeECR(repositories(1, tags_each=7))
    result = run_module(ecr, images=[{"repository": "quoin/r00", "tags": [f"t{t}" for t in range(8)]}])
    assert result["failed"] is False
    assert result["lookups"][0]["missing"] == ["t7"]
    assert len(result["lookups"][0]["images"]) == 7
    # 8 refused, then 4 + 4 (the second refused), 2 + 2, 1 + 1.
    assert ids_asked(ecr) == [8, 4, 4, 2, 2, 1, 1]


def test_items_are_grouped_by_registry_and_repository(run_module):
    ecr = FakeECR(repositories(1))
    items = [
        {"repository": "quoin/r00", "tags": ["t0"]},
        {"repository": "quoin/r00", "registry_id": "210987654321", "tags": ["t0"]},
        {"repository": "quoin/r00", "digests": [digest(0)]},
    ]
    result = run_module(ecr, images=items)
    assert [(call["registryId"], len(call["imageIds"])) for call in ecr.calls] == [(None, 2), ("210987654321", 1)]
    assert [lookup["registry_id"] for lookup in result["lookups"]] == [None, "210987654321", None]


def test_an_item_without_tags_or_digests_makes_no_call(run_module):
    ecr = FakeECR({})
    result = run_module(ecr, images=[{"repository": "quoin/nope"}])
    assert result["failed"] is False
    assert result["lookups"] == [{"repository": "quoin/nope", "registry_id": None, "images": [], "missing": []}]
    assert ecr.calls == []


def test_an_empty_list_makes_no_call(run_module, ecr):
    result = run_module(ecr, images=[])
    assert (result["failed"], result["lookups"]) == (False, [])
    assert ecr.calls == []


def test_every_missing_repository_is_reported_with_the_items_that_ask_for_it(run_module):
    ecr = FakeECR(repositories(1))
    items = [
        {"repository": "quoin/nope", "tags": ["a"]},
        {"repository": "quoin/r00", "tags": ["t0"]},
        {"repository": "quoin/gone", "registry_id": "210987654321", "tags": ["a"]},
        {"repository": "quoin/nope", "tags": ["b"]},
    ]
    result = run_module(ecr, images=items)
    assert result["failed"] is True
    assert result["msg"] == (
        "repository quoin/nope does not exist (asked for by images[0], images[3]); "
        "repository quoin/gone of registry 210987654321 does not exist (asked for by images[2])"
    )
    assert [call["repositoryName"] for call in ecr.calls] == ["quoin/nope", "quoin/r00", "quoin/gone"]
    assert [lookup["repository"] for lookup in result["lookups"]] == ["quoin/r00"]


def test_an_aws_error_part_way_names_the_repository_and_returns_what_was_answered(run_module):
    ecr = FakeECR(repositories(3), errors={"quoin/r01": "AccessDeniedException"})
    items = [{"repository": f"quoin/r{r:02d}", "tags": ["t0"]} for r in (0, 1, 2)]
    result = run_module(ecr, images=items)
    assert result["failed"] is True
    assert result["msg"].startswith("repository quoin/r01 (images[1]): Failed to describe images (1 item(s) answered before it): ")
    assert result["error"]["code"] == "AccessDeniedException"
    assert [lookup["repository"] for lookup in result["lookups"]] == ["quoin/r00"]
    assert len(ecr.calls) == 2


def test_invalid_digests_fail_before_any_call_naming_each_item(run_module, ecr):
    items = [
        {"repository": "quoin/site", "digests": ["latest"]},
        {"repository": "quoin/site", "tags": ["v1"]},
        {"repository": "quoin/cms", "digests": [OLD, "v2"]},
    ]
    result = run_module(ecr, images=items)
    assert result["failed"] is True
    assert result["msg"] == (
        "images[0] (quoin/site): digests: 'latest' is not a digest (sha256:...); "
        "images[2] (quoin/cms): digests: 'v2' is not a digest (sha256:...)"
    )
    assert ecr.calls == []


@pytest.mark.parametrize("extra", [{"repository": "quoin/site"}, {"tags": ["v1"]}, {"digests": [OLD]}, {"registry_id": ACCOUNT}])
def test_images_with_a_per_lookup_option_at_the_top_is_refused(run_module, ecr, extra):
    result = run_module(ecr, images=[{"repository": "quoin/site", "tags": ["v1"]}], **extra)
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert ecr.calls == []


def test_neither_repository_nor_images_is_refused(run_module, ecr):
    result = run_module(ecr)
    assert result["failed"] is True and "one of the following is required: repository, images" in result["msg"]


def test_the_list_reads_the_same_in_check_mode(run_module, ecr):
    result = run_module(ecr, images=[{"repository_name": "quoin/site", "tags": ["v1"]}], _ansible_check_mode=True)
    assert result["failed"] is False and result["changed"] is False
    assert [i["digest"] for i in result["lookups"][0]["images"]] == [OLD]
