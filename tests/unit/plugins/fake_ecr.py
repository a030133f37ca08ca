"""An in-memory stand-in for the boto3 ECR client's DescribeImages, for the modules that look images up."""

import datetime

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


class FakeECR:
    """DescribeImages with imageIds, as ECR answers it: one image per id, up to 100 ids; the whole call
    refused with ImageNotFoundException when one id names no image; RepositoryNotFoundException for an
    unknown repository. errors: repository -> error code raised on every call for it."""

    def __init__(self, repositories, errors=None):
        self.repositories = repositories
        self.errors = dict(errors or {})
        self.calls = []

    def describe_images(self, repositoryName, imageIds, registryId=None):
        self.calls.append({"repositoryName": repositoryName, "imageIds": imageIds, "registryId": registryId})
        if repositoryName in self.errors:
            raise ClientError({"Error": {"Code": self.errors[repositoryName], "Message": "stubbed error"}}, "DescribeImages")
        if repositoryName not in self.repositories:
            raise ClientError(
                {"Error": {"Code": "RepositoryNotFoundException", "Message": f"The repository with name '{repositoryName}' does not exist"}},
                "DescribeImages",
            )
        assert 1 <= len(imageIds) <= 100, len(imageIds)
        details = []
        for image_id in imageIds:
            for image in self.repositories[repositoryName]:
                if image_id.get("imageTag") in image.get("imageTags", []) or image_id.get("imageDigest") == image["imageDigest"]:
                    details.append(dict(image, repositoryName=repositoryName, registryId=ACCOUNT))
                    break
            else:
                raise ClientError({"Error": {"Code": "ImageNotFoundException", "Message": "not found"}}, "DescribeImages")
        return {"imageDetails": details}


def image(digest, *tags):
    return {
        "imageDigest": digest,
        "imageTags": list(tags),
        "imagePushedAt": datetime.datetime(2025, 1, 31, 12, 0, tzinfo=datetime.timezone.utc),
        "imageSizeInBytes": 1234,
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
    }
