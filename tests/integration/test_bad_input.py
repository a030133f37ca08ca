"""A bad inventory or bad extra vars fail before any AWS call, naming the variable, and the emulator holds
nothing new afterwards; a credential never appears in the output."""

import copy
import json

import pytest
import yaml

from .test_deploy import REPO

SECRET = "hunter2-s3cr3t-value"
WEBHOOK_TOKEN = "xoxb-s3cr3t-webhook-t0ken"


def snapshot(aws):
    """What a run could have created, enough to see that a refused run created nothing."""
    return {
        "stacks": [s["StackName"] for s in aws("cloudformation").describe_stacks()["Stacks"]],
        "security_groups": sorted(g["GroupId"] for g in aws("ec2").describe_security_groups()["SecurityGroups"]),
        "file_systems": [f["FileSystemId"] for f in aws("efs").describe_file_systems()["FileSystems"]],
        "log_groups": [g["logGroupName"] for g in aws("logs").describe_log_groups()["logGroups"]],
        "buckets": [b["Name"] for b in aws("s3").list_buckets()["Buckets"]],
        "clusters": aws("ecs").list_clusters()["clusterArns"],
        "task_definitions": aws("ecs").list_task_definitions()["taskDefinitionArns"],
        "alarms": [a["AlarmName"] for a in aws("cloudwatch").describe_alarms()["MetricAlarms"]],
        "topics": [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]],
        "schedules": [s["Name"] for s in aws("scheduler").list_schedules()["Schedules"]],
    }


def services(change=None):
    """The local inventory's services, changed by change(services) when given."""
    found = yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text())["quoin_services"]
    found = copy.deepcopy(found)
    if change:
        change(found)
    return {"quoin_services": found}


def site(cms=None, **top):
    """site.yml with the cms service changed by cms(service), or top-level variables replaced."""
    def change(found):
        if cms:
            cms(found[1])
    extra = services(change) if cms else {}
    extra.update(top)
    return ("site.yml", extra)


def setting(**values):
    return lambda service: service.update(values)


def volume(**values):
    return lambda service: service["volumes"][0].update(values)


# (playbook and extra vars, what the message must say): each one refused before any AWS call.
BROKEN = {
    "no subnets": (site(quoin_subnet_ids=[]), "quoin_subnet_ids:"),
    "bad VPC ID": (site(quoin_vpc_id="vpc-nope"), "quoin_vpc_id:"),
    "unknown entry service": (site(quoin_entry_service="gateway"), "quoin_entry_service:"),
    "retention CloudWatch refuses": (site(quoin_log_retention_days=10), "quoin_log_retention_days:"),
    "deploy timeout too short": (site(quoin_deploy_timeout=5), "quoin_deploy_timeout:"),
    "missing image": (site(cms=lambda s: s.pop("image")), "missing required arguments: image found in quoin_services"),
    "Fargate refuses the cpu/memory pair": (site(cms=setting(cpu=256, memory=4096)), "quoin_services[1].memory:"),
    "negative desired count": (site(cms=setting(desired_count=-1)), "quoin_services[1].desired_count:"),
    "port out of range": (site(cms=setting(port=70000)), "quoin_services[1].port:"),
    "container runs as root": (site(cms=setting(user="0")), "quoin_services[1].user:"),
    "health check retries out of range": (
        site(cms=lambda s: s["health_check"].update(retries=0)), "quoin_services[1].health_check.retries:"
    ),
    "secret given as a plain string": (
        site(cms=lambda s: s["secrets"].update(MESH_INITIAL_ADMIN_PASSWORD=SECRET)), "quoin_services[1].secrets.MESH_INITIAL_ADMIN_PASSWORD:"
    ),
    "credential in plain environment": (
        site(cms=lambda s: s["environment"].update(DB_PASSWORD=SECRET)), "quoin_services[1].environment.DB_PASSWORD:"
    ),
    "unknown file system for a volume": (site(cms=volume(file_system="media")), "quoin_services[1].volumes[0].file_system:"),
    "uid out of range": (site(cms=volume(uid=4294967296)), "quoin_services[1].volumes[0].uid:"),
    "access point at the root": (site(cms=volume(root_directory="/")), "quoin_services[1].volumes[0].root_directory:"),
    "read-only volume backed up": (site(cms=volume(read_only=True, backup=True)), "quoin_services[1].volumes[0].backup:"),
    "two tasks on a single-writer volume": (
        site(cms=setting(desired_count=2)), "quoin_services[1].desired_count: 2 tasks would write the single-writer volume data at once"
    ),
    "a rolling update that starts a second writer": (
        site(cms=setting(deployment={"minimum_healthy_percent": 100, "maximum_percent": 200})),
        "quoin_services[1].deployment: the single-writer volume data needs stop-before-start",
    ),
    "a rolling update that cannot progress": (
        site(cms=lambda s: (
            s["volumes"][0].update(single_writer=False), s.update(deployment={"minimum_healthy_percent": 100, "maximum_percent": 100})
        )),
        "quoin_services[1].deployment: with desired_count 1, maximum_percent 100 allows 1 tasks",
    ),
    "duplicate service names": (
        ("site.yml", services(lambda found: found[0].update(name="cms"))), "quoin_services[1].name: service 'cms' is defined twice"
    ),
    "talks to an unknown service": (
        ("site.yml", services(lambda found: found[2].update(talks_to=["site", "search"]))), "quoin_services[2].talks_to:"
    ),
    "bad backup cron": (site(quoin_backup={"schedule": "cron(every night)x"}), "quoin_backup.schedule:"),
    "backup retention out of range": (site(quoin_backup={"retention_days": 0}), "quoin_backup.retention_days:"),
    "CPU threshold above 100 %": (site(quoin_alarms={"cpu": {"threshold": 150}}), "quoin_alarms.cpu.threshold:"),
    "alarm period CloudWatch refuses": (site(quoin_alarms={"errors": {"period": 90}}), "quoin_alarms.errors.period:"),
    "subscription that is not an address": (
        site(quoin_alerts={"subscriptions": [{"endpoint": "ops-at-example"}]}), "quoin_alerts.subscriptions[0].endpoint:"
    ),
    "certificate that is not an ACM ARN": (
        site(quoin_load_balancer={"certificate_arn": "arn:aws:iam::123456789012:server-certificate/x"}), "quoin_load_balancer.certificate_arn:"
    ),
    "HTTP check that is not a URL": (site(quoin_http_checks=[{"url": "example.org"}]), "quoin_http_checks[0].url"),
    "registry credential ECR cannot read": (
        ("redeploy.yml", {"quoin_registry_credentials": {"docker-hub": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dockerhub-AbCdEf"}}),
        "quoin_registry_credentials.docker-hub: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:dockerhub-AbCdEf' is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/",
    ),
    "rollback of an unknown service": (("rollback.yml", {"service": "search"}), 'service: no service "search"'),
    "rollback revision that is not a number": (("rollback.yml", {"service": "cms", "revision": "latest"}), "revision: must be a positive whole number"),
    "backup of a volume that is not backed up": (("backup.yml", {"volumes": "site/data"}), "volumes: not backed-up volumes: site/data"),
    "restore without confirm": (
        ("restore.yml", {"service": "cms", "volume": "data", "from": "20261126T030000Z"}), "-e confirm=local is required"
    ),
    "restore from a timestamp that is not one": (
        ("restore.yml", {"service": "cms", "volume": "data", "from": "last-night", "confirm": "local"}), "from: last-night is not a backup timestamp"
    ),
    "teardown of the stack without confirm": (("teardown.yml", {"destroy_stack": True}), "confirm: destroy_stack=true deletes the base stack"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_input_fails_before_any_aws_call(empty_aws, playbook, aws, case):
    (name, extra), message = BROKEN[case]
    before = snapshot(aws)
    run = playbook(name, "-i", "local", "-e", json.dumps(extra))
    assert run.returncode != 0, run.output[-3000:]
    assert message in run.output, run.output[-3000:]
    # The preflight and the playbooks' own checks come first: no AWS call has been made.
    for first_call in ("Deploy the base stack", "Read the base stack", "Read the stack's outputs"):
        assert first_call not in run.output, run.output[-3000:]
    assert snapshot(aws) == before
    assert SECRET not in run.output


def test_the_table_covers_enough_cases():
    assert len(BROKEN) >= 20


def test_a_missing_variable_is_named(empty_aws, playbook, aws):
    before = snapshot(aws)
    run = playbook("site.yml", "-i", "local", "-e", '{"quoin_services": [{"name": "site"}]}')
    assert run.returncode != 0
    assert "port" in run.output and "quoin_services" in run.output, run.output[-3000:]
    assert snapshot(aws) == before


def test_the_production_placeholders_are_refused(playbook):
    run = playbook("site.yml", "-i", "prod")
    assert run.returncode != 0
    assert "quoin_vpc_id: 'REPLACE-with-the-vpc-id' is not a VPC ID" in run.output, run.output[-3000:]


def test_a_webhook_token_never_appears_in_the_output(empty_aws, playbook, aws):
    """A chat webhook URL carries its token: a verbose deploy with a diff must not print it."""
    hook = f"https://hooks.example.org/services/T000/B000/{WEBHOOK_TOKEN}"
    extra = json.dumps({"quoin_alerts": {"subscriptions": [{"protocol": "https", "endpoint": hook}]}})
    run = playbook("site.yml", "-i", "local", "-v", "--diff", "-e", extra)
    assert run.returncode == 0, run.output[-5000:]
    assert WEBHOOK_TOKEN not in run.output
    # It was used all the same.
    topic = next(t["TopicArn"] for t in aws("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":quoin-local-alerts"))
    assert [s["Endpoint"] for s in aws("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [hook]
