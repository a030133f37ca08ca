"""The environment model: normalization, and every problem reported with the variable it comes from."""

import copy

import pytest

from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import ModelError
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import cfn_name
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

VALID = {
    "environment": "prod",
    "stack_name": None,
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "public_subnet_ids": None,
    "log_retention_days": None,
    "load_balancer": None,
    "entry_service": "proxy",
    "file_systems": [{"name": "cms"}],
    "services": [
        {"name": "site", "port": 3000, "image": "site:1"},
        {"name": "cms", "port": 8080, "image": "cms:1", "volumes": [{"name": "data", "file_system": "cms", "path": "/mesh/data"}]},
        {"name": "proxy", "port": 80, "image": "proxy:1", "talks_to": ["site", "cms"]},
    ],
}


def model(**changes):
    raw = copy.deepcopy(VALID)
    raw.update(changes)
    return raw


def problems_of(raw):
    with pytest.raises(ModelError) as error:
        normalize_environment(raw)
    return error.value.problems


def test_defaults_are_filled_in():
    result = normalize_environment(model())
    assert result["stack_name"] == "quoin-prod"
    assert result["log_retention_days"] == 30
    assert result["public_subnet_ids"] == VALID["subnet_ids"]
    assert result["load_balancer"] == {"enabled": True, "certificate_arn": "", "health_check_path": "/", "access_logs_bucket": ""}


def test_services_learn_who_reaches_them_and_what_they_mount():
    services = {svc["name"]: svc for svc in normalize_environment(model())["services"]}
    assert services["site"]["reached_by"] == ["proxy"]
    assert services["cms"]["reached_by"] == ["proxy"]
    assert services["proxy"]["reached_by"] == []
    assert services["proxy"]["entry"] is True and services["site"]["entry"] is False
    assert services["cms"]["file_systems"] == ["cms"]
    assert services["cms"]["writes_to"] == ["cms"]
    assert services["cms"]["volumes"][0]["read_only"] is False
    assert services["site"]["file_systems"] == []


def test_volumes_get_an_access_point_with_defaults():
    volume = normalize_environment(model())["services"][1]["volumes"][0]
    assert volume == {
        "name": "data",
        "file_system": "cms",
        "path": "/mesh/data",
        "read_only": False,
        "uid": 1000,
        "gid": 1000,
        "root_directory": "/cms/data",
        "permissions": "0750",
        "access_point_name": "prod-cms-data",
        "backup": True,
        "single_writer": False,
    }


def test_a_service_rolls_out_with_ecs_defaults_unless_it_says_otherwise():
    raw = model()
    raw["services"][0].update(desired_count=4, deployment={"minimum_healthy_percent": "50", "maximum_percent": 150})
    services = normalize_environment(raw)["services"]
    assert services[0]["deployment"] == {"minimum_healthy_percent": 50, "maximum_percent": 150}
    assert services[1]["deployment"] == {"minimum_healthy_percent": 100, "maximum_percent": 200}


def test_a_single_writer_volume_makes_its_service_stop_before_it_starts():
    raw = model()
    raw["services"][1]["volumes"][0]["single_writer"] = True
    cms = normalize_environment(raw)["services"][1]
    assert cms["volumes"][0]["single_writer"] is True
    assert cms["deployment"] == {"minimum_healthy_percent": 0, "maximum_percent": 100}
    # Said outright, the same.
    raw["services"][1]["deployment"] = {"minimum_healthy_percent": 0, "maximum_percent": 100}
    assert normalize_environment(raw)["services"][1]["deployment"] == cms["deployment"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"desired_count": 2}, "quoin_services[1].desired_count: 2 tasks would write the single-writer volume data at once; at most 1"),
        ({"deployment": {"minimum_healthy_percent": 100, "maximum_percent": 200}},
         "quoin_services[1].deployment: the single-writer volume data needs stop-before-start (minimum_healthy_percent 0, "
         "maximum_percent 100), so that the old task stops before the new one starts; 100 / 200 would run both"),
        ({"deployment": {"maximum_percent": 200}}, "quoin_services[1].deployment: the single-writer volume data needs stop-before-start"),
    ],
)
def test_a_single_writer_volume_refuses_what_would_run_two_writers(change, message):
    raw = model()
    raw["services"][1]["volumes"][0]["single_writer"] = True
    raw["services"][1].update(change)
    problems = problems_of(raw)
    assert any(p.startswith(message) for p in problems), problems


@pytest.mark.parametrize(
    "change, message",
    [
        ({"deployment": {"minimum_healthy_percent": 101}}, "quoin_services[0].deployment.minimum_healthy_percent: 101 must be a whole number from 0 to 100"),
        ({"deployment": {"maximum_percent": 99}}, "quoin_services[0].deployment.maximum_percent: 99 must be a whole number from 100 to 200"),
        ({"deployment": {"maximum_percent": 201}}, "quoin_services[0].deployment.maximum_percent: 201 must be a whole number from 100 to 200"),
        ({"deployment": {"maximum_percent": "lots"}}, "quoin_services[0].deployment.maximum_percent: 'lots' must be a whole number"),
        ({"deployment": {"max_percent": 150}}, "quoin_services[0].deployment: unknown settings max_percent (known: minimum_healthy_percent, maximum_percent)"),
        ({"deployment": "rolling"}, "quoin_services[0].deployment: must be a mapping"),
        # One task: at most one may run, and one must stay running.
        ({"deployment": {"minimum_healthy_percent": 100, "maximum_percent": 100}},
         "quoin_services[0].deployment: with desired_count 1, maximum_percent 100 allows 1 tasks and minimum_healthy_percent 100 "
         "keeps 1 running, so a deploy can neither start a new task nor stop an old one"),
        ({"desired_count": 1, "deployment": {"minimum_healthy_percent": 50, "maximum_percent": 150}},
         "quoin_services[0].deployment: with desired_count 1, maximum_percent 150 allows 1 tasks"),
        ({"volumes": [{"name": "copy", "file_system": "cms", "path": "/c", "read_only": True, "backup": False, "single_writer": True}]},
         "quoin_services[0].volumes[0].single_writer: a read-only volume is not written"),
        ({"volumes": [{"name": "copy", "file_system": "cms", "path": "/c", "single_writer": "yes"}]},
         "quoin_services[0].volumes[0].single_writer: 'yes' must be true or false"),
    ],
)
def test_bad_deployment_settings_name_their_path(change, message):
    raw = model()
    raw["services"][0].update(change)
    problems = problems_of(raw)
    assert any(p.startswith(message) for p in problems), problems


def test_a_service_at_zero_tasks_has_nothing_to_roll_out():
    raw = model()
    raw["services"][0].update(desired_count=0, deployment={"minimum_healthy_percent": 100, "maximum_percent": 100})
    assert normalize_environment(raw)["services"][0]["deployment"]["maximum_percent"] == 100


def test_the_group_defaults_to_the_user():
    raw = model()
    raw["services"][1]["volumes"][0].update(uid="999", root_directory="/mesh", permissions="755")
    volume = normalize_environment(raw)["services"][1]["volumes"][0]
    assert (volume["uid"], volume["gid"], volume["root_directory"], volume["permissions"]) == (999, 999, "/mesh", "755")


def test_containers_get_safe_defaults():
    site = normalize_environment(model())["services"][0]
    assert (site["cpu"], site["memory"], site["desired_count"]) == (256, 512, 1)
    assert site["readonly_root_filesystem"] is True and site["assign_public_ip"] is False
    assert site["environment"] == {} and site["secrets"] == {} and site["health_check"] is None


def test_a_shell_health_check_and_plain_values_are_converted():
    raw = model()
    raw["services"][0].update(
        health_check={"command": "curl -f localhost || exit 1"}, environment={"PORT": 3000, "DEBUG": True}
    )
    site = normalize_environment(raw)["services"][0]
    assert site["health_check"] == {
        "command": ["CMD-SHELL", "curl -f localhost || exit 1"], "interval": 30, "timeout": 5, "retries": 3, "start_period": 0,
    }
    assert site["environment"] == {"PORT": "3000", "DEBUG": "true"}


def test_deploy_settings():
    result = normalize_environment(model())
    assert (result["deploy_timeout"], result["discovery_namespace"]) == (900, "prod.quoin.internal")
    problems = problems_of(model(deploy_timeout=10, discovery_namespace="not a name"))
    assert {p.split(":")[0] for p in problems} == {"quoin_deploy_timeout", "quoin_discovery_namespace"}


def test_read_only_volumes_grant_no_write():
    raw = model()
    raw["services"][1]["volumes"][0]["read_only"] = True
    cms = normalize_environment(raw)["services"][1]
    assert cms["file_systems"] == ["cms"]
    assert cms["writes_to"] == []


def test_numbers_given_as_text_are_accepted():
    # Extra vars (-e quoin_log_retention_days=14) always arrive as text.
    raw = model(log_retention_days="14")
    raw["services"][0]["port"] = "3000"
    result = normalize_environment(raw)
    assert result["log_retention_days"] == 14
    assert result["services"][0]["port"] == 3000


def test_the_input_is_not_modified():
    raw = model()
    before = copy.deepcopy(raw)
    normalize_environment(raw)
    assert raw == before


@pytest.mark.parametrize(
    "name, expected",
    [("site", "Site"), ("mesh-cms", "MeshCms"), ("search-index-2", "SearchIndex2")],
)
def test_cfn_name(name, expected):
    assert cfn_name(name) == expected


@pytest.mark.parametrize(
    "changes, variable",
    [
        ({"environment": "Prod"}, "quoin_environment"),
        ({"environment": None}, "quoin_environment"),
        ({"stack_name": "1-stack"}, "quoin_stack_name"),
        ({"vpc_id": "vpc-xyz"}, "quoin_vpc_id"),
        ({"subnet_ids": []}, "quoin_subnet_ids"),
        ({"subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef0"]}, "quoin_subnet_ids"),
        ({"subnet_ids": ["sub-1"]}, "quoin_subnet_ids[0]"),
        ({"public_subnet_ids": ["nope"]}, "quoin_public_subnet_ids[0]"),
        ({"log_retention_days": 10}, "quoin_log_retention_days"),
        ({"load_balancer": {"certificate_arn": "arn:aws:iam::1:cert"}}, "quoin_load_balancer.certificate_arn"),
        ({"load_balancer": {"health_check_path": "health"}}, "quoin_load_balancer.health_check_path"),
        ({"load_balancer": {"access_logs_bucket": "Not_A_Bucket"}}, "quoin_load_balancer.access_logs_bucket"),
        ({"entry_service": "gateway"}, "quoin_entry_service"),
        ({"services": []}, "quoin_services"),
        ({"file_systems": [{"name": "cms"}, {"name": "cms"}]}, "quoin_file_systems[1].name"),
    ],
)
def test_bad_values_name_their_variable(changes, variable):
    problems = problems_of(model(**changes))
    assert any(p.startswith(variable + ":") for p in problems), problems


@pytest.mark.parametrize(
    "index, change, variable",
    [
        (0, {"name": "Site"}, "quoin_services[0].name"),
        (1, {"name": "site"}, "quoin_services[1].name"),
        (0, {"port": 0}, "quoin_services[0].port"),
        (0, {"port": 70000}, "quoin_services[0].port"),
        (0, {"port": True}, "quoin_services[0].port"),
        (2, {"talks_to": ["site", "search"]}, "quoin_services[2].talks_to"),
        (2, {"talks_to": ["proxy"]}, "quoin_services[2].talks_to"),
        (0, {"image": ""}, "quoin_services[0].image"),
        (0, {"image": "site 1"}, "quoin_services[0].image"),
        (0, {"cpu": 300}, "quoin_services[0].cpu"),
        (0, {"cpu": 256, "memory": 4096}, "quoin_services[0].memory"),
        (0, {"cpu": 1024, "memory": 1024}, "quoin_services[0].memory"),
        (0, {"desired_count": -1}, "quoin_services[0].desired_count"),
        (0, {"command": "node server.js"}, "quoin_services[0].command"),
        (0, {"environment": {"1BAD": "x"}}, "quoin_services[0].environment"),
        (0, {"environment": {"NESTED": {"a": 1}}}, "quoin_services[0].environment.NESTED"),
        (0, {"secrets": {"DB_PASSWORD": "hunter2"}}, "quoin_services[0].secrets.DB_PASSWORD"),
        (0, {"secrets": {"DB_PASSWORD": "arn:aws:s3:::bucket/key"}}, "quoin_services[0].secrets.DB_PASSWORD"),
        (0, {"environment": {"TOKEN": "x"}, "secrets": {"TOKEN": "arn:aws:ssm:eu-central-1:123456789012:parameter/t"}},
         "quoin_services[0].secrets.TOKEN"),
        (0, {"health_check": {"command": ["curl", "x"]}}, "quoin_services[0].health_check.command"),
        (0, {"health_check": {"command": "true", "interval": 1}}, "quoin_services[0].health_check.interval"),
        (0, {"user": "root"}, "quoin_services[0].user"),
        (0, {"user": "0:0"}, "quoin_services[0].user"),
        (0, {"scratch_paths": ["tmp"]}, "quoin_services[0].scratch_paths"),
        (1, {"volumes": [{"name": "data", "file_system": "media", "path": "/d"}]}, "quoin_services[1].volumes[0].file_system"),
        (1, {"volumes": [{"name": "a", "file_system": "cms", "path": "/a"}, {"name": "a", "file_system": "cms", "path": "/b"}]},
         "quoin_services[1].volumes[1].name"),
        (1, {"volumes": [{"name": "data", "file_system": "cms"}]}, "quoin_services[1].volumes[0].path"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "relative"}]}, "quoin_services[1].volumes[0].path"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "uid": -1}]}, "quoin_services[1].volumes[0].uid"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "uid": 4294967296}]},
         "quoin_services[1].volumes[0].uid"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "gid": "staff"}]}, "quoin_services[1].volumes[0].gid"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "root_directory": "/"}]},
         "quoin_services[1].volumes[0].root_directory"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "root_directory": "data"}]},
         "quoin_services[1].volumes[0].root_directory"),
        (1, {"volumes": [{"name": "data", "file_system": "cms", "path": "/d", "permissions": "0800"}]},
         "quoin_services[1].volumes[0].permissions"),
    ],
)
def test_bad_services_name_their_path(index, change, variable):
    raw = model()
    raw["services"][index].update(change)
    problems = problems_of(raw)
    assert any(p.startswith(variable + ":") for p in problems), problems


def test_ecs_exec_on_a_read_only_root_needs_the_ssm_agent_paths_writable():
    raw = model()
    raw["services"][0].update(enable_execute_command=True, scratch_paths=["/tmp", "/var/lib/amazon/ssm"])
    problems = problems_of(raw)
    [problem] = [p for p in problems if p.startswith("quoin_services[0].enable_execute_command:")]
    assert "/var/log/amazon/ssm" in problem and "/var/lib/amazon/ssm" not in problem
    assert "quoin_services[0].scratch_paths" in problem


@pytest.mark.parametrize(
    "change",
    [
        {"scratch_paths": ["/var/lib/amazon/ssm", "/var/log/amazon/ssm/"]},
        # A directory above both makes them writable too.
        {"scratch_paths": ["/var"]},
        {"readonly_root_filesystem": False},
    ],
)
def test_ecs_exec_is_accepted_where_the_ssm_agent_can_write(change):
    raw = model()
    raw["services"][0].update(enable_execute_command=True, **change)
    assert normalize_environment(raw)["services"][0]["enable_execute_command"] is True


def test_a_scratch_path_only_sharing_a_prefix_does_not_cover_the_agent():
    raw = model()
    raw["services"][0].update(enable_execute_command=True, scratch_paths=["/var/lib/amazon/ss", "/var/log/amazon/ssm"])
    assert any(p.startswith("quoin_services[0].enable_execute_command:") for p in problems_of(raw))


def test_names_that_collide_as_logical_ids_are_refused():
    raw = model()
    # Digits have no upper case, so 'cms-2' and 'cms2' both become 'Cms2'.
    raw["services"].append({"name": "cms2", "port": 81, "image": "x:1"})
    raw["services"].append({"name": "cms-2", "port": 82, "image": "x:1"})
    problems = problems_of(raw)
    assert any(p.startswith("quoin_services[4].name:") and "clashes with 'cms2'" in p for p in problems), problems


@pytest.mark.parametrize("name", ["backup", "restore", "probe"])
def test_names_of_the_collections_own_task_families_are_refused(name):
    raw = model()
    raw["services"].append({"name": name, "port": 81, "image": "x:1"})
    assert any(p.startswith("quoin_services[3].name:") and "is taken" in p for p in problems_of(raw))


def test_every_problem_is_reported_at_once():
    problems = problems_of(model(vpc_id="bad", subnet_ids=[], entry_service="nobody"))
    assert {p.split(":")[0] for p in problems} == {"quoin_vpc_id", "quoin_subnet_ids", "quoin_entry_service"}
    assert "the inventory is not valid" in str(ModelError(problems))


def test_alarms_merge_environment_and_service_settings():
    raw = model(alarms={"cpu": {"threshold": 70}, "errors": {"pattern": "ERROR"}})
    raw["services"][1]["alarms"] = {"cpu": {"threshold": 90, "period": 60}, "memory": {"enabled": False}}
    services = {svc["name"]: svc for svc in normalize_environment(raw)["services"]}
    assert services["site"]["alarms"]["cpu"] == {"threshold": 70, "period": 300, "evaluation_periods": 3, "enabled": True}
    assert services["cms"]["alarms"]["cpu"] == {"threshold": 90, "period": 60, "evaluation_periods": 3, "enabled": True}
    assert services["cms"]["alarms"]["memory"]["enabled"] is False
    assert services["cms"]["alarms"]["errors"]["pattern"] == "ERROR"
    assert services["proxy"]["alarms"]["running_tasks"] == {"period": 60, "evaluation_periods": 5, "enabled": True}


def test_backup_defaults_and_backed_up_volumes():
    result = normalize_environment(model())
    assert result["backup"]["schedule"] == "cron(0 3 * * ? *)"
    assert result["backup"]["retention_days"] == 35
    assert result["backup"]["enabled"] is True
    assert result["backup"]["volumes"] == [
        {"service": "cms", "volume": "data", "file_system": "cms", "access_point_name": "prod-cms-data", "key": "cms/data"}
    ]
    assert result["alerts"] == {"subscriptions": []}


def test_read_only_volumes_are_not_backed_up_by_default():
    raw = model()
    raw["services"][0]["volumes"] = [{"name": "shared", "file_system": "cms", "path": "/srv", "read_only": True}]
    result = normalize_environment(raw)
    assert [v["key"] for v in result["backup"]["volumes"]] == ["cms/data"]


@pytest.mark.parametrize(
    "changes, variable",
    [
        ({"alarms": {"cpu": {"threshold": 150}}}, "quoin_alarms.cpu.threshold"),
        ({"alarms": {"cpu": {"period": 90}}}, "quoin_alarms.cpu.period"),
        ({"alarms": {"memory": {"evaluation_periods": 0}}}, "quoin_alarms.memory.evaluation_periods"),
        ({"alarms": {"errors": {"pattern": " "}}}, "quoin_alarms.errors.pattern"),
        ({"alarms": {"disk": {}}}, "quoin_alarms: 'disk'"),
        ({"alarms": {"cpu": {"treshold": 1}}}, "quoin_alarms.cpu: unknown settings treshold"),
        ({"alerts": {"subscriptions": [{"protocol": "pigeon", "endpoint": "x"}]}}, "quoin_alerts.subscriptions[0].protocol"),
        ({"alerts": {"subscriptions": [{"endpoint": "not-an-address"}]}}, "quoin_alerts.subscriptions[0].endpoint"),
        ({"alerts": {"subscriptions": [{"protocol": "https", "endpoint": "http://x"}]}}, "quoin_alerts.subscriptions[0].endpoint"),
        ({"alerts": {"subscriptions": [{"endpoint": "a@b.io"}, {"endpoint": "a@b.io"}]}}, "subscriptions[1]: the same email endpoint as subscriptions[0]"),
        ({"alerts": ["a@b.io"]}, "quoin_alerts: must be a mapping"),
        ({"backup": {"schedule": "every night"}}, "quoin_backup.schedule"),
        ({"backup": {"retention_days": 0}}, "quoin_backup.retention_days"),
        ({"backup": {"cpu": 256, "memory": 4096}}, "quoin_backup.cpu/memory"),
        ({"backup": {"bucket": "x"}}, "quoin_backup: unknown settings bucket"),
    ],
)
def test_bad_monitoring_and_backup_settings_name_their_variable(changes, variable):
    assert any(variable in problem for problem in problems_of(model(**changes)))


def test_a_read_only_volume_cannot_be_backed_up():
    raw = model()
    raw["services"][0]["volumes"] = [{"name": "shared", "file_system": "cms", "path": "/srv", "read_only": True, "backup": True}]
    assert any("quoin_services[0].volumes[0].backup" in p for p in problems_of(raw))


def test_alert_endpoints_are_never_quoted_nor_kept_in_the_model():
    hook = "https://hooks.example.org/services/T000/B000/s3cr3t-t0ken"
    result = normalize_environment(model(alerts={"subscriptions": [{"protocol": "https", "endpoint": hook}]}))
    assert hook not in repr(result)
    assert result["alerts"] == {"subscriptions": [{"protocol": "https"}]}
    problems = problems_of(model(alerts={"subscriptions": [{"protocol": "http", "endpoint": hook}, {"protocol": "http", "endpoint": hook}]}))
    assert problems and not [p for p in problems if "s3cr3t" in p]


@pytest.mark.parametrize("name", ["DB_PASSWORD", "MESH_ADMIN_SECRET", "GITHUB_TOKEN", "STRIPE_API_KEY", "app_private_key", "AWS_CREDENTIALS"])
def test_a_credential_in_plain_environment_is_refused_without_quoting_it(name):
    raw = model()
    raw["services"][0]["environment"] = {name: "hunter2-s3cr3t"}
    problems = problems_of(raw)
    assert [p for p in problems if p.startswith(f"quoin_services[0].environment.{name}: looks like a credential")]
    assert not [p for p in problems if "hunter2" in p]


def test_names_that_only_mention_a_key_are_plain_settings():
    raw = model()
    raw["services"][0]["environment"] = {"MESH_AUTH_KEYSTORE_PATH": "/mesh/data/keystore.jceks", "TOKEN_TTL_SECONDS": "60"}
    assert normalize_environment(raw)["services"][0]["environment"]["TOKEN_TTL_SECONDS"] == "60"


def test_without_the_network_nothing_of_it_is_checked_or_kept():
    # What local_dev.yml asks for: it makes no AWS call, and the local network may not exist yet.
    normalized = normalize_environment(model(network=False, vpc_id="the local AWS was never started", subnet_ids=[]))
    assert (normalized["vpc_id"], normalized["subnet_ids"], normalized["public_subnet_ids"]) == (None, [], [])
    assert {p.split(":")[0] for p in problems_of(model(vpc_id="the local AWS was never started", subnet_ids=[]))} == {
        "quoin_vpc_id",
        "quoin_subnet_ids",
    }
def with_containers(**changes):
    """VALID with the site given init containers, sidecars and scratch paths."""
    raw = model()
    raw["services"][0].update(
        user="1000", scratch_paths=["/tmp"], health_check={"command": "true"},
        init_containers=[{"name": "migrate", "image": "tools:1", "user": "1000"}],
        sidecars=[{"name": "exporter", "image": "exporter:1", "health_check": {"command": "true"}}],
    )
    raw["services"][0].update(changes)
    return raw


def test_init_containers_and_sidecars_get_their_defaults():
    site = normalize_environment(with_containers())["services"][0]
    migrate, exporter = site["init_containers"][0], site["sidecars"][0]
    assert migrate["essential"] is False and exporter["essential"] is True
    assert migrate["readonly_root_filesystem"] is True and migrate["mounts"] == [] and migrate["depends_on"] == []
    # The main container waits for every init container to succeed unless it says otherwise.
    assert site["depends_on"] == [{"container": "migrate", "condition": "SUCCESS"}]
    given = with_containers(depends_on=[{"container": "migrate", "condition": "COMPLETE"}, {"container": "exporter", "condition": "HEALTHY"}])
    assert normalize_environment(given)["services"][0]["depends_on"] == [
        {"container": "exporter", "condition": "HEALTHY"}, {"container": "migrate", "condition": "COMPLETE"},
    ]


def test_mounts_default_to_the_main_containers_paths():
    raw = with_containers()
    raw["services"][1]["sidecars"] = [{"name": "backup", "image": "b:1", "mounts": [{"volume": "data"}]}]
    raw["services"][0]["sidecars"][0]["mounts"] = [{"scratch_path": "/tmp", "path": "/scratch", "read_only": True}]
    services = normalize_environment(raw)["services"]
    assert services[1]["sidecars"][0]["mounts"] == [{"volume": "data", "path": "/mesh/data", "read_only": False}]
    assert services[0]["sidecars"][0]["mounts"] == [{"scratch_path": "/tmp", "path": "/scratch", "read_only": True}]


@pytest.mark.parametrize(
    "changes, variable, text",
    [
        ({"environment": {"CMS_UPSTREAM": "cms:8080"}}, "quoin_services[2].environment.CMS_UPSTREAM", "set by talks_to (cms)"),
        ({"environment": {"SITE_PORT": "3000"}}, "quoin_services[2].environment.SITE_PORT", "set by talks_to (site)"),
        ({"secrets": {"CMS_HOST": "arn:aws:ssm:eu-central-1:123456789012:parameter/h"}}, "quoin_services[2].secrets.CMS_HOST", "talks_to"),
    ],
)
def test_the_talks_to_variables_come_only_from_the_model(changes, variable, text):
    raw = model()
    raw["services"][2].update(changes)
    problems = problems_of(raw)
    assert any(p.startswith(variable + ":") and text in p for p in problems), problems
    # The same name is a plain variable for a service that does not talk to cms.
    raw = model()
    raw["services"][0].update(changes)
    assert normalize_environment(raw)


@pytest.mark.parametrize(
    "changes, variable, text",
    [
        ({"init_containers": [{"name": "site", "image": "x:1"}]}, "init_containers[0].name", "the service's own container"),
        ({"sidecars": [{"name": "migrate", "image": "x:1"}]}, "sidecars[0].name", "a container of this task already"),
        ({"sidecars": [{"name": "check-connections", "image": "x:1"}]}, "sidecars[0].name", "adds itself"),
        ({"sidecars": [{"name": "Logs", "image": "x:1"}]}, "sidecars[0].name", "not a valid container name"),
        ({"sidecars": [{"name": "logs"}]}, "sidecars[0].image", "not an image reference"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "user": "0"}]}, "sidecars[0].user", "root"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "environment": {"API_TOKEN": "t"}}]}, "sidecars[0].environment.API_TOKEN", "credential"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "essential": "yes"}]}, "sidecars[0].essential", "true or false"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "ports": [80]}]}, "sidecars[0]", "unknown keys ports"),
        ({"init_containers": [{"name": "migrate", "image": "x:1", "health_check": {"command": "true"}}]},
         "init_containers[0].health_check", "only sidecars"),
        ({"init_containers": [{"name": "migrate", "image": "x:1", "essential": True}]},
         "depends_on (SUCCESS on init container 'migrate' unless it says otherwise)", "essential container"),
        ({"depends_on": [{"container": "exporter", "condition": "SUCCESS"}]}, "depends_on[0]", "essential container"),
        ({"depends_on": [{"container": "exporter", "condition": "COMPLETE"}]}, "depends_on[0]", "essential container"),
        ({"depends_on": [{"container": "migrate", "condition": "HEALTHY"}]}, "depends_on[0]", "HEALTHY needs a health check on 'migrate'"),
        ({"depends_on": [{"container": "migrate", "condition": "READY"}]}, "depends_on[0]", "condition 'READY'"),
        ({"depends_on": [{"container": "db", "condition": "START"}]}, "depends_on[0]", "not another container of this task"),
        ({"depends_on": [{"container": "site", "condition": "START"}]}, "depends_on[0]", "not another container of this task"),
        ({"depends_on": [{"container": "exporter", "condition": "START"}, {"container": "exporter", "condition": "START"}]},
         "depends_on[1]", "named twice"),
        ({"sidecars": [{"name": "exporter", "image": "x:1", "depends_on": [{"container": "site", "condition": "START"}]}],
          "depends_on": [{"container": "exporter", "condition": "START"}]}, "depends_on", "in a circle (site -> exporter -> site)"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "mounts": [{"volume": "data"}]}]}, "sidecars[0].mounts[0].volume", "not a volume"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "mounts": [{"scratch_path": "/var"}]}]}, "sidecars[0].mounts[0].scratch_path", "not one of"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "mounts": [{"path": "/tmp"}]}]}, "sidecars[0].mounts[0]", "name either"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "mounts": [{"scratch_path": "/tmp", "path": "tmp"}]}]},
         "sidecars[0].mounts[0].path", "absolute"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "mounts": [{"scratch_path": "/tmp"}, {"scratch_path": "/tmp"}]}]},
         "sidecars[0].mounts[1].path", "mounted twice"),
        ({"sidecars": [{"name": "logs", "image": "x:1", "user": "2000", "mounts": [{"scratch_path": "/tmp"}]}]},
         "sidecars[0].user", "one user owns a scratch path"),
        ({"user": "node"}, "user", "not numeric"),
    ],
)
def test_bad_task_containers_name_their_path(changes, variable, text):
    problems = problems_of(with_containers(**changes))
    assert any(p.startswith(f"quoin_services[0].{variable}:") and text in p for p in problems), problems


def test_a_read_only_volume_stays_read_only_for_every_container():
    raw = model()
    raw["services"][1]["volumes"][0]["read_only"] = True
    raw["services"][1]["volumes"][0]["backup"] = False
    raw["services"][1]["sidecars"] = [{"name": "w", "image": "w:1", "mounts": [{"volume": "data", "read_only": False}]}]
    problems = problems_of(raw)
    assert any(p.startswith("quoin_services[1].sidecars[0].mounts[0].read_only:") for p in problems), problems


@pytest.mark.parametrize("timeout", [4, 601, "soon"])
def test_the_connection_check_timeout_has_a_range(timeout):
    problems = problems_of(model(connection_check_timeout=timeout))
    assert any(p.startswith("quoin_connection_check_timeout:") for p in problems), problems
    assert normalize_environment(model())["connection_check_timeout"] == 60
