"""redeploy.yml: a new image pushed under the same ECR tag deploys exactly the services that use it,
pinned by the new digest and verified; nothing else changes; -e services limits it; a wrong name fails
before any AWS call. State is read back through the AWS API."""

import hashlib
import json

import pytest

SERVICES = ("site", "cms", "proxy")
REPOSITORY = "quoin/site"


def push(aws, content):
    """Put a new manifest under the site's tag (as `docker push` would); its digest."""

    def digest(text):
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": digest("{}")},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(content), "digest": digest(content)}],
    }
    pushed = aws("ecr").put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="latest")
    return pushed["image"]["imageId"]["imageDigest"]


def revisions(aws, service):
    arns = aws("ecs").list_task_definitions(familyPrefix=f"quoin-local-{service}", status="ACTIVE")["taskDefinitionArns"]
    return sorted(arn for arn in arns if arn.split("/")[-1].rsplit(":", 1)[0] == f"quoin-local-{service}")


def state(aws):
    """Per service: the task definition it runs, its image, and its PRIMARY deployment."""
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES))["services"]
    result = {}
    for service in described:
        definition = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"][0]
        result[service["serviceName"]] = {
            "task_definition": service["taskDefinition"],
            "image": definition["containerDefinitions"][0]["image"],
            "primary": (primary["taskDefinition"], primary["rolloutState"]),
            "revisions": revisions(aws, service["serviceName"]),
        }
    return result


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()


def test_site_pins_the_ecr_image_by_its_digest(deployed, aws):
    current = aws("ecr").describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": "latest"}])["imageDetails"][0]
    site = state(aws)["site"]
    assert site["image"] == f"123456789012.dkr.ecr.eu-central-1.amazonaws.com/{REPOSITORY}@{current['imageDigest']}"
    # Other registries stay as the inventory gives them.
    assert state(aws)["cms"]["image"] == "gentics/mesh:2.1.6"


def test_a_new_push_under_the_same_tag_redeploys_only_the_site(deployed, playbook, aws):
    before = state(aws)
    digest = push(aws, "site-build-2")
    assert not before["site"]["image"].endswith(digest)
    run = playbook("redeploy.yml", "-i", "local")
    assert run.returncode == 0, run.output[-5000:]
    after = state(aws)
    assert len(after["site"]["revisions"]) == len(before["site"]["revisions"]) + 1
    assert after["site"]["image"].endswith(f"/{REPOSITORY}@{digest}")
    assert after["site"]["task_definition"] not in before["site"]["revisions"]
    assert after["site"]["primary"] == (after["site"]["task_definition"], "COMPLETED")
    for name in ("cms", "proxy"):
        assert after[name] == before[name]

    rerun = playbook("redeploy.yml", "-i", "local")
    assert rerun.returncode == 0 and rerun.changed == 0, rerun.output[-5000:]
    assert state(aws) == after


def test_check_mode_changes_nothing_and_says_so(deployed, playbook, aws):
    before = state(aws)
    push(aws, "site-build-check")
    run = playbook("redeploy.yml", "-i", "local", "--check", "--diff")
    assert run.returncode == 0, run.output[-5000:]
    assert "quoin-local-site" in run.output and run.changed > 0
    assert state(aws) == before
    playbook("redeploy.yml", "-i", "local")


def test_services_limits_the_redeploy(deployed, playbook, aws):
    before = state(aws)
    push(aws, "site-build-3")
    run = playbook("redeploy.yml", "-i", "local", "-e", "services=cms")
    assert run.returncode == 0 and run.changed == 0, run.output[-5000:]
    assert state(aws) == before
    # The ecs role's part of the run (the verify role after it checks every service).
    ecs_part = run.output.split("PLAY RECAP")[0].split("TASK [quoin.fargate.verify")[0]
    assert "site" not in ecs_part.split("Deploy the services")[-1].replace("quoin/site", "")


def test_an_unknown_service_fails_before_any_aws_call(deployed, playbook, aws):
    run = playbook("redeploy.yml", "-i", "local", "-e", "services=site,blog", "-e", "quoin_aws_endpoint_url=http://127.0.0.1:9")
    assert run.returncode != 0
    failure = run.output[run.output.index("fatal:"):]
    assert "services: no such service: blog" in failure, failure[:2000]
    # The endpoint is unreachable: only a check before any call can fail this way.
    assert "Could not connect" not in run.output and "Read the base stack" not in run.output


def test_a_missing_ecr_image_fails_naming_the_service_before_any_registration(deployed, playbook, aws):
    before = state(aws)
    aws("ecr").batch_delete_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "latest"}])
    try:
        run = playbook("redeploy.yml", "-i", "local", "-e", "services=site")
        assert run.returncode != 0
        failure = run.output[run.output.index("Register a new task definition revision"):]
        assert "fatal: [localhost]" in failure, failure[:2000]
        image = f"123456789012.dkr.ecr.eu-central-1.amazonaws.com/{REPOSITORY}:latest"
        assert f"task_definitions[0] (quoin-local-site): container site: image {image} is not in ECR (tag latest not found)" in failure, failure[:2000]
        assert state(aws) == before
    finally:
        push(aws, "site-build-4")
