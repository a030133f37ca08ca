"""The filters between the base stack and the roles: parameters in, outputs arranged, changes shown."""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.filter.environment_model import environment_model
from ansible_collections.quoin.fargate.plugins.filter.stack import alert_parameters
from ansible_collections.quoin.fargate.plugins.filter.stack import describe_resource_change
from ansible_collections.quoin.fargate.plugins.filter.stack import stack_is_current
from ansible_collections.quoin.fargate.plugins.filter.stack import stack_outputs
from ansible_collections.quoin.fargate.plugins.filter.stack import stack_parameters
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

from .test_environment_model import VALID

OUTPUTS = {
    "ClusterName": "quoin-prod",
    "ClusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/quoin-prod",
    "LogGroupName": "/quoin/prod",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "DataKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/k",
    "BackupBucketName": "quoin-prod-backupbucket-x",
    "AlertTopicArn": "arn:aws:sns:eu-central-1:123456789012:quoin-prod-alerts",
    "BackupTaskSecurityGroupId": "sg-9",
    "BackupTaskRoleArn": "arn:aws:iam::123456789012:role/backup",
    "RestoreTaskRoleArn": "arn:aws:iam::123456789012:role/restore",
    "BackupSchedulerRoleArn": "arn:aws:iam::123456789012:role/scheduler",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "ServiceSiteSecurityGroupId": "sg-1",
    "ServiceSiteTaskRoleArn": "arn:aws:iam::123456789012:role/site",
    "ServiceCmsSecurityGroupId": "sg-2",
    "ServiceCmsTaskRoleArn": "arn:aws:iam::123456789012:role/cms",
    "ServiceProxySecurityGroupId": "sg-3",
    "ServiceProxyTaskRoleArn": "arn:aws:iam::123456789012:role/proxy",
    "FileSystemCmsId": "fs-1",
    "FileSystemCmsArn": "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-1",
    "EntryTargetGroupArn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/tg/1",
    "LoadBalancerDnsName": "lb.example",
}


@pytest.fixture
def model():
    return normalize_environment(copy.deepcopy(VALID))


def test_outputs_are_arranged_by_service_and_file_system(model):
    stack = stack_outputs(OUTPUTS, model)
    assert stack["services"]["cms"] == {"security_group_id": "sg-2", "task_role_arn": OUTPUTS["ServiceCmsTaskRoleArn"]}
    assert stack["file_systems"]["cms"]["id"] == "fs-1"
    assert stack["subnet_ids"] == ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    assert stack["target_group_arn"] == OUTPUTS["EntryTargetGroupArn"]
    assert stack["cluster_name"] == "quoin-prod"
    assert stack["alert_topic_arn"] == OUTPUTS["AlertTopicArn"]
    assert stack["backup"] == {
        "security_group_id": "sg-9",
        "task_role_arn": OUTPUTS["BackupTaskRoleArn"],
        "restore_task_role_arn": OUTPUTS["RestoreTaskRoleArn"],
        "scheduler_role_arn": OUTPUTS["BackupSchedulerRoleArn"],
    }


def test_no_load_balancer_outputs_without_one(model):
    model["load_balancer"]["enabled"] = False
    outputs = {k: v for k, v in OUTPUTS.items() if k not in ("EntryTargetGroupArn", "LoadBalancerDnsName")}
    stack = stack_outputs(outputs, model)
    assert "target_group_arn" not in stack and "load_balancer_dns_name" not in stack


def test_a_missing_output_names_it(model):
    outputs = dict(OUTPUTS)
    del outputs["ServiceCmsTaskRoleArn"]
    with pytest.raises(AnsibleFilterError, match="no output ServiceCmsTaskRoleArn"):
        stack_outputs(outputs, model)


def test_one_parameter_per_subnet(model):
    model["public_subnet_ids"] = ["subnet-0000000000000000a"]
    assert stack_parameters(model) == {
        "EnvironmentName": "prod",
        "VpcId": VALID["vpc_id"],
        "Subnet1": VALID["subnet_ids"][0],
        "Subnet2": VALID["subnet_ids"][1],
        "PublicSubnet1": "subnet-0000000000000000a",
    }


def test_no_public_subnets_without_a_load_balancer(model):
    model["load_balancer"]["enabled"] = False
    assert not any(key.startswith("PublicSubnet") for key in stack_parameters(model))


def test_changes_are_described_in_one_line():
    assert describe_resource_change(
        {"Action": "Modify", "LogicalResourceId": "LogGroup", "ResourceType": "AWS::Logs::LogGroup", "Replacement": "False"}
    ) == "Modify LogGroup (AWS::Logs::LogGroup), replacement: False"
    assert describe_resource_change(
        {"Action": "Add", "LogicalResourceId": "Cluster", "ResourceType": "AWS::ECS::Cluster"}
    ) == "Add Cluster (AWS::ECS::Cluster)"


def test_the_filter_wraps_model_errors():
    with pytest.raises(AnsibleFilterError, match="quoin_vpc_id"):
        environment_model(dict(copy.deepcopy(VALID), vpc_id="nope"))
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        environment_model(["not", "a", "dict"])


TEMPLATE = 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}\n'
PARAMETERS = {"EnvironmentName": "prod", "Subnet1": "subnet-1"}
TAGS = {"quoin:environment": "prod"}


def read_stack(status="UPDATE_COMPLETE", template=TEMPLATE, parameters=None, tags=None, protection=False):
    """What amazon.aws.cloudformation_info with stack_template returns for one stack."""
    return {
        "cloudformation": {
            "quoin-prod": {
                "stack_description": {"stack_status": status, "enable_termination_protection": protection},
                "stack_template": template,
                "stack_parameters": dict(PARAMETERS) if parameters is None else parameters,
                "stack_tags": dict(TAGS) if tags is None else tags,
                "stack_outputs": {},
            }
        }
    }


def test_a_stack_that_holds_everything_is_current():
    assert stack_is_current(read_stack(), TEMPLATE, PARAMETERS, TAGS, False)
    # A trailing newline is not a difference.
    assert stack_is_current(read_stack(template=TEMPLATE.rstrip()), TEMPLATE, PARAMETERS, TAGS, False)


@pytest.mark.parametrize(
    "stack",
    [
        pytest.param({"cloudformation": {}}, id="no stack"),
        pytest.param(read_stack(status="UPDATE_IN_PROGRESS"), id="in progress"),
        pytest.param(read_stack(status="ROLLBACK_COMPLETE"), id="failed creation"),
        pytest.param(read_stack(status="UPDATE_ROLLBACK_FAILED"), id="failed rollback"),
        pytest.param(read_stack(template=TEMPLATE + "Outputs: {}\n"), id="template"),
        pytest.param(read_stack(parameters={"EnvironmentName": "prod", "Subnet1": "subnet-2"}), id="parameter value"),
        pytest.param(read_stack(parameters={"EnvironmentName": "prod"}), id="parameter missing"),
        pytest.param(read_stack(parameters=dict(PARAMETERS, Subnet2="subnet-2")), id="parameter dropped"),
        pytest.param(read_stack(tags={}), id="tags"),
        pytest.param(read_stack(protection=True), id="termination protection"),
    ],
)
def test_anything_else_is_deployed(stack):
    assert not stack_is_current(stack, TEMPLATE, PARAMETERS, TAGS, False)


def test_a_noecho_parameter_that_reads_back_masked_is_not_a_difference():
    parameters = dict(PARAMETERS, AlertEndpoint1="https://hooks.example.org/T/B/token")
    deployed = dict(PARAMETERS, AlertEndpoint1="****")
    assert stack_is_current(read_stack(parameters=deployed), TEMPLATE, parameters, TAGS, False)
    # One endpoint more is a difference even though the values cannot be read.
    assert not stack_is_current(read_stack(parameters=deployed), TEMPLATE, dict(parameters, AlertEndpoint2="x"), TAGS, False)


def test_alert_endpoints_become_numbered_parameters():
    alerts = {"subscriptions": [{"endpoint": "ops@example.org"}, {"protocol": "https", "endpoint": "https://hooks.example.org/x"}]}
    assert alert_parameters(alerts) == {"AlertEndpoint1": "ops@example.org", "AlertEndpoint2": "https://hooks.example.org/x"}
    assert alert_parameters({}) == {} and alert_parameters(None) == {}
