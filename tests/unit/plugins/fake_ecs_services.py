"""An in-memory stand-in for the boto3 ECS client: the service calls ecs_service makes, every call
recorded, answering the way AWS does (defaults filled in, tags only when asked for, errors raised as
botocore raises them)."""

import copy
import datetime
import itertools

import botocore.session
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "eu-central-1"
CLUSTER = "prod"
WRITES = ("create_service", "update_service", "delete_service", "tag_resource", "untag_resource")
CREATED_AT = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)

# botocore's waiters read the service model and event hooks from client.meta; creating a client makes
# no network call.
_META = botocore.session.get_session().create_client(
    "ecs", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
).meta


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def cluster_arn(cluster=CLUSTER):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}"


def task_definition_arn(family_revision):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family_revision}"


def service_arn(name, cluster=CLUSTER):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{name}"


def service(name="web", cluster=CLUSTER, task_definition="web:1", tags=None, **fields):
    """A service as DescribeServices returns it (tags included), running on Fargate with the
    circuit breaker on; `fields` (API names) replace the defaults."""
    result = {
        "serviceArn": service_arn(name, cluster),
        "serviceName": name,
        "clusterArn": cluster_arn(cluster),
        "loadBalancers": [],
        "serviceRegistries": [],
        "status": "ACTIVE",
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "platformFamily": "Linux",
        "taskDefinition": task_definition_arn(task_definition),
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "deployments": [
            {
                "id": "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": task_definition_arn(task_definition),
                "desiredCount": 1,
                "runningCount": 1,
                "createdAt": CREATED_AT,
                "updatedAt": CREATED_AT,
                "rolloutState": "COMPLETED",
            }
        ],
        "events": [{"id": "e1", "createdAt": CREATED_AT, "message": "(service web) has reached a steady state."}],
        "createdAt": CREATED_AT,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "DISABLED",
            }
        },
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "propagateTags": "NONE",
        "enableExecuteCommand": False,
        "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
    }
    result.update(copy.deepcopy(fields))
    return result


class FakeECS:
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    task_definitions: family -> number of revisions (all ACTIVE). drain_polls: how many
    DescribeServices calls a deleted service stays DRAINING before it is INACTIVE. errors:
    operation -> error code raised on every call of that operation; errors_after: operation ->
    (n, error code) raised on every call after the first n. DescribeServices refuses more than 10
    services, as AWS does.
    """

    meta = _META

    def __init__(self, *services, clusters=(CLUSTER,), task_definitions=None, drain_polls=0, errors=None, errors_after=None):
        self.clusters = set(clusters)
        self.services = {}
        for svc in services:
            self.services[(svc["clusterArn"].split("/")[-1], svc["serviceName"])] = copy.deepcopy(svc)
        self.task_definitions = dict(task_definitions if task_definitions is not None else {"web": 3})
        self.drain_polls = drain_polls
        self.errors = dict(errors or {})
        self.errors_after = dict(errors_after or {})
        self.calls = []
        self._deployments = itertools.count(2)
        self._draining = {}

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)
        if operation in self.errors_after:
            allowed, code = self.errors_after[operation]
            if self.operations().count(operation) > allowed:
                raise client_error(code, api_name)

    def _cluster(self, cluster, api_name):
        name = cluster.split("/")[-1]
        if name not in self.clusters:
            raise client_error("ClusterNotFoundException", api_name, "Cluster not found.")
        return name

    def _get(self, cluster, name, api_name):
        key = (self._cluster(cluster, api_name), name.split("/")[-1])
        if key not in self.services:
            raise client_error("ServiceNotFoundException", api_name, "Service not found.")
        return self.services[key]

    def _by_arn(self, arn, api_name):
        for svc in self.services.values():
            if svc["serviceArn"] == arn:
                return svc
        raise client_error("InvalidParameterException", api_name, "The specified resource is not found.")

    def _new_deployment(self, svc):
        svc["deployments"].insert(
            0,
            {
                "id": f"ecs-svc/{next(self._deployments)}",
                "status": "PRIMARY",
                "taskDefinition": svc["taskDefinition"],
                "desiredCount": svc["desiredCount"],
                "runningCount": 0,
                "createdAt": CREATED_AT,
                "updatedAt": CREATED_AT,
                "rolloutState": "IN_PROGRESS",
            },
        )
        for older in svc["deployments"][1:]:
            older["status"] = "ACTIVE"

    def describe_task_definition(self, **kwargs):
        self._record("describe_task_definition", kwargs, "DescribeTaskDefinition")
        wanted = kwargs["taskDefinition"].split(":task-definition/")[-1]
        family, _, revision = wanted.partition(":")
        revisions = self.task_definitions.get(family, 0)
        revision = int(revision) if revision else revisions
        if not 1 <= revision <= revisions:
            raise client_error("ClientException", "DescribeTaskDefinition", "Unable to describe task definition.")
        return {"taskDefinition": {"taskDefinitionArn": task_definition_arn(f"{family}:{revision}"), "family": family, "revision": revision}}

    def describe_services(self, **kwargs):
        self._record("describe_services", kwargs, "DescribeServices")
        if len(kwargs["services"]) > 10:
            raise client_error("InvalidParameterException", "DescribeServices", "services can have at most 10 items.")
        cluster = self._cluster(kwargs["cluster"], "DescribeServices")
        found, failures = [], []
        for name in kwargs["services"]:
            key = (cluster, name.split("/")[-1])
            if key not in self.services:
                failures.append({"arn": service_arn(key[1], cluster), "reason": "MISSING"})
                continue
            svc = self.services[key]
            if svc["status"] == "DRAINING":
                self._draining[key] = self._draining.get(key, 0) + 1
                if self._draining[key] > self.drain_polls:
                    svc["status"] = "INACTIVE"
            svc = copy.deepcopy(svc)
            if "TAGS" not in kwargs.get("include", []):
                svc.pop("tags")
            found.append(svc)
        return {"services": found, "failures": failures, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def create_service(self, **kwargs):
        self._record("create_service", kwargs, "CreateService")
        cluster = self._cluster(kwargs["cluster"], "CreateService")
        key = (cluster, kwargs["serviceName"])
        if key in self.services and self.services[key]["status"] != "INACTIVE":
            raise client_error("InvalidParameterException", "CreateService", "Creation of service was not idempotent.")
        self.describe_task_definition(taskDefinition=kwargs["taskDefinition"])
        self.calls.pop()
        deployment = {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": False, "rollback": False}}
        deployment.update(copy.deepcopy(kwargs.get("deploymentConfiguration") or {}))
        fields = {
            key: copy.deepcopy(kwargs[key])
            for key in (
                "loadBalancers",
                "serviceRegistries",
                "launchType",
                "platformVersion",
                "networkConfiguration",
                "healthCheckGracePeriodSeconds",
                "propagateTags",
                "enableExecuteCommand",
                "tags",
            )
            if key in kwargs
        }
        created = service(kwargs["serviceName"], cluster, desiredCount=kwargs.get("desiredCount", 1), runningCount=0)
        for absent in ("networkConfiguration", "platformVersion"):
            created.pop(absent)
        created.update(fields)
        created.update(taskDefinition=kwargs["taskDefinition"], deploymentConfiguration=deployment, deployments=[], events=[])
        self._new_deployment(created)
        self.services[key] = created
        return {"service": copy.deepcopy(created)}

    def update_service(self, **kwargs):
        self._record("update_service", kwargs, "UpdateService")
        svc = self._get(kwargs["cluster"], kwargs["service"], "UpdateService")
        if svc["status"] != "ACTIVE":
            raise client_error("ServiceNotActiveException", "UpdateService", "Service was not ACTIVE.")
        for key, value in kwargs.items():
            if key not in ("cluster", "service", "forceNewDeployment"):
                svc[key] = copy.deepcopy(value)
        if kwargs.get("forceNewDeployment") or "taskDefinition" in kwargs or "networkConfiguration" in kwargs:
            self._new_deployment(svc)
        answer = copy.deepcopy(svc)
        answer.pop("tags")  # UpdateService does not return the tags
        return {"service": answer}

    def delete_service(self, **kwargs):
        self._record("delete_service", kwargs, "DeleteService")
        svc = self._get(kwargs["cluster"], kwargs["service"], "DeleteService")
        if svc["status"] != "ACTIVE":
            raise client_error("ServiceNotActiveException", "DeleteService", "Service was not ACTIVE.")
        if svc["desiredCount"] and not kwargs.get("force"):
            raise client_error("InvalidParameterException", "DeleteService", "The service cannot be stopped while it is scaled above 0.")
        svc["status"] = "DRAINING"
        return {"service": copy.deepcopy(svc)}

    def tag_resource(self, **kwargs):
        self._record("tag_resource", kwargs, "TagResource")
        svc = self._by_arn(kwargs["resourceArn"], "TagResource")
        tags = {t["key"]: t["value"] for t in svc["tags"]}
        tags.update({t["key"]: t["value"] for t in kwargs["tags"]})
        svc["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        return {}

    def untag_resource(self, **kwargs):
        self._record("untag_resource", kwargs, "UntagResource")
        svc = self._by_arn(kwargs["resourceArn"], "UntagResource")
        svc["tags"] = [t for t in svc["tags"] if t["key"] not in kwargs["tagKeys"]]
        return {}

    def get(self, name="web", cluster=CLUSTER):
        return self.services[(cluster, name)]

    def tags_of(self, name="web", cluster=CLUSTER):
        return {t["key"]: t["value"] for t in self.get(name, cluster)["tags"]}
