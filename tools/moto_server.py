#!/usr/bin/env python3
"""moto's server, with the fixes that make it answer like AWS where this project depends on it.

    python tools/moto_server.py -H 127.0.0.1 -p 4566     (same arguments as moto_server)

Each fix below names what AWS does and what moto 5.2 does instead. They make the emulator apply what a
template or request already says, and report ECS deployments (new, completed, failed, rolled back) the
way AWS does; none of them changes what our code sends.
"""

import copy
import copyreg
import io
import json
import os
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs.models import Cluster
from moto.ecs.models import Container
from moto.ecs.models import Task
from moto.efs.exceptions import FileSystemNotFound
from moto.efs.responses import EFSResponse
from moto.ecs.models import ecs_backends
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.metric_filters import MetricFilters
from moto.logs.models import LogGroup
from moto.logs.models import logs_backends
from moto.s3.models import FakeBucket
from moto.s3.models import s3_backends
from moto.core.base_backend import AccountSpecificBackend
from moto.core.base_backend import BackendDict
from moto.core.base_backend import backend_lock
from moto.core.common_models import BaseModel
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.ecr.models import ecr_backends
from moto.ecr.responses import ECRResponse
from moto.core.model_instances import reset_model_data
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import main


# CreateChangeSet: AWS takes an omitted ChangeSetType as UPDATE and answers an unchanged template with
# a FAILED change set ("didn't contain changes"). moto takes it as CREATE, which adds a second stack of
# the same name in REVIEW_IN_PROGRESS, and answers an unchanged UPDATE with a ValidationError.
# amazon.aws.cloudformation's check mode relies on the AWS behaviour.
_create_change_set = CloudFormationResponse.create_change_set


def _stack_exists(response, name):
    try:
        stack = response.cloudformation_backend.get_stack(name)
    except ValidationError:
        return False
    return stack.status != "REVIEW_IN_PROGRESS"


def create_change_set(self):
    get_param = self._get_param

    def get_param_as_aws(name, if_none=None):
        if name == "ChangeSetType" and get_param(name) is None and _stack_exists(self, get_param("StackName")):
            return "UPDATE"
        return get_param(name, if_none)

    self._get_param = get_param_as_aws
    # The backend marks an unchanged UPDATE as a FAILED change set, as AWS does.
    self._validate_different_update = lambda *args, **kwargs: None
    return _create_change_set(self)


CloudFormationResponse.create_change_set = create_change_set


# AWS::S3::Bucket: moto applies only BucketEncryption and Tags from a template; AWS also applies
# VersioningConfiguration, PublicAccessBlockConfiguration and LifecycleConfiguration, on create and
# on update.
def _lifecycle_rule(rule):
    """A template's lifecycle rule in the API's (PutBucketLifecycleConfiguration) shape."""
    api = {"ID": rule.get("Id"), "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": str(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": str(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": str(days)}
    return api


def _apply_bucket_properties(bucket, properties, region_name):
    backend = s3_backends[bucket.account_id][get_partition(region_name)]
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(bucket.name, versioning["Status"])
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(bucket.name, {key: str(value).lower() for key, value in block.items()})
    lifecycle = properties.get("LifecycleConfiguration")
    if lifecycle:
        bucket.set_lifecycle([_lifecycle_rule(rule) for rule in lifecycle["Rules"]])
    return bucket


_bucket_create = FakeBucket.create_from_cloudformation_json.__func__
_bucket_update = FakeBucket.update_from_cloudformation_json.__func__


def bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    return _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), region_name)


def bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    bucket = _bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    return _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), region_name)


FakeBucket.create_from_cloudformation_json = classmethod(bucket_create)
FakeBucket.update_from_cloudformation_json = classmethod(bucket_update)


# AWS::ECS::Cluster: moto ignores ClusterSettings (Container Insights) from a template.
def _cluster_settings(cloudformation_json):
    return [
        {"name": setting["Name"], "value": setting["Value"]}
        for setting in cloudformation_json.get("Properties", {}).get("ClusterSettings", [])
    ]


def cluster_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    backend = ecs_backends[account_id][region_name]
    return backend.create_cluster(cluster_name=resource_name, cluster_settings=_cluster_settings(cloudformation_json))


def cluster_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    backend = ecs_backends[account_id][region_name]
    if original_resource.name != new_resource_name:
        backend.delete_cluster(original_resource.arn)
        return cluster_create(cls, new_resource_name, cloudformation_json, account_id, region_name)
    original_resource.settings = _cluster_settings(cloudformation_json)
    return original_resource


Cluster.create_from_cloudformation_json = classmethod(cluster_create)
Cluster.update_from_cloudformation_json = classmethod(cluster_update)


# AWS::Logs::LogGroup: moto cannot update a log group from a template, and drops it from the stack
# (its outputs disappear); AWS changes the retention in place.
def log_group_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    backend = logs_backends[account_id][region_name]
    retention = cloudformation_json.get("Properties", {}).get("RetentionInDays")
    if retention is None:
        backend.delete_retention_policy(original_resource.name)
    else:
        backend.put_retention_policy(original_resource.name, int(retention))
    return original_resource


LogGroup.update_from_cloudformation_json = classmethod(log_group_update)


# DeletionPolicy RetainExceptOnCreate: AWS keeps such resources when a stack is deleted (and deletes
# them only when it rolls back a failed creation); moto deletes them.
_resource_map_delete = ResourceMap.delete


def resource_map_delete(self):
    for resource in self._resource_json_map.values():
        if resource.get("DeletionPolicy") == "RetainExceptOnCreate":
            resource["DeletionPolicy"] = "Retain"
    return _resource_map_delete(self)


ResourceMap.delete = resource_map_delete


# DeleteFileSystemPolicy: AWS removes a file system's policy; moto does not implement the call (500).
def delete_file_system_policy(self):
    file_system_id = self._get_param("FileSystemId")
    file_system = self.efs_backend.file_systems_by_id.get(file_system_id)
    if file_system is None:
        raise FileSystemNotFound(file_system_id)
    file_system.file_system_policy = None
    return "{}", {"Content-Type": "application/json"}


EFSResponse.delete_file_system_policy = delete_file_system_policy


# AWS::ECR::PullThroughCacheRule and DescribePullThroughCacheRules: AWS keeps a registry's pull-through
# cache rules, one per repository prefix, which CloudFormation creates and deletes (CloudFormation
# Template Reference, AWS::ECR::PullThroughCacheRule; ECR API Reference, DescribePullThroughCacheRules).
# moto 5.2 has neither: it skips the resource type and does not know the call. Only the rule is kept;
# nothing is fetched from upstream (no upstream registry is reachable here), so a pull through it
# finds nothing, as moto's BatchGetImage does for any missing repository.
class PullThroughCacheRule(CloudFormationModel):
    # moto files each model under the service its module names (moto.<service>...).
    __module__ = "moto.ecr.pull_through_cache"

    def __init__(self, account_id, region_name, properties):
        self.registry_id = account_id
        self.ecr_repository_prefix = properties["EcrRepositoryPrefix"]
        self.upstream_registry_url = properties["UpstreamRegistryUrl"]
        self.upstream_registry = properties.get("UpstreamRegistry")
        self.credential_arn = properties.get("CredentialArn")
        self.created_at = utcnow()

    @property
    def physical_resource_id(self):
        return self.ecr_repository_prefix

    def describe(self):
        rule = {
            "registryId": self.registry_id,
            "ecrRepositoryPrefix": self.ecr_repository_prefix,
            "upstreamRegistryUrl": self.upstream_registry_url,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }
        rule.update({key: value for key, value in (("upstreamRegistry", self.upstream_registry), ("credentialArn", self.credential_arn)) if value})
        return rule

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::ECR::PullThroughCacheRule"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    @staticmethod
    def rules(account_id, region_name):
        backend = ecr_backends[account_id][region_name]
        if not hasattr(backend, "pull_through_cache_rules"):
            backend.pull_through_cache_rules = {}
        return backend.pull_through_cache_rules

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        rule = cls(account_id, region_name, cloudformation_json["Properties"])
        cls.rules(account_id, region_name)[rule.ecr_repository_prefix] = rule
        return rule

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        # Every property requires replacement.
        cls.rules(account_id, region_name).pop(original_resource.ecr_repository_prefix, None)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cls.rules(account_id, region_name).pop(cloudformation_json["Properties"]["EcrRepositoryPrefix"], None)

    def delete(self, account_id, region_name):
        self.rules(account_id, region_name).pop(self.ecr_repository_prefix, None)

    def is_created(self):
        return True


def describe_pull_through_cache_rules(self):
    rules = PullThroughCacheRule.rules(self.current_account, self.region)
    prefixes = self._get_param("ecrRepositoryPrefixes")
    return ActionResult({"pullThroughCacheRules": [rule.describe() for prefix, rule in sorted(rules.items()) if not prefixes or prefix in prefixes]})


ECRResponse.describe_pull_through_cache_rules = describe_pull_through_cache_rules


# ECS deployments. AWS: UpdateService with a new task definition, network configuration, platform
# version, load balancers or service registries, or with forceNewDeployment, starts a new PRIMARY
# deployment; the previous one turns ACTIVE and goes away once the new one completes (its tasks run the
# desired count). When the new tasks fail to start, the deployment circuit breaker marks the deployment
# FAILED and, with rollback, starts a deployment of the last completed task definition; without a
# circuit breaker ECS keeps trying. Each step is a service event, newest first. DescribeServices reports
# deploymentConfiguration with AWS's defaults filled in, and taskDefinition as an ARN.
# moto 5.2 keeps the first deployment forever (only the service's taskDefinition changes, to the string
# given), never fails a deployment, records no events, and CreateService forgets deploymentConfiguration
# and healthCheckGracePeriodSeconds.
# A rolling update replaces the tasks within the deployment configuration's bounds: ECS starts new tasks
# while the tasks running stay at most maximumPercent of the desired count (rounded down) and stops old
# ones while at least minimumHealthyPercent (rounded up) stay running, each step a service event "has
# started N tasks" or "has stopped N running tasks" ("Amazon ECS rolling update deployments" and
# DeploymentConfiguration in the ECS API reference). So 100 / 200 starts the new task before the old one
# stops, and 0 / 100 stops the old one first.
# Here a deployment completes or fails at once, its steps in that order. MOTO_ECS_SERVICE_RUNNING (the
# tasks a deployment gets running) and MOTO_ECS_SERVICE_FAILED_TASKS (the tasks of a new deployment that
# fail to start) are read per request, as moto reads them. Failed tasks leave a service's first
# deployment alone, as in moto, so that the service has a completed deployment to roll back to. A failed deployment stays listed until
# the next deployment starts; AWS drops it once its tasks are gone. Its failed tasks are kept as AWS
# keeps stopped tasks for a while: STOPPED, started by the deployment, in the service's group, every
# container exited with MOTO_ECS_TASK_EXIT_CODE (1 when that is 0: a task that failed did not exit
# cleanly), so that ListTasks and DescribeTasks show why the deployment failed.
_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
# UpdateService parameters whose change starts a deployment (as the backend receives them).
_REDEPLOYING = ("network_configuration", "platform_version", "load_balancers", "service_registries")
_MAX_EVENTS = 100


def _env_count(name):
    try:
        return max(int(os.environ.get(name, 0)), 0)
    except ValueError:
        return 0


def _deployment_configuration(requested, current=None):
    """AWS fills in the defaults; UpdateService keeps what it is not given."""
    configuration = copy.deepcopy(current or _DEPLOYMENT_CONFIGURATION)
    for key, value in (requested or {}).items():
        if isinstance(value, dict) and isinstance(configuration.get(key), dict):
            configuration[key] = dict(configuration[key], **value)
        elif value is not None:
            configuration[key] = value
    return configuration


def _comparable(name, value):
    """A parameter as AWS compares it: network lists in any order, assignPublicIp DISABLED by default."""
    if name == "network_configuration":
        awsvpc = (value or {}).get("awsvpcConfiguration") or {}
        return (
            sorted(awsvpc.get("subnets") or []),
            sorted(awsvpc.get("securityGroups") or []),
            awsvpc.get("assignPublicIp") or "DISABLED",
        )
    return value or None


def _service_event(service, message):
    event = {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": f"(service {service.name}) {message}"}
    service.events.insert(0, event)
    del service.events[_MAX_EVENTS:]


def _new_deployment(service, task_definition):
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    now = utcnow()
    return {
        "createdAt": now,
        "desiredCount": service.desired_count,
        "failedTasks": 0,
        "id": deployment_id,
        "launchType": service.launch_type,
        "pendingCount": service.desired_count,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        "runningCount": 0,
        "platformVersion": service.platform_version,
        "networkConfiguration": copy.deepcopy(service.network_configuration) or None,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": now,
    }


def _set_running(service, deployment, running, announce=True):
    """The deployment runs this many tasks (at most the desired count); enough of them complete it.
    announce=False: the tasks' start is already a service event (_roll_out)."""
    deployment["runningCount"] = min(running, deployment["desiredCount"])
    deployment["pendingCount"] = deployment["desiredCount"] - deployment["runningCount"]
    deployment["updatedAt"] = utcnow()
    if announce and deployment["runningCount"] and deployment["rolloutState"] == "IN_PROGRESS":
        _service_event(service, f"has started {deployment['runningCount']} tasks.")
    if deployment["rolloutState"] == "IN_PROGRESS" and deployment["runningCount"] >= deployment["desiredCount"]:
        deployment["rolloutState"] = "COMPLETED"
        deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."
        _service_event(service, f"(deployment {deployment['id']}) deployment completed.")
        _service_event(service, "has reached a steady state.")


def _roll_out(service, primary, running):
    """Replace the older deployments' running tasks with up to `running` of the new one's, step by step
    within the deployment configuration's bounds, as the ECS scheduler does (each step an event)."""
    desired = primary["desiredCount"]
    configuration = getattr(service, "deployment_configuration", None) or _DEPLOYMENT_CONFIGURATION
    upper = desired * configuration["maximumPercent"] // 100
    lower = -(-desired * configuration["minimumHealthyPercent"] // 100)
    older = [d for d in service.deployments[1:] if d["status"] == "ACTIVE" and d["runningCount"]]
    started, wanted = 0, min(running, desired)
    while True:
        old = sum(d["runningCount"] for d in older)
        start = min(wanted - started, upper - old - started)
        if start > 0:
            started += start
            _service_event(service, f"has started {start} tasks.")
            continue
        stop = min(old, old + started - lower)
        if stop <= 0:
            break
        _service_event(service, f"has stopped {stop} running tasks.")
        for deployment in older:
            stopped = min(stop, deployment["runningCount"])
            deployment["runningCount"] -= stopped
            stop -= stopped
    _set_running(service, primary, started, announce=False)


def _keep_failed_tasks(backend, service, deployment, count):
    cluster = backend._get_cluster(service.cluster_name)
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    for _ in range(count):
        task = Task(
            cluster,
            task_definition,
            None,
            None,
            backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=deployment["id"],
            networking_configuration=copy.deepcopy(service.network_configuration) or None,
            platform_version=service.platform_version,
        )
        task.containers = _task_containers(task, task_definition)
        _stop_task(task, _exit_code() or 1)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task


def _start_deployment(backend, service):
    running = _env_count("MOTO_ECS_SERVICE_RUNNING")
    failed_tasks = _env_count("MOTO_ECS_SERVICE_FAILED_TASKS") if service.desired_count else 0
    breaker = service.deployment_configuration["deploymentCircuitBreaker"]
    service.deployments = [d for d in service.deployments if d["rolloutState"] != "FAILED" or d["status"] == "PRIMARY"]
    # A rollback returns to the last deployment that completed (deployments are listed newest first).
    last_completed = next((d for d in service.deployments if d["rolloutState"] == "COMPLETED"), None)
    for deployment in service.deployments:
        deployment["status"] = "ACTIVE"
    primary = _new_deployment(service, service.task_definition)
    service.deployments.insert(0, primary)
    family_revision = service.task_definition.split("/")[-1]
    _service_event(service, f"(deployment {primary['id']}) deployment started with task definition {family_revision}.")
    failed = []
    if failed_tasks:
        primary["failedTasks"] = failed_tasks
        _keep_failed_tasks(backend, service, primary, failed_tasks)
        _service_event(service, f"(deployment {primary['id']}) {failed_tasks} tasks failed to start.")
        if breaker.get("enable"):
            primary.update(rolloutState="FAILED", pendingCount=0, rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")
            _service_event(service, f"(deployment {primary['id']}) deployment failed: tasks failed to start.")
            failed.append(primary)
            if breaker.get("rollback") and last_completed:
                _service_event(service, f"rolling back to deployment {last_completed['id']}.")
                primary["status"] = "ACTIVE"
                service.task_definition = last_completed["taskDefinition"]
                primary = _new_deployment(service, service.task_definition)
                service.deployments.insert(0, primary)
                _roll_out(service, primary, running)
    else:
        _roll_out(service, primary, running)
    if primary["rolloutState"] == "COMPLETED":
        service.deployments = [primary] + failed


def _count_tasks(service):
    service.running_count = sum(d["runningCount"] for d in service.deployments)
    service.pending_count = sum(d["pendingCount"] for d in service.deployments)


_create_service = EC2ContainerServiceResponse.create_service
_backend_update_service = EC2ContainerServiceBackend.update_service


def create_service(self):
    result = _create_service(self)
    service = result.result["service"]
    service.deployment_configuration = _deployment_configuration(self._get_param("deploymentConfiguration"))
    grace = self._get_param("healthCheckGracePeriodSeconds")
    if grace is not None:
        service.health_check_grace_period_seconds = grace
    # moto runs MOTO_ECS_SERVICE_RUNNING tasks even above the desired count; AWS runs the desired count.
    cluster = self.ecs_backend._get_cluster(service.cluster_name)
    counts = (cluster.running_tasks_count - service.running_count, cluster.pending_tasks_count - service.pending_count)
    for deployment in service.deployments:
        family_revision = deployment["taskDefinition"].split("/")[-1]
        _service_event(service, f"(deployment {deployment['id']}) deployment started with task definition {family_revision}.")
        deployment.update(rolloutState="IN_PROGRESS", rolloutStateReason=f"ECS deployment {deployment['id']} in progress.")
        _set_running(service, deployment, deployment["runningCount"])
    if service.deployments:
        _count_tasks(service)
    cluster.running_tasks_count = counts[0] + service.running_count
    cluster.pending_tasks_count = counts[1] + service.pending_count
    return result


def update_service(self, service_properties):
    properties = dict(service_properties)
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    cluster = self._get_cluster(properties.get("cluster", "default"))
    # Checked before anything changes: moto applies the other parameters first.
    if properties.get("task_definition"):
        properties["task_definition"] = self.describe_task_definition(properties["task_definition"]).arn
    awsvpc = (properties.get("network_configuration") or {}).get("awsvpcConfiguration") or {}
    if "securityGroups" in awsvpc:
        service._validate_network(properties["network_configuration"])
    force = properties.pop("force_new_deployment", False)
    requested_configuration = properties.pop("deployment_configuration", None)
    before = {name: _comparable(name, getattr(service, name, None)) for name in _REDEPLOYING}
    before.update(task_definition=service.task_definition, desired_count=service.desired_count)
    counts = (cluster.running_tasks_count - service.running_count, cluster.pending_tasks_count - service.pending_count)

    _backend_update_service(self, properties)

    service.deployment_configuration = _deployment_configuration(
        requested_configuration, getattr(service, "deployment_configuration", None)
    )
    if service.deployments:
        redeploy = force or service.task_definition != before["task_definition"] or any(
            properties.get(name) is not None and _comparable(name, properties[name]) != before[name]
            for name in _REDEPLOYING
        )
        if redeploy:
            _start_deployment(self, service)
        elif service.desired_count != before["desired_count"]:
            # A new desired count changes the PRIMARY deployment's, without a new deployment.
            primary = service.deployments[0]
            primary["desiredCount"] = service.desired_count
            if primary["rolloutState"] == "COMPLETED" or not primary["failedTasks"]:
                _set_running(service, primary, _env_count("MOTO_ECS_SERVICE_RUNNING"))
        _count_tasks(service)
    cluster.running_tasks_count = counts[0] + service.running_count
    cluster.pending_tasks_count = counts[1] + service.pending_count
    return service


EC2ContainerServiceResponse.create_service = create_service
EC2ContainerServiceBackend.update_service = update_service


# ECS RunTask. AWS: a one-off task runs its containers and stops once an essential container exits;
# DescribeTasks then reports lastStatus and desiredStatus STOPPED, stopCode EssentialContainerExited,
# stoppedReason "Essential container in task exited", stoppingAt, executionStoppedAt and stoppedAt, and
# one container per container definition, each with lastStatus STOPPED and its exitCode, its taskArn
# and containerArn those of the task. RunTask keeps the overrides as sent. Every network interface has a
# private DNS name.
# moto 5.2 walks a task's lastStatus towards STOPPED over four DescribeTasks calls but keeps
# desiredStatus RUNNING and sets no stop code, reason or times; it lists only the first container
# (PENDING, exit code 0, under the task definition's ARN); and RunTask with awsvpc fails (500) in a VPC
# without DNS hostnames, since moto gives the network interfaces there no private DNS name.
# Here a task started by RunTask (not by a task set) has stopped by the next DescribeTasks, every
# container exiting with MOTO_ECS_TASK_EXIT_CODE (default 0), read per request as moto reads its
# variables. A task stopped with StopTask is left as moto reports it.
_STOPPED_REASON = "Essential container in task exited"


def _exit_code():
    try:
        return int(os.environ.get("MOTO_ECS_TASK_EXIT_CODE", 0))
    except ValueError:
        return 0


_network_interface_init = NetworkInterface.__init__


def network_interface_init(self, *args, **kwargs):
    _network_interface_init(self, *args, **kwargs)
    if not getattr(self, "private_dns_name", None):
        self.private_dns_name = generate_dns_from_ip(self.private_ip_address)


def _task_containers(task, task_definition):
    """One container per container definition, as AWS lists them."""
    containers = []
    for definition in task_definition.container_definitions:
        container = Container(task_definition)
        container.task_arn = task.task_arn
        container.container_arn = f"{task.task_arn.replace(':task/', ':container/')}/{mock_random.uuid4()}"
        container.name = definition.get("name")
        container.image = definition.get("image")
        container.cpu = definition.get("cpu", 0)
        container.memory = definition.get("memory")
        containers.append(container)
    return containers


_run_task = EC2ContainerServiceResponse.run_task
_describe_tasks = EC2ContainerServiceBackend.describe_tasks


def run_task(self):
    result = _run_task(self)
    for task in result.result["tasks"]:
        task.containers = _task_containers(task, self.ecs_backend.describe_task_definition(task.task_definition_arn))
        task.started_by_run_task = True
    return result


def _stop_task(task, exit_code):
    now = utcnow()
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stop_code = "EssentialContainerExited"
    task.stopped_reason = _STOPPED_REASON
    task.stopping_at = task.execution_stopped_at = task.stopped_at = now
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = exit_code


def describe_tasks(self, cluster_str, tasks):
    found = _describe_tasks(self, cluster_str, tasks)
    for task in found:
        if getattr(task, "started_by_run_task", False) and task.desired_status == "RUNNING":
            _stop_task(task, _exit_code())
    return found


# RunTask with a container that sets no memory of its own. AWS: on Fargate a container's memory is
# optional, the task's memory applies (an init container of a task usually sets none). moto 5.2 adds
# every container's memory to the task's requirements and fails (500) on the first one without.
# Here a container without memory or memoryReservation counts as 0.
_task_resource_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements


def _container_memory(definition):
    return next((definition[key] for key in ("memory", "memoryReservation", "Memory", "MemoryReservation") if definition.get(key) is not None), None)


def task_resource_requirements(task_definition):
    given = task_definition.container_definitions
    task_definition.container_definitions = [
        definition if _container_memory(definition) is not None else dict(definition, memory=0) for definition in given
    ]
    try:
        return _task_resource_requirements(task_definition)
    finally:
        task_definition.container_definitions = given


NetworkInterface.__init__ = network_interface_init
EC2ContainerServiceResponse.run_task = run_task
EC2ContainerServiceBackend.describe_tasks = describe_tasks
EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(task_resource_requirements)


# DescribeStacks: AWS answers a NoEcho parameter's value as ****. moto 5.2 tests the value, not the key,
# against the NoEcho keys, so it returns the value itself (the base stack's alert endpoints hold tokens).
def stack_parameter_list(self):
    hidden = self.resource_map.no_echo_parameter_keys
    return [
        {"ParameterKey": key, "ParameterValue": "****" if key in hidden else value}
        for key, value in self.resource_map.resolved_parameters.items()
    ]


Stack.parameter_list = property(stack_parameter_list)


# PutMetricFilter: AWS replaces the filter of that name in the log group. moto 5.2 appends a second
# copy, and DeleteMetricFilter (removing while it iterates) then leaves one of them behind.
def add_metric_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations):
    self.metric_filters = [f for f in self.metric_filters if (f["filterName"], f["logGroupName"]) != (filter_name, log_group_name)]
    _add_metric_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations)


_add_metric_filter = MetricFilters.add_filter
MetricFilters.add_filter = add_metric_filter


# Not a fix: with QUOIN_MOTO_REQUEST_LOG set, every API request is appended to that file as one JSON
# line (service, operation, read or write), so the benchmark can count what a run asks of AWS.
_READ_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Search", "Lookup", "Discover", "Validate")


def _operation(environ, body):
    """(service, operation) of a request: the SigV4 scope names the service; the operation is the JSON
    protocols' X-Amz-Target, the query protocols' Action, or the REST method and path."""
    try:
        service = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[1].split("/")[3]
    except IndexError:
        service = "unsigned"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" not in query and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        query = parse_qs(body.decode("utf-8", "replace"))
    if "Action" in query:
        return service, query["Action"][0]
    return service, f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')}"


def _batch(environ, body):
    """How many resources a JSON-protocol request names at once (DescribeServices' `services`, ...)."""
    if not environ.get("HTTP_X_AMZ_TARGET") or not body:
        return None
    try:
        request = json.loads(body)
    except ValueError:
        return None
    sizes = [len(value) for key, value in request.items() if isinstance(value, list) and key != "include"]
    return max(sizes, default=None)


def _is_read(operation):
    method = operation.split(" ", 1)[0]
    return operation.startswith(_READ_PREFIXES) or method in ("GET", "HEAD")


def _logged(call):
    path = os.environ["QUOIN_MOTO_REQUEST_LOG"]
    lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            service, operation = _operation(environ, body)
            entry = {"t": time.time(), "service": service, "operation": operation, "read": _is_read(operation)}
            batch = _batch(environ, body)
            if batch:
                entry["batch"] = batch
            line = json.dumps(entry)
            with lock, open(path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        return call(self, environ, start_response)

    return __call__


if os.environ.get("QUOIN_MOTO_REQUEST_LOG"):
    DomainDispatcherApplication.__call__ = _logged(DomainDispatcherApplication.__call__)


# Not a fix: the emulator's whole state can be saved under a name and put back, so that tests which
# only need a deployed environment start from a copy of one instead of deploying it again.
#     POST /quoin-api/snapshot?name=NAME     save every backend's state (a deep copy)
#     POST /quoin-api/restore?name=NAME      replace every backend's state with a copy of the saved one
#     POST /quoin-api/settings?NAME=VALUE    change the variables that make deployments and tasks fail
#     GET  /quoin-api/pid                    this process's id (the launcher tells its emulator from another)
# One deep copy over all backends keeps the references between them (a stack's resources are the EC2,
# EFS and ECS backends' own objects) pointing at the copies. The BackendDict containers are not copied:
# moto's responses look backends up in them, so a restore resets and refills them.
# A copied object gets a lock of its own, unheld (ECR's backend and S3's keys hold locks), and a copy of
# the buffer an S3 key keeps its content in.
_SNAPSHOTS = {}
for _new_lock in (threading.Lock, threading.RLock):
    copyreg.pickle(type(_new_lock()), lambda lock, new=_new_lock: (new, ()))


def _spooled_file(content, max_size, position):
    copied = tempfile.SpooledTemporaryFile(max_size)
    copied.write(content)
    copied.seek(position)
    return copied


def _copy_spooled_file(buffer):
    position = buffer.tell()
    buffer.seek(0)
    content = buffer.read()
    buffer.seek(position)
    return _spooled_file, (content, buffer._max_size, position)


copyreg.pickle(tempfile.SpooledTemporaryFile, _copy_spooled_file)


def _keep_containers(memo):
    for backends in BackendDict._instances:
        memo[id(backends)] = backends
        for account_backends in backends.values():
            memo[id(account_backends)] = account_backends
    return memo


def _untracked_copy(state, memo):
    """A deep copy that moto does not count among its live models: moto appends every model it creates
    to its class's instances_tracked, and a reset disposes of those (an S3 key closes its buffer)."""
    classes, pending = [], [BaseModel]
    while pending:
        subclasses = pending.pop().__subclasses__()
        classes += subclasses
        pending += subclasses
    tracked = {cls: len(cls.instances_tracked) for cls in classes}
    copied = copy.deepcopy(state, memo)
    for cls, count in tracked.items():
        del cls.instances_tracked[count:]
    return copied


# What a BackendDict holds besides its backends is part of the state too (S3 keeps each bucket's account
# there); these attributes are its constructor's.
_BACKEND_DICT_SETTINGS = ("backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id")


def _save_state(name):
    with backend_lock:
        state = [
            (
                backends,
                {account: dict(regions) for account, regions in backends.items()},
                {key: value for key, value in vars(backends).items() if key not in _BACKEND_DICT_SETTINGS},
            )
            for backends in BackendDict._instances
        ]
        _SNAPSHOTS[name] = _untracked_copy(state, _keep_containers({}))


def _restore_state(name):
    with backend_lock:
        # moto's own reset first: it releases what the live state holds (S3's buffers and bucket names).
        BackendDict.reset()
        reset_model_data()
        saved = copy.deepcopy(_SNAPSHOTS[name], {id(backends): backends for backends, _, _ in _SNAPSHOTS[name]})
        for backends, accounts, attributes in saved:
            vars(backends).update(attributes)
            for account, regions in accounts.items():
                account_backends = AccountSpecificBackend(
                    service_name=backends.service_name,
                    account_id=account,
                    backend=backends.backend,
                    use_boto3_regions=backends._use_boto3_regions,
                    additional_regions=backends._additional_regions,
                )
                account_backends.update(regions)
                dict.__setitem__(backends, account, account_backends)
        BackendDict._instances[:] = [backends for backends, _, _ in saved]


# The variables that make deployments and tasks fail (above), read per request: a test may change them
# on a running emulator instead of starting another one. An empty value removes one.
_SETTINGS = ("MOTO_ECS_SERVICE_RUNNING", "MOTO_ECS_SERVICE_FAILED_TASKS", "MOTO_ECS_TASK_EXIT_CODE")


def _settings(query):
    unknown = sorted(set(query) - set(_SETTINGS))
    if unknown:
        return "400 Bad Request", {"error": f"not a setting: {', '.join(unknown)}", "settings": list(_SETTINGS)}
    for name, values in query.items():
        if values[-1]:
            os.environ[name] = values[-1]
        else:
            os.environ.pop(name, None)
    return "200 OK", {name: os.environ.get(name) for name in _SETTINGS}


def _snapshots(action, query):
    name = query.get("name", [""])[-1]
    if not name:
        return "400 Bad Request", {"error": "name a snapshot: ?name=NAME"}
    if action is _restore_state and name not in _SNAPSHOTS:
        return "404 Not Found", {"error": f"no snapshot named {name!r}", "snapshots": sorted(_SNAPSHOTS)}
    action(name)
    return "200 OK", {"name": name, "snapshots": sorted(_SNAPSHOTS)}


def _state_api(call):
    posts = {
        "/quoin-api/snapshot": lambda query: _snapshots(_save_state, query),
        "/quoin-api/restore": lambda query: _snapshots(_restore_state, query),
        "/quoin-api/settings": _settings,
    }

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/quoin-api/pid":
            status, body = "200 OK", {"pid": os.getpid()}
        elif path not in posts:
            return call(self, environ, start_response)
        elif environ.get("REQUEST_METHOD") != "POST":
            status, body = "405 Method Not Allowed", {"error": f"POST {path}"}
        else:
            status, body = posts[path](parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    return __call__


DomainDispatcherApplication.__call__ = _state_api(DomainDispatcherApplication.__call__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
