"""module_utils/ecr.py: which image references are ECR images, and how one is pinned by digest."""

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.ecr import ecr_image
from ansible_collections.quoin.fargate.plugins.module_utils.ecr import pin_image

DIGEST = "sha256:" + "d" * 64
ECR = "123456789012.dkr.ecr.eu-central-1.amazonaws.com"


@pytest.mark.parametrize(
    "image, reference",
    [
        (f"{ECR}/quoin/site:v1.2", ("123456789012", "eu-central-1", "quoin/site", "v1.2")),
        (f"{ECR}/quoin/site", ("123456789012", "eu-central-1", "quoin/site", "latest")),
        ("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/site:1", ("210987654321", "cn-north-1", "site", "1")),
        # Already pinned, another registry, not ECR's host name, not a string: not an ECR image to pin.
        (f"{ECR}/quoin/site@{DIGEST}", None),
        (f"{ECR}/quoin/site:v1@{DIGEST}", None),
        ("public.ecr.aws/docker/library/node:22-alpine", None),
        ("gentics/mesh:2.1.6", None),
        ("123456789012.dkr.ecr.eu-central-1.example.com/site:1", None),
        (None, None),
    ],
)
def test_which_images_are_ecr_images(image, reference):
    assert ecr_image(image) == reference


@pytest.mark.parametrize(
    "image, pinned",
    [
        (f"{ECR}/quoin/site:latest", f"{ECR}/quoin/site@{DIGEST}"),
        (f"{ECR}/quoin/site", f"{ECR}/quoin/site@{DIGEST}"),
        (f"{ECR}/site:v1.2", f"{ECR}/site@{DIGEST}"),
        # Already pinned: left as it is.
        (f"{ECR}/quoin/site@sha256:{'e' * 64}", f"{ECR}/quoin/site@sha256:{'e' * 64}"),
    ],
)
def test_an_image_is_pinned_by_digest_without_its_tag(image, pinned):
    assert pin_image(image, DIGEST) == pinned
