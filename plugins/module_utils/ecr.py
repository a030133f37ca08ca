# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECR API layer of quoin.fargate.ecr_image_info: image look-ups by tag or digest, retried, and
the snake_cased shape the module returns."""

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleECRError(AnsibleAWSError):
    pass


class ECRImageErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECRError

    # Only a missing image counts as "not found": a missing repository is an error the caller must see.
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ImageNotFoundException")


@ECRImageErrorHandler.list_error_handler("describe images", None)
@AWSRetry.jittered_backoff()
def describe_image(client, repository, image_id, registry_id=None):
    """The image one tag or digest names (DescribeImages shape), or None when there is none."""
    params = {"repositoryName": repository, "imageIds": [image_id]}
    if registry_id:
        params["registryId"] = registry_id
    images = client.describe_images(**params)["imageDetails"]
    return images[0] if images else None


def normalize_image(image):
    pushed_at = image.get("imagePushedAt")
    return {
        "registry_id": image.get("registryId"),
        "repository": image.get("repositoryName"),
        "digest": image["imageDigest"],
        "tags": sorted(image.get("imageTags") or []),
        "pushed_at": pushed_at.isoformat() if hasattr(pushed_at, "isoformat") else pushed_at,
        "size": image.get("imageSizeInBytes"),
        "manifest_media_type": image.get("imageManifestMediaType"),
    }


def look_up(client, repository, tags=(), digests=(), registry_id=None):
    """(images, missing): each distinct image that one of the tags or digests names, in the order asked
    for, and the tags and digests that name none."""
    images, missing, seen = [], [], set()
    wanted = [("imageTag", tag) for tag in tags] + [("imageDigest", digest) for digest in digests]
    for key, value in wanted:
        found = describe_image(client, repository, {key: value}, registry_id=registry_id)
        if found is None:
            missing.append(value)
            continue
        image = normalize_image(found)
        if image["digest"] not in seen:
            seen.add(image["digest"])
            images.append(image)
    return images, missing
