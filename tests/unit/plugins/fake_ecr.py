"""An in-memory stand-in for the boto3 ECR client's DescribeImages and BatchGetImage, for the modules that
look images up (BatchGetImage with a pull-through cache's upstream behind it)."""

import datetime

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


class FakeECR:
    """DescribeImages with imageIds, as ECR answers it: one image per id, up to 100 ids; the whole call
    refused with ImageNotFoundException when one id names no image; RepositoryNotFoundException for an
    unknown repository. errors: repository -> error code raised on every call for it."""

    def __init__(self, repositories, errors=None, upstream=None, upstream_failures=None):
        self.repositories = repositories
        self.errors = dict(errors or {})
        self.calls = []
        # A pull-through cache: cache repository -> the images its upstream holds now, and
        # (repository, tag) -> the failure code upstream answers with.
        self.upstream = upstream or {}
        self.upstream_failures = dict(upstream_failures or {})
        self.batch_calls = []

    def batch_get_image(self, repositoryName, imageIds, acceptedMediaTypes=None, registryId=None):
        """BatchGetImage as ECR answers it for a pull-through cache: a repository with a rule (in
        `upstream`) is created on the first call, and each tag asked for is imported from upstream (where
        it may have moved); a tag upstream lacks is an ImageNotFound failure, not an error. Every other
        repository answers from what it holds; an unknown one is RepositoryNotFoundException."""
        self.batch_calls.append({"repositoryName": repositoryName, "imageIds": imageIds, "acceptedMediaTypes": acceptedMediaTypes, "registryId": registryId})
        assert 1 <= len(imageIds) <= 100, len(imageIds)
        if repositoryName in self.upstream:
            cached = self.repositories.setdefault(repositoryName, [])
            for image_id in imageIds:
                tag = image_id.get("imageTag")
                for found in self.upstream[repositoryName]:
                    if tag in found.get("imageTags", []):
                        for other in cached:
                            other["imageTags"] = [t for t in other.get("imageTags", []) if t != tag]
                        cached[:] = [other for other in cached if other["imageDigest"] != found["imageDigest"]] + [dict(found, imageTags=[tag])]
        elif repositoryName not in self.repositories:
            raise ClientError(
                {"Error": {"Code": "RepositoryNotFoundException", "Message": f"The repository with name '{repositoryName}' does not exist"}},
                "BatchGetImage",
            )
        images, failures = [], []
        for image_id in imageIds:
            code = self.upstream_failures.get((repositoryName, image_id.get("imageTag")))
            match = next((i for i in self.repositories.get(repositoryName, []) if image_id.get("imageTag") in i.get("imageTags", [])), None)
            if code:
                failures.append({"imageId": image_id, "failureCode": code, "failureReason": "stubbed upstream failure"})
            elif match is None:
                failures.append({"imageId": image_id, "failureCode": "ImageNotFound", "failureReason": "Requested image not found"})
            else:
                images.append(
                    {
                        "registryId": ACCOUNT,
                        "repositoryName": repositoryName,
                        "imageId": {"imageDigest": match["imageDigest"], "imageTag": image_id["imageTag"]},
                        "imageManifest": "{}",
                        "imageManifestMediaType": match["imageManifestMediaType"],
                    }
                )
        return {"images": images, "failures": failures}

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
