"""Emulator fixes and additions of tools/moto_server.py not covered elsewhere: the request log the
benchmark counts with, PutMetricFilter replacing the filter of a name, NoEcho parameters masked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

# The emulator's own behaviour, without a deployment: part of `tests/run.sh quick`.
pytestmark = pytest.mark.quick


LAUNCHER = [sys.executable, str(Path(__file__).resolve().parents[2] / "tools" / "local_aws.py")]


def test_the_request_log_names_each_operation_and_whether_it_writes(tmp_path, local_aws):
    log = tmp_path / "requests.jsonl"
    env = dict(os.environ, QUOIN_LOCAL_AWS_DIR=str(tmp_path), QUOIN_MOTO_REQUEST_LOG=str(log))
    env.pop("QUOIN_LOCAL_AWS_PORT", None)
    assert subprocess.run(LAUNCHER + ["start"], env=env, capture_output=True).returncode == 0
    try:
        state = json.loads((tmp_path / "state.json").read_text())

        def client(name):
            return boto3.client(name, endpoint_url=state["endpoint"], region_name=state["region"])

        log.write_text("")  # what the launcher's seeding asked is not this test's
        client("ecs").create_cluster(clusterName="c")
        client("ecs").describe_services(cluster="c", services=["a", "b", "d"], include=["TAGS"])
        client("ec2").describe_vpcs()
        client("s3").create_bucket(Bucket="quoin-request-log", CreateBucketConfiguration={"LocationConstraint": state["region"]})
        client("s3").list_objects_v2(Bucket="quoin-request-log")
        entries = [json.loads(line) for line in log.read_text().splitlines()]
    finally:
        subprocess.run(LAUNCHER + ["stop"], env=env, capture_output=True)
    seen = [(e["service"], e["operation"], e["read"], e.get("batch")) for e in entries]
    assert seen == [
        ("ecs", "CreateCluster", False, None),
        # JSON protocol: the operation from X-Amz-Target, and how many services it names (not `include`).
        ("ecs", "DescribeServices", True, 3),
        # Query protocol: the Action parameter.
        ("ec2", "DescribeVpcs", True, None),
        # REST: method and path; a GET reads.
        ("s3", "PUT /quoin-request-log", False, None),
        ("s3", "GET /quoin-request-log", True, None),
    ]


def test_put_metric_filter_replaces_the_filter_of_that_name(aws):
    logs = aws("logs")
    group = "/quoin/test/metric-filter-replace"
    logs.create_log_group(logGroupName=group)
    try:
        transformation = [{"metricName": "m", "metricNamespace": "Quoin/test", "metricValue": "1"}]
        logs.put_metric_filter(logGroupName=group, filterName="f", filterPattern="ERROR", metricTransformations=transformation)
        logs.put_metric_filter(logGroupName=group, filterName="f", filterPattern="FATAL", metricTransformations=transformation)
        found = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
        assert [(f["filterName"], f["filterPattern"]) for f in found] == [("f", "FATAL")]
        logs.delete_metric_filter(logGroupName=group, filterName="f")
        assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []
    finally:
        logs.delete_log_group(logGroupName=group)


def test_a_noecho_parameter_reads_back_masked(aws):
    template = """
Parameters:
  Secret: {Type: String, NoEcho: true}
  Plain: {Type: String}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Ref Plain
"""
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(
        StackName="quoin-noecho-test", TemplateBody=template,
        Parameters=[{"ParameterKey": "Secret", "ParameterValue": "token"}, {"ParameterKey": "Plain", "ParameterValue": "shown"}],
    )
    try:
        stack = cloudformation.describe_stacks(StackName="quoin-noecho-test")["Stacks"][0]
        assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Secret": "****", "Plain": "shown"}
    finally:
        cloudformation.delete_stack(StackName="quoin-noecho-test")
