# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR pull-through caches: the upstream registries ECR can cache, the inventory's choice of them
(quoin_registry_credentials), and public image references rewritten to their cache in the
environment's own ECR registry, where they can be pinned by digest like any ECR image.

The upstreams and their URLs are those of CreatePullThroughCacheRule (upstreamRegistry and
upstreamRegistryUrl); which need a credential is the ECR User Guide's "Sync an upstream registry with
an Amazon ECR private registry". Azure Container Registry (a URL per registry) and ECR itself (an IAM
role, not a secret) are left out.
"""

import re

# upstream name: (registry URL, the hosts an image reference names it by, whether ECR needs a credential)
UPSTREAMS = {
    "docker-hub": ("registry-1.docker.io", ("docker.io", "index.docker.io", "registry-1.docker.io"), True),
    "github-container-registry": ("ghcr.io", ("ghcr.io",), True),
    "gitlab-container-registry": ("registry.gitlab.com", ("registry.gitlab.com",), True),
    "ecr-public": ("public.ecr.aws", ("public.ecr.aws",), False),
    "quay": ("quay.io", ("quay.io",), False),
    "k8s": ("registry.k8s.io", ("registry.k8s.io",), False),
}
# What CreatePullThroughCacheRule accepts as credentialArn (its documented pattern): ECR reads the secret
# through its service-linked role, whose policy covers only secrets named ecr-pullthroughcache/...
CREDENTIAL_ARN = re.compile(r"^arn:aws(-\w+)*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:ecr-pullthroughcache/[A-Za-z0-9/_+=.@-]+$")
CREDENTIAL_ARN_LENGTH = (50, 612)
# ecrRepositoryPrefix: 2 to 30 characters of this pattern.
REPOSITORY_PREFIX = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
REPOSITORY_PREFIX_LENGTH = (2, 30)


def cache_prefix(environment, upstream):
    """The ECR repository prefix of an environment's cache of an upstream: environments that share an
    account and region each own their rule (and the execution role reaches only its own)."""
    return f"{environment}/{upstream}"


def normalize_caches(problems, environment, credentials, region=None):
    """The pull-through caches the inventory asks for, sorted by upstream: [{upstream, registry_url,
    prefix, credential_arn, cfn_name}]; problems are appended naming quoin_registry_credentials."""
    where = "quoin_registry_credentials"
    if credentials is None:
        return []
    if not isinstance(credentials, dict):
        problems.append(f"{where}: must map upstream registries ({', '.join(UPSTREAMS)}) to a Secrets Manager ARN, or to ~ for those that need none")
        return []
    caches = []
    for upstream in sorted(credentials, key=str):
        arn = credentials[upstream] or ""
        if upstream not in UPSTREAMS:
            problems.append(f"{where}: {upstream!r} is not an upstream registry ECR can cache ({', '.join(UPSTREAMS)})")
            continue
        url, _hosts, needs_credential = UPSTREAMS[upstream]
        if needs_credential:
            found = CREDENTIAL_ARN.match(arn) if isinstance(arn, str) else None
            if found is None or not CREDENTIAL_ARN_LENGTH[0] <= len(arn) <= CREDENTIAL_ARN_LENGTH[1]:
                problems.append(
                    f"{where}.{upstream}: {arn!r} is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/... "
                    "(ECR's pull-through cache reads only secrets with that name prefix)"
                )
            elif region and found["region"] != region:
                problems.append(
                    f"{where}.{upstream}: the secret is in {found['region']}, the environment in {region}: "
                    "ECR reads it only in the rule's own region"
                )
        elif arn:
            problems.append(f"{where}.{upstream}: ECR caches {upstream} without a credential; give ~ instead of {arn!r}")
        prefix = cache_prefix(environment, upstream)
        if not REPOSITORY_PREFIX.match(prefix) or not REPOSITORY_PREFIX_LENGTH[0] <= len(prefix) <= REPOSITORY_PREFIX_LENGTH[1]:
            problems.append(
                f"{where}.{upstream}: the cache's repository prefix {prefix!r} (quoin_environment/upstream) "
                "is not an ECR prefix of at most 30 characters"
            )
        caches.append(
            {
                "upstream": upstream,
                "registry_url": url,
                "prefix": prefix,
                "credential_arn": arn if needs_credential else "",
                "cfn_name": "".join(part.capitalize() for part in upstream.split("-")),
            }
        )
    return caches


def split_reference(image):
    """(upstream, repository path, ':tag' or '') of an image reference from a registry ECR can cache, or
    None: another registry, or a reference already pinned by digest (ECR fetches only a tag from
    upstream on a first pull, not a digest it has not cached)."""
    if not isinstance(image, str) or "@" in image:
        return None
    first, slash, rest = image.partition("/")
    # Docker's rule: the first part names a registry when it has a dot or a port, or is localhost.
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", image
    upstream = next((name for name, (_url, hosts, _needs) in UPSTREAMS.items() if host in hosts), None)
    if upstream is None or not path:
        return None
    name, colon, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    if upstream == "docker-hub" and "/" not in name:
        # Docker Hub's official images live under library/, and ECR's cache needs it said.
        name = f"library/{name}"
    return upstream, name, f"{colon}{tag}"


def cached_image(image, caches, account, region):
    """The reference of `image` in its pull-through cache (<account>.dkr.ecr.<region>.amazonaws.com/
    <prefix>/<repository>[:tag]), or None when no cache of `caches` holds its registry."""
    split = split_reference(image)
    if split is None:
        return None
    upstream, name, tag = split
    cache = next((cache for cache in caches if cache["upstream"] == upstream), None)
    if cache is None:
        return None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{cache['prefix']}/{name}{tag}"
