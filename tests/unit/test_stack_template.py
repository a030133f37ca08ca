"""The base stack template as the stack role renders it: what scanners cannot judge, asserted here.

Rendered through ansible-playbook (the role's own Jinja environment), without any AWS call; the
network IDs come as extra vars, so no emulator is needed.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

REPO = Path(__file__).resolve().parents[2]
VARIANTS = REPO / "tests" / "lint" / "variants"
NETWORK = {
    "quoin_vpc_id": "vpc-0123456789abcdef0",
    "quoin_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}


def render(tmp_path_factory, variant=None):
    dest = tmp_path_factory.mktemp("cfn") / "stack.cfn.yml"
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")), str(REPO / "tests/lint/render_stack_template.yml"), "-i", str(REPO / "inventories/local"),
        "-e", json.dumps(NETWORK), "-e", f"render_dest={dest}",
    ]
    if variant:
        command += ["-e", f"@{VARIANTS / variant}"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(json.dumps(cfn_yaml.load(str(dest)), default=str))


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return render(tmp_path_factory)["Resources"]


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    return render(tmp_path_factory, "larger.yml")["Resources"]


def of_type(resources, kind):
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


def ingress_into(resources, group):
    """Every ingress rule of a security group: inline ones and separate SecurityGroupIngress resources."""
    rules = list(resources[group]["Properties"].get("SecurityGroupIngress", []))
    rules += [p for p in of_type(resources, "AWS::EC2::SecurityGroupIngress").values() if p["GroupId"] == {"Ref": group}]
    return rules


def test_only_the_load_balancer_is_public(default):
    for name, props in of_type(default, "AWS::EC2::SecurityGroup").items():
        world = [r for r in props.get("SecurityGroupIngress", []) if r.get("CidrIp") == "0.0.0.0/0"]
        if name == "LoadBalancerSecurityGroup":
            assert [(r["FromPort"], r["ToPort"]) for r in world] == [(80, 80)]
        else:
            assert world == [], name
    for props in of_type(default, "AWS::EC2::SecurityGroupIngress").values():
        assert "CidrIp" not in props and "CidrIpv6" not in props


def test_the_proxy_is_reached_only_through_the_load_balancer(default):
    rules = ingress_into(default, "ServiceProxySecurityGroup")
    assert [(r["SourceSecurityGroupId"], r["FromPort"]) for r in rules] == [({"Ref": "LoadBalancerSecurityGroup"}, 8080)]


@pytest.mark.parametrize("service, port", [("Site", 3000), ("Cms", 8080)])
def test_site_and_cms_are_reached_only_from_the_proxy(default, service, port):
    rules = ingress_into(default, f"Service{service}SecurityGroup")
    assert [(r["SourceSecurityGroupId"], r["FromPort"], r["ToPort"]) for r in rules] == [
        ({"Ref": "ServiceProxySecurityGroup"}, port, port)
    ]


def test_nfs_only_from_the_tasks_that_mount_the_file_system(default):
    rules = ingress_into(default, "FileSystemCmsSecurityGroup")
    assert [(r["SourceSecurityGroupId"], r["FromPort"]) for r in rules] == [
        ({"Ref": "ServiceCmsSecurityGroup"}, 2049),
        ({"Ref": "BackupTaskSecurityGroup"}, 2049),
    ]


def test_every_rule_says_why(default):
    for props in of_type(default, "AWS::EC2::SecurityGroup").values():
        for rule in props.get("SecurityGroupIngress", []) + props.get("SecurityGroupEgress", []):
            assert rule.get("Description")
    for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        for props in of_type(default, kind).values():
            assert props.get("Description")


def test_data_is_encrypted_and_kept(default):
    file_system = default["FileSystemCms"]
    assert file_system["Properties"]["Encrypted"] is True
    for name in ("FileSystemCms", "LogGroup", "BackupBucket", "DataKey"):
        # Kept when the stack is deleted; deleted only when a failed first creation rolls back, so a
        # retry does not collide with what the failed attempt left (the log group has a fixed name).
        assert default[name]["DeletionPolicy"] == "RetainExceptOnCreate", name
        assert default[name]["UpdateReplacePolicy"] == "Retain", name
    assert default["LogGroup"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert default["DataKey"]["Properties"]["EnableKeyRotation"] is True


def test_mount_targets_in_every_subnet(default):
    targets = of_type(default, "AWS::EFS::MountTarget")
    assert sorted(t["SubnetId"]["Ref"] for t in targets.values()) == ["Subnet1", "Subnet2"]


def test_backup_bucket_is_private_versioned_encrypted_and_tls_only(default):
    bucket = default["BackupBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms"
    statement = default["BackupBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cluster_has_container_insights(default):
    assert {"Name": "containerInsights", "Value": "enabled"} in default["Cluster"]["Properties"]["ClusterSettings"]


def policy_statements(role):
    return [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def test_roles_are_separate_and_least_privilege(default):
    roles = of_type(default, "AWS::IAM::Role")
    assert set(roles) == {
        "ExecutionRole", "ServiceSiteTaskRole", "ServiceCmsTaskRole", "ServiceProxyTaskRole",
        "BackupTaskRole", "RestoreTaskRole", "BackupSchedulerRole",
    }
    for name, role in roles.items():
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        principal = "scheduler.amazonaws.com" if name == "BackupSchedulerRole" else "ecs-tasks.amazonaws.com"
        assert [s["Principal"] for s in trust] == [{"Service": principal}], name
        assert [s["Condition"] for s in trust] == [{"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}], name
        for statement in policy_statements(role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if statement["Resource"] == "*":
                # The one action AWS offers no resource-level permission for (ECS Exec is off here).
                assert actions == ["ecr:GetAuthorizationToken"], (name, statement)
    assert policy_statements(roles["ServiceSiteTaskRole"]) == []
    assert policy_statements(roles["ServiceProxyTaskRole"]) == []
    cms = policy_statements(roles["ServiceCmsTaskRole"])
    assert [s["Action"] for s in cms] == [["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]]


def test_read_only_mounts_get_no_write_permission(larger):
    site = policy_statements(larger["ServiceSiteTaskRole"]["Properties"])
    assert [s["Action"] for s in site] == [["elasticfilesystem:ClientMount"]]


def test_services_that_talk_both_ways_form_no_cycle(larger):
    # Each direction is a separate egress resource, so neither security group references the other inline.
    egress = of_type(larger, "AWS::EC2::SecurityGroupEgress")
    assert {"ServiceSiteToCms", "ServiceCmsToSite"} <= set(egress)
    for group in ("ServiceSiteSecurityGroup", "ServiceCmsSecurityGroup"):
        inline = json.dumps(larger[group]["Properties"])
        assert "ServiceSiteSecurityGroup" not in inline and "ServiceCmsSecurityGroup" not in inline
    assert len(of_type(larger, "AWS::EFS::MountTarget")) == 2 * 3


def test_https_redirects_and_terminates_tls(tmp_path_factory):
    resources = render(tmp_path_factory, "https.yml")["Resources"]
    assert resources["HttpListener"]["Properties"]["DefaultActions"][0]["Type"] == "redirect"
    assert resources["HttpsListener"]["Properties"]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    world = [r["FromPort"] for r in resources["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]]
    assert world == [80, 443]


def test_without_a_load_balancer_the_entry_service_is_public(tmp_path_factory):
    resources = render(tmp_path_factory, "no-load-balancer.yml")["Resources"]
    assert "LoadBalancer" not in resources and "LoadBalancerSecurityGroup" not in resources
    world = resources["ServiceProxySecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["CidrIp"], r["FromPort"]) for r in world] == [("0.0.0.0/0", 8080)]


def test_the_execution_role_reads_only_the_named_secrets(default):
    statements = {s["Sid"]: s for s in policy_statements(default["ExecutionRole"]["Properties"])}
    assert statements["ReadTheNamedParameters"]["Action"] == "ssm:GetParameters"
    assert statements["ReadTheNamedParameters"]["Resource"] == [
        "arn:aws:ssm:eu-central-1:123456789012:parameter/quoin/local/mesh-admin-password"
    ]
    assert "ReadTheNamedSecrets" not in statements
    assert statements["WriteContainerLogs"]["Resource"] == {"Fn::Sub": "${LogGroup.Arn}"}


# What the emulator cannot show (it keeps its default topic policy, and nothing ever publishes), the
# rendered template shows: the alert topic is encrypted, and only this account's alarms and the
# deployment rule may publish to it.
def test_the_alert_topic_is_encrypted_and_only_alarms_and_the_deployment_rule_publish(default):
    topic = default["AlertTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    statements = {s["Sid"]: s for s in default["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["AlarmsOfThisAccountPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["AlarmsOfThisAccountPublish"]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert statements["FailedDeploymentsPublish"]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["DeploymentFailedRule", "Arn"]}}}
    assert statements["DenyWithoutTLS"]["Effect"] == "Deny"
    key = {s["Sid"]: s for s in default["DataKey"]["Properties"]["KeyPolicy"]["Statement"]}
    publishers = key["AlarmsAndEventsPublishToTheAlertTopic"]
    assert publishers["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_subscriptions_come_from_the_inventory(tmp_path_factory):
    template = render(tmp_path_factory, "larger.yml")
    assert template["Resources"]["AlertTopic"]["Properties"]["Subscription"] == [
        {"Protocol": "email", "Endpoint": {"Ref": "AlertEndpoint1"}},
        {"Protocol": "https", "Endpoint": {"Ref": "AlertEndpoint2"}},
    ]
    # The endpoints (a webhook URL carries its token) are NoEcho parameters, not template text; a digest
    # of them in the template makes a changed endpoint a changed template.
    for index in (1, 2):
        assert template["Parameters"][f"AlertEndpoint{index}"]["NoEcho"] is True
    endpoints = json.dumps(["ops@example.org", "https://hooks.example.org/quoin"])
    assert template["Metadata"]["QuoinAlertEndpointsSha256"] == hashlib.sha256(endpoints.encode()).hexdigest()
    assert "hooks.example.org" not in json.dumps(template)


def test_the_backup_tasks_read_or_write_only_their_environment(default):
    backup = {s["Sid"]: s for s in policy_statements(default["BackupTaskRole"]["Properties"])}
    restore = {s["Sid"]: s for s in policy_statements(default["RestoreTaskRole"]["Properties"])}
    assert backup["WriteBackups"]["Action"] == "s3:PutObject"
    assert restore["ReadBackups"]["Action"] == "s3:GetObject"
    for statements in (backup, restore):
        assert statements["ListThisEnvironmentsBackups"]["Condition"] == {"StringLike": {"s3:prefix": [{"Fn::Sub": "${EnvironmentName}/*"}]}}
    assert backup["MountCms"]["Action"] == ["elasticfilesystem:ClientMount"]
    assert restore["MountCms"]["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    scheduler = {s["Sid"]: s for s in policy_statements(default["BackupSchedulerRole"]["Properties"])}
    assert scheduler["RunTheBackupTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": ["Cluster", "Arn"]}}}
    assert scheduler["PassTheBackupTaskRoles"]["Resource"] == [
        {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
        {"Fn::GetAtt": ["BackupTaskRole", "Arn"]},
    ]


def test_backups_expire_after_the_retention(default, tmp_path_factory):
    rules = default["BackupBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Id"], r["Status"], r["ExpirationInDays"]) for r in rules] == [("expire-backups", "Enabled", 35)]
    larger = render(tmp_path_factory, "larger.yml")["Resources"]
    assert larger["BackupBucket"]["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90


def test_failed_deployments_of_this_cluster_reach_the_topic(default):
    rule = default["DeploymentFailedRule"]["Properties"]
    assert rule["EventPattern"]["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
    assert rule["EventPattern"]["detail-type"] == ["ECS Deployment State Change"]
    assert [t["Arn"] for t in rule["Targets"]] == [{"Ref": "AlertTopic"}]


@pytest.fixture(scope="module")
def every_variant(tmp_path_factory):
    variants = {"default": render(tmp_path_factory)}
    for path in sorted(VARIANTS.glob("*.yml")):
        variants[path.stem] = render(tmp_path_factory, path.name)
    return variants


def test_every_checkov_skip_says_why(every_variant):
    skips = 0
    for variant, template in every_variant.items():
        for name, resource in template["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                skips += 1
                assert skip["id"].startswith("CKV_"), (variant, name, skip)
                assert len(skip.get("comment", "").split()) >= 5, (variant, name, skip)
    assert skips > 0


def test_https_and_access_logs_leave_nothing_to_skip_on_the_load_balancer(every_variant):
    resources = every_variant["https"]["Resources"]
    for name in ("LoadBalancer", "HttpListener", "HttpsListener"):
        assert "checkov" not in resources[name].get("Metadata", {}), name
    attributes = {a["Key"]: a["Value"] for a in resources["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert resources["HttpsListener"]["Properties"]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")


def test_the_execution_role_pulls_only_the_inventorys_repositories(default, every_variant):
    statements = {s["Sid"]: s for s in policy_statements(default["ExecutionRole"]["Properties"])}
    assert statements["PullTheInventorysImages"]["Resource"] == [
        "arn:aws:ecr:eu-central-1:123456789012:repository/quoin/proxy",
        "arn:aws:ecr:eu-central-1:123456789012:repository/quoin/site",
    ]
    # Images from other registries need no AWS permission, so no ECR statement at all.
    larger = {s["Sid"] for s in policy_statements(every_variant["larger"]["Resources"]["ExecutionRole"]["Properties"])}
    assert not {"RegistryLogin", "PullTheInventorysImages"} & larger


# A wildcard in a resource is allowed only where it stays inside this environment's own resources.
SCOPED_WILDCARDS = (
    "${BackupBucket.Arn}/${EnvironmentName}/*",
    ":task-definition/quoin-${EnvironmentName}-backup:*",
    # The repositories ECR creates under this environment's pull-through cache prefixes.
    ":repository/${EnvironmentName}/",
)


def test_every_permission_names_its_resources(every_variant):
    for variant, template in every_variant.items():
        for name, role in of_type(template["Resources"], "AWS::IAM::Role").items():
            for statement in policy_statements(role):
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for resource in resources:
                    text = json.dumps(resource)
                    if resource == "*":
                        # The actions AWS offers no resource-level permission for.
                        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                        assert actions == ["ecr:GetAuthorizationToken"] or all(a.startswith("ssmmessages:") for a in actions), (variant, name, statement)
                    elif "*" in text:
                        assert any(scope in text for scope in SCOPED_WILDCARDS), (variant, name, statement)


def test_ecs_exec_only_where_the_inventory_asks(default, every_variant):
    # Off by default: no task role may open SSM channels.
    for name, role in of_type(default, "AWS::IAM::Role").items():
        assert "ssmmessages" not in json.dumps(role), name
    larger = every_variant["larger"]["Resources"]
    assert "ssmmessages:CreateControlChannel" in json.dumps(larger["ServiceSearchIndexTaskRole"])
    assert "ssmmessages" not in json.dumps(larger["ServiceSiteTaskRole"])


def test_pull_through_caches_only_where_the_inventory_names_them(default, every_variant):
    assert of_type(default, "AWS::ECR::PullThroughCacheRule") == {}
    assert "PullThroughTheCaches" not in {s["Sid"] for s in policy_statements(default["ExecutionRole"]["Properties"])}
    resources = every_variant["pull-through"]["Resources"]
    assert of_type(resources, "AWS::ECR::PullThroughCacheRule") == {
        "PullThroughCacheDockerHub": {
            "EcrRepositoryPrefix": "local/docker-hub",
            "UpstreamRegistry": "docker-hub",
            "UpstreamRegistryUrl": "registry-1.docker.io",
            "CredentialArn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        },
        # ECR Public needs no credential.
        "PullThroughCacheEcrPublic": {"EcrRepositoryPrefix": "local/ecr-public", "UpstreamRegistry": "ecr-public", "UpstreamRegistryUrl": "public.ecr.aws"},
    }


def test_the_execution_role_may_fill_only_this_environments_caches(every_variant):
    statements = {s["Sid"]: s for s in policy_statements(every_variant["pull-through"]["Resources"]["ExecutionRole"]["Properties"])}
    pull = statements["PullThroughTheCaches"]
    # A first pull creates the cache repository and imports the image; a later one imports a moved tag.
    assert {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"} <= set(pull["Action"])
    assert pull["Resource"] == [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/${{EnvironmentName}}/{upstream}/*"}
        for upstream in ("docker-hub", "ecr-public")
    ]
    assert statements["RegistryLogin"]["Action"] == "ecr:GetAuthorizationToken"
