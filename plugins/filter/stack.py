# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters between the base stack and the roles: stack_outputs, stack_parameters, describe_resource_change.

This file holds several filters, so each is documented in its own file next to it (stack_outputs.yml, ...).
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
        "alert_topic_arn": get("AlertTopicArn"),
        "backup": {
            "security_group_id": get("BackupTaskSecurityGroupId"),
            "task_role_arn": get("BackupTaskRoleArn"),
            "restore_task_role_arn": get("RestoreTaskRoleArn"),
            "scheduler_role_arn": get("BackupSchedulerRoleArn"),
        },
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


def alert_parameters(alerts):
    """The NoEcho AlertEndpoint1..n parameters from the inventory's raw quoin_alerts (the model leaves the
    endpoints out: they can carry credentials)."""
    subscriptions = (alerts or {}).get("subscriptions") or []
    return {f"AlertEndpoint{i}": sub["endpoint"] for i, sub in enumerate(subscriptions, 1)}


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


# States in which the stack holds exactly the template and parameters of its last successful operation.
SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")


def stack_is_current(info, template, parameters, tags, termination_protection):
    """Whether the stack that amazon.aws.cloudformation_info (with stack_template) read already holds this
    template, these parameters, tags and termination protection: then deploying it would change nothing,
    and a rerun need not call UpdateStack at all (AWS answers "No updates are to be performed", but the
    call itself is a write that CloudTrail records and that counts against the API's rate)."""
    stacks = info.get("cloudformation") or {}
    if len(stacks) != 1:
        return False
    stack = next(iter(stacks.values()))
    description = stack.get("stack_description") or {}
    if description.get("stack_status") not in SETTLED:
        return False
    deployed = stack.get("stack_parameters") or {}
    # A NoEcho parameter reads back as ****: the template carries a digest of those values instead.
    return (
        (stack.get("stack_template") or "").strip() == template.strip()
        and all(deployed.get(key) in (str(value), "****") for key, value in parameters.items())
        and set(deployed) == set(parameters)
        and (stack.get("stack_tags") or {}) == tags
        and bool(description.get("enable_termination_protection")) == bool(termination_protection)
    )


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
            "alert_parameters": alert_parameters,
            "describe_resource_change": describe_resource_change,
            "stack_is_current": stack_is_current,
        }
