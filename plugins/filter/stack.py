# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: stack_outputs
short_description: Arrange the base stack's outputs by service and file system
version_added: 0.1.0
description:
  - Turns the flat CloudFormation outputs of the base stack into the C(quoin_stack) structure the roles
    read, so that no role parses output names itself.
  - The same file provides C(stack_parameters), the stack's parameters for a model, and
    C(describe_resource_change), which renders one change of a change set as a line.
options:
  _input:
    description: The stack outputs, a dict of output key to value.
    type: dict
    required: true
  model:
    description: The normalized environment model (C(quoin_model)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Arrange the outputs
  ansible.builtin.set_fact:
    quoin_stack: "{{ outputs | quoin.fargate.stack_outputs(quoin_model) }}"
"""

RETURN = r"""
_value:
  description: cluster_name, cluster_arn, log_group_name, execution_role_arn, data_key_arn, backup_bucket,
    subnet_ids, services (name to security_group_id and task_role_arn), file_systems (name to id and arn),
    target_group_arn and load_balancer_dns_name when the environment has a load balancer.
  type: dict
"""

from ansible.errors import AnsibleFilterError


def stack_outputs(outputs, model):
    def get(key):
        try:
            return outputs[key]
        except KeyError:
            raise AnsibleFilterError(
                f"the stack {model['stack_name']} has no output {key}: was it deployed from another inventory?"
            ) from None

    result = {
        "cluster_name": get("ClusterName"),
        "cluster_arn": get("ClusterArn"),
        "log_group_name": get("LogGroupName"),
        "execution_role_arn": get("ExecutionRoleArn"),
        "data_key_arn": get("DataKeyArn"),
        "backup_bucket": get("BackupBucketName"),
        "subnet_ids": get("SubnetIds").split(","),
        "services": {
            svc["name"]: {
                "security_group_id": get(f"Service{svc['cfn_name']}SecurityGroupId"),
                "task_role_arn": get(f"Service{svc['cfn_name']}TaskRoleArn"),
            }
            for svc in model["services"]
        },
        "file_systems": {
            fs["name"]: {"id": get(f"FileSystem{fs['cfn_name']}Id"), "arn": get(f"FileSystem{fs['cfn_name']}Arn")}
            for fs in model["file_systems"]
        },
    }
    if model["load_balancer"]["enabled"]:
        result["target_group_arn"] = get("EntryTargetGroupArn")
        result["load_balancer_dns_name"] = get("LoadBalancerDnsName")
    return result


def stack_parameters(model):
    """The base stack's parameters for a model: one per subnet (see the template for why)."""
    parameters = {
        "EnvironmentName": model["environment"],
        "VpcId": model["vpc_id"],
    }
    parameters.update({f"Subnet{i}": subnet for i, subnet in enumerate(model["subnet_ids"], 1)})
    if model["load_balancer"]["enabled"]:
        parameters.update({f"PublicSubnet{i}": subnet for i, subnet in enumerate(model["public_subnet_ids"], 1)})
    return parameters


def describe_resource_change(change):
    """One line for a change set entry: 'Modify LogGroup (AWS::Logs::LogGroup), replacement: False'."""
    line = f"{change.get('Action')} {change.get('LogicalResourceId')} ({change.get('ResourceType')})"
    if change.get("Action") == "Modify":
        line += f", replacement: {change.get('Replacement', 'unknown')}"
    return line


class FilterModule:
    def filters(self):
        return {
            "stack_outputs": stack_outputs,
            "stack_parameters": stack_parameters,
            "describe_resource_change": describe_resource_change,
        }
