"""An in-memory stand-in for the boto3 EFS client: the access point and file system policy calls the modules make, every call
recorded, errors raised the way botocore raises them (ClientError with the API's error code)."""

import copy
import itertools

import botocore.session
from botocore.exceptions import ClientError

FILE_SYSTEM_ID = "fs-0123456789abcdef0"
ACCOUNT = "123456789012"
REGION = "eu-central-1"
WRITES = ("create_access_point", "delete_access_point", "tag_resource", "untag_resource", "put_file_system_policy")

# botocore's waiters read the service model and event hooks from client.meta; creating a client makes
# no network call.
_META = botocore.session.get_session().create_client(
    "efs", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
).meta


def client_error(code, operation, message="stubbed error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def access_point(ap_id, name=None, file_system_id=FILE_SYSTEM_ID, tags=None, state="available", posix_user=None, root=None):
    """An access point as DescribeAccessPoints returns it."""
    tags = dict(tags or {})
    if name is not None:
        tags["Name"] = name
    result = {
        "AccessPointId": ap_id,
        "AccessPointArn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/{ap_id}",
        "FileSystemId": file_system_id,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        "RootDirectory": root or {"Path": "/"},
        "OwnerId": ACCOUNT,
        "LifeCycleState": state,
    }
    if "Name" in tags:
        result["Name"] = tags["Name"]
    if posix_user:
        result["PosixUser"] = posix_user
    return result


class _Paginator:
    def __init__(self, client):
        self._client = client

    def paginate(self, **kwargs):
        return _PageIterator(self._client, kwargs)


class _PageIterator:
    def __init__(self, client, kwargs):
        self._client = client
        self._kwargs = kwargs

    def build_full_result(self):
        return {"AccessPoints": self._client.describe_access_points(**self._kwargs)["AccessPoints"]}


class FakeEFS:
    """`calls` lists (operation, arguments) in order; `writes` only the calls that change something.

    new_state: the LifeCycleState of created access points. errors: operation -> error code raised
    on every call of that operation.
    """

    meta = _META

    def __init__(self, *access_points, file_systems=(FILE_SYSTEM_ID,), new_state="available", errors=None):
        self.access_points = {ap["AccessPointId"]: copy.deepcopy(ap) for ap in access_points}
        self.file_systems = set(file_systems)
        self.new_state = new_state
        self.errors = dict(errors or {})
        self.policies = {}  # file system ID -> policy JSON as put
        self.calls = []
        self._ids = itertools.count(1)

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def operations(self):
        return [operation for operation, _ in self.calls]

    def _record(self, operation, kwargs, api_name):
        self.calls.append((operation, copy.deepcopy(kwargs)))
        if operation in self.errors:
            raise client_error(self.errors[operation], api_name)

    def _get(self, ap_id, api_name):
        if ap_id not in self.access_points:
            raise client_error("AccessPointNotFound", api_name, f"Access point {ap_id} does not exist.")
        return self.access_points[ap_id]

    def get_paginator(self, operation):
        assert operation == "describe_access_points", operation
        return _Paginator(self)

    def describe_access_points(self, **kwargs):
        self._record("describe_access_points", kwargs, "DescribeAccessPoints")
        if "AccessPointId" in kwargs:
            return {"AccessPoints": [copy.deepcopy(self._get(kwargs["AccessPointId"], "DescribeAccessPoints"))]}
        file_system_id = kwargs.get("FileSystemId")
        if file_system_id is not None and file_system_id not in self.file_systems:
            raise client_error("FileSystemNotFound", "DescribeAccessPoints")
        return {
            "AccessPoints": [
                copy.deepcopy(ap)
                for ap in self.access_points.values()
                if file_system_id is None or ap["FileSystemId"] == file_system_id
            ]
        }

    def create_access_point(self, **kwargs):
        self._record("create_access_point", kwargs, "CreateAccessPoint")
        if kwargs["FileSystemId"] not in self.file_systems:
            raise client_error("FileSystemNotFound", "CreateAccessPoint")
        ap_id = f"fsap-{next(self._ids):017x}"
        tags = {t["Key"]: t["Value"] for t in kwargs.get("Tags", [])}
        created = access_point(
            ap_id,
            file_system_id=kwargs["FileSystemId"],
            tags=tags,
            state=self.new_state,
            posix_user=copy.deepcopy(kwargs.get("PosixUser")),
            root=copy.deepcopy(kwargs.get("RootDirectory")),
        )
        self.access_points[ap_id] = created
        return dict(copy.deepcopy(created), ClientToken="token", ResponseMetadata={"HTTPStatusCode": 200})

    def delete_access_point(self, **kwargs):
        self._record("delete_access_point", kwargs, "DeleteAccessPoint")
        self._get(kwargs["AccessPointId"], "DeleteAccessPoint")
        del self.access_points[kwargs["AccessPointId"]]
        return {}

    def tag_resource(self, **kwargs):
        self._record("tag_resource", kwargs, "TagResource")
        ap = self._get(kwargs["ResourceId"], "TagResource")
        tags = {t["Key"]: t["Value"] for t in ap["Tags"]}
        tags.update({t["Key"]: t["Value"] for t in kwargs["Tags"]})
        self._set_tags(ap, tags)
        return {}

    def untag_resource(self, **kwargs):
        self._record("untag_resource", kwargs, "UntagResource")
        ap = self._get(kwargs["ResourceId"], "UntagResource")
        self._set_tags(ap, {t["Key"]: t["Value"] for t in ap["Tags"] if t["Key"] not in kwargs["TagKeys"]})
        return {}

    def describe_file_system_policy(self, **kwargs):
        self._record("describe_file_system_policy", kwargs, "DescribeFileSystemPolicy")
        if kwargs["FileSystemId"] not in self.file_systems:
            raise client_error("FileSystemNotFound", "DescribeFileSystemPolicy")
        if kwargs["FileSystemId"] not in self.policies:
            raise client_error("PolicyNotFound", "DescribeFileSystemPolicy")
        return {"FileSystemId": kwargs["FileSystemId"], "Policy": self.policies[kwargs["FileSystemId"]]}

    def put_file_system_policy(self, **kwargs):
        self._record("put_file_system_policy", kwargs, "PutFileSystemPolicy")
        if kwargs["FileSystemId"] not in self.file_systems:
            raise client_error("FileSystemNotFound", "PutFileSystemPolicy")
        self.policies[kwargs["FileSystemId"]] = kwargs["Policy"]
        return {"FileSystemId": kwargs["FileSystemId"], "Policy": kwargs["Policy"]}

    @staticmethod
    def _set_tags(ap, tags):
        # The API's Name field follows the Name tag.
        ap["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        ap.pop("Name", None)
        if "Name" in tags:
            ap["Name"] = tags["Name"]

    def tags_of(self, ap_id):
        return {t["Key"]: t["Value"] for t in self.access_points[ap_id]["Tags"]}
