#!/usr/bin/env python3
"""The floor for a rerun with nothing changed: the reads that prove a deployed environment matches its
inventory, made once each in plain boto3, with no Ansible and no comparison logic.

    python bench/baseline_rerun.py <bench-spec.json>      (bench/run.py writes the spec with the inventory)

It reads what site.yml has to read: the stack (status, parameters, tags, outputs) and its template; per file
system its access points and policy; the discovery namespace's services; per ECR image its tag's digest;
the ECS services (ten per DescribeServices, with tags) and each family's latest task definition (the
service's and the backup and restore ones); the alarms under the environment's prefix, the log group's
metric filters, the dashboard and the backup schedule. bench/run.py times it and counts its calls beside
the playbook's.
"""

import json
import os
import sys

import boto3


def main(spec_path):
    spec = json.loads(open(spec_path, encoding="utf-8").read())
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    session = boto3.session.Session()

    def client(name):
        return session.client(name, endpoint_url=endpoint)

    environment = spec["environment"]
    cloudformation = client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=spec["stack"])["Stacks"][0]
    cloudformation.get_template(StackName=spec["stack"])
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}

    efs = client("efs")
    for key, file_system in outputs.items():
        if key.startswith("FileSystem") and key.endswith("Id"):
            efs.describe_access_points(FileSystemId=file_system)
            efs.describe_file_system_policy(FileSystemId=file_system)

    discovery = client("servicediscovery")
    namespaces = discovery.list_namespaces(Filters=[{"Name": "NAME", "Values": [f"{environment}.quoin.internal"]}])["Namespaces"]
    discovery.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespaces[0]["Id"]]}])

    ecr = client("ecr")
    for repository, tag in spec["repositories"].values():
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])

    ecs = client("ecs")
    cluster = outputs["ClusterName"]
    names = spec["services"]
    for start in range(0, len(names), 10):
        ecs.describe_services(cluster=cluster, services=names[start:start + 10], include=["TAGS"])
    for family in [f"quoin-{environment}-{name}" for name in names] + [f"quoin-{environment}-backup", f"quoin-{environment}-restore"]:
        ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])

    for page in client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"quoin-{environment}/"):
        pass
    for page in client("logs").get_paginator("describe_metric_filters").paginate(logGroupName=outputs["LogGroupName"]):
        pass
    client("cloudwatch").get_dashboard(DashboardName=f"quoin-{environment}")
    client("scheduler").get_schedule(Name=f"quoin-{environment}-backup")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
