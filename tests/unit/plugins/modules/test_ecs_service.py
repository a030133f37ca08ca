"""ecs_service against a stubbed ECS client: what it compares (only what was set), how it applies every
difference in one UpdateService call, what check mode predicts without writing, what it refuses, and
how it deletes."""

import copy
import json

import botocore.waiter
import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import diff_view
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import normalize_service
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import service_differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import task_definition_key
from ansible_collections.quoin.fargate.plugins.modules import ecs_service as module_under_test
from ansible_collections.quoin.fargate.plugins.modules.ecs_service import describe
from ansible_collections.quoin.fargate.plugins.modules.ecs_service import ensure_absent
from ansible_collections.quoin.fargate.plugins.modules.ecs_service import ensure_present

from ..fake_ecs_services import CLUSTER
from ..fake_ecs_services import FakeECS
from ..fake_ecs_services import service
from ..fake_ecs_services import service_arn
from ..fake_ecs_services import task_definition_arn
from ..module_runner import module_runner

# The argument spec's defaults; omitted suboptions arrive as None, and deployment_configuration is
# filled in (apply_defaults) even when omitted.
DEFAULTS = {
    "state": "present",
    "cluster": CLUSTER,
    "name": "web",
    "task_definition": None,
    "desired_count": None,
    "launch_type": "FARGATE",
    "platform_version": "LATEST",
    "network_configuration": None,
    "deployment_configuration": {
        "minimum_healthy_percent": None,
        "maximum_percent": None,
        "circuit_breaker": {"enable": True, "rollback": True},
    },
    "load_balancers": None,
    "service_registries": None,
    "health_check_grace_period_seconds": None,
    "propagate_tags": None,
    "enable_execute_command": False,
    "force_new_deployment": False,
    "tags": None,
    "purge_tags": True,
    "wait": True,
    "wait_timeout": 600,
}
# What service() describes, as parameters: asking for it changes nothing.
NETWORK = {"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"], "assign_public_ip": False}
SAME = {"task_definition": "web:1", "desired_count": 1, "network_configuration": NETWORK}
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef"
REGISTRY = "arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-0123456789abcdef"


class FailJson(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, check_mode=False, **params):
        unknown = set(params) - set(DEFAULTS)
        assert not unknown, unknown
        self.params = dict(copy.deepcopy(DEFAULTS), **copy.deepcopy(params))
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


def deployment(minimum=None, maximum=None, enable=True, rollback=True):
    return {"minimum_healthy_percent": minimum, "maximum_percent": maximum, "circuit_breaker": {"enable": enable, "rollback": rollback}}


def run(ecs, module):
    """What the module's main() does: (result, the service after, raw)."""
    result = {"changed": False, "deployment_started": False, "changes": []}
    existing = describe(ecs, module)
    if module.params["state"] == "present":
        after = ensure_present(ecs, module, existing, result)
    else:
        after = ensure_absent(ecs, module, existing, result)
    return result, after


def updates(ecs):
    return [kwargs for operation, kwargs in ecs.writes if operation == "update_service"]


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    # The fake answers at once; a waiter that sleeps would mean the test went wrong.
    def refuse(seconds):
        raise AssertionError(f"the waiter slept {seconds}s")

    monkeypatch.setattr(botocore.waiter.time, "sleep", refuse)


class TestDescribe:
    def test_asks_for_the_tags(self):
        ecs = FakeECS(service(tags={"team": "web"}))
        found = describe(ecs, FakeModule())
        assert found["tags"] == [{"key": "team", "value": "web"}]
        assert ecs.calls == [("describe_services", {"cluster": CLUSTER, "services": ["web"], "include": ["TAGS"]})]

    def test_a_missing_service_is_none(self):
        assert describe(FakeECS(service("other")), FakeModule()) is None

    def test_a_missing_cluster_fails_for_present(self):
        with pytest.raises(FailJson) as failed:
            describe(FakeECS(clusters=[]), FakeModule(check_mode=True, **SAME))
        assert failed.value.kwargs["msg"] == "cluster prod does not exist"

    def test_a_missing_cluster_has_nothing_to_delete(self):
        ecs = FakeECS(clusters=[])
        result, after = run(ecs, FakeModule(state="absent"))
        assert (result["changed"], after) == (False, {})
        assert ecs.writes == []


class TestCreate:
    def test_check_mode_predicts_without_writing(self):
        ecs = FakeECS()
        result, after = run(ecs, FakeModule(check_mode=True, **SAME))
        assert result == {"changed": True, "deployment_started": True, "changes": ["create service web in cluster prod"]}
        assert ecs.writes == []
        assert ecs.services == {}
        assert "serviceArn" not in after
        assert after["taskDefinition"] == task_definition_arn("web:1")
        assert after["status"] == "ACTIVE"

    def test_the_request_carries_the_defaults(self):
        ecs = FakeECS()
        result, _ = run(ecs, FakeModule(task_definition="web:2", network_configuration={"subnets": ["subnet-a"], "security_groups": None, "assign_public_ip": False}))
        assert result["changed"] and result["deployment_started"]
        assert ecs.writes == [
            (
                "create_service",
                {
                    "cluster": CLUSTER,
                    "serviceName": "web",
                    "taskDefinition": task_definition_arn("web:2"),
                    "launchType": "FARGATE",
                    "platformVersion": "LATEST",
                    "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
                    "enableExecuteCommand": False,
                    "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "assignPublicIp": "DISABLED"}},
                },
            )
        ]

    def test_every_option_reaches_the_request(self):
        ecs = FakeECS()
        module = FakeModule(
            task_definition=task_definition_arn("web:3"),
            desired_count=2,
            network_configuration=dict(NETWORK, assign_public_ip=True),
            deployment_configuration=deployment(50, 150, rollback=False),
            load_balancers=[{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 3000}],
            service_registries=[{"registry_arn": REGISTRY, "container_name": None, "container_port": None}],
            health_check_grace_period_seconds=60,
            propagate_tags="SERVICE",
            enable_execute_command=True,
            tags={"team": "web"},
        )
        run(ecs, module)
        [(operation, request)] = ecs.writes
        assert operation == "create_service"
        assert request == {
            "cluster": CLUSTER,
            "serviceName": "web",
            "taskDefinition": task_definition_arn("web:3"),
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "desiredCount": 2,
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}
            },
            "deploymentConfiguration": {
                "minimumHealthyPercent": 50,
                "maximumPercent": 150,
                "deploymentCircuitBreaker": {"enable": True, "rollback": False},
            },
            "loadBalancers": [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000}],
            "serviceRegistries": [{"registryArn": REGISTRY}],
            "healthCheckGracePeriodSeconds": 60,
            "propagateTags": "SERVICE",
            "enableExecuteCommand": True,
            "tags": [{"key": "team", "value": "web"}],
        }
        # An ARN needs no lookup.
        assert "describe_task_definition" not in ecs.operations()

    def test_a_family_alone_means_its_latest_revision(self):
        ecs = FakeECS(task_definitions={"web": 5})
        run(ecs, FakeModule(task_definition="web", network_configuration=NETWORK))
        assert ecs.get()["taskDefinition"] == task_definition_arn("web:5")

    def test_the_ec2_launch_type_has_no_platform_version(self):
        ecs = FakeECS()
        run(ecs, FakeModule(task_definition="web:1", launch_type="EC2"))
        request = ecs.writes[0][1]
        assert request["launchType"] == "EC2"
        assert "platformVersion" not in request

    def test_an_unknown_task_definition_fails_before_writing(self):
        ecs = FakeECS(task_definitions={"web": 1})
        with pytest.raises(AnsibleECSError, match="describe the task definition"):
            run(ecs, FakeModule(task_definition="web:9", network_configuration=NETWORK))
        assert ecs.writes == []

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_no_task_definition_no_service(self, check_mode):
        ecs = FakeECS()
        with pytest.raises(FailJson) as failed:
            run(ecs, FakeModule(check_mode, desired_count=1))
        assert failed.value.kwargs["msg"] == "service web does not exist in cluster prod: give task_definition to create it"
        assert ecs.writes == []

    def test_check_mode_predicts_what_a_real_run_returns(self):
        module_args = dict(SAME, desired_count=2, propagate_tags="SERVICE", tags={"team": "web"}, health_check_grace_period_seconds=30)
        _, prediction = run(FakeECS(), FakeModule(check_mode=True, **module_args))
        _, created = run(FakeECS(), FakeModule(**module_args))
        unknown = ("service_arn", "cluster_arn")
        # AWS fills in the deployment percentages the request left out.
        expected = {k: v for k, v in diff_view(normalize_service(created)).items() if k not in unknown}
        expected["deployment_configuration"] = {"deployment_circuit_breaker": {"enable": True, "rollback": True}}
        assert diff_view(normalize_service(prediction)) == expected

    def test_an_inactive_service_is_created_again(self):
        ecs = FakeECS(service(status="INACTIVE"))
        result, after = run(ecs, FakeModule(**SAME))
        assert result["changed"] is True
        assert [op for op, _ in ecs.writes] == ["create_service"]
        assert after["status"] == "ACTIVE"

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_a_draining_service_is_refused(self, check_mode):
        ecs = FakeECS(service(status="DRAINING"), drain_polls=10)
        with pytest.raises(FailJson) as failed:
            run(ecs, FakeModule(check_mode, **SAME))
        assert "is being deleted (DRAINING)" in failed.value.kwargs["msg"]
        assert ecs.writes == []


class TestUnchanged:
    @pytest.mark.parametrize("check_mode", [False, True])
    def test_the_same_parameters_change_nothing(self, check_mode):
        ecs = FakeECS(service(tags={"team": "web"}))
        module = FakeModule(
            check_mode,
            deployment_configuration=deployment(100, 200),
            propagate_tags="NONE",
            load_balancers=[],
            service_registries=[],
            tags={"team": "web"},
            **SAME,
        )
        result, after = run(ecs, module)
        assert result == {"changed": False, "deployment_started": False, "changes": []}
        assert ecs.writes == []
        assert after["serviceArn"] == service_arn("web")

    def test_omitted_options_are_not_compared(self):
        ecs = FakeECS(
            service(
                tags={"team": "web"},
                desiredCount=7,
                propagateTags="SERVICE",
                healthCheckGracePeriodSeconds=90,
                loadBalancers=[{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000}],
                serviceRegistries=[{"registryArn": REGISTRY}],
                deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 150, "minimumHealthyPercent": 50},
                taskDefinition=task_definition_arn("web:3"),
            )
        )
        result, _ = run(ecs, FakeModule(network_configuration={"subnets": ["subnet-a", "subnet-b"], "security_groups": None, "assign_public_ip": False}))
        assert result["changes"] == []
        assert ecs.writes == []

    def test_subnets_and_security_groups_in_another_order(self):
        ecs = FakeECS(service(networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1", "sg-2"]}}))
        network = {"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-2", "sg-1"], "assign_public_ip": False}
        result, _ = run(ecs, FakeModule(task_definition="web:1", network_configuration=network))
        assert result["changed"] is False
        assert ecs.writes == []

    def test_family_revision_and_arn_are_the_same_task_definition(self):
        for task_definition in ("web:1", task_definition_arn("web:1")):
            ecs = FakeECS(service())
            result, _ = run(ecs, FakeModule(task_definition=task_definition))
            assert result["changed"] is False, task_definition

    def test_a_sparse_description_does_not_break_the_comparison(self):
        # Only what every DescribeServices answer has: whatever else is missing compares as AWS's default.
        sparse = {
            "serviceArn": service_arn("web"),
            "serviceName": "web",
            "clusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/prod",
            "status": "ACTIVE",
            "taskDefinition": task_definition_arn("web:1"),
            "desiredCount": 1,
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
        }
        ecs = FakeECS(sparse)
        module = FakeModule(
            task_definition="web:1",
            desired_count=1,
            propagate_tags="NONE",
            load_balancers=[],
            service_registries=[],
            health_check_grace_period_seconds=0,
            deployment_configuration=deployment(enable=False, rollback=False),
            tags={},
        )
        result, _ = run(ecs, module)
        assert result["changes"] == []
        result, _ = run(ecs, FakeModule(check_mode=True, **SAME))
        assert result["changes"] == [
            "network_configuration.subnets from [] to [subnet-a, subnet-b]",
            "network_configuration.security_groups from [] to [sg-1]",
            "deployment_configuration.circuit_breaker.enable from false to true",
            "deployment_configuration.circuit_breaker.rollback from false to true",
        ]


# Each kind of change: the parameters, what UpdateService must receive (besides cluster and
# service), the change reported, and whether a deployment starts.
CHANGES = [
    ({"task_definition": "web:2"}, {"taskDefinition": task_definition_arn("web:2")}, "task_definition from web:1 to web:2", True),
    ({"desired_count": 3}, {"desiredCount": 3}, "desired_count from 1 to 3", False),
    (
        {"network_configuration": {"subnets": ["subnet-a"], "security_groups": ["sg-1"], "assign_public_ip": False}},
        {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}},
        "network_configuration.subnets from [subnet-a, subnet-b] to [subnet-a]",
        True,
    ),
    (
        {"network_configuration": {"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-2"], "assign_public_ip": False}},
        {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-2"], "assignPublicIp": "DISABLED"}}},
        "network_configuration.security_groups from [sg-1] to [sg-2]",
        True,
    ),
    (
        {"network_configuration": dict(NETWORK, assign_public_ip=True)},
        {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}}},
        "network_configuration.assign_public_ip from false to true",
        True,
    ),
    (
        {"deployment_configuration": deployment(minimum=50)},
        {"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200, "minimumHealthyPercent": 50}},
        "deployment_configuration.minimum_healthy_percent from 100 to 50",
        False,
    ),
    (
        {"deployment_configuration": deployment(maximum=150)},
        {"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 150, "minimumHealthyPercent": 100}},
        "deployment_configuration.maximum_percent from 200 to 150",
        False,
    ),
    (
        {"deployment_configuration": deployment(rollback=False)},
        {"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": False}, "maximumPercent": 200, "minimumHealthyPercent": 100}},
        "deployment_configuration.circuit_breaker.rollback from true to false",
        False,
    ),
    (
        {"load_balancers": [{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 3000}]},
        {"loadBalancers": [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000}]},
        f"load_balancers from [] to [{TARGET_GROUP} web:3000]",
        True,
    ),
    (
        {"service_registries": [{"registry_arn": REGISTRY, "container_name": None, "container_port": None}]},
        {"serviceRegistries": [{"registryArn": REGISTRY}]},
        f"service_registries from [] to [{REGISTRY}]",
        True,
    ),
    ({"health_check_grace_period_seconds": 45}, {"healthCheckGracePeriodSeconds": 45}, "health_check_grace_period_seconds from 0 to 45", False),
    ({"propagate_tags": "TASK_DEFINITION"}, {"propagateTags": "TASK_DEFINITION"}, "propagate_tags from NONE to TASK_DEFINITION", False),
    (
        {"enable_execute_command": True},
        {"enableExecuteCommand": True, "forceNewDeployment": True},
        "enable_execute_command from false to true (starts a new deployment: running tasks keep the setting they started with)",
        True,
    ),
    ({"platform_version": "1.4.0"}, {"platformVersion": "1.4.0"}, "platform_version from LATEST to 1.4.0", True),
    ({"force_new_deployment": True}, {"forceNewDeployment": True}, "force_new_deployment", True),
]


class TestChanges:
    @pytest.mark.parametrize("params, request_fields, change, started", CHANGES, ids=[c[2].split(" ")[0] for c in CHANGES])
    def test_each_change_alone_is_one_update(self, params, request_fields, change, started):
        ecs = FakeECS(service())
        result, after = run(ecs, FakeModule(**params))
        assert result == {"changed": True, "deployment_started": started, "changes": [change]}
        assert ecs.writes == [("update_service", dict({"cluster": CLUSTER, "service": "web"}, **request_fields))]
        for key, value in request_fields.items():
            if key != "forceNewDeployment":
                assert ecs.get()[key] == value
                assert after[key] == value

    @pytest.mark.parametrize("params, request_fields, change, started", CHANGES, ids=[c[2].split(" ")[0] for c in CHANGES])
    def test_check_mode_predicts_each_change_without_writing(self, params, request_fields, change, started):
        ecs = FakeECS(service())
        result, prediction = run(ecs, FakeModule(True, **params))
        assert result == {"changed": True, "deployment_started": started, "changes": [change]}
        assert ecs.writes == []
        assert ecs.get() == service()
        _, after = run(FakeECS(service()), FakeModule(**params))
        assert diff_view(normalize_service(prediction)) == diff_view(normalize_service(after))

    def test_every_difference_goes_in_one_update(self):
        ecs = FakeECS(service(tags={"team": "web"}))
        module = FakeModule(
            task_definition="web:3",
            desired_count=2,
            network_configuration=dict(NETWORK, subnets=["subnet-c"]),
            deployment_configuration=deployment(minimum=50),
            service_registries=[{"registry_arn": REGISTRY, "container_name": None, "container_port": None}],
            propagate_tags="SERVICE",
            enable_execute_command=True,
            tags={"team": "cms"},
        )
        result, after = run(ecs, module)
        assert result["changed"] and result["deployment_started"]
        assert len(result["changes"]) == 8
        assert [op for op, _ in ecs.writes] == ["update_service", "tag_resource"]
        [request] = updates(ecs)
        assert sorted(request) == sorted(
            [
                "cluster",
                "service",
                "taskDefinition",
                "desiredCount",
                "networkConfiguration",
                "deploymentConfiguration",
                "serviceRegistries",
                "propagateTags",
                "enableExecuteCommand",
                "forceNewDeployment",
            ]
        )
        assert after["tags"] == [{"key": "team", "value": "cms"}]
        result, _ = run(ecs, module)
        assert result["changed"] is False

    def test_omitted_security_groups_are_kept(self):
        ecs = FakeECS(service())
        run(ecs, FakeModule(network_configuration={"subnets": ["subnet-c"], "security_groups": None, "assign_public_ip": False}))
        [request] = updates(ecs)
        assert request["networkConfiguration"]["awsvpcConfiguration"] == {
            "subnets": ["subnet-c"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }

    def test_deployment_settings_the_module_does_not_manage_are_kept(self):
        alarms = {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}
        current = {"deploymentCircuitBreaker": {"enable": False, "rollback": False}, "maximumPercent": 200, "minimumHealthyPercent": 100, "alarms": alarms}
        ecs = FakeECS(service(deploymentConfiguration=current))
        run(ecs, FakeModule())
        [request] = updates(ecs)
        assert request["deploymentConfiguration"] == dict(current, deploymentCircuitBreaker={"enable": True, "rollback": True})

    def test_the_circuit_breaker_is_turned_on_by_default(self):
        ecs = FakeECS(service(deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100}))
        result, _ = run(ecs, FakeModule())
        assert result["changes"] == [
            "deployment_configuration.circuit_breaker.enable from false to true",
            "deployment_configuration.circuit_breaker.rollback from false to true",
        ]
        assert ecs.get()["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}

    def test_an_empty_list_removes_the_load_balancers_and_registries(self):
        ecs = FakeECS(
            service(
                loadBalancers=[{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000}],
                serviceRegistries=[{"registryArn": REGISTRY}],
            )
        )
        result, _ = run(ecs, FakeModule(load_balancers=[], service_registries=[]))
        assert result["deployment_started"] is True
        [request] = updates(ecs)
        assert (request["loadBalancers"], request["serviceRegistries"]) == ([], [])

    def test_load_balancers_in_another_order_are_the_same(self):
        lbs = [
            {"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000},
            {"targetGroupArn": TARGET_GROUP + "2", "containerName": "web", "containerPort": 3001},
        ]
        ecs = FakeECS(service(loadBalancers=lbs))
        wanted = [
            {"target_group_arn": lb["targetGroupArn"], "container_name": lb["containerName"], "container_port": lb["containerPort"]}
            for lb in reversed(lbs)
        ]
        result, _ = run(ecs, FakeModule(load_balancers=wanted))
        assert result["changed"] is False

    def test_turning_ecs_exec_off_also_starts_a_deployment(self):
        # Tasks started with ECS Exec keep it until they are replaced.
        ecs = FakeECS(service(enableExecuteCommand=True))
        deployments = len(ecs.get()["deployments"])
        result, _ = run(ecs, FakeModule(enable_execute_command=False))
        assert result["deployment_started"] is True
        assert updates(ecs) == [{"cluster": CLUSTER, "service": "web", "enableExecuteCommand": False, "forceNewDeployment": True}]
        assert len(ecs.get()["deployments"]) == deployments + 1
        result, _ = run(ecs, FakeModule(enable_execute_command=False))
        assert (result["changed"], result["deployment_started"]) == (False, False)

    def test_ecs_exec_and_a_forced_deployment_are_one_deployment(self):
        ecs = FakeECS(service())
        result, _ = run(ecs, FakeModule(enable_execute_command=True, force_new_deployment=True))
        assert result["deployment_started"] is True
        assert [change.split(" ")[0] for change in result["changes"]] == ["enable_execute_command"]
        assert updates(ecs) == [{"cluster": CLUSTER, "service": "web", "enableExecuteCommand": True, "forceNewDeployment": True}]

    def test_force_new_deployment_changes_on_every_run(self):
        ecs = FakeECS(service())
        for _ in range(2):
            result, after = run(ecs, FakeModule(force_new_deployment=True))
            assert result["changed"] and result["deployment_started"]
        assert len(updates(ecs)) == 2
        assert [d["status"] for d in after["deployments"]] == ["PRIMARY", "ACTIVE", "ACTIVE"]

    def test_force_new_deployment_is_ignored_on_creation(self):
        ecs = FakeECS()
        run(ecs, FakeModule(force_new_deployment=True, **SAME))
        [(operation, request)] = ecs.writes
        assert operation == "create_service"
        assert "forceNewDeployment" not in request

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_the_launch_type_cannot_change(self, check_mode):
        ecs = FakeECS(service())
        with pytest.raises(FailJson) as failed:
            run(ecs, FakeModule(check_mode, launch_type="EC2", desired_count=5))
        msg = failed.value.kwargs["msg"]
        assert msg.startswith("service web in cluster prod cannot change launch_type from FARGATE to EC2: ")
        assert "Delete the service (state=absent) and create it again" in msg
        assert failed.value.kwargs["service"]["service_arn"] == service_arn("web")
        assert ecs.writes == []

    def test_a_capacity_provider_service_cannot_take_a_launch_type(self):
        current = service(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
        del current["launchType"]
        with pytest.raises(FailJson, match="launch_type from a capacity provider strategy to FARGATE"):
            run(FakeECS(current), FakeModule())


class TestTags:
    START = {"team": "web", "env": "prod"}

    def run(self, check_mode=False, **params):
        ecs = FakeECS(service(tags=self.START))
        result, after = run(ecs, FakeModule(check_mode, **params))
        return ecs, result, after

    def test_purge_false_adds_and_keeps_the_others(self):
        ecs, result, after = self.run(tags={"owner": "ops", "team": "cms"}, purge_tags=False)
        assert result == {"changed": True, "deployment_started": False, "changes": ["tags: set owner=ops, team=cms"]}
        [(operation, kwargs)] = ecs.writes
        assert (operation, kwargs["resourceArn"]) == ("tag_resource", service_arn("web"))
        assert sorted((t["key"], t["value"]) for t in kwargs["tags"]) == [("owner", "ops"), ("team", "cms")]
        assert ecs.tags_of() == {"team": "cms", "env": "prod", "owner": "ops"}
        assert normalize_service(after)["tags"] == {"team": "cms", "env": "prod", "owner": "ops"}

    def test_purge_true_removes_the_others(self):
        ecs, result, _ = self.run(tags={"owner": "ops"})
        assert result["changes"] == ["tags: set owner=ops", "tags: remove env, team"]
        assert [op for op, _ in ecs.writes] == ["untag_resource", "tag_resource"]
        assert ecs.tags_of() == {"owner": "ops"}

    def test_an_empty_dict_removes_all_but_aws_reserved_tags(self):
        ecs = FakeECS(service(tags={"aws:cloudformation:stack-name": "s", "team": "web"}))
        run(ecs, FakeModule(tags={}))
        assert ecs.tags_of() == {"aws:cloudformation:stack-name": "s"}

    def test_omitted_tags_are_left_alone(self):
        ecs, result, _ = self.run()
        assert result["changed"] is False
        assert ecs.writes == []

    def test_tags_alone_make_no_update_call(self):
        ecs, _, _ = self.run(tags={"team": "web"})
        assert updates(ecs) == []

    @pytest.mark.parametrize(
        "params",
        [
            {"tags": {"owner": "ops"}, "purge_tags": False},
            {"tags": {"owner": "ops"}, "purge_tags": True},
            {"tags": {}, "purge_tags": True},
            {"tags": {"team": "cms"}, "desired_count": 2},
        ],
    )
    def test_check_mode_predicts_the_tags_without_writing(self, params):
        ecs, result, prediction = self.run(check_mode=True, **params)
        assert result["changed"] is True
        assert ecs.writes == []
        assert ecs.tags_of() == self.START
        _, _, after = self.run(**params)
        assert diff_view(normalize_service(prediction)) == diff_view(normalize_service(after))


class TestAbsent:
    def test_nothing_to_delete(self):
        for ecs in (FakeECS(service("other")), FakeECS(service(status="INACTIVE"))):
            result, after = run(ecs, FakeModule(state="absent"))
            assert (result["changed"], after) == (False, {})
            assert ecs.writes == []

    def test_scale_to_zero_delete_and_wait(self):
        ecs = FakeECS(service(desiredCount=2))
        result, after = run(ecs, FakeModule(state="absent"))
        assert result == {
            "changed": True,
            "deployment_started": False,
            "changes": ["desired_count from 2 to 0", "delete service web from cluster prod"],
        }
        assert after == {}
        assert ecs.calls[1:] == [
            ("update_service", {"cluster": CLUSTER, "service": "web", "desiredCount": 0}),
            ("delete_service", {"cluster": CLUSTER, "service": "web"}),
            ("describe_services", {"cluster": CLUSTER, "services": ["web"]}),  # the waiter
        ]
        assert ecs.get()["status"] == "INACTIVE"

    def test_a_service_at_zero_is_deleted_without_scaling(self):
        ecs = FakeECS(service(desiredCount=0))
        run(ecs, FakeModule(state="absent", wait=False))
        assert ecs.operations() == ["describe_services", "delete_service"]

    def test_check_mode_deletes_nothing(self):
        ecs = FakeECS(service(desiredCount=2))
        result, after = run(ecs, FakeModule(True, state="absent"))
        assert (result["changed"], after) == (True, {})
        assert result["changes"] == ["desired_count from 2 to 0", "delete service web from cluster prod"]
        assert ecs.writes == []
        assert ecs.get() == service(desiredCount=2)

    def test_a_draining_service_is_waited_for_not_deleted_again(self):
        ecs = FakeECS(service(status="DRAINING"), drain_polls=1)
        result, _ = run(ecs, FakeModule(state="absent", wait=False))
        assert result["changed"] is True
        assert result["changes"] == ["already being deleted (DRAINING)"]
        assert ecs.writes == []

    def test_the_waiter_polls_until_inactive(self, monkeypatch):
        slept = []
        monkeypatch.setattr(botocore.waiter.time, "sleep", slept.append)
        ecs = FakeECS(service(desiredCount=0), drain_polls=2)
        run(ecs, FakeModule(state="absent"))
        assert ecs.operations()[2:] == ["describe_services"] * 3
        assert slept == [10, 10]
        assert ecs.get()["status"] == "INACTIVE"

    def test_a_service_that_stays_draining_times_out(self, monkeypatch):
        monkeypatch.setattr(botocore.waiter.time, "sleep", lambda seconds: None)
        ecs = FakeECS(service(desiredCount=0), drain_polls=100)
        with pytest.raises(AnsibleECSError, match="Timeout trying to wait for the service to be deleted"):
            run(ecs, FakeModule(state="absent", wait_timeout=30))
        assert ecs.operations().count("describe_services") == 1 + 3

    def test_a_service_gone_missing_counts_as_deleted(self):
        ecs = FakeECS(service(desiredCount=0))
        original = ecs.delete_service

        def delete_and_forget(**kwargs):
            answer = original(**kwargs)
            del ecs.services[(CLUSTER, "web")]
            return answer

        ecs.delete_service = delete_and_forget
        result, _ = run(ecs, FakeModule(state="absent"))
        assert result["changed"] is True


class TestConversions:
    def test_normalize_snake_cases_with_tags_as_a_dict_and_times_as_text(self):
        normalized = normalize_service(service(tags={"team": "web"}))
        assert normalized["tags"] == {"team": "web"}
        assert normalized["created_at"] == "2024-05-01T12:00:00+00:00"
        assert normalized["deployments"][0]["created_at"] == "2024-05-01T12:00:00+00:00"
        assert normalized["network_configuration"]["awsvpc_configuration"]["security_groups"] == ["sg-1"]
        assert normalized["deployment_configuration"]["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
        json.dumps(normalized)

    def test_normalize_nothing(self):
        assert normalize_service(None) == {}

    @pytest.mark.parametrize("value", ["web:1", task_definition_arn("web:1")])
    def test_task_definition_key(self, value):
        assert task_definition_key(value) == "web:1"

    def test_no_difference_no_request(self):
        assert service_differences(service(), FakeModule(**SAME).params, task_definition_arn("web:1")) == (None, [], False)


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


class TestMain:
    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
    ARGS = dict(AWS, cluster=CLUSTER, name="web", task_definition="web:1", desired_count=1, network_configuration={"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]})

    def test_check_mode_with_diff(self, run_module):
        ecs = FakeECS()
        failed, result = run_module(ecs, dict(self.ARGS, _ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert (result["changed"], result["deployment_started"]) == (True, True)
        assert ecs.writes == []
        assert result["diff"]["before"] == {}
        assert result["diff"]["after"]["deployment_configuration"] == {"deployment_circuit_breaker": {"enable": True, "rollback": True}}
        assert result["service"]["launch_type"] == "FARGATE"
        assert result["service"]["network_configuration"]["awsvpc_configuration"]["assign_public_ip"] == "DISABLED"

    def test_create_then_nothing_to_do(self, run_module):
        ecs = FakeECS()
        failed, first = run_module(ecs, self.ARGS)
        assert not failed, first
        assert first["changed"] is True
        assert first["service"]["service_arn"] == service_arn("web")
        failed, second = run_module(ecs, self.ARGS)
        assert not failed, second
        assert (second["changed"], second["deployment_started"], second["changes"]) == (False, False, [])
        assert [op for op, _ in ecs.writes] == ["create_service"]

    def test_the_diff_shows_the_configuration_not_the_events(self, run_module):
        ecs = FakeECS(service())
        failed, result = run_module(ecs, dict(self.ARGS, desired_count=2, _ansible_diff=True))
        assert not failed, result
        assert result["diff"]["before"]["desired_count"] == 1
        assert result["diff"]["after"]["desired_count"] == 2
        assert "events" not in result["diff"]["before"]
        assert "deployments" not in result["diff"]["after"]
        assert "events" in result["service"]

    def test_delete_with_diff(self, run_module):
        ecs = FakeECS(service())
        failed, result = run_module(ecs, dict(self.AWS, cluster=CLUSTER, name="web", state="absent", _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert result["service"] == {}
        assert result["diff"]["before"]["status"] == "ACTIVE"
        assert result["diff"]["after"] == {}

    def test_aws_errors_fail_with_the_call_named(self, run_module):
        ecs = FakeECS(errors={"create_service": "AccessDeniedException"})
        failed, result = run_module(ecs, self.ARGS)
        assert failed
        assert result["msg"].startswith("Failed to create the service")
        assert result["error"]["code"] == "AccessDeniedException"

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"network_configuration": {"security_groups": ["sg-1"]}}, "subnets"),
            ({"load_balancers": [{"target_group_arn": TARGET_GROUP}]}, "container_name"),
            ({"propagate_tags": "ALL"}, "propagate_tags"),
            ({"launch_type": "EXTERNAL"}, "launch_type"),
        ],
    )
    def test_argument_checks(self, run_module, args, message):
        ecs = FakeECS()
        failed, result = run_module(ecs, dict(self.ARGS, **args))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []


# The list mode: `services`, many services of one cluster in one run.


def named(count, prefix="svc"):
    return [f"{prefix}-{index:02d}" for index in range(count)]


def same_as_described(name):
    """The options of one entry of `services` that ask for exactly what service(name) describes."""
    return {"name": name, "task_definition": task_definition_arn("web:1"), "desired_count": 1, "network_configuration": NETWORK}


def describes(ecs):
    """The services each DescribeServices call asked for."""
    return [kwargs["services"] for operation, kwargs in ecs.calls if operation == "describe_services"]


class TestList:
    AWS = TestMain.AWS

    def args(self, *services, **args):
        return dict(self.AWS, cluster=CLUSTER, services=list(services), **args)

    def test_23_unchanged_services_are_3_reads_and_no_write(self, run_module):
        names = named(23)
        ecs = FakeECS(*[service(name) for name in names])
        failed, result = run_module(ecs, self.args(*[same_as_described(name) for name in names]))
        assert not failed, result
        assert ecs.operations() == ["describe_services"] * 3
        assert describes(ecs) == [names[:10], names[10:20], names[20:]]
        assert all(kwargs["include"] == ["TAGS"] for _, kwargs in ecs.calls)
        assert result["changed"] is False
        assert [item["service_name"] for item in result["services"]] == names
        assert result["services"][0]["changed"] is False
        assert result["services"][0]["deployment_started"] is False
        assert result["services"][0]["changes"] == []
        assert result["services"][0]["requested_task_definition"] == task_definition_arn("web:1")

    def test_30_unchanged_services(self, run_module):
        names = named(30)
        ecs = FakeECS(*[service(name) for name in names])
        failed, result = run_module(ecs, self.args(*[same_as_described(name) for name in names]))
        assert not failed, result
        assert (ecs.operations(), ecs.writes) == (["describe_services"] * 3, [])

    def test_each_element_is_what_the_singular_mode_returns(self, run_module):
        entries = [
            dict(same_as_described("kept")),
            dict(same_as_described("scaled"), desired_count=3),
            dict(same_as_described("new"), tags={"team": "web"}),
            {"name": "gone", "state": "absent"},
        ]
        existing = [service("kept"), service("scaled"), service("gone", desiredCount=0)]
        _, listed = run_module(FakeECS(*existing), self.args(*entries))
        for entry, element in zip(entries, listed["services"]):
            _, alone = run_module(FakeECS(*existing), dict(self.AWS, cluster=CLUSTER, **entry))
            assert element == dict(alone["service"], changed=alone["changed"], deployment_started=alone["deployment_started"],
                                   changes=alone["changes"], requested_task_definition=entry.get("task_definition")), entry["name"]
        assert listed["changed"] is True
        assert [element["changed"] for element in listed["services"]] == [False, True, True, True]
        assert [element["deployment_started"] for element in listed["services"]] == [False, False, True, False]
        assert listed["services"][3] == {"changed": True, "deployment_started": False, "requested_task_definition": None,
                                         "changes": ["delete service gone from cluster prod"]}

    def test_only_what_differs_is_written_once_and_read_back_in_one_call(self, run_module):
        names = named(12)
        ecs = FakeECS(*[service(name) for name in names])
        entries = [same_as_described(name) for name in names]
        entries[3]["desired_count"] = 2
        entries[11]["task_definition"] = task_definition_arn("web:2")
        entries.append(dict(same_as_described("new")))
        failed, result = run_module(ecs, self.args(*entries))
        assert not failed, result
        assert ecs.writes == [
            ("update_service", {"cluster": CLUSTER, "service": "svc-03", "desiredCount": 2}),
            ("update_service", {"cluster": CLUSTER, "service": "svc-11", "taskDefinition": task_definition_arn("web:2")}),
            ("create_service", ecs.writes[2][1]),
        ]
        # 13 described in 2 calls, then the 3 written ones read back in 1.
        assert describes(ecs) == [names[:10], names[10:] + ["new"], ["svc-03", "svc-11", "new"]]
        assert [item["changed"] for item in result["services"]] == [False] * 3 + [True] + [False] * 7 + [True, True]
        assert result["services"][3]["desired_count"] == 2
        assert result["services"][12]["service_arn"] == service_arn("new")
        assert [item["deployment_started"] for item in result["services"]].count(True) == 2

    def test_a_family_named_by_many_services_is_looked_up_once(self, run_module):
        ecs = FakeECS(service("a"), service("b"), task_definitions={"web": 4})
        entries = [dict(same_as_described(name), task_definition="web") for name in ("a", "b", "c")]
        failed, result = run_module(ecs, self.args(*entries))
        assert not failed, result
        assert ecs.operations().count("describe_task_definition") == 1
        assert [item["task_definition"] for item in result["services"]] == [task_definition_arn("web:4")] * 3
        assert [item["requested_task_definition"] for item in result["services"]] == ["web"] * 3

    def test_check_mode_predicts_each_service_without_writing(self, run_module):
        entries = [dict(same_as_described("scaled"), desired_count=3), dict(same_as_described("new")), {"name": "gone", "state": "absent"}]
        existing = [service("scaled"), service("gone", desiredCount=2)]
        ecs = FakeECS(*existing)
        failed, result = run_module(ecs, self.args(*entries, _ansible_check_mode=True))
        assert not failed, result
        assert ecs.writes == []
        assert ecs.operations() == ["describe_services"]
        for entry, element in zip(entries, result["services"]):
            _, alone = run_module(FakeECS(*existing), dict(self.AWS, cluster=CLUSTER, _ansible_check_mode=True, **entry))
            assert element == dict(alone["service"], changed=alone["changed"], deployment_started=alone["deployment_started"],
                                   changes=alone["changes"], requested_task_definition=entry.get("task_definition")), entry["name"]
        assert [item["changed"] for item in result["services"]] == [True, True, True]

    def test_the_diff_is_keyed_by_service_name(self, run_module):
        ecs = FakeECS(service("scaled"), service("gone"))
        entries = [dict(same_as_described("scaled"), desired_count=3), dict(same_as_described("new")), {"name": "gone", "state": "absent"}]
        failed, result = run_module(ecs, self.args(*entries, _ansible_diff=True))
        assert not failed, result
        before, after = result["diff"]["before"], result["diff"]["after"]
        assert sorted(before) == sorted(after) == ["gone", "new", "scaled"]
        assert (before["scaled"]["desired_count"], after["scaled"]["desired_count"]) == (1, 3)
        assert before["new"] == {} and after["new"]["service_name"] == "new"
        assert before["gone"]["status"] == "ACTIVE" and after["gone"] == {}
        assert "events" not in after["scaled"]

    def test_deleted_services_are_waited_for_after_every_write(self, run_module):
        ecs = FakeECS(service("a", desiredCount=0), service("b", desiredCount=0), service("kept"))
        entries = [{"name": "a", "state": "absent"}, {"name": "b", "state": "absent"}, same_as_described("kept")]
        failed, result = run_module(ecs, self.args(*entries))
        assert not failed, result
        assert ecs.calls[1:] == [
            ("delete_service", {"cluster": CLUSTER, "service": "a"}),
            ("delete_service", {"cluster": CLUSTER, "service": "b"}),
            ("describe_services", {"cluster": CLUSTER, "services": ["a"]}),  # the waiters
            ("describe_services", {"cluster": CLUSTER, "services": ["b"]}),
        ]
        assert result["services"][0] == {"changed": True, "deployment_started": False, "requested_task_definition": None,
                                         "changes": ["delete service a from cluster prod"]}

    @pytest.mark.parametrize(
        "entries, message",
        [
            ([{"name": "a"}, {"name": "b"}, {"name": "a"}], "services names a service more than once: a"),
            ([{"name": "a", "propagate_tags": "ALL"}], "propagate_tags"),
            ([{"name": "a", "network_configuration": {"security_groups": ["sg-1"]}}], "subnets"),
            ([{"task_definition": "web:1"}], "name"),
        ],
    )
    def test_invalid_entries_fail_before_any_call(self, run_module, entries, message):
        ecs = FakeECS(service("a"))
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"name": "a"}, "parameters are mutually exclusive: services|name"),
            ({"desired_count": 2}, "parameters are mutually exclusive: services|desired_count"),
            ({"state": "absent"}, "parameters are mutually exclusive: services|state"),
        ],
    )
    def test_per_service_options_belong_in_the_entries(self, run_module, args, message):
        ecs = FakeECS(service("a"))
        failed, result = run_module(ecs, self.args({"name": "a"}, **args))
        assert failed
        assert message in result["msg"]
        assert ecs.calls == []

    def test_name_or_services(self, run_module):
        failed, result = run_module(FakeECS(), dict(self.AWS, cluster=CLUSTER))
        assert failed
        assert "one of the following is required: name, services" in result["msg"]

    def test_what_cannot_be_done_fails_before_the_first_write_naming_each_service(self, run_module):
        ecs = FakeECS(service("a"), service("draining", status="DRAINING"), service("b"), drain_polls=10)
        entries = [
            dict(same_as_described("a"), desired_count=2),
            same_as_described("draining"),
            dict(same_as_described("b"), launch_type="EC2"),
            {"name": "new", "desired_count": 1},
        ]
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert ecs.writes == []
        assert ecs.operations() == ["describe_services"]
        assert result["msg"].startswith("nothing was changed: services[1] (draining): service draining in cluster prod is being deleted (DRAINING)")
        assert "; services[2] (b): service b in cluster prod cannot change launch_type from FARGATE to EC2" in result["msg"]
        assert result["msg"].endswith("; services[3] (new): service new does not exist in cluster prod: give task_definition to create it")
        assert (result["changed"], result["services"]) == (False, [])

    def test_an_unknown_task_definition_fails_before_the_first_write(self, run_module):
        ecs = FakeECS(service("a"), task_definitions={"web": 1})
        entries = [dict(same_as_described("a"), desired_count=2), dict(same_as_described("b"), task_definition="web:9")]
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert ecs.writes == []
        assert result["msg"].startswith("services[1] (b): Failed to describe the task definition (already done: nothing)")
        assert (result["changed"], result["services"]) == (False, [])

    def test_a_missing_cluster_fails_before_any_write(self, run_module):
        ecs = FakeECS(clusters=[])
        failed, result = run_module(ecs, self.args(same_as_described("a")))
        assert failed
        assert result["msg"] == "cluster prod does not exist"
        failed, result = run_module(ecs, self.args({"name": "a", "state": "absent"}))
        assert (failed, result["changed"]) == (False, False)

    def test_an_aws_error_part_way_names_the_service_and_what_was_done(self, run_module):
        names = named(4)
        ecs = FakeECS(*[service(name) for name in names], errors_after={"update_service": (2, "AccessDeniedException")})
        entries = [dict(same_as_described(name), desired_count=2) for name in names]
        entries[1]["desired_count"] = 1  # unchanged
        failed, result = run_module(ecs, self.args(*entries))
        assert failed
        assert result["msg"].startswith(
            "services[3] (svc-03): Failed to update the service (already done: "
            "services[0] (svc-00): desired_count from 1 to 2; services[2] (svc-02): desired_count from 1 to 2): "
        )
        assert result["error"]["code"] == "AccessDeniedException"
        assert result["changed"] is True
        # What was done, read back: the services before the one that failed.
        assert [(item["service_name"], item["changed"], item["desired_count"]) for item in result["services"]] == [
            ("svc-00", True, 2),
            ("svc-01", False, 1),
            ("svc-02", True, 2),
        ]
        assert describes(ecs)[-1] == ["svc-00", "svc-02"]
        assert [op for op, _ in ecs.writes] == ["update_service"] * 3

    def test_a_wait_that_times_out_names_the_service_and_returns_every_one(self, run_module, monkeypatch):
        monkeypatch.setattr(botocore.waiter.time, "sleep", lambda seconds: None)
        ecs = FakeECS(service("a", desiredCount=0), service("b"), drain_polls=100)
        entries = [{"name": "a", "state": "absent"}, dict(same_as_described("b"), desired_count=2)]
        failed, result = run_module(ecs, self.args(*entries, wait_timeout=30))
        assert failed
        assert result["msg"].startswith(
            "services[0] (a): Timeout trying to wait for the service to be deleted (already done: "
            "services[0] (a): delete service a from cluster prod; services[1] (b): desired_count from 1 to 2): "
        )
        assert [item["changed"] for item in result["services"]] == [True, True]
        assert result["services"][1]["desired_count"] == 2
