# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Cloud Map (servicediscovery) API layer shared by the namespace and service modules.

One small function per API call, each retried with jittered backoff and wrapped by an error handler
(a missing resource is None on a read and False on a delete); a waiter for Cloud Map's asynchronous
operations, which botocore does not provide; conversions to the snake_cased shape the modules return;
the comparison of a service with the module parameters; ensure_namespace, the namespace made to match
the parameters, which both modules call.
"""

import uuid
from typing import NamedTuple
from typing import Optional

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory

MAX_TTL = 2147483647


class AnsibleServiceDiscoveryError(AnsibleAWSError):
    pass


class NamespaceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NamespaceNotFound")


class ServiceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ServiceNotFound")


class OperationErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("OperationNotFound")


class TagErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


class HostedZoneErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchHostedZone")


# Namespaces


@NamespaceErrorHandler.list_error_handler("list namespaces", [])
@AWSRetry.jittered_backoff()
def list_namespaces(client, name=None, namespace_type=None):
    filters = []
    if name:
        filters.append({"Name": "NAME", "Values": [name], "Condition": "EQ"})
    if namespace_type:
        filters.append({"Name": "TYPE", "Values": [namespace_type], "Condition": "EQ"})
    params = {"Filters": filters} if filters else {}
    paginator = client.get_paginator("list_namespaces")
    return paginator.paginate(**params).build_full_result()["Namespaces"]


@NamespaceErrorHandler.list_error_handler("get namespace")
@AWSRetry.jittered_backoff()
def get_namespace(client, namespace_id):
    return client.get_namespace(Id=namespace_id)["Namespace"]


@NamespaceErrorHandler.common_error_handler("create private DNS namespace")
@AWSRetry.jittered_backoff()
def create_private_dns_namespace(client, name, vpc, creator_request_id, description=None, tags=None):
    """Start creating the namespace; the ID of the asynchronous operation.

    The same creator_request_id on a retried call keeps Cloud Map from creating a second namespace."""
    params = {"Name": name, "Vpc": vpc, "CreatorRequestId": creator_request_id}
    if description is not None:
        params["Description"] = description
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_private_dns_namespace(**params)["OperationId"]


@NamespaceErrorHandler.common_error_handler("update private DNS namespace")
@AWSRetry.jittered_backoff()
def update_private_dns_namespace(client, namespace_id, updater_request_id, description):
    return client.update_private_dns_namespace(
        Id=namespace_id, UpdaterRequestId=updater_request_id, Namespace={"Description": description}
    )["OperationId"]


@NamespaceErrorHandler.deletion_error_handler("delete namespace")
@AWSRetry.jittered_backoff()
def delete_namespace(client, namespace_id):
    """The ID of the asynchronous operation, or False when the namespace is already gone."""
    return client.delete_namespace(Id=namespace_id)["OperationId"]


# Services


@ServiceErrorHandler.list_error_handler("list services", [])
@AWSRetry.jittered_backoff()
def list_services(client, namespace_id):
    paginator = client.get_paginator("list_services")
    filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    return paginator.paginate(Filters=filters).build_full_result()["Services"]


@ServiceErrorHandler.list_error_handler("get service")
@AWSRetry.jittered_backoff()
def get_service(client, service_id):
    return client.get_service(Id=service_id)["Service"]


def _read_in_namespace(client, summaries, namespace_id):
    """The services of these summaries that belong to the namespace, each read in full."""
    found = []
    for summary in summaries:
        service = get_service(client, summary["Id"])
        if service and service.get("NamespaceId") == namespace_id:
            found.append(service)
    return found


def services_in_namespace(client, namespace_id, name=None):
    """The services of the namespace (optionally only those named `name`), in full.

    A service summary does not say which namespace it belongs to, so each one is read to make sure."""
    summaries = [summary for summary in list_services(client, namespace_id) if name is None or summary.get("Name") == name]
    return _read_in_namespace(client, summaries, namespace_id)


def services_by_name(client, namespace, names):
    """{name: service (API shape)} for each of `names` that names a service of the namespace, from one
    listing of the namespace. `namespace` is what GetNamespace returns.

    A service summary holds all that the comparison needs but the namespace: when the listing holds
    exactly the namespace's ServiceCount services (the NAMESPACE_ID filter held) and one per name, the
    summaries are used as they are, with the namespace set. Otherwise (an API that ignores the filter,
    a count that lags behind) each summary of a wanted name is read in full to make sure."""
    namespace_id = namespace["Id"]
    summaries = list_services(client, namespace_id)
    filtered = namespace.get("ServiceCount") == len(summaries)
    listed = {}
    for summary in summaries:
        if summary.get("Name") in names:
            listed.setdefault(summary["Name"], []).append(summary)
    found = {}
    for name, same_name in listed.items():
        if filtered and len(same_name) == 1:
            found[name] = dict(same_name[0], NamespaceId=namespace_id)
            continue
        for service in _read_in_namespace(client, same_name, namespace_id):
            found[name] = service
    return found


@ServiceErrorHandler.common_error_handler("create service")
@AWSRetry.jittered_backoff()
def create_service(client, **params):
    return client.create_service(**params)["Service"]


@ServiceErrorHandler.common_error_handler("update service")
@AWSRetry.jittered_backoff()
def update_service(client, service_id, change):
    """Start updating the service; the ID of the asynchronous operation."""
    return client.update_service(Id=service_id, Service=change)["OperationId"]


@ServiceErrorHandler.deletion_error_handler("delete service")
@AWSRetry.jittered_backoff()
def delete_service(client, service_id):
    client.delete_service(Id=service_id)
    return True


@ServiceErrorHandler.list_error_handler("list instances", [])
@AWSRetry.jittered_backoff()
def list_instances(client, service_id):
    paginator = client.get_paginator("list_instances")
    return paginator.paginate(ServiceId=service_id).build_full_result()["Instances"]


# Tags


@TagErrorHandler.list_error_handler("list tags", {})
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn).get("Tags", []))


@TagErrorHandler.common_error_handler("tag resource")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@TagErrorHandler.common_error_handler("untag resource")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn, tag_keys):
    client.untag_resource(ResourceARN=arn, TagKeys=list(tag_keys))
    return True


# The VPCs of a private namespace: Cloud Map does not report them, its Route 53 hosted zone does.


@HostedZoneErrorHandler.list_error_handler("get hosted zone")
@AWSRetry.jittered_backoff()
def hosted_zone_vpcs(route53, hosted_zone_id):
    """The IDs of the VPCs associated with the hosted zone, or None when the zone does not exist."""
    return [vpc["VPCId"] for vpc in route53.get_hosted_zone(Id=hosted_zone_id).get("VPCs", [])]


# Operations


@OperationErrorHandler.list_error_handler("get operation")
@AWSRetry.jittered_backoff()
def get_operation(client, operation_id):
    return client.get_operation(OperationId=operation_id)["Operation"]


class ServiceDiscoveryWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return {
            "operation_success": {
                "operation": "GetOperation",
                "delay": 5,
                "maxAttempts": 60,
                "acceptors": [
                    {"state": "success", "matcher": "path", "argument": "Operation.Status", "expected": "SUCCESS"},
                    {"state": "failure", "matcher": "path", "argument": "Operation.Status", "expected": "FAIL"},
                    {"state": "retry", "matcher": "path", "argument": "Operation.Status", "expected": "SUBMITTED"},
                    {"state": "retry", "matcher": "path", "argument": "Operation.Status", "expected": "PENDING"},
                    # Read right after it was started, an operation may not be visible yet.
                    {"state": "retry", "matcher": "error", "expected": "OperationNotFound"},
                ],
            },
        }


@OperationErrorHandler.common_error_handler("wait for the Cloud Map operation")
def wait_for_operation(client, operation_id, timeout, delay=5):
    """Wait until the operation succeeds, for at most `timeout` seconds; the operation.

    An operation that ends in FAIL raises an error carrying Cloud Map's own reason."""
    waiter = ServiceDiscoveryWaiterFactory().get_waiter(client, "operation_success")
    try:
        waiter.wait(OperationId=operation_id, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)})
    except botocore.exceptions.WaiterError as e:
        operation = (e.last_response or {}).get("Operation") or {}
        if operation.get("Status") != "FAIL":
            raise
        raise AnsibleServiceDiscoveryError(
            message=(
                f"Cloud Map operation {operation_id} ({operation.get('Type', 'unknown type')}) failed: "
                f"{operation.get('ErrorCode', 'no error code')}: {operation.get('ErrorMessage', 'no message')}"
            )
        )
    return get_operation(client, operation_id)


# Conversions


def normalize_namespace(namespace, tags=None):
    """The API's namespace as the modules return it."""
    if not namespace:
        return {}
    dns_properties = (namespace.get("Properties") or {}).get("DnsProperties") or {}
    result = {
        "id": namespace.get("Id"),
        "arn": namespace.get("Arn"),
        "name": namespace["Name"],
        "type": namespace.get("Type"),
        "description": namespace.get("Description"),
        "properties": {"hosted_zone_id": dns_properties.get("HostedZoneId"), "dns_name": namespace["Name"]},
        "tags": dict(tags or {}),
    }
    if "ServiceCount" in namespace:
        result["service_count"] = namespace["ServiceCount"]
    return {key: value for key, value in result.items() if key not in ("id", "arn") or value is not None}


def _records(dns_config):
    return [{"type": record["Type"], "ttl": record["TTL"]} for record in (dns_config or {}).get("DnsRecords", [])]


def normalize_service(service, tags=None):
    """The API's service as the modules return it."""
    if not service:
        return {}
    dns_config = service.get("DnsConfig")
    custom = service.get("HealthCheckCustomConfig")
    result = {
        "id": service.get("Id"),
        "arn": service.get("Arn"),
        "name": service["Name"],
        "namespace_id": service.get("NamespaceId"),
        "description": service.get("Description"),
        "dns_config": {"routing_policy": dns_config.get("RoutingPolicy"), "dns_records": _records(dns_config)} if dns_config else None,
        "health_check_custom_config": {"failure_threshold": custom.get("FailureThreshold")} if custom is not None else None,
        "tags": dict(tags or {}),
    }
    health_check = service.get("HealthCheckConfig")
    if health_check:
        # Route 53 health checks exist only in public namespaces; kept so that an update can resend them.
        result["health_check_config"] = {
            "type": health_check.get("Type"),
            "resource_path": health_check.get("ResourcePath"),
            "failure_threshold": health_check.get("FailureThreshold"),
        }
    if "InstanceCount" in service:
        result["instance_count"] = service["InstanceCount"]
    return {key: value for key, value in result.items() if key not in ("id", "arn") or value is not None}


def dns_records_request(dns_records):
    return [{"Type": record["type"], "TTL": record["ttl"]} for record in dns_records]


def service_request(params, creator_request_id):
    """CreateService's arguments for the module parameters."""
    request = {
        "Name": params["name"],
        "NamespaceId": params["namespace_id"],
        "CreatorRequestId": creator_request_id,
        "DnsConfig": {"RoutingPolicy": params["routing_policy"], "DnsRecords": dns_records_request(params["dns_records"])},
    }
    if params.get("description") is not None:
        request["Description"] = params["description"]
    custom = params.get("health_check_custom_config")
    if custom is not None:
        request["HealthCheckCustomConfig"] = {}
        if custom.get("failure_threshold") is not None:
            request["HealthCheckCustomConfig"]["FailureThreshold"] = custom["failure_threshold"]
    if params.get("tags"):
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    return request


def validate_service_params(params):
    """Problems with the parameters that the argument spec cannot express, one line each."""
    problems = []
    records = params.get("dns_records") or []
    if not records:
        problems.append("dns_records: give at least one record")
    seen = set()
    for index, record in enumerate(records):
        if record["type"] in seen:
            problems.append(f"dns_records[{index}]: a record of type {record['type']} is given twice")
        seen.add(record["type"])
        if not 0 <= record["ttl"] <= MAX_TTL:
            problems.append(f"dns_records[{index}].ttl: {record['ttl']} is out of range (0 to {MAX_TTL})")
    custom = params.get("health_check_custom_config") or {}
    if custom.get("failure_threshold") is not None and not 1 <= custom["failure_threshold"] <= 10:
        problems.append(f"health_check_custom_config.failure_threshold: {custom['failure_threshold']} is out of range (1 to 10)")
    return problems


def fixed_service_differences(current, params):
    """What the parameters ask to change among what UpdateService cannot change, one line each.

    `current` is a normalized service. The record types and the routing policy are always compared
    (they have defaults); the custom health check only when it is given, and only whether there is
    one: AWS fixes its failure threshold at 1 whatever was asked."""
    differences = []
    dns_config = current.get("dns_config") or {}
    have_types = sorted(record["type"] for record in dns_config.get("dns_records", []))
    want_types = sorted(record["type"] for record in params["dns_records"])
    if have_types != want_types:
        differences.append(f"dns_records types from {have_types} to {want_types}")
    if dns_config.get("routing_policy") != params["routing_policy"]:
        differences.append(f"routing_policy from {dns_config.get('routing_policy')} to {params['routing_policy']}")
    if params.get("health_check_custom_config") is not None and current.get("health_check_custom_config") is None:
        differences.append("health_check_custom_config from none to a custom health check")
    return differences


def service_update(current, params):
    """What UpdateService has to change for the parameters: (the ServiceChange to send, or None when
    nothing changes; the service as it will be). TTLs are matched by record type; the description is
    compared only when it is given."""
    records = (current.get("dns_config") or {}).get("dns_records", [])
    want_ttl = {record["type"]: record["ttl"] for record in params["dns_records"]}
    # Current order, so that the result does not depend on the order the records were given in.
    new_records = [{"type": record["type"], "ttl": want_ttl.get(record["type"], record["ttl"])} for record in records]
    description = current.get("description")
    if params.get("description") is not None:
        description = params["description"]
    if new_records == records and (description or "") == (current.get("description") or ""):
        return None, current
    change = {"DnsConfig": {"DnsRecords": dns_records_request(new_records)}}
    if description is not None:
        change["Description"] = description
    health_check = current.get("health_check_config")
    if health_check:
        # UpdateService deletes a Route 53 health check it is not sent.
        change["HealthCheckConfig"] = {
            key: value
            for key, value in (
                ("Type", health_check["type"]),
                ("ResourcePath", health_check.get("resource_path")),
                ("FailureThreshold", health_check.get("failure_threshold")),
            )
            if value is not None
        }
    after = dict(current, description=description, dns_config=dict(current["dns_config"], dns_records=new_records))
    return change, after


# A private DNS namespace made to match the parameters: the namespace module's state=present, and the
# service module's option namespace.

NAMESPACE_TYPE = "DNS_PRIVATE"


class NamespaceOutcome(NamedTuple):
    """What ensure_namespace did: whether it changed the namespace (would, in check mode); the namespace
    after (predicted in check mode); the diff's before and after; the operation not waited for, or None."""

    changed: bool
    namespace: dict
    diff: dict
    operation_id: Optional[str] = None


def _in_vpc(route53, namespace, vpc):
    """Whether the namespace's hosted zone is associated with the VPC. A zone that lists no VPC (AWS
    always lists one; some emulators none) or cannot be read does not rule the namespace out."""
    hosted_zone_id = ((namespace.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    if not hosted_zone_id:
        return True
    vpcs = hosted_zone_vpcs(route53, hosted_zone_id)
    return not vpcs or vpc in vpcs


def find_namespace(client, route53, name, vpc=None):
    """The existing private DNS namespace named `name` (in `vpc`, when given), in the API's shape, or None.

    Raises AnsibleServiceDiscoveryError when more than one matches."""
    found = [
        namespace
        for namespace in list_namespaces(client, name=name, namespace_type=NAMESPACE_TYPE)
        if namespace.get("Name") == name and namespace.get("Type") == NAMESPACE_TYPE
    ]
    if vpc:
        found = [namespace for namespace in found if _in_vpc(route53, namespace, vpc)]
    if len(found) > 1:
        ids = ", ".join(sorted(namespace["Id"] for namespace in found))
        where = f" in {vpc}" if vpc else ""
        hint = "" if vpc else ": give vpc to say which one"
        raise AnsibleServiceDiscoveryError(message=f"{len(found)} private DNS namespaces are named {name}{where} ({ids}){hint}")
    return found[0] if found else None


def current_namespace(client, route53, name, vpc=None):
    """The namespace find_namespace finds, as the modules return it (tags included), or {}."""
    found = find_namespace(client, route53, name, vpc)
    return normalize_namespace(found, list_tags(client, found["Arn"])) if found else {}


def read_namespace(client, namespace_id):
    """The namespace as the modules return it, tags included; {} when it does not exist."""
    namespace = get_namespace(client, namespace_id)
    if not namespace:
        return {}
    return normalize_namespace(namespace, list_tags(client, namespace["Arn"]))


def _tag_changes(current, params):
    if params.get("tags") is None:
        return {}, []
    return compare_aws_tags(current["tags"], params["tags"], params.get("purge_tags", True))


def predicted_namespace(params, current=None):
    """What the namespace will look like (check mode, operations not waited for); a new one has no ID,
    ARN or hosted zone yet."""
    if not current:
        request = {"Name": params["name"], "Type": NAMESPACE_TYPE, "Description": params.get("description")}
        return normalize_namespace(request, params.get("tags"))
    result = dict(current)
    if params.get("description") is not None:
        result["description"] = params["description"]
    if params.get("tags") is not None:
        to_set, to_unset = _tag_changes(current, params)
        result["tags"] = {k: v for k, v in dict(current["tags"], **to_set).items() if k not in to_unset}
    return result


def _create_namespace(client, params, check_mode, done):
    if check_mode:
        return predicted_namespace(params), None
    operation_id = create_private_dns_namespace(
        client, params["name"], params["vpc"], str(uuid.uuid4()), description=params.get("description"), tags=params.get("tags")
    )
    done.append(f"creation of namespace {params['name']} started (operation {operation_id})")
    if params.get("wait", True):
        operation, pending = wait_for_operation(client, operation_id, params["wait_timeout"]), None
    else:
        operation, pending = get_operation(client, operation_id), operation_id
    namespace_id = ((operation or {}).get("Targets") or {}).get("NAMESPACE")
    created = read_namespace(client, namespace_id) if namespace_id else {}
    return created or predicted_namespace(params), pending


def _update_namespace(client, params, current, check_mode, done):
    """(changed, the namespace after, the operation not waited for)."""
    description = params.get("description")
    description_changes = description is not None and description != (current.get("description") or "")
    to_set, to_unset = _tag_changes(current, params)
    if not description_changes and not to_set and not to_unset:
        return False, current, None
    if check_mode:
        return True, predicted_namespace(params, current), None
    if to_unset:
        untag_resource(client, current["arn"], to_unset)
        done.append(f"tags {', '.join(sorted(to_unset))} removed from namespace {current['name']}")
    if to_set:
        tag_resource(client, current["arn"], to_set)
        done.append(f"tags {', '.join(sorted(to_set))} set on namespace {current['name']}")
    if description_changes:
        operation_id = update_private_dns_namespace(client, current["id"], str(uuid.uuid4()), description)
        done.append(f"description update of namespace {current['name']} started (operation {operation_id})")
        if not params.get("wait", True):
            return True, predicted_namespace(params, current), operation_id
        wait_for_operation(client, operation_id, params["wait_timeout"])
    return True, read_namespace(client, current["id"]), None


def ensure_namespace(client, params, current, check_mode):
    """Make the private DNS namespace match `params` (name, vpc, description, tags, purge_tags, wait,
    wait_timeout; description and tags are not compared when None); `current` is what current_namespace
    returned for them. A NamespaceOutcome.

    A failure raises AnsibleServiceDiscoveryError with `done` set: the writes made before it, one
    phrase each (a creation or update that was started may still complete)."""
    done = []
    try:
        if current:
            changed, after, operation_id = _update_namespace(client, params, current, check_mode, done)
        else:
            (after, operation_id), changed = _create_namespace(client, params, check_mode, done), True
    except AnsibleServiceDiscoveryError as e:
        e.done = done
        raise
    return NamespaceOutcome(changed, after, dict(before=current, after=after), operation_id)
