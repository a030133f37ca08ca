#!/usr/bin/env python3
"""Push an image manifest (no layers uploaded: ECR stores the manifest) under a tag; print its digest.

    put_image.py REPOSITORY TAG CONTENT    (CONTENT makes the layer digest, so the manifest, differ)

No module pushes images, so the target does it through boto3, with the endpoint, region and
credentials from the environment.
"""

import hashlib
import json
import os
import sys

import boto3


def manifest(content):
    def digest(text):
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": digest("{}")},
            "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(content), "digest": digest(content)}
            ],
        }
    )


def main(repository, tag, content):
    pushed = boto3.client("ecr", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")).put_image(repositoryName=repository, imageManifest=manifest(content), imageTag=tag)
    print(pushed["image"]["imageId"]["imageDigest"])


if __name__ == "__main__":
    main(*sys.argv[1:])
