"""Pull-through caches: the inventory's quoin_registry_credentials checked by the model, public image
references mapped to their cache, and the filter that rewrites task definitions with them."""

import pytest

from ansible_collections.quoin.fargate.plugins.filter.pull_through import pull_through_images
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment
from ansible_collections.quoin.fargate.plugins.plugin_utils.pull_through import cached_image
from ansible_collections.quoin.fargate.plugins.plugin_utils.pull_through import split_reference

from .test_environment_model import model
from .test_environment_model import problems_of

DOCKER_HUB_SECRET = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
ACCOUNT = "123456789012"
CACHE = f"{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com"


def caches(credentials, region="eu-central-1"):
    return normalize_environment(model(registry_credentials=credentials, region=region))["pull_through_cache"]


def test_no_credentials_no_caches():
    assert normalize_environment(model())["pull_through_cache"] == []
    assert caches({}) == []


def test_each_upstream_gets_a_rule_under_the_environments_prefix():
    assert caches({"docker-hub": DOCKER_HUB_SECRET, "ecr-public": None}) == [
        {"upstream": "docker-hub", "registry_url": "registry-1.docker.io", "prefix": "prod/docker-hub", "credential_arn": DOCKER_HUB_SECRET, "cfn_name": "DockerHub"},
        {"upstream": "ecr-public", "registry_url": "public.ecr.aws", "prefix": "prod/ecr-public", "credential_arn": "", "cfn_name": "EcrPublic"},
    ]


@pytest.mark.parametrize(
    "credentials, problem",
    [
        (
            {"docker-hub": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dockerhub-AbCdEf"},
            "quoin_registry_credentials.docker-hub: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:dockerhub-AbCdEf' is not the ARN "
            "of a Secrets Manager secret named ecr-pullthroughcache/... (ECR's pull-through cache reads only secrets with that name prefix)",
        ),
        (
            {"docker-hub": "arn:aws:ssm:eu-central-1:123456789012:parameter/ecr-pullthroughcache/docker-hub"},
            "quoin_registry_credentials.docker-hub: 'arn:aws:ssm:eu-central-1:123456789012:parameter/ecr-pullthroughcache/docker-hub' is not the ARN "
            "of a Secrets Manager secret named ecr-pullthroughcache/... (ECR's pull-through cache reads only secrets with that name prefix)",
        ),
        (
            {"docker-hub": None},
            "quoin_registry_credentials.docker-hub: '' is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/... "
            "(ECR's pull-through cache reads only secrets with that name prefix)",
        ),
        (
            {"docker-hub": DOCKER_HUB_SECRET.replace("eu-central-1", "us-east-1")},
            "quoin_registry_credentials.docker-hub: the secret is in us-east-1, the environment in eu-central-1: ECR reads it only in the rule's own region",
        ),
        (
            {"ecr-public": DOCKER_HUB_SECRET},
            f"quoin_registry_credentials.ecr-public: ECR caches ecr-public without a credential; give ~ instead of {DOCKER_HUB_SECRET!r}",
        ),
        (
            {"hub.docker.com": DOCKER_HUB_SECRET},
            "quoin_registry_credentials: 'hub.docker.com' is not an upstream registry ECR can cache "
            "(docker-hub, github-container-registry, gitlab-container-registry, ecr-public, quay, k8s)",
        ),
        (
            ["docker-hub"],
            "quoin_registry_credentials: must map upstream registries (docker-hub, github-container-registry, gitlab-container-registry, "
            "ecr-public, quay, k8s) to a Secrets Manager ARN, or to ~ for those that need none",
        ),
    ],
    ids=["not ecr-pullthroughcache/", "not secrets manager", "missing", "another region", "needs none", "unknown upstream", "not a mapping"],
)
def test_a_bad_credential_is_refused_naming_the_variable(credentials, problem):
    assert problems_of(model(registry_credentials=credentials, region="eu-central-1")) == [problem]


def test_a_prefix_longer_than_ecr_allows_is_refused():
    problems = problems_of(model(environment="a-twenty-char-name-x", registry_credentials={"ecr-public": None}))
    assert problems == [
        "quoin_registry_credentials.ecr-public: the cache's repository prefix 'a-twenty-char-name-x/ecr-public' (quoin_environment/upstream) "
        "is not an ECR prefix of at most 30 characters"
    ]


@pytest.mark.parametrize(
    "image, expected",
    [
        ("gentics/mesh:2.1.6", ("docker-hub", "gentics/mesh", ":2.1.6")),
        ("nginx", ("docker-hub", "library/nginx", "")),
        ("nginx:1.27-alpine", ("docker-hub", "library/nginx", ":1.27-alpine")),
        ("docker.io/library/nginx:1.27", ("docker-hub", "library/nginx", ":1.27")),
        ("docker.io/nginxinc/nginx-unprivileged:1.27-alpine", ("docker-hub", "nginxinc/nginx-unprivileged", ":1.27-alpine")),
        ("public.ecr.aws/docker/library/busybox:1.36", ("ecr-public", "docker/library/busybox", ":1.36")),
        ("quay.io/prometheus/node-exporter:v1.8.2", ("quay", "prometheus/node-exporter", ":v1.8.2")),
        ("ghcr.io/quoin/site:1", ("github-container-registry", "quoin/site", ":1")),
        ("gentics/mesh@sha256:" + "a" * 64, None),
        (f"{CACHE}/quoin/site:1", None),
        ("localhost:5000/site:1", None),
        ("registry.example.org:5000/site:1", None),
    ],
)
def test_a_reference_names_its_upstream_repository_and_tag(image, expected):
    assert split_reference(image) == expected


def test_only_a_cached_upstreams_images_are_rewritten():
    cached = caches({"docker-hub": DOCKER_HUB_SECRET})
    assert cached_image("gentics/mesh:2.1.6", cached, ACCOUNT, "eu-central-1") == f"{CACHE}/prod/docker-hub/gentics/mesh:2.1.6"
    assert cached_image("nginx", cached, ACCOUNT, "eu-central-1") == f"{CACHE}/prod/docker-hub/library/nginx"
    assert cached_image("public.ecr.aws/docker/library/busybox:1.36", cached, ACCOUNT, "eu-central-1") is None


def requests(*images):
    return [
        {
            "family": f"quoin-prod-{index}",
            "task_definition": {"containerDefinitions": [{"name": "init", "image": image}, {"name": "main", "image": image}]},
            "tags": {},
        }
        for index, image in enumerate(images)
    ]


def test_the_filter_rewrites_every_container_of_every_request_and_leaves_the_input_alone():
    model_ = normalize_environment(model(registry_credentials={"docker-hub": DOCKER_HUB_SECRET, "ecr-public": None}, region="eu-central-1"))
    stack = {"execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/quoin-prod-ExecutionRole"}
    given = requests("gentics/mesh:2.1.6", "public.ecr.aws/docker/library/busybox:1.36", "registry.example.org/x:1", f"{CACHE}/quoin/site:1")
    rewritten = pull_through_images(given, model_, stack, "eu-central-1")
    assert [[c["image"] for c in r["task_definition"]["containerDefinitions"]] for r in rewritten] == [
        [f"{CACHE}/prod/docker-hub/gentics/mesh:2.1.6"] * 2,
        [f"{CACHE}/prod/ecr-public/docker/library/busybox:1.36"] * 2,
        ["registry.example.org/x:1"] * 2,
        [f"{CACHE}/quoin/site:1"] * 2,
    ]
    assert given == requests("gentics/mesh:2.1.6", "public.ecr.aws/docker/library/busybox:1.36", "registry.example.org/x:1", f"{CACHE}/quoin/site:1")


def test_without_caches_the_filter_changes_nothing():
    given = requests("gentics/mesh:2.1.6")
    assert pull_through_images(given, normalize_environment(model()), {"execution_role_arn": "unused"}, "eu-central-1") == given
