#!/usr/bin/env python3
"""Cloud Map through boto3, independently of the modules under test, for the servicediscovery target:
read what the modules did, and register instances the way ECS does for its tasks. Endpoint, region and
credentials come from the environment. Prints JSON.

    cloudmap.py namespaces NAME                  the private DNS namespaces named NAME, with tags
    cloudmap.py services NAMESPACE_ID            the services of the namespace, in full, with tags
    cloudmap.py register SERVICE_ID INSTANCE_ID IPV4
    cloudmap.py deregister SERVICE_ID INSTANCE_ID
"""

import json
import os
import sys

import boto3


def tags(client, arn):
    return {tag["Key"]: tag["Value"] for tag in client.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def namespaces(client, name):
    found = client.get_paginator("list_namespaces").paginate().build_full_result()["Namespaces"]
    result = []
    for summary in found:
        if summary["Name"] == name and summary["Type"] == "DNS_PRIVATE":
            namespace = client.get_namespace(Id=summary["Id"])["Namespace"]
            result.append(dict(namespace, Tags=tags(client, namespace["Arn"])))
    return result


def services(client, namespace_id):
    filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    found = client.get_paginator("list_services").paginate(Filters=filters).build_full_result()["Services"]
    result = []
    for summary in found:
        service = client.get_service(Id=summary["Id"])["Service"]
        if service["NamespaceId"] == namespace_id:
            result.append(dict(service, Tags=tags(client, service["Arn"])))
    return sorted(result, key=lambda service: service["Name"])


def main(command, *args):
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    client = boto3.client("servicediscovery", region_name=region)
    if command == "namespaces":
        return namespaces(client, *args)
    if command == "services":
        return services(client, *args)
    if command == "register":
        service_id, instance_id, ipv4 = args
        return client.register_instance(ServiceId=service_id, InstanceId=instance_id, Attributes={"AWS_INSTANCE_IPV4": ipv4})["OperationId"]
    if command == "deregister":
        service_id, instance_id = args
        return client.deregister_instance(ServiceId=service_id, InstanceId=instance_id)["OperationId"]
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:]), default=str))
