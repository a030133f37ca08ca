# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECR API layer of quoin.fargate.ecr_image_info and of quoin.fargate.ecs_taskdefinition's
pin_ecr_images: image look-ups by tag or digest, one at a time or batched per repository, retried, the
snake_cased shape ecr_image_info returns, ECR image references pinned by digest, and the tags of
pull-through cache repositories fetched from their upstream registry."""

import re

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


# DescribeImages takes at most this many image IDs.
MAX_IMAGE_IDS = 100

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>], without a digest (no tag: latest).
ECR_IMAGE = re.compile(
    r"^(?P<registry_id>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)(?::(?P<tag>[^:@/]*))?$"
)

# What BatchGetImage may answer with: without the index types ECR converts a multi-platform image to
# one platform's manifest, whose digest is not the one the tag names.
MANIFEST_MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
]
# BatchGetImage failures that come from the upstream registry of a pull-through cache.
UPSTREAM_FAILURES = ("UpstreamAccessDenied", "UpstreamTooManyRequests", "UpstreamUnavailable", "ImageInaccessible")

# The docker label that keeps an image pinned by digest readable: the reference as given, tag and all.
IMAGE_LABEL = "quoin.image"


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


@ECRImageErrorHandler.list_error_handler("describe images", None)
@AWSRetry.jittered_backoff()
def describe_images(client, repository, image_ids, registry_id=None):
    """The images that the image IDs ((key, value) pairs) name, in DescribeImages shape; None when ECR
    refuses the request because one of the IDs names no image."""
    params = {"repositoryName": repository, "imageIds": [{key: value} for key, value in image_ids]}
    if registry_id:
        params["registryId"] = registry_id
    return client.describe_images(**params)["imageDetails"]


@ECRImageErrorHandler.common_error_handler("get images")
@AWSRetry.jittered_backoff()
def batch_get_images(client, repository, tags, registry_id=None):
    """BatchGetImage of the tags (at most MAX_IMAGE_IDS): the answer's images and failures."""
    params = {"repositoryName": repository, "imageIds": [{"imageTag": tag} for tag in tags], "acceptedMediaTypes": MANIFEST_MEDIA_TYPES}
    if registry_id:
        params["registryId"] = registry_id
    answer = client.batch_get_image(**params)
    return answer.get("images") or [], answer.get("failures") or []


def import_tags(client, repository, tags, registry_id=None):
    """{tag: the digest it names now, or None when upstream has no such tag} for a pull-through cache
    repository. BatchGetImage is the call an image pull starts with, and for a cache repository it is what
    makes ECR fetch the tag from upstream: the repository is created on the first one, and a cached tag is
    checked against upstream again when it is older than a day (ECR User Guide, "Sync an upstream registry
    with an Amazon ECR private registry"; the Service Authorization Reference maps BatchGetImage to
    ecr:BatchImportUpstreamImage and ecr:CreateRepository). DescribeImages answers only from the cache:
    RepositoryNotFoundException before the first pull, the cached digest after. An upstream failure
    (denied, rate-limited, unavailable) is raised naming the tag and ECR's reason."""
    digests = {}
    unique = list(dict.fromkeys(tags))
    for start in range(0, len(unique), MAX_IMAGE_IDS):
        images, failures = batch_get_images(client, repository, unique[start:start + MAX_IMAGE_IDS], registry_id=registry_id)
        for failure in failures:
            if failure.get("failureCode") in UPSTREAM_FAILURES:
                tag = (failure.get("imageId") or {}).get("imageTag")
                raise AnsibleECRError(message=f"tag {tag}: {failure['failureCode']}: {failure.get('failureReason')}")
        for image in images:
            image_id = image.get("imageId") or {}
            if image_id.get("imageTag") in unique[start:start + MAX_IMAGE_IDS]:
                digests[image_id["imageTag"]] = image_id.get("imageDigest")
    return {tag: digests.get(tag) for tag in unique}


def is_missing_repository(error):
    """Whether an AnsibleECRError is ECR saying that the repository does not exist."""
    exception = error.exception
    return isinstance(exception, botocore.exceptions.ClientError) and exception.response["Error"]["Code"] == "RepositoryNotFoundException"


def _names(image, image_id):
    key, value = image_id
    if key == "imageTag":
        return value in (image.get("imageTags") or [])
    return image.get("imageDigest") == value


def find_images(client, repository, image_ids, registry_id=None):
    """{image ID: the image it names (DescribeImages shape), or None} for the image IDs of one
    repository, each asked for once, MAX_IMAGE_IDS to a call.

    ECR refuses a whole call when one of its IDs names no image: such a batch is split in halves, and
    the halves asked again, until each missing ID stands alone."""
    unique = list(dict.fromkeys(image_ids))
    batches = [unique[start:start + MAX_IMAGE_IDS] for start in range(0, len(unique), MAX_IMAGE_IDS)]
    found = {}
    while batches:
        batch = batches.pop(0)
        images = describe_images(client, repository, batch, registry_id=registry_id)
        if images is None and len(batch) > 1:
            half = len(batch) // 2
            batches[:0] = [batch[:half], batch[half:]]
            continue
        for image_id in batch:
            found[image_id] = next((image for image in images or [] if _names(image, image_id)), None)
    return found


def image_ids(tags=(), digests=()):
    """The image IDs ((key, value) pairs) of the tags, then of the digests."""
    return [("imageTag", tag) for tag in tags] + [("imageDigest", digest) for digest in digests]


def digest_problems(digests):
    """The digests that are not digests, one line each."""
    return [f"digests: {digest!r} is not a digest (sha256:...)" for digest in digests if not digest.startswith("sha256:")]


def resolve(wanted, find):
    """(images, missing): each distinct image that one of the wanted image IDs names, in their order,
    and the tags and digests that name none. find(image_id) is the image (DescribeImages shape) or None."""
    images, missing, seen = [], [], set()
    for image_id in wanted:
        found = find(image_id)
        if found is None:
            missing.append(image_id[1])
            continue
        image = normalize_image(found)
        if image["digest"] not in seen:
            seen.add(image["digest"])
            images.append(image)
    return images, missing


def look_up(client, repository, tags=(), digests=(), registry_id=None):
    """(images, missing) for one repository, each tag or digest asked for with its own call."""
    return resolve(
        image_ids(tags, digests),
        lambda image_id: describe_image(client, repository, dict([image_id]), registry_id=registry_id),
    )


def ecr_image(image):
    """(registry_id, region, repository, tag) of an ECR image reference without a digest, or None for
    any other image (another registry, already pinned, not a string)."""
    found = ECR_IMAGE.match(image) if isinstance(image, str) else None
    if found is None:
        return None
    return found["registry_id"], found["region"], found["repository"], found["tag"] or "latest"


def pin_image(image, digest):
    """The image reference pinned by digest: <registry>/<repository>@<digest>, without the tag."""
    if "@" in image:
        return image
    registry, slash, last = image.rpartition("/")
    return f"{registry}{slash}{last.split(':', 1)[0]}@{digest}"


def is_cache_repository(repository, cache_prefixes):
    """Whether a repository is one of a pull-through cache (its name under one of the rules' prefixes)."""
    return any(repository.startswith(prefix.rstrip("/") + "/") for prefix in cache_prefixes)


def find_tag_digests(client_for, references, cache_prefixes=(), fetch_upstream=True):
    """(digests, missing_repositories) for ECR references (what ecr_image() returns): digests maps each
    reference to the digest its tag names now, or None; missing_repositories holds the (registry_id,
    region, repository) that do not exist. One find_images() per registry, region and repository, with
    client_for(region) as its client, or, for a repository under one of cache_prefixes and with
    fetch_upstream, import_tags(); another ECR error is raised naming the repository. Without
    fetch_upstream (check mode, which changes nothing) a cache repository is only read: what it holds."""
    groups = {}
    for registry_id, region, repository, tag in references:
        groups.setdefault((registry_id, region, repository), []).append(tag)
    digests, missing_repositories = {}, set()
    for (registry_id, region, repository), tags in groups.items():
        try:
            if fetch_upstream and is_cache_repository(repository, cache_prefixes):
                imported = import_tags(client_for(region), repository, tags, registry_id=registry_id)
                digests.update({(registry_id, region, repository, tag): imported[tag] for tag in tags})
                continue
            found = find_images(client_for(region), repository, image_ids(tags), registry_id=registry_id)
        except AnsibleECRError as e:
            if not is_missing_repository(e):
                raise AnsibleECRError(message=f"{repository} of {registry_id} in {region}: {e.message}", exception=e.exception) from e
            missing_repositories.add((registry_id, region, repository))
            continue
        for tag in tags:
            image = found[("imageTag", tag)]
            digests[(registry_id, region, repository, tag)] = image["imageDigest"] if image else None
    return digests, missing_repositories
