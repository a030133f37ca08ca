"""In-memory stand-ins for the boto3 Cloud Map (servicediscovery) and Route 53 clients: the calls the
modules make, every call recorded, filters applied and shapes returned the way AWS does (a service
summary does not name its namespace), errors raised the way botocore raises them, and asynchronous
operations that can stay pending for a while or fail."""

import copy
import itertools

import botocore.session
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "eu-central-1"
VPC_ID = "vpc-0123456789abcdef0"
OTHER_VPC_ID = "vpc-0fedcba9876543210"
WRITES = (
    "create_private_dns_namespace",
    "update_private_dns_namespace",
    "delete_namespace",
    "create_service",
    "update_service",
    "delete_service",
    "tag_resource",
    "untag_resource",
)

# botocore's waiters read the service model and event hooks from client.meta; creating a client makes
# no network call.
_META = botocore.session.get_session().create_client(
    "servicediscovery", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
).meta


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def namespace(ns_id, name, description=None, hosted_zone_id=None):
    """A private DNS namespace as GetNamespace returns it."""
    result = {
        "Id": ns_id,
        "Arn": f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/{ns_id}",
        "Name": name,
        "Type": "DNS_PRIVATE",
        "ServiceCount": 0,
        "Properties": {
            "DnsProperties": {"HostedZoneId": hosted_zone_id or f"Z{ns_id.upper()}", "SOA": {"TTL": 15}},
            "HttpProperties": {"HttpName": name},
        },
        "CreatorRequestId": "request",
    }
    if description is not None:
        result["Description"] = description
    return result


def service(srv_id, name, namespace_id, records=(("A", 10),), routing_policy="MULTIVALUE", description=None, custom=None):
    """A service as GetService returns it. custom: the HealthCheckCustomConfig, or None for none."""
    result = {
        "Id": srv_id,
        "Arn": f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:service/{srv_id}",
        "Name": name,
        "NamespaceId": namespace_id,
        "DnsConfig": {
            "NamespaceId": namespace_id,
            "RoutingPolicy": routing_policy,
            "DnsRecords": [{"Type": t, "TTL": ttl} for t, ttl in records],
        },
        "Type": "DNS_HTTP",
        "CreatorRequestId": "request",
    }
    if description is not None:
        result["Description"] = description
    if custom is not None:
        result["HealthCheckCustomConfig"] = custom
    return result


class _Paginator:
    def __init__(self, method, key):
        self._method = method
        self._key = key

    def paginate(self, **kwargs):
        return _PageIterator(self._method, self._key, kwargs)


class _PageIterator:
    def __init__(self, method, key, kwargs):
        self._method = method
        self._key = key
        self._kwargs = kwargs

    def build_full_result(self):
        return {self._key: self._method(**self._kwargs)[self._key]}


class _Recorder:
    def __init__(self, errors):
        self.errors = dict(errors or {})
        self.calls = []

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)


class FakeRoute53(_Recorder):
    """zones: hosted zone ID -> the IDs of its VPCs."""

    def __init__(self, zones=None, errors=None):
        super().__init__(errors)
        self.zones = dict(zones or {})

    def get_hosted_zone(self, **kwargs):
        self._record("get_hosted_zone", kwargs, "GetHostedZone")
        if kwargs["Id"] not in self.zones:
            raise client_error("NoSuchHostedZone", "GetHostedZone")
        return {
            "HostedZone": {"Id": kwargs["Id"], "Config": {"PrivateZone": True}},
            "VPCs": [{"VPCRegion": REGION, "VPCId": vpc} for vpc in self.zones[kwargs["Id"]]],
        }


class FakeServiceDiscovery(_Recorder):
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    pending_polls: how many times GetOperation reports a new operation PENDING before SUCCESS.
    failing: operation type (CREATE_NAMESPACE, ...) -> (error code, message) it ends with, in FAIL.
    errors: operation -> error code raised on every call of that operation. route53: the FakeRoute53
    that learns the hosted zones of created namespaces.
    """

    meta = _META

    def __init__(self, namespaces=(), services=(), instances=None, tags=None, pending_polls=0, failing=None, errors=None, route53=None):
        super().__init__(errors)
        self.namespaces = {ns["Id"]: copy.deepcopy(ns) for ns in namespaces}
        self.services = {srv["Id"]: copy.deepcopy(srv) for srv in services}
        self.instances = {srv_id: list(ids) for srv_id, ids in (instances or {}).items()}
        self.tags = {arn: dict(value) for arn, value in (tags or {}).items()}
        self.pending_polls = pending_polls
        self.failing = dict(failing or {})
        self.route53 = route53
        self.operations_by_id = {}
        self._ids = itertools.count(1)

    # Helpers for the tests

    def tags_of(self, arn):
        return dict(self.tags.get(arn, {}))

    def _operation(self, operation_type, targets):
        op_id = f"op-{next(self._ids)}"
        operation = {"Id": op_id, "Type": operation_type, "Status": "SUCCESS", "Targets": targets}
        if operation_type in self.failing:
            code, message = self.failing[operation_type]
            operation.update(Status="FAIL", ErrorCode=code, ErrorMessage=message)
        self.operations_by_id[op_id] = {"operation": operation, "pending": self.pending_polls}
        return op_id

    def _tag(self, arn, tag_list):
        self.tags.setdefault(arn, {}).update({t["Key"]: t["Value"] for t in tag_list or []})

    def get_paginator(self, operation):
        keys = {"list_namespaces": "Namespaces", "list_services": "Services", "list_instances": "Instances"}
        assert operation in keys, operation
        return _Paginator(getattr(self, operation), keys[operation])

    # Operations

    def get_operation(self, **kwargs):
        self._record("get_operation", kwargs, "GetOperation")
        entry = self.operations_by_id.get(kwargs["OperationId"])
        if entry is None:
            raise client_error("OperationNotFound", "GetOperation")
        if entry["pending"] > 0:
            entry["pending"] -= 1
            return {"Operation": dict(entry["operation"], Status="PENDING")}
        return {"Operation": copy.deepcopy(entry["operation"])}

    # Namespaces

    def list_namespaces(self, **kwargs):
        self._record("list_namespaces", kwargs, "ListNamespaces")
        found = list(self.namespaces.values())
        for condition in kwargs.get("Filters", []):
            field = {"NAME": "Name", "TYPE": "Type"}[condition["Name"]]
            found = [ns for ns in found if ns[field] in condition["Values"]]
        return {"Namespaces": [{k: v for k, v in copy.deepcopy(ns).items() if k != "CreatorRequestId"} for ns in found]}

    def get_namespace(self, **kwargs):
        self._record("get_namespace", kwargs, "GetNamespace")
        if kwargs["Id"] not in self.namespaces:
            raise client_error("NamespaceNotFound", "GetNamespace")
        ns = copy.deepcopy(self.namespaces[kwargs["Id"]])
        ns["ServiceCount"] = len([srv for srv in self.services.values() if srv["NamespaceId"] == ns["Id"]])
        return {"Namespace": ns}

    def create_private_dns_namespace(self, **kwargs):
        self._record("create_private_dns_namespace", kwargs, "CreatePrivateDnsNamespace")
        ns_id = f"ns-{next(self._ids):016d}"
        if "CREATE_NAMESPACE" not in self.failing:
            created = namespace(ns_id, kwargs["Name"], description=kwargs.get("Description"))
            self.namespaces[ns_id] = created
            self._tag(created["Arn"], kwargs.get("Tags"))
            if self.route53 is not None:
                self.route53.zones[created["Properties"]["DnsProperties"]["HostedZoneId"]] = [kwargs["Vpc"]]
        return {"OperationId": self._operation("CREATE_NAMESPACE", {"NAMESPACE": ns_id})}

    def update_private_dns_namespace(self, **kwargs):
        self._record("update_private_dns_namespace", kwargs, "UpdatePrivateDnsNamespace")
        if kwargs["Id"] not in self.namespaces:
            raise client_error("NamespaceNotFound", "UpdatePrivateDnsNamespace")
        if "UPDATE_NAMESPACE" not in self.failing and "Description" in kwargs["Namespace"]:
            self.namespaces[kwargs["Id"]]["Description"] = kwargs["Namespace"]["Description"]
        return {"OperationId": self._operation("UPDATE_NAMESPACE", {"NAMESPACE": kwargs["Id"]})}

    def delete_namespace(self, **kwargs):
        self._record("delete_namespace", kwargs, "DeleteNamespace")
        if kwargs["Id"] not in self.namespaces:
            raise client_error("NamespaceNotFound", "DeleteNamespace")
        if any(srv["NamespaceId"] == kwargs["Id"] for srv in self.services.values()):
            raise client_error("ResourceInUse", "DeleteNamespace", "The namespace contains services.")
        if "DELETE_NAMESPACE" not in self.failing:
            del self.namespaces[kwargs["Id"]]
        return {"OperationId": self._operation("DELETE_NAMESPACE", {"NAMESPACE": kwargs["Id"]})}

    # Services

    def list_services(self, **kwargs):
        self._record("list_services", kwargs, "ListServices")
        found = list(self.services.values())
        for condition in kwargs.get("Filters", []):
            assert condition["Name"] == "NAMESPACE_ID", condition
            found = [srv for srv in found if srv["NamespaceId"] in condition["Values"]]
        summaries = []
        for srv in found:
            summary = {k: v for k, v in copy.deepcopy(srv).items() if k not in ("NamespaceId", "CreatorRequestId")}
            summary["InstanceCount"] = len(self.instances.get(srv["Id"], []))
            summaries.append(summary)
        return {"Services": summaries}

    def get_service(self, **kwargs):
        self._record("get_service", kwargs, "GetService")
        if kwargs["Id"] not in self.services:
            raise client_error("ServiceNotFound", "GetService")
        return {"Service": copy.deepcopy(self.services[kwargs["Id"]])}

    def create_service(self, **kwargs):
        self._record("create_service", kwargs, "CreateService")
        if kwargs["NamespaceId"] not in self.namespaces:
            raise client_error("NamespaceNotFound", "CreateService")
        srv_id = f"srv-{next(self._ids):016d}"
        dns = kwargs["DnsConfig"]
        created = service(
            srv_id,
            kwargs["Name"],
            kwargs["NamespaceId"],
            records=[(r["Type"], r["TTL"]) for r in dns["DnsRecords"]],
            routing_policy=dns.get("RoutingPolicy", "MULTIVALUE"),
            description=kwargs.get("Description"),
            # AWS reports the failure threshold as 1, whatever was asked.
            custom={"FailureThreshold": 1} if "HealthCheckCustomConfig" in kwargs else None,
        )
        self.services[srv_id] = created
        self._tag(created["Arn"], kwargs.get("Tags"))
        return {"Service": copy.deepcopy(created)}

    def update_service(self, **kwargs):
        self._record("update_service", kwargs, "UpdateService")
        if kwargs["Id"] not in self.services:
            raise client_error("ServiceNotFound", "UpdateService")
        current = self.services[kwargs["Id"]]
        change = kwargs["Service"]
        if "UPDATE_SERVICE" not in self.failing:
            if "Description" in change:
                current["Description"] = change["Description"]
            current["DnsConfig"]["DnsRecords"] = copy.deepcopy(change["DnsConfig"]["DnsRecords"])
            # AWS deletes a Route 53 health check an update does not send.
            if "HealthCheckConfig" in change:
                current["HealthCheckConfig"] = copy.deepcopy(change["HealthCheckConfig"])
            else:
                current.pop("HealthCheckConfig", None)
        return {"OperationId": self._operation("UPDATE_SERVICE", {"SERVICE": kwargs["Id"]})}

    def delete_service(self, **kwargs):
        self._record("delete_service", kwargs, "DeleteService")
        if kwargs["Id"] not in self.services:
            raise client_error("ServiceNotFound", "DeleteService")
        if self.instances.get(kwargs["Id"]):
            raise client_error("ResourceInUse", "DeleteService", "The service contains registered instances.")
        del self.services[kwargs["Id"]]
        return {}

    def list_instances(self, **kwargs):
        self._record("list_instances", kwargs, "ListInstances")
        if kwargs["ServiceId"] not in self.services:
            raise client_error("ServiceNotFound", "ListInstances")
        return {"Instances": [{"Id": i, "Attributes": {}} for i in self.instances.get(kwargs["ServiceId"], [])]}

    # Tags

    def _known_arn(self, arn, api_name):
        arns = [ns["Arn"] for ns in self.namespaces.values()] + [srv["Arn"] for srv in self.services.values()]
        if arn not in arns:
            raise client_error("ResourceNotFoundException", api_name)

    def list_tags_for_resource(self, **kwargs):
        self._record("list_tags_for_resource", kwargs, "ListTagsForResource")
        self._known_arn(kwargs["ResourceARN"], "ListTagsForResource")
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.get(kwargs["ResourceARN"], {}).items()]}

    def tag_resource(self, **kwargs):
        self._record("tag_resource", kwargs, "TagResource")
        self._known_arn(kwargs["ResourceARN"], "TagResource")
        self._tag(kwargs["ResourceARN"], kwargs["Tags"])
        return {}

    def untag_resource(self, **kwargs):
        self._record("untag_resource", kwargs, "UntagResource")
        self._known_arn(kwargs["ResourceARN"], "UntagResource")
        tags = self.tags.get(kwargs["ResourceARN"], {})
        for key in kwargs["TagKeys"]:
            tags.pop(key, None)
        return {}


# A stand-in for the module object (tests/unit/plugins/module_runner.py runs a module's main() on the fakes).


class FailJson(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    """The attributes of AnsibleAWSModule the modules' functions use. `defaults` are the argument
    spec's defaults (omitted suboptions arrive as None)."""

    def __init__(self, defaults, check_mode=False, **params):
        unknown = set(params) - set(defaults)
        assert not unknown, unknown
        self.params = dict(copy.deepcopy(defaults), **params)
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise FailJson(dict(kwargs, msg=msg, exception=exception))

