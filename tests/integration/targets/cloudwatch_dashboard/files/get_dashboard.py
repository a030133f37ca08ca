#!/usr/bin/env python3
"""Print a dashboard as JSON ({"name", "arn", "body"} with the body parsed), or null when there is none.

    get_dashboard.py NAME

No module reads dashboards, so the target reads them back through boto3, with the endpoint, region and
credentials from the environment.
"""

import json
import os
import sys

import boto3
from botocore.exceptions import ClientError


def main(name):
    client = boto3.client("cloudwatch", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    try:
        found = client.get_dashboard(DashboardName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFound":
            raise
        print("null")
        return
    print(json.dumps({"name": found["DashboardName"], "arn": found["DashboardArn"], "body": json.loads(found["DashboardBody"])}))


if __name__ == "__main__":
    main(*sys.argv[1:])
