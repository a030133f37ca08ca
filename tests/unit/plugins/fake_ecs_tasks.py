"""An in-memory stand-in for the boto3 ECS client's task calls that ecs_run_task makes: RunTask,
DescribeTasks and DescribeTaskDefinition, every call recorded. A task runs for a given number of
DescribeTasks calls and then stops, its containers exiting with the codes given; answers have AWS's
shape (tags only when asked for, MISSING for unknown tasks, errors raised as botocore raises them)."""

import copy
import datetime
import itertools

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "eu-central-1"
CLUSTER = "prod"
CREATED_AT = datetime.datetime(2025, 1, 31, 3, 0, tzinfo=datetime.timezone.utc)
STOPPED_AT = datetime.datetime(2025, 1, 31, 3, 5, tzinfo=datetime.timezone.utc)
# The backup task: the backup container is essential, the log router is not.
CONTAINERS = [
    {"name": "backup", "image": "quoin/backup:1", "memory": 512, "essential": True},
    {"name": "log-router", "image": "fluent-bit:3", "memory": 64, "essential": False},
]


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def cluster_arn(cluster=CLUSTER):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}"


def task_definition_arn(family_revision):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family_revision}"


class FakeECSTasks:
    """`calls` lists (operation, arguments) in order.

    task_definitions: family -> (revisions, container definitions). runs_for: how many DescribeTasks
    calls a task answers before the one that reports it stopped (None: it never stops). exit_codes:
    container name -> exit code when the task stops (None: no exit code); containers not named exit 0.
    stop_code, stopped_reason and container_reasons: what a stopped task reports. failures: what RunTask
    reports besides the tasks it starts; placed: how many tasks it starts (default: count). forget: the
    task ARNs DescribeTasks answers as MISSING. errors: operation -> error code raised on every call.
    """

    def __init__(
        self,
        clusters=(CLUSTER,),
        task_definitions=None,
        runs_for=1,
        exit_codes=None,
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
        container_reasons=None,
        failures=None,
        placed=None,
        forget=(),
        errors=None,
    ):
        self.clusters = set(clusters)
        self.task_definitions = dict(task_definitions if task_definitions is not None else {"backup": (3, CONTAINERS)})
        self.runs_for = runs_for
        self.exit_codes = dict(exit_codes or {})
        self.stop_code = stop_code
        self.stopped_reason = stopped_reason
        self.container_reasons = dict(container_reasons or {})
        self.failures = list(failures or [])
        self.placed = placed
        self.forget = set(forget)
        self.errors = dict(errors or {})
        self.calls = []
        self.tasks = {}
        self.polled = {}
        self._ids = itertools.count(1)

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)

    def _cluster(self, cluster, api_name):
        name = cluster.split("/")[-1]
        if name not in self.clusters:
            raise client_error("ClusterNotFoundException", api_name, "Cluster not found.")
        return name

    def _task_definition(self, wanted, api_name):
        family, _, revision = wanted.split(":task-definition/")[-1].partition(":")
        revisions, containers = self.task_definitions.get(family, (0, []))
        revision = int(revision) if revision else revisions
        if not 1 <= revision <= revisions:
            raise client_error("ClientException", api_name, "Unable to describe task definition.")
        return {
            "taskDefinitionArn": task_definition_arn(f"{family}:{revision}"),
            "family": family,
            "revision": revision,
            "containerDefinitions": copy.deepcopy(containers),
        }

    def describe_task_definition(self, **kwargs):
        self._record("describe_task_definition", kwargs, "DescribeTaskDefinition")
        return {"taskDefinition": self._task_definition(kwargs["taskDefinition"], "DescribeTaskDefinition")}

    def run_task(self, **kwargs):
        self._record("run_task", kwargs, "RunTask")
        cluster = self._cluster(kwargs.get("cluster", "default"), "RunTask")
        definition = self._task_definition(kwargs["taskDefinition"], "RunTask")
        started = []
        count = kwargs.get("count", 1) if self.placed is None else self.placed
        for _ in range(count):
            arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{next(self._ids):032x}"
            awsvpc = (kwargs.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            task = {
                "taskArn": arn,
                "clusterArn": cluster_arn(cluster),
                "taskDefinitionArn": definition["taskDefinitionArn"],
                "lastStatus": "PROVISIONING",
                "desiredStatus": "RUNNING",
                "launchType": kwargs.get("launchType"),
                "platformVersion": kwargs.get("platformVersion", "1.4.0"),
                "createdAt": CREATED_AT,
                "overrides": copy.deepcopy(kwargs.get("overrides") or {"containerOverrides": []}),
                "attachments": [
                    {
                        "type": "ElasticNetworkInterface",
                        "status": "PRECREATED",
                        "details": [{"name": "subnetId", "value": (awsvpc.get("subnets") or ["subnet-default"])[0]}],
                    }
                ],
                "containers": [
                    {"name": c["name"], "image": c["image"], "lastStatus": "PENDING", "taskArn": arn}
                    for c in definition["containerDefinitions"]
                ],
                "tags": copy.deepcopy(kwargs.get("tags") or []),
            }
            if "startedBy" in kwargs:
                task["startedBy"] = kwargs["startedBy"]
            self.tasks[arn] = task
            self.polled[arn] = 0
            started.append(task)
        return {"tasks": copy.deepcopy(started), "failures": copy.deepcopy(self.failures), "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _advance(self, task):
        arn = task["taskArn"]
        self.polled[arn] += 1
        if task["lastStatus"] == "STOPPED":
            return
        if self.runs_for is None or self.polled[arn] <= self.runs_for:
            task["lastStatus"] = "RUNNING"
            for container in task["containers"]:
                container["lastStatus"] = "RUNNING"
            return
        task.update(
            lastStatus="STOPPED",
            desiredStatus="STOPPED",
            stopCode=self.stop_code,
            stoppedReason=self.stopped_reason,
            stoppedAt=STOPPED_AT,
        )
        for container in task["containers"]:
            container["lastStatus"] = "STOPPED"
            code = self.exit_codes.get(container["name"], 0)
            if code is not None:
                container["exitCode"] = code
            if container["name"] in self.container_reasons:
                container["reason"] = self.container_reasons[container["name"]]

    def describe_tasks(self, **kwargs):
        self._record("describe_tasks", kwargs, "DescribeTasks")
        self._cluster(kwargs.get("cluster", "default"), "DescribeTasks")
        if len(kwargs["tasks"]) > 100:
            raise client_error("InvalidParameterException", "DescribeTasks", "Too many tasks.")
        found, failures = [], []
        for arn in kwargs["tasks"]:
            if arn not in self.tasks or arn in self.forget:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            task = self.tasks[arn]
            self._advance(task)
            task = copy.deepcopy(task)
            if "TAGS" not in kwargs.get("include", []):
                task.pop("tags")
            found.append(task)
        return {"tasks": found, "failures": failures, "ResponseMetadata": {"HTTPStatusCode": 200}}
