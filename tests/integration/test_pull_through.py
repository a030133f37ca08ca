"""site.yml and redeploy.yml with pull-through caches, read back from the emulator: one rule per upstream
the inventory names (tools/moto_server.py keeps AWS::ECR::PullThroughCacheRule and answers
DescribePullThroughCacheRules), the execution role allowed to fill only this environment's caches, and
the public images of the services and the backup registered from the cache, pinned by digest.

The emulator reaches no upstream registry, so it cannot import an image into a cache on the first
BatchGetImage as ECR does. The test puts into the cache repositories what that import would have put
there, and pushes there again what a tag moved upstream would bring; that BatchGetImage itself creates
the repository and imports the tag is tested on the ECR fakes
(tests/unit/plugins/modules/test_ecs_taskdefinition.py::TestPullThroughCache)."""

import json
import os
import sys

import pytest

from .conftest import FAST_PATH
from .test_deploy import REPO
from .test_security import role_statements

sys.path.insert(0, str(REPO / "tools"))
from local_aws import image_manifest  # noqa: E402

# What the local inventory's public images become in the caches.
CACHED = {
    "local/docker-hub/gentics/mesh": "2.1.6",
    # The init image: each task's prepare-scratch and check-connections containers.
    "local/ecr-public/docker/library/busybox": "1.36",
    "local/ecr-public/aws-cli/aws-cli": "2.22.35",
}


def cached_run(playbook, name):
    """A run with the caches named, on the fast path: what they change is in the modules, which both
    strategies run alike (test_targets shows each module starting under the default one)."""
    return playbook(name, "-i", "local", "-e", extra_vars(), env=FAST_PATH)


def extra_vars():
    region = os.environ["AWS_REGION"]
    secret = f"arn:aws:secretsmanager:{region}:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
    return json.dumps({"quoin_registry_credentials": {"docker-hub": secret, "ecr-public": None}})


def push(aws, repository, content):
    """Put an image under the repository's cached tag; its digest."""
    pushed = aws("ecr").put_image(repositoryName=repository, imageManifest=image_manifest(content), imageTag=CACHED[repository])
    return pushed["image"]["imageId"]["imageDigest"]


def registered_image(aws, family, container=None):
    """The image of a container (by default the main one, the first) of the family's latest revision."""
    arns = aws("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
    latest = max(arns, key=lambda arn: int(arn.rsplit(":", 1)[1]))
    containers = aws("ecs").describe_task_definition(taskDefinition=latest)["taskDefinition"]["containerDefinitions"]
    return next(c for c in containers if container in (None, c["name"]))["image"]


@pytest.fixture(scope="module")
def cached(reset_aws, playbook, aws):
    reset_aws()
    digests = {}
    for repository in CACHED:
        aws("ecr").create_repository(repositoryName=repository)
        digests[repository] = push(aws, repository, f"{repository} as imported")
    run = cached_run(playbook, "site.yml")
    assert run.returncode == 0, run.output[-5000:]
    return run, digests


def test_each_named_upstream_has_its_rule(cached, aws):
    rules = aws("ecr").describe_pull_through_cache_rules()["pullThroughCacheRules"]
    region = os.environ["AWS_REGION"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistryUrl"], r.get("credentialArn")) for r in rules] == [
        ("local/docker-hub", "registry-1.docker.io", f"arn:aws:secretsmanager:{region}:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"),
        ("local/ecr-public", "public.ecr.aws", None),
    ]


def test_the_execution_role_may_fill_only_these_caches(cached, aws):
    outputs = aws("cloudformation").describe_stacks(StackName="quoin-local")["Stacks"][0]["Outputs"]
    statements = role_statements(aws, next(o["OutputValue"] for o in outputs if o["OutputKey"] == "ExecutionRoleArn"))
    [pull] = [s for s in statements if s.get("Sid") == "PullThroughTheCaches"]
    assert {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:BatchGetImage"} <= set(pull["Action"])
    assert sorted(pull["Resource"]) == [
        f"arn:aws:ecr:{os.environ['AWS_REGION']}:123456789012:repository/local/{upstream}/*" for upstream in ("docker-hub", "ecr-public")
    ]


def test_public_images_are_registered_from_the_cache_by_digest(cached, aws):
    _run, digests = cached
    registry = f"123456789012.dkr.ecr.{os.environ['AWS_REGION']}.amazonaws.com"
    assert registered_image(aws, "quoin-local-cms") == f"{registry}/local/docker-hub/gentics/mesh@{digests['local/docker-hub/gentics/mesh']}"
    busybox = f"{registry}/local/ecr-public/docker/library/busybox@{digests['local/ecr-public/docker/library/busybox']}"
    for container in ("prepare-scratch", "check-connections"):
        assert registered_image(aws, "quoin-local-proxy", container) == busybox
    # The proxy's own image is in ECR already: pinned where it is.
    assert registered_image(aws, "quoin-local-proxy").startswith(f"{registry}/quoin/proxy@sha256:")
    assert registered_image(aws, "quoin-local-backup") == f"{registry}/local/ecr-public/aws-cli/aws-cli@{digests['local/ecr-public/aws-cli/aws-cli']}"


def revisions(aws, family):
    return len(aws("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"])


def test_a_rerun_changes_nothing_and_a_tag_moved_upstream_redeploys_only_its_service(cached, playbook, aws):
    again = cached_run(playbook, "site.yml")
    assert (again.returncode, again.changed) == (0, 0), again.output[-3000:]
    # Cached images are pinned, so no warning names them.
    assert "container cms: gentics/mesh" not in again.output
    before = {service: revisions(aws, f"quoin-local-{service}") for service in ("site", "cms", "proxy")}
    moved = push(aws, "local/docker-hub/gentics/mesh", "gentics/mesh 2.1.6 rebuilt upstream")
    redeploy = cached_run(playbook, "redeploy.yml")
    assert redeploy.returncode == 0, redeploy.output[-3000:]
    assert registered_image(aws, "quoin-local-cms").endswith(f"/local/docker-hub/gentics/mesh@{moved}")
    after = {service: revisions(aws, f"quoin-local-{service}") for service in ("site", "cms", "proxy")}
    assert after == dict(before, cms=before["cms"] + 1)


def test_without_the_caches_the_run_names_what_it_cannot_pin(deployment, playbook):
    """The local inventory caches nothing: its public images are named in a warning, in site.yml and in
    redeploy.yml, and deployed as given."""
    # The deployment, not what the cached runs above left (the fixture may have been made before them).
    deployment.restore()
    redeploy = playbook("redeploy.yml", "-i", "local", env=FAST_PATH)
    assert (redeploy.returncode, redeploy.changed) == (0, 0), redeploy.output[-3000:]
    for run in (deployment.run, redeploy):
        words = " ".join(run.output.split())
        assert "not pinned by digest, so a tag that moves is not noticed" in words
        assert "(quoin-local-cms): container cms: gentics/mesh:2.1.6" in words
        assert "(quoin-local-proxy): container prepare-scratch: public.ecr.aws/docker/library/busybox:1.36" in words
