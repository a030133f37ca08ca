"""ecr_image_info against a stubbed ECR client: which images a tag or digest resolves to, what is
missing, and that a missing repository fails."""

import datetime
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from botocore.exceptions import ClientError

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.quoin.fargate.plugins.modules import ecr_image_info

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
ACCOUNT = "123456789012"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


class Done(Exception):
    pass


class FakeECR:
    """DescribeImages with imageIds, as ECR answers it: one image per id, ImageNotFoundException for an
    id that names none, RepositoryNotFoundException for an unknown repository."""

    def __init__(self, repositories):
        self.repositories = repositories
        self.calls = []

    def describe_images(self, repositoryName, imageIds, registryId=None):
        self.calls.append({"repositoryName": repositoryName, "imageIds": imageIds, "registryId": registryId})
        if repositoryName not in self.repositories:
            raise ClientError(
                {"Error": {"Code": "RepositoryNotFoundException", "Message": f"The repository with name '{repositoryName}' does not exist"}},
                "DescribeImages",
            )
        (image_id,) = imageIds
        for image in self.repositories[repositoryName]:
            if image_id.get("imageTag") in image.get("imageTags", []) or image_id.get("imageDigest") == image["imageDigest"]:
                return {"imageDetails": [dict(image, repositoryName=repositoryName, registryId=ACCOUNT)]}
        raise ClientError({"Error": {"Code": "ImageNotFoundException", "Message": "not found"}}, "DescribeImages")


def image(digest, *tags):
    return {
        "imageDigest": digest,
        "imageTags": list(tags),
        "imagePushedAt": datetime.datetime(2025, 1, 31, 12, 0, tzinfo=datetime.timezone.utc),
        "imageSizeInBytes": 1234,
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
    }


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
