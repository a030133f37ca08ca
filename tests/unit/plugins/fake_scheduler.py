"""An in-memory stand-in for the boto3 EventBridge Scheduler client: the schedule calls
scheduler_schedule makes, every call recorded, answering the way AWS does (defaults filled in, the
whole definition replaced by UpdateSchedule, errors raised as botocore raises them)."""

import copy
import datetime

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "eu-central-1"
WRITES = ("create_schedule", "update_schedule", "delete_schedule")
CREATED = datetime.datetime(2025, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)
MODIFIED = datetime.datetime(2025, 2, 1, 12, 0, tzinfo=datetime.timezone.utc)
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/prod-backup-scheduler"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/prod-backup:4"


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def schedule_arn(name, group="default"):
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{name}"


def schedule(name="backup", group="default", **fields):
    """A schedule as GetSchedule returns it: a nightly Fargate task; `fields` (API names) replace the defaults."""
    result = {
        "Arn": schedule_arn(name, group),
        "Name": name,
        "GroupName": group,
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "ScheduleExpressionTimezone": "UTC",
        "State": "ENABLED",
        "ActionAfterCompletion": "NONE",
        "CreationDate": CREATED,
        "LastModificationDate": CREATED,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": CLUSTER_ARN,
            "RoleArn": ROLE_ARN,
            "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
            "EcsParameters": {
                "TaskDefinitionArn": TASK_DEFINITION_ARN,
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {
                        "Subnets": ["subnet-a", "subnet-b"],
                        "SecurityGroups": ["sg-1"],
                        "AssignPublicIp": "DISABLED",
                    }
                },
            },
        },
    }
    result.update(copy.deepcopy(fields))
    return result


class FakeScheduler:
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    groups: the schedule groups that exist. errors: operation -> error code raised on every call.
    """

    def __init__(self, *schedules, groups=("default",), errors=None):
        self.groups = set(groups)
        self.schedules = {(s["GroupName"], s["Name"]): copy.deepcopy(s) for s in schedules}
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

    def _group(self, kwargs, api_name):
        group = kwargs.get("GroupName", "default")
        if group not in self.groups:
            raise client_error("ResourceNotFoundException", api_name, f"Schedule group {group} does not exist.")
        return group

    def _get(self, kwargs, api_name):
        key = (self._group(kwargs, api_name), kwargs["Name"])
        if key not in self.schedules:
            raise client_error("ResourceNotFoundException", api_name, f"Schedule {kwargs['Name']} does not exist.")
        return key

    @staticmethod
    def _stored(kwargs, group):
        """The definition as AWS stores it: its defaults filled in."""
        stored = {key: copy.deepcopy(value) for key, value in kwargs.items() if key != "ClientToken"}
        stored["GroupName"] = group
        stored.setdefault("ScheduleExpressionTimezone", "UTC")
        stored.setdefault("State", "ENABLED")
        stored.setdefault("ActionAfterCompletion", "NONE")
        stored["Target"].setdefault("RetryPolicy", {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185})
        return stored

    def get_schedule(self, **kwargs):
        self._record("get_schedule", kwargs, "GetSchedule")
        key = self._get(kwargs, "GetSchedule")
        return dict(copy.deepcopy(self.schedules[key]), ResponseMetadata={"HTTPStatusCode": 200})

    def create_schedule(self, **kwargs):
        self._record("create_schedule", kwargs, "CreateSchedule")
        group = self._group(kwargs, "CreateSchedule")
        if (group, kwargs["Name"]) in self.schedules:
            raise client_error("ConflictException", "CreateSchedule", f"Schedule {kwargs['Name']} already exists.")
        stored = self._stored(kwargs, group)
        stored.update(Arn=schedule_arn(kwargs["Name"], group), CreationDate=CREATED, LastModificationDate=CREATED)
        self.schedules[(group, kwargs["Name"])] = stored
        return {"ScheduleArn": stored["Arn"]}

    def update_schedule(self, **kwargs):
        self._record("update_schedule", kwargs, "UpdateSchedule")
        key = self._get(kwargs, "UpdateSchedule")
        current = self.schedules[key]
        stored = self._stored(kwargs, key[0])
        stored.update(Arn=current["Arn"], CreationDate=current["CreationDate"], LastModificationDate=MODIFIED)
        self.schedules[key] = stored
        return {"ScheduleArn": stored["Arn"]}

    def delete_schedule(self, **kwargs):
        self._record("delete_schedule", kwargs, "DeleteSchedule")
        del self.schedules[self._get(kwargs, "DeleteSchedule")]
        return {}

    def get(self, name="backup", group="default"):
        return self.schedules[(group, name)]
