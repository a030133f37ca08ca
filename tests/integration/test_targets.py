"""The integration targets (tests/integration/targets/<name>/, roles in the ansible-test layout) against
the local AWS, one test each, through targets/run_target.yml.

A target's `aliases` file names what it needs with `prerequisite/<kind>` lines; each kind below is
created here through boto3 before the run, handed to the target as extra vars, checked afterwards for
anything the target left behind, and removed. `disabled` or `unsupported` skips a target, as in
ansible-test. A new target needs only its directory, plus a kind here if it needs something new.

The targets test what each module does, which does not depend on the strategy: they run on the fast path
(mitogen keeps one interpreter, so about half the time), which also tests every module on it. What the
default strategy adds, the AnsiballZ payload each module is shipped in, is checked for every module by
test_every_module_starts_under_the_default_strategy; the playbooks' tests run on the default strategy.
"""

import json
import uuid
from pathlib import Path

import pytest

from .conftest import FAST_PATH, REPO

TARGETS = Path(__file__).resolve().parent / "targets"
RUN_TARGET = TARGETS / "run_target.yml"
SKIP_ALIASES = ("disabled", "unsupported")


class EfsFileSystem:
    """An empty EFS file system (extra var efs_file_system_id). The target must leave it as it found
    it: no access points, not deleted."""

    def __init__(self, aws, prefix):
        self.efs = aws("efs")
        self.prefix = prefix
        self.file_system_id = None

    def create(self):
        created = self.efs.create_file_system(
            CreationToken=f"{self.prefix}-fs",
            Encrypted=True,
            Tags=[{"Key": "Name", "Value": f"{self.prefix}-fs"}],
        )
        self.file_system_id = created["FileSystemId"]
        return {"efs_file_system_id": self.file_system_id}

    def access_points(self):
        paginator = self.efs.get_paginator("describe_access_points")
        return paginator.paginate(FileSystemId=self.file_system_id).build_full_result()["AccessPoints"]

    def leftovers(self):
        file_systems = self.efs.describe_file_systems()["FileSystems"]
        if self.file_system_id not in [fs["FileSystemId"] for fs in file_systems]:
            return [f"file system {self.file_system_id} was deleted by the target"]
        left = [
            f"access point {ap['AccessPointId']} ({ap.get('Name')}) on {self.file_system_id}"
            for ap in self.access_points()
        ]
        try:
            self.efs.describe_file_system_policy(FileSystemId=self.file_system_id)
            left.append(f"a file system policy on {self.file_system_id}")
        except self.efs.exceptions.PolicyNotFound:
            pass
        return left

    def destroy(self):
        if self.file_system_id is None:
            return
        if self.file_system_id in [fs["FileSystemId"] for fs in self.efs.describe_file_systems()["FileSystems"]]:
            for ap in self.access_points():
                self.efs.delete_access_point(AccessPointId=ap["AccessPointId"])
            self.efs.delete_file_system(FileSystemId=self.file_system_id)


class EcsCluster:
    """An empty ECS cluster (extra var ecs_cluster_name). The target must leave it without services
    that are ACTIVE or DRAINING, and not delete it."""

    def __init__(self, aws, prefix):
        self.ecs = aws("ecs")
        self.name = f"{prefix}-cluster"
        self.created = False

    def create(self):
        self.ecs.create_cluster(clusterName=self.name)
        self.created = True
        return {"ecs_cluster_name": self.name}

    def services(self):
        arns = self.ecs.list_services(cluster=self.name)["serviceArns"]
        if not arns:
            return []
        return self.ecs.describe_services(cluster=self.name, services=arns)["services"]

    def leftovers(self):
        clusters = self.ecs.describe_clusters(clusters=[self.name])["clusters"]
        if not [c for c in clusters if c["status"] == "ACTIVE"]:
            return [f"cluster {self.name} was deleted by the target"]
        # A deleted service stays INACTIVE for a while.
        return [f"service {s['serviceName']} ({s['status']}) in {self.name}" for s in self.services() if s["status"] != "INACTIVE"]

    def destroy(self):
        if not self.created:
            return
        for service in self.services():
            if service["status"] == "ACTIVE":
                self.ecs.delete_service(cluster=self.name, service=service["serviceName"], force=True)
        self.ecs.delete_cluster(cluster=self.name)


class EcsTaskDefinition:
    """Two revisions of a Fargate task definition family (extra vars ecs_task_definition_family and
    ecs_task_definition_arns, oldest first). The target must leave both ACTIVE."""

    def __init__(self, aws, prefix):
        self.ecs = aws("ecs")
        self.family = f"{prefix}-web"
        self.arns = []

    def create(self):
        for image in ("nginx:1.26", "nginx:1.27"):
            registered = self.ecs.register_task_definition(
                family=self.family,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                containerDefinitions=[
                    {"name": "web", "image": image, "memory": 512, "essential": True, "portMappings": [{"containerPort": 80}]}
                ],
            )
            self.arns.append(registered["taskDefinition"]["taskDefinitionArn"])
        return {"ecs_task_definition_family": self.family, "ecs_task_definition_arns": self.arns}

    def leftovers(self):
        left = []
        for arn in self.arns:
            status = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"]
            if status != "ACTIVE":
                left.append(f"task definition {arn} is {status}")
        return left

    def destroy(self):
        for arn in self.arns:
            self.ecs.deregister_task_definition(taskDefinition=arn)


class Network:
    """A VPC with two subnets in two zones and a security group (extra vars network_vpc_id,
    network_subnet_ids, network_security_group_id). The target must not delete them."""

    def __init__(self, aws, prefix):
        self.ec2 = aws("ec2")
        self.prefix = prefix
        self.vpc_id = None
        self.subnet_ids = []
        self.security_group_id = None

    def create(self):
        region = self.ec2.meta.region_name
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        self.ec2.create_tags(Resources=[self.vpc_id], Tags=[{"Key": "Name", "Value": f"{self.prefix}-vpc"}])
        for zone, cidr in (("a", "10.99.1.0/24"), ("b", "10.99.2.0/24")):
            subnet = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=cidr, AvailabilityZone=f"{region}{zone}")
            self.subnet_ids.append(subnet["Subnet"]["SubnetId"])
        self.security_group_id = self.ec2.create_security_group(
            GroupName=f"{self.prefix}-tasks", Description="integration target tasks", VpcId=self.vpc_id
        )["GroupId"]
        return {
            "network_vpc_id": self.vpc_id,
            "network_subnet_ids": self.subnet_ids,
            "network_security_group_id": self.security_group_id,
        }

    def leftovers(self):
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["Subnets"]
        missing = sorted(set(self.subnet_ids) - {s["SubnetId"] for s in subnets})
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["SecurityGroups"]
        if self.security_group_id not in [g["GroupId"] for g in groups]:
            missing.append(self.security_group_id)
        return [f"{resource} was deleted by the target" for resource in missing]

    def destroy(self):
        if self.vpc_id is None:
            return
        if self.security_group_id:
            self.ec2.delete_security_group(GroupId=self.security_group_id)
        for subnet_id in self.subnet_ids:
            self.ec2.delete_subnet(SubnetId=subnet_id)
        self.ec2.delete_vpc(VpcId=self.vpc_id)


class CloudMapService:
    """An AWS Cloud Map service with an A record in a private DNS namespace of its own VPC (extra var
    cloud_map_service_arn). The target must not delete it."""

    def __init__(self, aws, prefix):
        self.ec2 = aws("ec2")
        self.sd = aws("servicediscovery")
        self.prefix = prefix
        self.vpc_id = None
        self.namespace_id = None
        self.service_id = None

    def create(self):
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
        operation = self.sd.create_private_dns_namespace(Name=f"{self.prefix}.internal", Vpc=self.vpc_id)
        self.namespace_id = self.sd.get_operation(OperationId=operation["OperationId"])["Operation"]["Targets"]["NAMESPACE"]
        service = self.sd.create_service(
            Name="web",
            NamespaceId=self.namespace_id,
            DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        )["Service"]
        self.service_id = service["Id"]
        return {"cloud_map_service_arn": service["Arn"]}

    def leftovers(self):
        services = self.sd.list_services()["Services"]
        if self.service_id not in [s["Id"] for s in services]:
            return [f"Cloud Map service {self.service_id} was deleted by the target"]
        return []

    def destroy(self):
        if self.service_id:
            self.sd.delete_service(Id=self.service_id)
        if self.namespace_id:
            self.sd.delete_namespace(Id=self.namespace_id)
        if self.vpc_id:
            self.ec2.delete_vpc(VpcId=self.vpc_id)


class CloudMapVpc:
    """An empty VPC for Cloud Map private DNS namespaces (extra var vpc_id). The target must not delete
    it, and must leave no namespace named after the resource prefix, nor services or instances in one."""

    def __init__(self, aws, prefix):
        self.ec2 = aws("ec2")
        self.sd = aws("servicediscovery")
        self.prefix = prefix
        self.vpc_id = None

    def create(self):
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.97.0.0/16")["Vpc"]["VpcId"]
        self.ec2.create_tags(Resources=[self.vpc_id], Tags=[{"Key": "Name", "Value": f"{self.prefix}-vpc"}])
        return {"vpc_id": self.vpc_id}

    def namespaces(self):
        paginator = self.sd.get_paginator("list_namespaces")
        found = paginator.paginate().build_full_result()["Namespaces"]
        return [ns for ns in found if ns["Name"].startswith(self.prefix)]

    def services(self, namespace_id):
        # Each service is read in full: a service summary does not name its namespace.
        paginator = self.sd.get_paginator("list_services")
        filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
        summaries = paginator.paginate(Filters=filters).build_full_result()["Services"]
        services = [self.sd.get_service(Id=summary["Id"])["Service"] for summary in summaries]
        return [service for service in services if service["NamespaceId"] == namespace_id]

    def leftovers(self):
        if self.vpc_id not in [vpc["VpcId"] for vpc in self.ec2.describe_vpcs()["Vpcs"]]:
            return [f"VPC {self.vpc_id} was deleted by the target"]
        left = []
        for namespace in self.namespaces():
            left.append(f"namespace {namespace['Name']} ({namespace['Id']})")
            left += [f"service {s['Name']} ({s['Id']}) in {namespace['Name']}" for s in self.services(namespace["Id"])]
        return left

    def destroy(self):
        if self.vpc_id is None:
            return
        for namespace in self.namespaces():
            for service in self.services(namespace["Id"]):
                for instance in self.sd.list_instances(ServiceId=service["Id"])["Instances"]:
                    self.sd.deregister_instance(ServiceId=service["Id"], InstanceId=instance["Id"])
                self.sd.delete_service(Id=service["Id"])
            self.sd.delete_namespace(Id=namespace["Id"])
        self.ec2.delete_vpc(VpcId=self.vpc_id)


class IamRole:
    """An IAM role that EventBridge Scheduler and ECS tasks may assume, allowed to run ECS tasks and pass
    itself to them (extra vars iam_role_arn and iam_role_name). The target must not delete it."""

    TRUST = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["scheduler.amazonaws.com", "ecs-tasks.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }

    def __init__(self, aws, prefix):
        self.iam = aws("iam")
        self.name = f"{prefix}-role"
        self.created = False

    def create(self):
        role = self.iam.create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(self.TRUST))["Role"]
        self.created = True
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role["Arn"]},
            ],
        }
        self.iam.put_role_policy(RoleName=self.name, PolicyName="run-tasks", PolicyDocument=json.dumps(policy))
        return {"iam_role_arn": role["Arn"], "iam_role_name": self.name}

    def leftovers(self):
        try:
            self.iam.get_role(RoleName=self.name)
        except self.iam.exceptions.NoSuchEntityException:
            return [f"role {self.name} was deleted by the target"]
        return []

    def destroy(self):
        if not self.created:
            return
        try:
            for policy in self.iam.list_role_policies(RoleName=self.name)["PolicyNames"]:
                self.iam.delete_role_policy(RoleName=self.name, PolicyName=policy)
            self.iam.delete_role(RoleName=self.name)
        except self.iam.exceptions.NoSuchEntityException:
            pass


PREREQUISITES = {
    "efs_file_system": EfsFileSystem,
    "ecs_cluster": EcsCluster,
    "ecs_task_definition": EcsTaskDefinition,
    "network": Network,
    "cloud_map_service": CloudMapService,
    "vpc": CloudMapVpc,
    "iam_role": IamRole,
}


def target_names():
    return sorted(path.name for path in TARGETS.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))


def read_aliases(target):
    path = TARGETS / target / "aliases"
    assert path.is_file(), f"{path} is missing (ansible-test layout: every target has an aliases file)"
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_there_are_targets():
    assert "efs_access_point" in target_names()


@pytest.mark.parametrize("target", target_names())
def test_target(target, aws, playbook):
    assert (TARGETS / target / "tasks" / "main.yml").is_file(), f"{target} has no tasks/main.yml"
    aliases = read_aliases(target)
    skipped = [alias for alias in aliases if alias in SKIP_ALIASES]
    if skipped:
        pytest.skip(f"{target} is {skipped[0]}")
    kinds = [alias.removeprefix("prerequisite/") for alias in aliases if alias.startswith("prerequisite/")]
    unknown = [kind for kind in kinds if kind not in PREREQUISITES]
    assert not unknown, f"{target} needs unknown prerequisites {unknown}; known: {sorted(PREREQUISITES)}"

    prefix = f"quoin-it-{uuid.uuid4().hex[:8]}"
    extra_vars = {"quoin_target": target, "resource_prefix": prefix}
    prerequisites = [PREREQUISITES[kind](aws, prefix) for kind in kinds]
    try:
        for prerequisite in prerequisites:
            extra_vars.update(prerequisite.create())
        run = playbook(str(RUN_TARGET), "-i", "localhost,", "-e", json.dumps(extra_vars), env=FAST_PATH)
        assert run.returncode == 0, run.output[-6000:]
        # A target that ran nothing (an empty tasks file, a wrong include) must not pass.
        assert f"TASK [{target} : " in run.output, run.output[-3000:]
        assert run.changed > 0, run.output[-3000:]
        leftovers = [item for prerequisite in prerequisites for item in prerequisite.leftovers()]
        assert leftovers == [], f"{target} left behind: {leftovers}"
    finally:
        for prerequisite in reversed(prerequisites):
            prerequisite.destroy()


# How AnsibleModule's argument check begins its refusals (ansible.module_utils.errors).
ARGUMENT_CHECK = ("Unsupported parameters for ", "missing required arguments: ", "one of the following is required: ",
                  "parameters are mutually exclusive: ", "parameters are required together: ")


def test_every_module_starts_under_the_default_strategy(playbook, tmp_path):
    """Each module, packed by the default strategy, imports everything it needs from module_utils and
    reaches its argument check: the arguments are refused through the module's own failure (an unknown option,
    or a required one missing), not by a traceback from the payload."""
    modules = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    tasks = [
        {"name": f"start {module}", f"quoin.fargate.{module}": {"quoin_no_such_option": 1},
         "register": f"started_{module}", "ignore_errors": True}
        for module in modules
    ]
    messages = tmp_path / "messages.json"
    tasks.append({"name": "write what each module said", "ansible.builtin.copy": {
        "dest": str(messages),
        "content": "{{ {" + ", ".join(f"'{m}': started_{m}" for m in modules) + "} | to_json }}",
    }})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}]
    path = tmp_path / "start_modules.yml"
    path.write_text(json.dumps(play))
    run = playbook(str(path), "-i", "localhost,", env={"ANSIBLE_STRATEGY": "linear"})
    assert run.returncode == 0, run.output[-6000:]
    said = json.loads(messages.read_text())
    assert sorted(said) == modules
    for module, result in said.items():
        assert result["failed"], f"{module} accepted an unknown option: {result}"
        assert "module_stderr" not in result, f"{module} did not start: {result}"
        assert result["msg"].startswith(ARGUMENT_CHECK), f"{module}: {result['msg']}"
