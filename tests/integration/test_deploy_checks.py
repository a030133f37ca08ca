"""What a deploy checks and says, read back from the local AWS: a VPC without DNS hostnames is refused
before anything is created; turning ECS Exec on starts a deployment that the wait verifies; a failed
deployment's message quotes what its failed container wrote to its log stream."""

import json
import os
import time
from pathlib import Path

import pytest

CLUSTER = "quoin-local"


def failure(run):
    assert run.returncode != 0, run.output[-3000:]
    # One line: the YAML result output wraps long messages.
    return " ".join(run.output[run.output.rindex("fatal:"):].split())


def tasks_playbook(tmp_path, name, tasks):
    path = tmp_path / f"{name}.yml"
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    return str(path)


def seeded_vpc():
    return json.loads((Path(os.environ["QUOIN_LOCAL_AWS_DIR"]) / "state.json").read_text())["vpc_id"]


def test_a_vpc_without_dns_hostnames_is_refused_before_any_write(empty_aws, playbook, aws):
    ec2 = aws("ec2")
    vpc = seeded_vpc()
    # The launcher's VPC has both; a VPC created as AWS creates one has DNS hostnames off.
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        key = attribute[0].upper() + attribute[1:]
        assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attribute)[key]["Value"] is True
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    try:
        message = failure(playbook("site.yml", "-i", "local"))
        assert f"quoin_vpc_id: {vpc} cannot hold the website: - enableDnsHostnames is off" in message, message
        assert f"aws ec2 modify-vpc-attribute --vpc-id {vpc} --enable-dns-hostnames" in message
        assert "enableDnsSupport is off" not in message
        # Nothing was created.
        assert aws("cloudformation").describe_stacks()["Stacks"] == []
        assert aws("ecs").list_clusters()["clusterArns"] == []
    finally:
        # With both on, site.yml deploys: every deploying test shows that (the deployment fixture first).
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})


@pytest.fixture
def deployed(deployment):
    deployment.restore()
    return deployment


def test_a_stack_update_in_a_vpc_without_dns_support_is_refused_before_it_is_written(deployed, playbook, aws):
    ec2 = aws("ec2")
    vpc = seeded_vpc()
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    try:
        message = failure(playbook("site.yml", "-i", "local", "-e", "quoin_log_retention_days=14"))
        assert f"quoin_vpc_id: {vpc} cannot hold the website: - enableDnsSupport is off" in message, message
        assert aws("logs").describe_log_groups(logGroupNamePrefix="/quoin/local")["logGroups"][0]["retentionInDays"] == 7
    finally:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})


def primary(ecs, name):
    service = ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]
    return service, next(d for d in service["deployments"] if d["status"] == "PRIMARY")


def test_turning_ecs_exec_on_starts_a_deployment_the_wait_verifies(deployed, playbook, aws, tmp_path):
    ecs = aws("ecs")
    service, before = primary(ecs, "site")
    assert service.get("enableExecuteCommand", False) is False
    # As the ecs role asks: the task definition the service runs, and the model's setting.
    entry = {"name": "site", "task_definition": service["taskDefinition"], "enable_execute_command": True}
    update = {"quoin.fargate.ecs_service": {"cluster": CLUSTER, "services": [entry]}, "register": "site"}
    show = {"ansible.builtin.debug": {"msg": "started={{ site.services[0].deployment_started }} changes={{ site.services[0].changes }}"}}
    wait = {
        # As the ecs role passes them: a name and a task definition per started deployment.
        "quoin.fargate.ecs_deployment_wait": {
            "cluster": CLUSTER,
            "services": "{{ site.services | quoin.fargate.started_deployments | map('dict2items')"
                        " | map('selectattr', 'key', 'in', ['name', 'task_definition']) | map('items2dict') | list }}",
        },
        "register": "waited",
        "when": "not ansible_check_mode",
    }
    show_wait = {"ansible.builtin.debug": {"msg": "waited={{ waited.services | map(attribute='outcome') | list }}"}, "when": "not ansible_check_mode"}
    path = tasks_playbook(tmp_path, "exec", [update, show, wait, show_wait])

    preview = playbook(path, "--check", "--diff")
    assert preview.returncode == 0, preview.output[-3000:]
    # One line: the YAML result output wraps long messages.
    shown = " ".join(preview.output.split())
    assert "started=True" in shown
    assert "enable_execute_command from false to true (starts a new deployment: running tasks keep the setting" in shown, shown[-3000:]
    assert primary(ecs, "site")[1]["id"] == before["id"]

    run = playbook(path)
    assert run.returncode == 0, run.output[-3000:]
    service, after = primary(ecs, "site")
    assert service["enableExecuteCommand"] is True
    assert after["id"] != before["id"] and after["rolloutState"] == "COMPLETED"
    assert f"(deployment {after['id']}) deployment started" in " ".join(e["message"] for e in service["events"])
    assert "waited=['completed']" in run.output

    again = playbook(path)
    assert again.returncode == 0 and again.changed == 0, again.output[-3000:]
    assert "started=False" in again.output
    assert primary(ecs, "site")[1]["id"] == after["id"]


def test_a_failed_deployment_quotes_its_failed_containers_log_lines(deployed, playbook, aws, emulator_settings, tmp_path):
    ecs, logs = aws("ecs"), aws("logs")
    current = ecs.describe_task_definition(taskDefinition=primary(ecs, "proxy")[0]["taskDefinition"])["taskDefinition"]
    keys = ("family", "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn", "taskRoleArn", "volumes")
    expected = ecs.register_task_definition(**{key: current[key] for key in keys if key in current})["taskDefinition"]["taskDefinitionArn"]
    emulator_settings(MOTO_ECS_SERVICE_FAILED_TASKS="1", MOTO_ECS_TASK_EXIT_CODE="1")
    ecs.update_service(cluster=CLUSTER, service="proxy", taskDefinition=expected)
    # The circuit breaker rolled the deployment back; its failed task stays, stopped.
    stopped = ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
    [task] = [t for t in ecs.describe_tasks(cluster=CLUSTER, tasks=stopped)["tasks"] if t["taskDefinitionArn"] == expected]
    assert task["group"] == "service:proxy"
    assert task["containers"][0]["exitCode"] == 1
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    container = definition["containerDefinitions"][0]
    options = container["logConfiguration"]["options"]
    task_id = task["taskArn"].split("/")[-1]
    # What the container would have written, where awslogs writes it.
    stream = f"{options['awslogs-stream-prefix']}/{container['name']}/{task_id}"
    line = "proxy -> cms: cms.local.quoin.internal:8080 did not answer"
    logs.create_log_stream(logGroupName=options["awslogs-group"], logStreamName=stream)
    logs.put_log_events(
        logGroupName=options["awslogs-group"], logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
    )
    wait = {"quoin.fargate.ecs_deployment_wait": {"cluster": CLUSTER, "services": [{"name": "proxy", "task_definition": expected}], "timeout": 0}}
    message = failure(playbook(tasks_playbook(tmp_path, "wait", [wait])))
    assert "service proxy: rolled back" in message, message
    assert f"stopped task {task_id}: Essential container in task exited; container {container['name']} exited with code 1" in message
    assert f"last log lines in {options['awslogs-group']} {stream}: {line}" in message
