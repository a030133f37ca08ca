"""verify.yml against a deployed local website: services stable on their recorded task definitions, the
load balancer's targets, and HTTP checks served by a test server on loopback; every failure is named."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SERVICES = ("site", "cms", "proxy")
PAGE = "quoin verify page 7f3c"
TAG = "quoin:last-good-task-definition"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        self.server.paths.append(self.path)
        status, body = (500, "broken") if self.path == "/broken" else (200, f"<html><body>{PAGE}</body></html>")
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.paths = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def deployed(deployment):
    deployment.restore()


def url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def verify(playbook, *checks, **extra):
    variables = {"verify_load_balancer_targets": False, "quoin_http_checks": list(checks)}
    variables.update(extra)
    return playbook("verify.yml", "-i", "local", "-e", json.dumps(variables))


def service_state(aws):
    described = aws("ecs").describe_services(cluster="quoin-local", services=list(SERVICES), include=["TAGS"])["services"]
    return {
        s["serviceName"]: (s["taskDefinition"], {t["key"]: t["value"] for t in s.get("tags", [])}.get(TAG), s["runningCount"])
        for s in described
    }


def failure(run):
    assert run.returncode != 0, run.output[-3000:]
    # One line: the YAML result output wraps long messages.
    return " ".join(run.output[run.output.rindex("fatal:"):].split())


def test_a_deployed_website_verifies_and_nothing_changes(deployed, playbook, aws, server):
    before = service_state(aws)
    assert all(recorded == running for running, recorded, _ in before.values()), before
    del server.paths[:]
    run = verify(playbook, {"url": url(server, "/"), "body": PAGE, "retries": 1, "delay": 1},
                 {"url": url(server, "/broken"), "status": 500, "retries": 0})
    assert run.returncode == 0, run.output[-5000:]
    assert run.changed == 0
    assert "Not checking the load balancer's targets" in run.output
    # The checks really went out, and AWS holds the same as before.
    assert sorted(server.paths) == ["/", "/broken"]
    assert service_state(aws) == before


def test_check_mode_runs_the_checks_and_changes_nothing(deployed, playbook, aws, server):
    before = service_state(aws)
    del server.paths[:]
    run = playbook("verify.yml", "-i", "local", "--check", "-e", json.dumps(
        {"verify_load_balancer_targets": False, "quoin_http_checks": [{"url": url(server, "/check"), "body": PAGE}]}))
    assert run.returncode == 0 and run.changed == 0, run.output[-5000:]
    assert server.paths == ["/check"]
    assert service_state(aws) == before


def probe_tasks(aws):
    """The probe tasks verify started, newest first, as the emulator describes them."""
    ecs = aws("ecs")
    arns = ecs.list_tasks(cluster="quoin-local", startedBy="quoin-probe-proxy")["taskArns"]
    tasks = ecs.describe_tasks(cluster="quoin-local", tasks=arns)["tasks"] if arns else []
    return sorted(tasks, key=lambda task: task["stoppedAt"], reverse=True)


def test_the_probe_runs_as_the_caller_and_checks_its_edges(deployed, playbook, aws, deployment):
    before = len(probe_tasks(aws))
    run = verify(playbook)
    assert run.returncode == 0, run.output[-5000:]
    assert run.changed == 0
    tasks = probe_tasks(aws)
    # One probe task per caller (the proxy is the only service with talks_to), one per run.
    assert len(tasks) == before + 1
    task = tasks[0]
    ecs = aws("ecs")
    proxy = ecs.describe_services(cluster="quoin-local", services=["proxy"])["services"][0]
    awsvpc = task["attachments"][0]["details"]
    assert {"name": "subnetId", "value": deployment.outputs["SubnetIds"].split(",")[0]} in awsvpc
    # The emulator keeps the task's network interface: its security group is the proxy's.
    interface = next(d["value"] for d in awsvpc if d["name"] == "networkInterfaceId")
    groups = aws("ec2").describe_network_interfaces(NetworkInterfaceIds=[interface])["NetworkInterfaces"][0]["Groups"]
    assert [g["GroupId"] for g in groups] == proxy["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    [override] = task["overrides"]["containerOverrides"]
    script = override["command"][2]
    assert override["name"] == "probe" and override["command"][:2] == ["sh", "-c"]
    assert "connects site.local.quoin.internal 3000 5" in script and "connects cms.local.quoin.internal 8080 5" in script
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    assert definition["family"] == "quoin-local-probe"
    assert definition["executionRoleArn"] == deployment.outputs["ExecutionRoleArn"]
    [container] = definition["containerDefinitions"]
    assert container["image"] == "public.ecr.aws/docker/library/busybox:1.36"
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "probe"
    assert container["logConfiguration"]["options"]["awslogs-group"] == deployment.outputs["LogGroupName"]


def test_a_failed_probe_fails_naming_the_caller_and_its_log_lines(deployed, playbook, aws, emulator_settings):
    emulator_settings(MOTO_ECS_TASK_EXIT_CODE="1")
    message = failure(verify(playbook))
    assert "the connection probes (one task per calling service) failed: run proxy: task " in message, message
    assert "essential container probe exited with code 1" in message, message
    task_id = probe_tasks(aws)[0]["taskArn"].split("/")[-1]
    # The emulator runs no container, so nothing wrote the stream: the message says where it looked.
    assert f"its log lines could not be read from /quoin/local probe/probe/{task_id} (ResourceNotFoundException)" in message


def test_check_mode_says_what_would_be_probed_and_runs_nothing(deployed, playbook, aws):
    before = len(probe_tasks(aws))
    run = playbook("verify.yml", "-i", "local", "--check", "-e", json.dumps({"verify_load_balancer_targets": False}))
    assert run.returncode == 0 and run.changed == 0, run.output[-5000:]
    assert "a probe task as proxy (its subnets and security group) would check that site, cms answer" in " ".join(run.output.split())
    assert len(probe_tasks(aws)) == before


def test_a_wrong_status_fails_naming_the_url(deployed, playbook, server):
    del server.paths[:]
    run = verify(playbook, {"url": url(server, "/broken"), "retries": 1, "delay": 0})
    message = failure(run)
    assert f"{url(server, '/broken')}: expected status 200, got 500" in message, message
    assert "tried 2 times" in message
    assert server.paths == ["/broken", "/broken"]


def test_a_missing_body_string_fails_clearly(deployed, playbook, server):
    run = verify(playbook, {"url": url(server, "/"), "body": "not on the page", "retries": 0},
                 {"url": url(server, "/ok"), "body": PAGE, "retries": 0})
    message = failure(run)
    assert "1 of 2 HTTP checks failed" in message, message
    assert f'{url(server, "/")}: the body does not contain "not on the page"' in message, message
    assert "/ok" not in message


def test_an_unreachable_url_fails_clearly(deployed, playbook, server):
    dead = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = dead.server_address[1]
    dead.server_close()
    run = verify(playbook, {"url": f"http://127.0.0.1:{port}/", "retries": 0, "timeout": 2})
    message = failure(run)
    assert f"http://127.0.0.1:{port}/: expected status 200, got no response" in message, message


def test_a_service_off_its_recorded_task_definition_fails_naming_it(deployed, playbook, aws, server):
    ecs = aws("ecs")
    site = ecs.describe_services(cluster="quoin-local", services=["site"], include=["TAGS"])["services"][0]
    recorded = {t["key"]: t["value"] for t in site["tags"]}[TAG]
    wrong = recorded.rsplit(":", 1)[0] + ":99"
    ecs.tag_resource(resourceArn=site["serviceArn"], tags=[{"key": TAG, "value": wrong}])
    try:
        del server.paths[:]
        run = verify(playbook, {"url": url(server, "/"), "retries": 0}, verify_stable_timeout=5, verify_stable_delay=1)
        message = failure(run)
        assert f"service site: recorded {wrong}, the PRIMARY deployment runs {recorded}" in message, message
        assert "service cms" not in message and "service proxy" not in message, message
        # It stops before the HTTP checks.
        assert server.paths == []
    finally:
        ecs.tag_resource(resourceArn=site["serviceArn"], tags=[{"key": TAG, "value": recorded}])


def test_a_service_without_a_record_fails_naming_it(deployed, playbook, aws):
    ecs = aws("ecs")
    cms = ecs.describe_services(cluster="quoin-local", services=["cms"], include=["TAGS"])["services"][0]
    recorded = {t["key"]: t["value"] for t in cms["tags"]}[TAG]
    ecs.untag_resource(resourceArn=cms["serviceArn"], tagKeys=[TAG])
    try:
        message = failure(verify(playbook))
        assert "service cms: no quoin:last-good-task-definition tag" in message, message
    finally:
        ecs.tag_resource(resourceArn=cms["serviceArn"], tags=[{"key": TAG, "value": recorded}])


def test_a_target_group_without_targets_fails_when_targets_are_checked(deployed, playbook, aws):
    target_group = aws("elbv2").describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    # The emulator registers no ECS tasks as targets: exactly the case that must fail on AWS.
    assert aws("elbv2").describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"] == []
    run = verify(playbook, verify_load_balancer_targets=True, verify_target_retries=0)
    message = failure(run)
    assert f"target group {target_group}" in message and "has no registered targets" in message, message


@pytest.mark.parametrize(
    "check, problem",
    [
        ({"url": "ftp://x"}, "quoin_http_checks[1].url: ftp://x is not an http:// or https:// URL"),
        ({"url": "http://example.com/", "status": 999}, "quoin_http_checks[1].status: 999 is not an HTTP status"),
        ({"url": "http://example.com/", "timeout": 0}, "quoin_http_checks[1].timeout: 0 must be a whole number of at least 1"),
    ],
)
def test_a_bad_check_fails_before_any_call(playbook, local_aws, server, check, problem):
    del server.paths[:]
    run = verify(playbook, {"url": url(server, "/fine")}, check)
    message = failure(run)
    assert problem in message, message
    assert "Read the base stack" not in run.output and "Describe every service" not in run.output
    assert server.paths == []


def changed_site():
    """The local inventory's services with the site's environment changed: a new site revision."""
    from .test_deploy import inventory_services

    services = inventory_services()
    services[0]["environment"]["RELEASE"] = "unverified"
    return services


def test_a_deploy_whose_http_check_fails_records_nothing_and_rollback_goes_back(deployed, deployment, playbook, aws, server):
    before = service_state(aws)["site"]
    checks = [{"url": url(server, "/broken"), "retries": 0}]
    run = playbook("site.yml", "-i", "local", "-e", json.dumps({"quoin_services": changed_site(), "quoin_http_checks": checks}))
    try:
        assert "1 of 1 HTTP checks failed" in failure(run)
        running, recorded, _ = service_state(aws)["site"]
        # Deployed, but not recorded: the record still names the release before it.
        assert running != before[0] and recorded == before[1] == before[0]
        back = playbook("rollback.yml", "-i", "local", "-e", "service=site")
        assert back.returncode == 0, back.output[-3000:]
        assert service_state(aws)["site"][:2] == before[:2]
    finally:
        deployment.restore()


def test_a_deploy_the_verify_role_skipped_is_recorded_by_the_next_run_that_verifies(deployed, deployment, playbook, aws):
    before = service_state(aws)["site"]
    extra = ("-e", json.dumps({"quoin_services": changed_site()}))
    unverified = playbook("site.yml", "-i", "local", "--skip-tags", "verify", *extra)
    try:
        assert unverified.returncode == 0, unverified.output[-3000:]
        assert "Not recorded as their last good task definitions, since the verify role did not run" in " ".join(unverified.output.split())
        running, recorded, _ = service_state(aws)["site"]
        assert running != before[0] and recorded == before[0]
        verified = playbook("site.yml", "-i", "local", *extra)
        assert verified.returncode == 0, verified.output[-3000:]
        assert service_state(aws)["site"][:2] == (running, running)
        tags = {t["key"]: t["value"] for t in aws("ecs").list_tags_for_resource(resourceArn=service_arn(aws, "site"))["tags"]}
        assert tags["quoin:previous-good-task-definition"] == before[0]
        # Recorded once: the run after it writes nothing.
        again = playbook("site.yml", "-i", "local", *extra)
        assert again.returncode == 0 and again.changed == 0, again.output[-3000:]
    finally:
        deployment.restore()


def service_arn(aws, name):
    return aws("ecs").describe_services(cluster="quoin-local", services=[name])["services"][0]["serviceArn"]
