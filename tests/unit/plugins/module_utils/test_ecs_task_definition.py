"""The task definition API layer: the canonical form (what AWS adds or fills in does not count, every
real change does), the readable differences, the request and its checks, the returned shape, and the
API calls against a stubbed client."""

import copy
import datetime

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import AnsibleECSError
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import canonical_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import coerce
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import describe_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import differences
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import list_revisions
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import register_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import request_problems
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import revision_of
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import snake_task_definition
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_task_definition import task_definition_request

from ..fake_ecs_taskdefinitions import REGISTER_SHAPE as SHAPE
from ..fake_ecs_taskdefinitions import FakeECS
from ..fake_ecs_taskdefinitions import arn
from ..fake_ecs_taskdefinitions import as_aws_describes

SSM = "arn:aws:ssm:eu-central-1:123456789012:parameter/prod/cms"

# The CMS task definition as a caller renders it: numbers where the API wants strings and the other
# way round, lists in no particular order, none of the defaults AWS fills in.
REQUEST = {
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": 1024,
    "memory": "2 GB",
    "executionRoleArn": "arn:aws:iam::123456789012:role/prod-cms-execution",
    "taskRoleArn": "arn:aws:iam::123456789012:role/prod-cms-task",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "ephemeralStorage": {"sizeInGiB": 30},
    "volumes": [
        {
            "name": "data",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-0123456789abcdef0",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
            },
        }
    ],
    "containerDefinitions": [
        {
            "name": "cms",
            "image": "gentics/mesh:2.1.0",
            "portMappings": [{"containerPort": "8080"}],
            "environment": [
                {"name": "NODE_ENV", "value": "production"},
                {"name": "MESH_HTTP_PORT", "value": 8080},
            ],
            "secrets": [
                {"name": "MESH_INITIAL_ADMIN_PASSWORD", "valueFrom": f"{SSM}/admin-password"},
                {"name": "DB_PASSWORD", "valueFrom": f"{SSM}/db-password"},
            ],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/mesh/data"}],
            "readonlyRootFilesystem": True,
            "user": "1000:1000",
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/api/v2/health/ready || exit 1"]},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/quoin/prod/cms", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "cms"},
            },
            "dockerLabels": {"com.quoin.Service": "cms"},
        }
    ],
}

# What real AWS answers to DescribeTaskDefinition for REQUEST (registered as revision 7): every
# default filled in, the members it adds, lists in its own order.
AWS_DESCRIBED = {
    "taskDefinitionArn": "arn:aws:ecs:eu-central-1:123456789012:task-definition/prod-cms:7",
    "containerDefinitions": [
        {
            "name": "cms",
            "image": "gentics/mesh:2.1.0",
            "cpu": 0,
            "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
            "essential": True,
            "environment": [
                {"name": "MESH_HTTP_PORT", "value": "8080"},
                {"name": "NODE_ENV", "value": "production"},
            ],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/mesh/data", "readOnly": False}],
            "volumesFrom": [],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": f"{SSM}/db-password"},
                {"name": "MESH_INITIAL_ADMIN_PASSWORD", "valueFrom": f"{SSM}/admin-password"},
            ],
            "user": "1000:1000",
            "readonlyRootFilesystem": True,
            "dockerLabels": {"com.quoin.Service": "cms"},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/quoin/prod/cms", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "cms"},
                "secretOptions": [],
            },
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost:8080/api/v2/health/ready || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
            },
            "systemControls": [],
        }
    ],
    "family": "prod-cms",
    "taskRoleArn": "arn:aws:iam::123456789012:role/prod-cms-task",
    "executionRoleArn": "arn:aws:iam::123456789012:role/prod-cms-execution",
    "networkMode": "awsvpc",
    "revision": 7,
    "volumes": [
        {
            "name": "data",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-0123456789abcdef0",
                "rootDirectory": "/",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
            },
        }
    ],
    "status": "ACTIVE",
    "requiresAttributes": [
        {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
        {"name": "ecs.capability.execution-role-awslogs"},
        {"name": "ecs.capability.efsAuth"},
        {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
        {"name": "ecs.capability.secrets.ssm.environment-variables"},
        {"name": "ecs.capability.efs"},
        {"name": "com.amazonaws.ecs.capability.task-iam-role"},
        {"name": "ecs.capability.container-health-check"},
        {"name": "ecs.capability.execution-role-ecr-pull"},
        {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"},
        {"name": "ecs.capability.task-eni"},
        {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.29"},
    ],
    "placementConstraints": [],
    "compatibilities": ["EC2", "FARGATE"],
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "1024",
    "memory": "2048",
    "ephemeralStorage": {"sizeInGiB": 30},
    "registeredAt": datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.timezone.utc),
    "registeredBy": "arn:aws:sts::123456789012:assumed-role/deploy/session",
    "enableFaultInjection": False,
}

# What moto 5.2 answers for a FARGATE definition (recorded): no hostPort or protocol, no healthCheck
# defaults, but cpu 0, essential, volumesFrom [], placementConstraints [] and rootDirectory "/".
MOTO_DESCRIBED = {
    "taskDefinitionArn": "arn:aws:ecs:eu-central-1:123456789012:task-definition/probe-site:1",
    "containerDefinitions": [
        {
            "name": "site",
            "image": "nginx:1",
            "cpu": 0,
            "portMappings": [{"containerPort": 3000}],
            "essential": True,
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            "volumesFrom": [],
            "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:eu-central-1:123456789012:parameter/x"}],
            "user": "1000:1000",
            "readonlyRootFilesystem": True,
            "dockerLabels": {"com.example.Foo": "x"},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "awslogs-stream-prefix": "site"}},
            "healthCheck": {"command": ["CMD-SHELL", "true"]},
        }
    ],
    "family": "probe-site",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "networkMode": "awsvpc",
    "revision": 1,
    "volumes": [
        {
            "name": "data",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-1",
                "rootDirectory": "/",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"},
            },
        }
    ],
    "status": "ACTIVE",
    "placementConstraints": [],
    "compatibilities": ["EC2", "FARGATE"],
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "ephemeralStorage": {"sizeInGiB": 30},
}
MOTO_REQUEST = {
    "containerDefinitions": [
        {
            "name": "site",
            "image": "nginx:1",
            "essential": True,
            "portMappings": [{"containerPort": 3000}],
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:eu-central-1:123456789012:parameter/x"}],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            "healthCheck": {"command": ["CMD-SHELL", "true"]},
            "readonlyRootFilesystem": True,
            "user": "1000:1000",
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "awslogs-stream-prefix": "site"}},
            "dockerLabels": {"com.example.Foo": "x"},
        }
    ],
    "cpu": "256",
    "memory": "512",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "volumes": [
        {
            "name": "data",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-1",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"},
            },
        }
    ],
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "ephemeralStorage": {"sizeInGiB": 30},
}


def canonical(definition):
    return canonical_task_definition(definition, SHAPE)


# An edit that removes the member.
REMOVE = object()


def changed(request, **edits):
    """A deep copy of the request with edits applied: {'path__to__member': value}, where a path step
    is a member name or a list index; REMOVE removes the member."""
    result = copy.deepcopy(request)
    for path, value in edits.items():
        steps = [int(step) if step.isdigit() else step for step in path.split("__")]
        holder = result
        for step in steps[:-1]:
            holder = holder[step]
        if value is REMOVE:
            del holder[steps[-1]]
        else:
            holder[steps[-1]] = value
    return result


def cms(**edits):
    """REQUEST's only container with edits; a whole request."""
    return changed(REQUEST, **{f"containerDefinitions__0__{path}": value for path, value in edits.items()})


class TestWhatAWSAddsDoesNotCount:
    def test_the_aws_description_equals_the_request(self):
        assert differences(canonical(AWS_DESCRIBED), canonical(REQUEST)) == []
        assert canonical(AWS_DESCRIBED) == canonical(REQUEST)

    def test_the_moto_description_equals_the_request(self):
        assert differences(canonical(MOTO_DESCRIBED), canonical(MOTO_REQUEST)) == []

    def test_the_stub_description_equals_the_request(self):
        described = as_aws_describes(task_definition_request("prod-cms", REQUEST, SHAPE), 3)
        assert described["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "hostPort": 8080}]
        assert canonical(described) == canonical(REQUEST)

    def test_only_the_request_members_are_kept(self):
        result = canonical(AWS_DESCRIBED)
        assert sorted(result) == [
            "containerDefinitions",
            "cpu",
            "ephemeralStorage",
            "executionRoleArn",
            "memory",
            "networkMode",
            "requiresCompatibilities",
            "runtimePlatform",
            "taskRoleArn",
            "volumes",
        ]

    def test_the_canonical_form_spelled_out(self):
        assert canonical(AWS_DESCRIBED)["containerDefinitions"] == [
            {
                "name": "cms",
                "image": "gentics/mesh:2.1.0",
                "portMappings": [{"containerPort": 8080}],
                "environment": [
                    {"name": "MESH_HTTP_PORT", "value": "8080"},
                    {"name": "NODE_ENV", "value": "production"},
                ],
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/mesh/data"}],
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": f"{SSM}/db-password"},
                    {"name": "MESH_INITIAL_ADMIN_PASSWORD", "valueFrom": f"{SSM}/admin-password"},
                ],
                "user": "1000:1000",
                "readonlyRootFilesystem": True,
                "dockerLabels": {"com.quoin.Service": "cms"},
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/quoin/prod/cms", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "cms"},
                },
                "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/api/v2/health/ready || exit 1"]},
            }
        ]
        assert canonical(AWS_DESCRIBED)["volumes"] == [
            {
                "name": "data",
                "efsVolumeConfiguration": {
                    "fileSystemId": "fs-0123456789abcdef0",
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
                },
            }
        ]
        assert (canonical(AWS_DESCRIBED)["cpu"], canonical(AWS_DESCRIBED)["memory"]) == ("1024", "2048")

    @pytest.mark.parametrize(
        "edits",
        [
            {"essential": True},
            {"cpu": 0},
            {"versionConsistency": "enabled"},
            {"portMappings": [{"containerPort": 8080, "protocol": "tcp"}]},
            {"portMappings": [{"containerPort": 8080, "hostPort": 8080}]},
            {"healthCheck__interval": 30},
            {"healthCheck__timeout": 5},
            {"healthCheck__retries": 3},
            {"healthCheck__startPeriod": 0},
            {"mountPoints__0__readOnly": False},
            {"privileged": False},
            {"disableNetworking": False},
            {"linuxParameters": {"initProcessEnabled": False}},
            {"restartPolicy": {"enabled": False}},
            {"volumesFrom": []},
            {"systemControls": []},
            {"environmentFiles": []},
            {"logConfiguration__secretOptions": []},
            {"workingDirectory": None},
            {"links": []},
        ],
        ids=lambda edits: ",".join(edits),
    )
    def test_container_defaults_do_not_count(self, edits):
        assert differences(canonical(REQUEST), canonical(cms(**edits))) == []
        assert differences(canonical(cms(**edits)), canonical(REQUEST)) == []

    @pytest.mark.parametrize(
        "edits",
        [
            {"volumes__0__efsVolumeConfiguration__rootDirectory": "/"},
            {"volumes__0__configuredAtLaunch": False},
            {"placementConstraints": []},
            {"enableFaultInjection": False},
            {"cpu": "1024"},
            {"cpu": "1 vCPU"},
            {"cpu": "1 vcpu"},
            {"memory": "2048"},
            {"memory": 2048},
            {"memory": "2GB"},
            {"requiresCompatibilities": ["FARGATE"]},
        ],
        ids=lambda edits: ",".join(f"{k}={v}" for k, v in edits.items()),
    )
    def test_task_defaults_and_spellings_do_not_count(self, edits):
        assert differences(canonical(REQUEST), canonical(changed(REQUEST, **edits))) == []

    def test_fractions_of_a_vcpu_and_of_a_gigabyte(self):
        small = changed(REQUEST, cpu="0.25 vCPU", memory="0.5 GB")
        assert (canonical(small)["cpu"], canonical(small)["memory"]) == ("256", "512")

    def test_efs_and_docker_volume_defaults(self):
        plain = {"containerDefinitions": [{"name": "a", "image": "x"}], "volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]}
        spelled = changed(plain, volumes__0__efsVolumeConfiguration={
            "fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "DISABLED", "authorizationConfig": {"iam": "DISABLED"},
        })
        assert differences(canonical(plain), canonical(spelled)) == []
        docker = changed(plain, volumes=[{"name": "v", "dockerVolumeConfiguration": {"driver": "local"}}])
        assert canonical(docker) == canonical(changed(docker, volumes__0__dockerVolumeConfiguration={"driver": "local", "scope": "task", "autoprovision": False}))

    def test_a_bind_mount_volume_with_an_empty_host(self):
        plain = {"containerDefinitions": [{"name": "a", "image": "x"}], "volumes": [{"name": "tmp"}]}
        assert canonical(plain) == canonical(changed(plain, volumes=[{"name": "tmp", "host": {}}]))

    def test_bridge_is_the_network_mode_when_none_is_given(self):
        plain = {"containerDefinitions": [{"name": "a", "image": "x"}]}
        assert canonical(plain) == canonical(dict(plain, networkMode="bridge"))

    def test_a_dynamic_host_port_is_port_zero(self):
        bridge = {"containerDefinitions": [{"name": "a", "image": "x", "portMappings": [{"containerPort": 80}]}]}
        assert canonical(bridge) == canonical(changed(bridge, containerDefinitions__0__portMappings=[{"containerPort": 80, "hostPort": 0}]))

    @pytest.mark.parametrize(
        "edits",
        [
            {"environment": list(reversed(REQUEST["containerDefinitions"][0]["environment"]))},
            {"secrets": list(reversed(REQUEST["containerDefinitions"][0]["secrets"]))},
            {"ulimits": [{"name": "nproc", "softLimit": 1, "hardLimit": 2}, {"name": "nofile", "softLimit": 3, "hardLimit": 4}]},
        ],
        ids=["environment", "secrets", "ulimits"],
    )
    def test_order_that_aws_does_not_keep_does_not_count(self, edits):
        reordered = cms(**{key: list(reversed(value)) for key, value in edits.items()})
        assert differences(canonical(cms(**edits)), canonical(reordered)) == []

    def test_containers_volumes_and_ports_in_any_order(self):
        two = changed(
            REQUEST,
            containerDefinitions=REQUEST["containerDefinitions"] + [{"name": "proxy", "image": "caddy:2", "portMappings": [{"containerPort": 443}, {"containerPort": 80}]}],
            volumes=REQUEST["volumes"] + [{"name": "cache"}],
            requiresCompatibilities=["FARGATE", "EC2"],
        )
        turned = copy.deepcopy(two)
        for key in ("containerDefinitions", "volumes", "requiresCompatibilities"):
            turned[key].reverse()
        turned["containerDefinitions"][0]["portMappings"].reverse()
        assert canonical(two) == canonical(turned)
        assert [c["name"] for c in canonical(turned)["containerDefinitions"]] == ["cms", "proxy"]
        assert canonical(two)["containerDefinitions"][1]["portMappings"] == [{"containerPort": 80}, {"containerPort": 443}]

    def test_the_input_is_left_as_it_was(self):
        before = copy.deepcopy(AWS_DESCRIBED)
        canonical(AWS_DESCRIBED)
        assert AWS_DESCRIBED == before

    @pytest.mark.parametrize("nothing", [None, {}])
    def test_nothing_is_an_empty_dict(self, nothing):
        assert canonical(nothing) == {}


class TestEveryRealChangeCounts:
    @pytest.mark.parametrize(
        "edits, expected",
        [
            (
                {"containerDefinitions__0__environment__0__value": "staging"},
                ["containerDefinitions[cms].environment[NODE_ENV]: production -> staging"],
            ),
            (
                {"containerDefinitions__0__environment__1": {"name": "MESH_HTTP_PORT", "value": "8081"}},
                ["containerDefinitions[cms].environment[MESH_HTTP_PORT]: 8080 -> 8081"],
            ),
            (
                {"containerDefinitions__0__secrets__1__valueFrom": f"{SSM}/db-password-2"},
                [f"containerDefinitions[cms].secrets[DB_PASSWORD]: {SSM}/db-password -> {SSM}/db-password-2"],
            ),
            (
                {"containerDefinitions__0__mountPoints__0__containerPath": "/data"},
                ["containerDefinitions[cms].mountPoints[/data]: added", "containerDefinitions[cms].mountPoints[/mesh/data]: removed"],
            ),
            (
                {"containerDefinitions__0__mountPoints__0__readOnly": True},
                ["containerDefinitions[cms].mountPoints[/mesh/data].readOnly: (none) -> true"],
            ),
            (
                {"volumes__0__efsVolumeConfiguration__authorizationConfig__accessPointId": "fsap-0fedcba9876543210"},
                ["volumes[data].efsVolumeConfiguration.authorizationConfig.accessPointId: fsap-0123456789abcdef0 -> fsap-0fedcba9876543210"],
            ),
            ({"cpu": 2048}, ["cpu: 1024 -> 2048"]),
            ({"memory": "4 GB"}, ["memory: 2048 -> 4096"]),
            (
                {"executionRoleArn": "arn:aws:iam::123456789012:role/other"},
                ["executionRoleArn: arn:aws:iam::123456789012:role/prod-cms-execution -> arn:aws:iam::123456789012:role/other"],
            ),
            ({"taskRoleArn": REMOVE}, ["taskRoleArn: arn:aws:iam::123456789012:role/prod-cms-task -> (none)"]),
            ({"containerDefinitions__0__image": "gentics/mesh:2.1.1"}, ["containerDefinitions[cms].image: gentics/mesh:2.1.0 -> gentics/mesh:2.1.1"]),
            (
                {"containerDefinitions__0__healthCheck__command": ["CMD-SHELL", "exit 0"]},
                ['containerDefinitions[cms].healthCheck.command: ["CMD-SHELL", "curl -f http://localhost:8080/api/v2/health/ready || exit 1"] -> ["CMD-SHELL", "exit 0"]'],
            ),
            ({"containerDefinitions__0__healthCheck__interval": 10}, ["containerDefinitions[cms].healthCheck.interval: (none) -> 10"]),
            ({"containerDefinitions__0__readonlyRootFilesystem": False}, ["containerDefinitions[cms].readonlyRootFilesystem: true -> (none)"]),
            ({"containerDefinitions__0__user": "0"}, ["containerDefinitions[cms].user: 1000:1000 -> 0"]),
            ({"ephemeralStorage__sizeInGiB": 40}, ["ephemeralStorage.sizeInGiB: 30 -> 40"]),
            ({"runtimePlatform__cpuArchitecture": "ARM64"}, ["runtimePlatform.cpuArchitecture: X86_64 -> ARM64"]),
            ({"runtimePlatform": REMOVE}, ["runtimePlatform.cpuArchitecture: X86_64 -> (none)", "runtimePlatform.operatingSystemFamily: LINUX -> (none)"]),
            ({"containerDefinitions__0__essential": False}, ["containerDefinitions[cms].essential: (none) -> false"]),
            (
                {"containerDefinitions__0__logConfiguration__options__awslogs-group": "/quoin/dev/cms"},
                ["containerDefinitions[cms].logConfiguration.options.awslogs-group: /quoin/prod/cms -> /quoin/dev/cms"],
            ),
            ({"containerDefinitions__0__dockerLabels": REMOVE}, ["containerDefinitions[cms].dockerLabels.com.quoin.Service: cms -> (none)"]),
            ({"containerDefinitions__0__portMappings__0__containerPort": 8081}, ["containerDefinitions[cms].portMappings[8080/tcp]: removed", "containerDefinitions[cms].portMappings[8081/tcp]: added"]),
        ],
        ids=lambda value: "" if isinstance(value, list) else ",".join(value),
    )
    def test_each_change_is_named(self, edits, expected):
        assert differences(canonical(AWS_DESCRIBED), canonical(changed(REQUEST, **edits))) == expected

    def test_lists_of_the_same_length_with_other_content_differ(self):
        # community.aws.ecs_taskdefinition compares list lengths only: this change kept the old revision.
        swapped = cms(environment=[{"name": "NODE_ENV", "value": "8080"}, {"name": "MESH_HTTP_PORT", "value": "production"}])
        assert differences(canonical(REQUEST), canonical(swapped)) == [
            "containerDefinitions[cms].environment[MESH_HTTP_PORT]: 8080 -> production",
            "containerDefinitions[cms].environment[NODE_ENV]: production -> 8080",
        ]

    def test_variables_added_and_removed(self):
        edited = cms(environment=[{"name": "NODE_ENV", "value": "production"}, {"name": "DEBUG", "value": "1"}])
        assert differences(canonical(REQUEST), canonical(edited)) == [
            "containerDefinitions[cms].environment[DEBUG]: (none) -> 1",
            "containerDefinitions[cms].environment[MESH_HTTP_PORT]: 8080 -> (none)",
        ]

    def test_containers_are_matched_by_name(self):
        proxy = {"name": "proxy", "image": "caddy:2"}
        with_proxy = changed(REQUEST, containerDefinitions=[proxy] + REQUEST["containerDefinitions"])
        assert differences(canonical(REQUEST), canonical(with_proxy)) == ["containerDefinitions[proxy]: added"]
        assert differences(canonical(with_proxy), canonical(REQUEST)) == ["containerDefinitions[proxy]: removed"]
        renamed = cms(name="mesh")
        assert differences(canonical(REQUEST), canonical(renamed)) == ["containerDefinitions[cms]: removed", "containerDefinitions[mesh]: added"]

    def test_order_that_matters_counts(self):
        ordered = cms(command=["serve", "--port", "8080"])
        assert differences(canonical(ordered), canonical(cms(command=["--port", "8080", "serve"]))) == [
            'containerDefinitions[cms].command: ["serve", "--port", "8080"] -> ["--port", "8080", "serve"]'
        ]
        files = [{"value": "arn:aws:s3:::b/one.env", "type": "s3"}, {"value": "arn:aws:s3:::b/two.env", "type": "s3"}]
        assert differences(canonical(cms(environmentFiles=files)), canonical(cms(environmentFiles=files[::-1]))) != []

    def test_a_static_host_port_in_bridge_mode_is_not_a_default(self):
        bridge = {"containerDefinitions": [{"name": "a", "image": "x", "portMappings": [{"containerPort": 80}]}]}
        static = changed(bridge, containerDefinitions__0__portMappings=[{"containerPort": 80, "hostPort": 80}])
        assert differences(canonical(bridge), canonical(static)) == ["containerDefinitions[a].portMappings[80/tcp].hostPort: (none) -> 80"]

    def test_a_network_mode_change_counts(self):
        assert differences(canonical(REQUEST), canonical(changed(REQUEST, networkMode="bridge"))) == ["networkMode: awsvpc -> (none)"]
        # In awsvpc the host port is the container port; in bridge mode it is a static port.
        pinned = cms(portMappings=[{"containerPort": 8080, "hostPort": "8080"}])
        assert differences(canonical(pinned), canonical(changed(pinned, networkMode="bridge"))) == [
            "containerDefinitions[cms].portMappings[8080/tcp].hostPort: (none) -> 8080",
            "networkMode: awsvpc -> (none)",
        ]

    def test_repeated_names_are_compared_whole(self):
        twice = cms(environment=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}])
        once = cms(environment=[{"name": "A", "value": "1"}])
        assert differences(canonical(twice), canonical(once)) == [
            'containerDefinitions[cms].environment: [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}] -> [{"name": "A", "value": "1"}]'
        ]

    def test_a_first_registration_lists_what_is_set(self):
        assert differences({}, canonical(MOTO_REQUEST)) == [
            "containerDefinitions[site]: added",
            "cpu: (none) -> 256",
            "ephemeralStorage.sizeInGiB: (none) -> 30",
            "executionRoleArn: (none) -> arn:aws:iam::123456789012:role/exec",
            "memory: (none) -> 512",
            "networkMode: (none) -> awsvpc",
            'requiresCompatibilities: (none) -> ["FARGATE"]',
            "runtimePlatform.cpuArchitecture: (none) -> X86_64",
            "runtimePlatform.operatingSystemFamily: (none) -> LINUX",
            "volumes[data]: added",
        ]


class TestRequest:
    def test_a_valid_definition_has_no_problems(self):
        assert request_problems(REQUEST, SHAPE) == []

    def test_unknown_members_are_named_with_their_path(self):
        wrong = cms(enviroment=[], readonly_root_filesystem=True)
        wrong["network_mode"] = "awsvpc"
        assert request_problems(wrong, SHAPE) == [
            "task_definition has members that RegisterTaskDefinition does not know (the API's camelCase names are expected): "
            "containerDefinitions[0].enviroment, containerDefinitions[0].readonly_root_filesystem, network_mode"
        ]

    def test_family_and_tags_belong_to_the_options(self):
        problems = request_problems(dict(REQUEST, family="x", tags=[{"key": "a", "value": "b"}]), SHAPE)
        assert problems == [
            "task_definition.family: give it as the module's family option",
            "task_definition.tags: give it as the module's tags option",
        ]

    def test_values_of_the_wrong_type_are_named(self):
        problems = request_problems(cms(cpu="a lot", memory=[512]), SHAPE)
        assert problems == [
            "task_definition: Invalid type for parameter containerDefinitions[0].cpu, value: a lot, type: <class 'str'>, valid types: <class 'int'>",
            "task_definition: Invalid type for parameter containerDefinitions[0].memory, value: [512], type: <class 'list'>, valid types: <class 'int'>",
        ]

    def test_missing_required_members_are_named(self):
        problems = request_problems({"cpu": "256"}, SHAPE)
        assert problems == ["task_definition: Missing required parameter in input: \"containerDefinitions\""]

    def test_the_request_carries_family_tags_and_the_model_types(self):
        request = task_definition_request("prod-cms", REQUEST, SHAPE, {"team": "web", "aws:cloudformation:stack-name": "s"})
        assert request["family"] == "prod-cms"
        assert request["tags"] == [{"key": "team", "value": "web"}]
        assert request["cpu"] == "1024"
        assert request["memory"] == "2 GB"  # AWS converts the unit itself
        container = request["containerDefinitions"][0]
        assert container["portMappings"] == [{"containerPort": 8080}]
        assert container["environment"][1] == {"name": "MESH_HTTP_PORT", "value": "8080"}
        assert "essential" not in container
        assert REQUEST["cpu"] == 1024

    def test_without_tags_none_are_sent(self):
        assert "tags" not in task_definition_request("f", REQUEST, SHAPE, {})
        assert "tags" not in task_definition_request("f", REQUEST, SHAPE, {"aws:x": "y"})

    @pytest.mark.parametrize(
        "value, expected",
        [
            ({"readonlyRootFilesystem": "true"}, {"readonlyRootFilesystem": True}),
            ({"readonlyRootFilesystem": "no"}, {"readonlyRootFilesystem": False}),
            ({"memory": " 512 "}, {"memory": 512}),
            ({"memory": "lots"}, {"memory": "lots"}),
            ({"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-create-group": True, "mode": 1}}},
             {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-create-group": "true", "mode": "1"}}}),
            ({"user": 1000}, {"user": "1000"}),
        ],
    )
    def test_scalars_take_the_model_types(self, value, expected):
        container_shape = SHAPE.members["containerDefinitions"].member
        assert coerce(value, container_shape) == expected


class TestReturnedShape:
    def test_snake_case_except_the_users_keys(self):
        result = snake_task_definition(AWS_DESCRIBED, {"Team": "Web"})
        container = result["container_definitions"][0]
        assert result["task_definition_arn"] == AWS_DESCRIBED["taskDefinitionArn"]
        assert result["execution_role_arn"] == AWS_DESCRIBED["executionRoleArn"]
        assert container["docker_labels"] == {"com.quoin.Service": "cms"}
        assert container["log_configuration"]["options"]["awslogs-stream-prefix"] == "cms"
        assert container["readonly_root_filesystem"] is True
        assert container["health_check"]["interval"] == 30
        assert result["volumes"][0]["efs_volume_configuration"]["authorization_config"]["access_point_id"] == "fsap-0123456789abcdef0"
        assert result["tags"] == {"Team": "Web"}

    def test_system_controls_and_volume_labels_keep_their_keys(self):
        described = {
            "containerDefinitions": [{"name": "a", "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}]}],
            "volumes": [{"name": "v", "dockerVolumeConfiguration": {"driverOpts": {"someOpt": "x"}, "labels": {"myLabel": "y"}}}],
        }
        result = snake_task_definition(described)
        assert result["container_definitions"][0]["system_controls"] == [{"namespace": "net.core.somaxconn", "value": "1024"}]
        assert result["volumes"][0]["docker_volume_configuration"] == {"driver_opts": {"someOpt": "x"}, "labels": {"myLabel": "y"}}

    def test_times_are_iso_strings(self):
        assert snake_task_definition(AWS_DESCRIBED)["registered_at"] == "2026-01-05T10:00:00+00:00"

    def test_nothing_is_an_empty_dict(self):
        assert snake_task_definition(None) == {}


class TestApiCalls:
    def test_revision_of_an_arn(self):
        assert revision_of(arn("prod-cms", 12)) == ("prod-cms", 12)
        assert revision_of("prod-cms:3") == ("prod-cms", 3)

    def test_only_the_exact_family_in_revision_order(self):
        ecs = FakeECS()
        for revision in (2, 9, 10):
            ecs.add(dict(REQUEST, family="site"), revision=revision)
        ecs.add(dict(REQUEST, family="site-worker"))
        ecs.add(dict(REQUEST, family="site"), status="INACTIVE", revision=11)
        assert list_revisions(ecs, "site") == [(2, arn("site", 2)), (9, arn("site", 9)), (10, arn("site", 10))]
        assert list_revisions(ecs, "site", "INACTIVE") == [(11, arn("site", 11))]
        assert ecs.calls[0] == ("list_task_definitions", {"familyPrefix": "site", "status": "ACTIVE"})

    def test_describe_includes_the_tags(self):
        ecs = FakeECS()
        revision_arn = ecs.add(dict(REQUEST, family="site"), tags={"team": "web"})
        described, tags = describe_task_definition(ecs, revision_arn)
        assert described["taskDefinitionArn"] == revision_arn
        assert tags == {"team": "web"}
        assert ecs.calls == [("describe_task_definition", {"taskDefinition": revision_arn, "include": ["TAGS"]})]

    @pytest.mark.parametrize("answers_tags", [True, False])
    def test_register_returns_the_new_revision_and_its_tags(self, answers_tags):
        ecs = FakeECS(register_answers_tags=answers_tags)
        described, tags = register_task_definition(ecs, task_definition_request("site", REQUEST, SHAPE, {"team": "web"}))
        assert described["revision"] == 1
        assert tags == {"team": "web"}

    def test_errors_name_the_call(self):
        ecs = FakeECS(errors={"register_task_definition": "ClientException"})
        with pytest.raises(AnsibleECSError, match="Failed to register task definition"):
            register_task_definition(ecs, task_definition_request("site", REQUEST, SHAPE))
        ecs = FakeECS(errors={"list_task_definitions": "AccessDeniedException"})
        with pytest.raises(AnsibleECSError, match="Failed to list task definitions"):
            list_revisions(ecs, "site")

    def test_an_invalid_request_fails_like_botocore(self):
        with pytest.raises(AnsibleECSError, match="Failed to register task definition"):
            register_task_definition(FakeECS(), {"family": "site", "containerDefinitions": [], "cpu": 256})


def test_a_task_of_several_containers_compares_equal_as_aws_describes_it():
    from ansible_collections.quoin.fargate.plugins.filter.ecs import task_definition
    from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

    from ...test_ecs_filters import STACK
    from ...test_environment_model import VALID

    raw = copy.deepcopy(VALID)
    raw["services"][2].update(user="101", scratch_paths=["/tmp"], health_check={"command": "true"},
                              init_containers=[{"name": "render", "image": "tools:1", "user": "101", "mounts": [{"scratch_path": "/tmp"}]}],
                              sidecars=[{"name": "exporter", "image": "exporter:1", "depends_on": [{"container": "proxy", "condition": "HEALTHY"}]}])
    rendered = task_definition("proxy", normalize_environment(raw), STACK, {}, "eu-central-1")
    request = task_definition_request(rendered["family"], rendered["task_definition"], SHAPE)
    assert [c["name"] for c in request["containerDefinitions"]] == ["proxy", "render", "exporter", "check-connections", "prepare-scratch"]
    described = as_aws_describes(request, 3)
    # AWS keeps its own order of containers and of their lists.
    described["containerDefinitions"].reverse()
    for container in described["containerDefinitions"]:
        container.get("dependsOn", []).reverse()
        if "linuxParameters" in container:
            container["linuxParameters"]["capabilities"]["drop"].reverse()
            container["linuxParameters"]["capabilities"]["add"] = []
            container["linuxParameters"].update(devices=[], tmpfs=[])
    assert canonical_task_definition(described, SHAPE) == canonical_task_definition(request, SHAPE)
    changed = copy.deepcopy(described)
    proxy = next(c for c in changed["containerDefinitions"] if c["name"] == "proxy")
    next(d for d in proxy["dependsOn"] if d["containerName"] == "render")["condition"] = "COMPLETE"
    assert differences(canonical_task_definition(changed, SHAPE), canonical_task_definition(request, SHAPE)) == [
        "containerDefinitions[proxy].dependsOn[render].condition: COMPLETE -> SUCCESS"
    ]
