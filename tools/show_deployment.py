#!/usr/bin/env python3
"""Print what an environment has deployed, read back through the AWS API (the local AWS by default).

    python tools/show_deployment.py [--stack quoin-local]

Uses the standard AWS variables (AWS_ENDPOINT_URL, AWS_REGION, credentials), so it reads any account.
"""

import argparse
import os
import sys

import boto3
from botocore.exceptions import ClientError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="quoin-local", help="the base stack's name (default: quoin-local)")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    cfn = session.client("cloudformation")
    try:
        stack = cfn.describe_stacks(StackName=args.stack)["Stacks"][0]
    except ClientError as error:
        print(f"no stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    print(f"Stack {stack['StackName']}: {stack['StackStatus']}")
    outputs = sorted((o["OutputKey"], o["OutputValue"]) for o in stack.get("Outputs", []))
    width = max((len(key) for key, _ in outputs), default=0)
    for key, value in outputs:
        print(f"  {key:<{width}}  {value}")

    efs = session.client("efs")
    file_systems = [value for key, value in outputs if key.startswith("FileSystem") and key.endswith("Id")]
    access_points = [ap for fs in file_systems for ap in efs.describe_access_points(FileSystemId=fs)["AccessPoints"]]
    print(f"\nAccess points: {len(access_points)}")
    for ap in sorted(access_points, key=lambda ap: ap.get("Name", "")):
        user = ap.get("PosixUser", {})
        root = ap.get("RootDirectory", {})
        print(
            f"  {ap.get('Name', '(no name)'):<24} {ap['AccessPointId']:<22} {ap['FileSystemId']:<14} "
            f"{root.get('Path', '/'):<16} uid={user.get('Uid')} gid={user.get('Gid')} "
            f"{root.get('CreationInfo', {}).get('Permissions', '-')}  {ap['LifeCycleState']}"
        )

    ecs = session.client("ecs")
    cluster = dict(outputs).get("ClusterName")
    arns = ecs.list_services(cluster=cluster)["serviceArns"] if cluster else []
    described = []
    for start in range(0, len(arns), 10):
        described += ecs.describe_services(cluster=cluster, services=arns[start:start + 10], include=["TAGS"])["services"]
    described = [s for s in described if s["status"] == "ACTIVE"]
    print(f"\nServices in {cluster}: {len(described)}")
    for service in sorted(described, key=lambda s: s["serviceName"]):
        primary = next((d for d in service["deployments"] if d["status"] == "PRIMARY"), {})
        tags = {t["key"]: t["value"] for t in service.get("tags", [])}
        good = tags.get("quoin:last-good-task-definition", "-").split("/")[-1]
        print(
            f"  {service['serviceName']:<12} {service['taskDefinition'].split('/')[-1]:<24} "
            f"running {service['runningCount']}/{service['desiredCount']}  rollout {primary.get('rolloutState', '-'):<11} "
            f"last good {good}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
