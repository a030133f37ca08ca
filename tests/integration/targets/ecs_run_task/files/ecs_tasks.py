#!/usr/bin/env python3
"""Read ECS tasks back as the API reports them, as JSON.

    ecs_tasks.py CLUSTER list              the ARNs of the cluster's tasks, running or stopped
    ecs_tasks.py CLUSTER describe ARN...   DescribeTasks (tags included) for these tasks
    ecs_tasks.py CLUSTER stop              stop the cluster's running tasks; the ARNs stopped

No module describes tasks, so the target reads them through boto3, with the endpoint, region and
credentials from the environment.
"""

import json
import os
import sys

import boto3


def listed(ecs, cluster, *statuses):
    found = []
    for status in statuses:
        pages = ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus=status)
        found += [arn for page in pages for arn in page["taskArns"] if arn not in found]
    return found


def main(cluster, action, *arns):
    ecs = boto3.client("ecs", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    if action == "list":
        print(json.dumps(listed(ecs, cluster, "RUNNING", "STOPPED")))
    elif action == "stop":
        running = listed(ecs, cluster, "RUNNING")
        for arn in running:
            ecs.stop_task(cluster=cluster, task=arn, reason="integration target cleanup")
        print(json.dumps(running))
    else:
        described = ecs.describe_tasks(cluster=cluster, tasks=list(arns), include=["TAGS"])
        print(json.dumps({"tasks": described["tasks"], "failures": described["failures"]}, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
