# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS service API layer of the ecs_service module.

One small function per API call, each retried with jittered backoff and wrapped by an error handler;
the comparison of a described service with the module's parameters, which builds one UpdateService
request for every difference; the request and result shapes; a waiter for a deleted service.
"""

import copy

try:
    import botocore  # pylint: disable=unused-import
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory

from ansible_collections.quoin.fargate.plugins.module_utils.results import jsonable


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSServiceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["ServiceNotFoundException", "ServiceNotActiveException"])


class ECSClusterErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")


@ECSClusterErrorHandler.list_error_handler("describe the service")
@AWSRetry.jittered_backoff()
def describe_services(client, cluster, services):
    """DescribeServices' answer, tags included; None when the cluster does not exist."""
    return client.describe_services(cluster=cluster, services=list(services), include=["TAGS"])


# DescribeServices takes at most this many services a call.
DESCRIBE_SERVICES_LIMIT = 10


def describe_named_services(client, cluster, names):
    """(cluster_found, {name: service}): the services as DescribeServices returns them, asked for
    DESCRIBE_SERVICES_LIMIT at a time; a name the cluster has no service of, in any status, is left out."""
    names = list(names)
    found = {}
    for start in range(0, len(names), DESCRIBE_SERVICES_LIMIT):
        batch = names[start:start + DESCRIBE_SERVICES_LIMIT]
        response = describe_services(client, cluster, batch)
        if response is None:
            return False, {}
        for service in response.get("services") or []:
            for name in batch:
                if service.get("serviceName") == name or service.get("serviceArn") == name:
                    found[name] = service
    return True, found


def describe_service(client, cluster, name):
    """(cluster_found, service): the service as DescribeServices returns it, or None when the
    cluster has no service of that name, in any status."""
    cluster_found, found = describe_named_services(client, cluster, [name])
    return cluster_found, found.get(name)


@ECSServiceErrorHandler.common_error_handler("describe the task definition")
@AWSRetry.jittered_backoff()
def describe_task_definition(client, task_definition):
    return client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]


@ECSServiceErrorHandler.common_error_handler("create the service")
@AWSRetry.jittered_backoff()
def create_service(client, **request):
    return client.create_service(**request)["service"]


@ECSServiceErrorHandler.common_error_handler("update the service")
@AWSRetry.jittered_backoff()
def update_service(client, **request):
    return client.update_service(**request)["service"]


@ECSServiceErrorHandler.deletion_error_handler("delete the service")
@AWSRetry.jittered_backoff()
def delete_service(client, cluster, name):
    client.delete_service(cluster=cluster, service=name)
    return True


@ECSServiceErrorHandler.common_error_handler("tag the service")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=ansible_dict_to_boto3_tag_list(tags, "key", "value"))
    return True


@ECSServiceErrorHandler.common_error_handler("untag the service")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn, tag_keys):
    client.untag_resource(resourceArn=arn, tagKeys=list(tag_keys))
    return True


class ECSServiceWaiterFactory(BaseWaiterFactory):
    # botocore's services_inactive fails when the service is MISSING, which is where a deleted
    # service ends up after a while: here that is success too.
    @property
    def _waiter_model_data(self):
        return {
            "service_gone": {
                "operation": "DescribeServices",
                "delay": 10,
                "maxAttempts": 60,
                "acceptors": [
                    {"state": "success", "matcher": "pathAll", "argument": "services[].status", "expected": "INACTIVE"},
                    {"state": "success", "matcher": "pathAny", "argument": "failures[].reason", "expected": "MISSING"},
                    {"state": "success", "matcher": "error", "expected": "ClusterNotFoundException"},
                    {"state": "retry", "matcher": "pathAny", "argument": "services[].status", "expected": "DRAINING"},
                    {"state": "retry", "matcher": "pathAny", "argument": "services[].status", "expected": "ACTIVE"},
                ],
            },
        }


WAIT_DELAY = 10


@ECSServiceErrorHandler.common_error_handler("wait for the service to be deleted")
def wait_for_service_gone(client, cluster, name, timeout):
    """Wait until the service is INACTIVE or gone, for at most `timeout` seconds."""
    waiter = ECSServiceWaiterFactory().get_waiter(client, "service_gone")
    waiter.wait(
        cluster=cluster,
        services=[name],
        WaiterConfig={"Delay": WAIT_DELAY, "MaxAttempts": max(1, timeout // WAIT_DELAY)},
    )


# Conversions


def normalize_service(service):
    """The API's service as the module returns it: snake_cased, tags as a dict, times as ISO 8601."""
    if not service:
        return {}
    result = camel_dict_to_snake_dict(
        jsonable({key: value for key, value in service.items() if key not in ("tags", "ResponseMetadata")})
    )
    result["tags"] = boto3_tag_list_to_ansible_dict(service.get("tags") or [], "key", "value")
    return result


# What diff mode shows: the configuration the module manages, not the events and deployments.
DIFF_KEYS = (
    "service_name",
    "service_arn",
    "cluster_arn",
    "status",
    "task_definition",
    "desired_count",
    "launch_type",
    "platform_version",
    "network_configuration",
    "deployment_configuration",
    "load_balancers",
    "service_registries",
    "health_check_grace_period_seconds",
    "propagate_tags",
    "enable_execute_command",
    "tags",
)


def diff_view(service):
    return {key: service[key] for key in DIFF_KEYS if key in service}


def task_definition_key(task_definition):
    """family:revision of a task definition ARN (or of family:revision itself)."""
    if not task_definition:
        return task_definition
    return task_definition.split(":task-definition/")[-1]


def _show(value):
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_show(item)}" for key, item in value.items()) + "}"
    return str(value)


def _change(what, have, want):
    return f"{what} from {_show(have)} to {_show(want)}"


def _assign_public_ip(flag):
    return "ENABLED" if flag else "DISABLED"


def _uses_platform_version(params):
    return params.get("launch_type") == "FARGATE" and params.get("platform_version") is not None


def deployment_configuration_request(params, current=None):
    """The deploymentConfiguration for the parameters, on top of the current one (alarms and any
    other setting the module does not manage stay as they are)."""
    request = copy.deepcopy(current or {})
    config = params.get("deployment_configuration") or {}
    if config.get("maximum_percent") is not None:
        request["maximumPercent"] = config["maximum_percent"]
    if config.get("minimum_healthy_percent") is not None:
        request["minimumHealthyPercent"] = config["minimum_healthy_percent"]
    breaker = config.get("circuit_breaker")
    if breaker is not None:
        request["deploymentCircuitBreaker"] = {"enable": breaker["enable"], "rollback": breaker["rollback"]}
    return request


def network_configuration_request(params, current=None):
    """The networkConfiguration for the parameters, keeping the current security groups when none
    are given (UpdateService replaces the whole configuration)."""
    network = params.get("network_configuration")
    if not network:
        return None
    awsvpc = copy.deepcopy(((current or {}).get("awsvpcConfiguration")) or {})
    awsvpc["subnets"] = list(network["subnets"])
    if network.get("security_groups") is not None:
        awsvpc["securityGroups"] = list(network["security_groups"])
    awsvpc["assignPublicIp"] = _assign_public_ip(network.get("assign_public_ip"))
    return {"awsvpcConfiguration": awsvpc}


def load_balancers_request(params):
    if params.get("load_balancers") is None:
        return None
    return [
        {"targetGroupArn": lb["target_group_arn"], "containerName": lb["container_name"], "containerPort": lb["container_port"]}
        for lb in params["load_balancers"]
    ]


def service_registries_request(params):
    if params.get("service_registries") is None:
        return None
    result = []
    for registry in params["service_registries"]:
        entry = {"registryArn": registry["registry_arn"]}
        if registry.get("container_name") is not None:
            entry["containerName"] = registry["container_name"]
        if registry.get("container_port") is not None:
            entry["containerPort"] = registry["container_port"]
        result.append(entry)
    return result


def create_request(params, task_definition):
    """CreateService's arguments for the module parameters; `task_definition` is resolved (an ARN)."""
    request = {
        "cluster": params["cluster"],
        "serviceName": params["name"],
        "taskDefinition": task_definition,
        "launchType": params["launch_type"],
        "deploymentConfiguration": deployment_configuration_request(params),
        "enableExecuteCommand": bool(params.get("enable_execute_command")),
    }
    if _uses_platform_version(params):
        request["platformVersion"] = params["platform_version"]
    if params.get("desired_count") is not None:
        request["desiredCount"] = params["desired_count"]
    network = network_configuration_request(params)
    if network:
        request["networkConfiguration"] = network
    if load_balancers_request(params):
        request["loadBalancers"] = load_balancers_request(params)
    if service_registries_request(params):
        request["serviceRegistries"] = service_registries_request(params)
    if params.get("health_check_grace_period_seconds") is not None:
        request["healthCheckGracePeriodSeconds"] = params["health_check_grace_period_seconds"]
    if params.get("propagate_tags") is not None:
        request["propagateTags"] = params["propagate_tags"]
    if params.get("tags"):
        request["tags"] = ansible_dict_to_boto3_tag_list(params["tags"], "key", "value")
    return request


def predicted_new_service(request):
    """The service CreateService would return for `request`, as far as it can be known beforehand
    (no ARN; AWS's defaults for what the request leaves out)."""
    service = {key: copy.deepcopy(value) for key, value in request.items() if key not in ("cluster",)}
    if request["cluster"].startswith("arn:"):
        service["clusterArn"] = request["cluster"]
    service["status"] = "ACTIVE"
    service.setdefault("loadBalancers", [])
    service.setdefault("serviceRegistries", [])
    service.setdefault("propagateTags", "NONE")
    service.setdefault("tags", [])
    return service


def _load_balancer_keys(load_balancers):
    """The load balancers as sorted lines, "target group container:port", to compare and to show."""
    return sorted(
        f"{lb.get('targetGroupArn') or lb.get('loadBalancerName')} {lb.get('containerName')}:{lb.get('containerPort')}"
        for lb in load_balancers or []
    )


def _registry_keys(registries):
    """The service registries as sorted lines, "registry [container:port]", to compare and to show."""
    keys = []
    for registry in registries or []:
        key = registry.get("registryArn") or ""
        if registry.get("containerName") is not None or registry.get("containerPort") is not None:
            key += f" {registry.get('containerName')}:{registry.get('containerPort')}"
        keys.append(key)
    return sorted(keys)


def _network_changes(current, request):
    """What differs between the current and the requested awsvpcConfiguration, one line each."""
    have = (current or {}).get("awsvpcConfiguration") or {}
    want = request["awsvpcConfiguration"]
    changes = []
    # AWS does not keep the order of subnets and security groups.
    for key, name in (("subnets", "subnets"), ("securityGroups", "security_groups")):
        if key in want and sorted(have.get(key) or []) != sorted(want[key]):
            changes.append(_change(f"network_configuration.{name}", sorted(have.get(key) or []), sorted(want[key])))
    have_public = have.get("assignPublicIp") or "DISABLED"
    if have_public != want["assignPublicIp"]:
        changes.append(
            _change("network_configuration.assign_public_ip", have_public == "ENABLED", want["assignPublicIp"] == "ENABLED")
        )
    return changes


# AWS's deployment configuration for a service created without one.
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}


def _deployment_changes(current, params):
    config = params.get("deployment_configuration") or {}
    have = current or {}
    changes = []
    for option, key in (("maximum_percent", "maximumPercent"), ("minimum_healthy_percent", "minimumHealthyPercent")):
        if config.get(option) is not None and have.get(key) != config[option]:
            changes.append(_change(f"deployment_configuration.{option}", have.get(key), config[option]))
    breaker = config.get("circuit_breaker")
    if breaker is not None:
        have_breaker = have.get("deploymentCircuitBreaker") or DEFAULT_DEPLOYMENT_CONFIGURATION["deploymentCircuitBreaker"]
        for key in ("enable", "rollback"):
            if bool(have_breaker.get(key)) != breaker[key]:
                changes.append(_change(f"deployment_configuration.circuit_breaker.{key}", bool(have_breaker.get(key)), breaker[key]))
    return changes


def fixed_differences(service, params):
    """What the parameters ask to change that UpdateService cannot change, one line each."""
    differences = []
    want = params.get("launch_type")
    have = service.get("launchType")
    if want and have and have != want:
        differences.append(f"launch_type from {have} to {want}")
    elif want and not have and service.get("capacityProviderStrategy"):
        differences.append(f"launch_type from a capacity provider strategy to {want}")
    return differences


def service_differences(service, params, task_definition=None):
    """Compare a described service with the parameters; only what the user set is compared.

    `task_definition` is the resolved task definition (an ARN), or None to leave it alone.
    Returns (request, changes, deployment_started): the UpdateService arguments for every
    difference (None when there is none), one readable line per difference, and whether the
    update starts a new deployment.
    """
    request = {}
    changes = []
    deployment_started = False

    if task_definition is not None:
        have = task_definition_key(service.get("taskDefinition"))
        want = task_definition_key(task_definition)
        if have != want:
            request["taskDefinition"] = task_definition
            changes.append(_change("task_definition", have, want))
            deployment_started = True

    if params.get("desired_count") is not None and service.get("desiredCount") != params["desired_count"]:
        request["desiredCount"] = params["desired_count"]
        changes.append(_change("desired_count", service.get("desiredCount"), params["desired_count"]))

    network = network_configuration_request(params, service.get("networkConfiguration"))
    if network:
        network_changes = _network_changes(service.get("networkConfiguration"), network)
        if network_changes:
            request["networkConfiguration"] = network
            changes += network_changes
            deployment_started = True

    if _uses_platform_version(params) and service.get("platformVersion") != params["platform_version"]:
        request["platformVersion"] = params["platform_version"]
        changes.append(_change("platform_version", service.get("platformVersion"), params["platform_version"]))
        deployment_started = True

    deployment_changes = _deployment_changes(service.get("deploymentConfiguration"), params)
    if deployment_changes:
        current = service.get("deploymentConfiguration") or DEFAULT_DEPLOYMENT_CONFIGURATION
        request["deploymentConfiguration"] = deployment_configuration_request(params, current)
        changes += deployment_changes

    # ECS starts a new deployment when the load balancers or service registries change.
    load_balancers = load_balancers_request(params)
    if load_balancers is not None and _load_balancer_keys(service.get("loadBalancers")) != _load_balancer_keys(load_balancers):
        request["loadBalancers"] = load_balancers
        changes.append(_change("load_balancers", _load_balancer_keys(service.get("loadBalancers")), _load_balancer_keys(load_balancers)))
        deployment_started = True

    registries = service_registries_request(params)
    if registries is not None and _registry_keys(service.get("serviceRegistries")) != _registry_keys(registries):
        request["serviceRegistries"] = registries
        changes.append(_change("service_registries", _registry_keys(service.get("serviceRegistries")), _registry_keys(registries)))
        deployment_started = True

    grace = params.get("health_check_grace_period_seconds")
    if grace is not None and (service.get("healthCheckGracePeriodSeconds") or 0) != grace:
        request["healthCheckGracePeriodSeconds"] = grace
        changes.append(_change("health_check_grace_period_seconds", service.get("healthCheckGracePeriodSeconds") or 0, grace))

    propagate = params.get("propagate_tags")
    if propagate is not None and (service.get("propagateTags") or "NONE") != propagate:
        request["propagateTags"] = propagate
        changes.append(_change("propagate_tags", service.get("propagateTags") or "NONE", propagate))

    execute = params.get("enable_execute_command")
    if execute is not None and bool(service.get("enableExecuteCommand")) != execute:
        request["enableExecuteCommand"] = execute
        # Running tasks keep the setting they started with: only new tasks get (or lose) ECS Exec.
        request["forceNewDeployment"] = True
        changes.append(
            _change("enable_execute_command", bool(service.get("enableExecuteCommand")), execute)
            + " (starts a new deployment: running tasks keep the setting they started with)"
        )
        deployment_started = True

    if params.get("force_new_deployment") and not request.get("forceNewDeployment"):
        request["forceNewDeployment"] = True
        changes.append("force_new_deployment")
        deployment_started = True

    if not request:
        return None, changes, False
    request = dict(cluster=params["cluster"], service=service.get("serviceName") or params["name"], **request)
    return request, changes, deployment_started


def tag_differences(service, tags, purge_tags):
    """(to_set, to_unset, changes) for the wanted tags; tags=None leaves them alone."""
    if tags is None:
        return {}, [], []
    current = boto3_tag_list_to_ansible_dict(service.get("tags") or [], "key", "value")
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    changes = []
    if to_set:
        changes.append("tags: set " + ", ".join(f"{key}={value}" for key, value in sorted(to_set.items())))
    if to_unset:
        changes.append("tags: remove " + ", ".join(sorted(to_unset)))
    return to_set, list(to_unset), changes


def predicted_service(service, request, to_set, to_unset):
    """The service as it will be once `request` (UpdateService) and the tag changes are applied."""
    result = copy.deepcopy(service)
    for key, value in (request or {}).items():
        if key not in ("cluster", "service", "forceNewDeployment"):
            result[key] = copy.deepcopy(value)
    if to_set or to_unset:
        tags = boto3_tag_list_to_ansible_dict(service.get("tags") or [], "key", "value")
        tags.update(to_set)
        tags = {key: value for key, value in tags.items() if key not in to_unset}
        result["tags"] = ansible_dict_to_boto3_tag_list(tags, "key", "value")
    return result
