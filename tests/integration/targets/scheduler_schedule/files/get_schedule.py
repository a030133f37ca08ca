#!/usr/bin/env python3
"""Print an EventBridge Scheduler schedule as GetSchedule returns it (JSON), or {} when there is none.

    get_schedule.py NAME [GROUP]

No module reads schedules, so the target reads them back through boto3, with the endpoint, region and
credentials from the environment.
"""

import json
import os
import sys

import boto3


def main(name, group="default"):
    client = boto3.client("scheduler", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    try:
        schedule = client.get_schedule(Name=name, GroupName=group)
    except client.exceptions.ResourceNotFoundException:
        schedule = {}
    schedule.pop("ResponseMetadata", None)
    print(json.dumps(schedule, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
