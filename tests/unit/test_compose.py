"""Local development with Docker Compose: the compose files local_dev.yml writes from the service model,
and the import of a team's compose file into the model.

No Docker engine runs here: the Compose Specification's JSON schema (vendored in fixtures/compose) is the
judge of what Compose would accept.
"""

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.filter.compose import compose_file
from ansible_collections.quoin.fargate.plugins.filter.compose import compose_import
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import INIT_SERVICE
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import READ_KEYS
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import SECRET_PLACEHOLDER
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import ComposeError
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import compose_document
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import duration_seconds
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import fargate_size
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import import_compose
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import memory_mib
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import FARGATE_SIZES
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "compose"
SCHEMA = json.loads((FIXTURES / "compose-spec.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
# The inventory keys of a service (docs/inventory.md); the rest of the normalized model is derived.
INVENTORY_KEYS = (
    "name", "image", "port", "cpu", "memory", "command", "entrypoint", "environment", "secrets", "health_check", "user",
    "readonly_root_filesystem", "scratch_paths", "talks_to", "volumes", "desired_count", "assign_public_ip",
    "enable_execute_command", "init_containers", "sidecars", "depends_on",
)
VOLUME_KEYS = ("name", "file_system", "path", "read_only", "uid", "gid", "root_directory", "permissions", "backup")
NETWORK = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}
ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/quoin/local/mesh-admin-password"


def load_fixture(name):
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def schema_errors(document):
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(document)]


def site_model():
    """The real site: inventories/local's services, normalized as the preflight role does."""
    raw = yaml.safe_load((REPO / "inventories/local/group_vars/all/services.yml").read_text(encoding="utf-8"))
    return normalize_environment(
        {"environment": "local", **NETWORK, "entry_service": raw["quoin_entry_service"],
         "file_systems": raw["quoin_file_systems"], "services": raw["quoin_services"]}
    )


def model_of(services, file_systems=None, entry="proxy"):
    return normalize_environment({"environment": "local", **NETWORK, "entry_service": entry, "file_systems": file_systems or [], "services": services})


def inventory_view(model):
    """What an inventory says of each service, normalized: the fields a round trip must keep."""
    view = {}
    for service in model["services"]:
        fields = {key: copy.deepcopy(service.get(key)) for key in INVENTORY_KEYS}
        fields["volumes"] = [{key: volume.get(key) for key in VOLUME_KEYS} for volume in service["volumes"]]
        view[service["name"]] = fields
    return view


def reimported(document, entry):
    imported = import_compose(document)
    return imported, model_of(imported["services"], imported["file_systems"], entry)


def resolve(document, path):
    """The value at an untranslated path such as services.web.volumes[0].volume."""
    value = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            value = value[int(part[1:-1])]
        elif isinstance(value, list):  # environment as a list of NAME=value
            value = next(item for item in value if item.partition("=")[0] == part)
        else:
            value = value[part]
    return value


# ---------------------------------------------------------------------------------------------------
# Generated files


@pytest.mark.parametrize("phase", [1, 2])
def test_generated_files_are_valid_compose_files(phase):
    document = compose_document(site_model(), phase)
    assert schema_errors(document) == []
    # The schema's own constraint, which Compose checks separately: an image (or a build) per service.
    assert all("image" in service for service in document["services"].values())


def test_the_schema_is_a_real_judge():
    document = compose_document(site_model(), 2)
    document["services"]["proxy"]["depends_on"]["site"]["condition"] = "service_ready"
    document["services"]["cms"]["volumes"][0]["uid"] = 1000
    errors = schema_errors(document)
    assert any(error.startswith("services.proxy.depends_on") for error in errors)
    assert any(error.startswith("services.cms.volumes.0") for error in errors)


def test_phase_1_runs_the_site_on_the_host():
    document = compose_document(site_model(), 1)
    services = document["services"]
    assert "site" not in services
    assert set(services) == {"cms", "proxy", INIT_SERVICE}
    proxy = services["proxy"]
    assert proxy["environment"]["SITE_UPSTREAM"] == "host.docker.internal:3000"
    assert proxy["environment"]["CMS_UPSTREAM"] == "cms:8080"
    assert proxy["extra_hosts"] == ["host.docker.internal:host-gateway"]
    # Nothing to wait for on the host; the CMS container is waited for until healthy.
    assert proxy["depends_on"] == {"cms": {"condition": "service_healthy"}}
    assert document["x-quoin"]["on_host"] == {"site": "host.docker.internal:3000"}
    assert document["x-quoin"]["phase"] == 1


def test_phase_2_runs_every_service_in_a_container():
    document = compose_document(site_model(), 2)
    services = document["services"]
    assert set(services) == {"site", "cms", "proxy", INIT_SERVICE}
    proxy = services["proxy"]
    assert proxy["environment"]["SITE_UPSTREAM"] == "site:3000"
    assert proxy["environment"]["CMS_UPSTREAM"] == "cms:8080"
    assert "extra_hosts" not in proxy
    assert proxy["depends_on"] == {"site": {"condition": "service_healthy"}, "cms": {"condition": "service_healthy"}}
    assert "on_host" not in document["x-quoin"]
    # Only the entry service is published, on the loopback address.
    assert proxy["ports"] == [{"target": 8080, "published": "8080", "host_ip": "127.0.0.1", "protocol": "tcp"}]
    assert services["site"]["expose"] == ["3000"] and "ports" not in services["site"]
    assert services["cms"]["expose"] == ["8080"] and "ports" not in services["cms"]


def test_the_phases_differ_only_where_the_site_runs():
    one, two = compose_document(site_model(), 1), compose_document(site_model(), 2)
    assert one["services"]["cms"] == two["services"]["cms"]
    assert one["volumes"] == two["volumes"]
    assert one["name"] == two["name"] == "quoin-local"  # one project: both phases use the same volumes


def test_containers_keep_the_model_settings():
    site = compose_document(site_model(), 2)["services"]["site"]
    assert site["image"] == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/site:latest"
    assert site["user"] == "1000"
    assert site["environment"] == {"NODE_ENV": "production", "PORT": "3000"}
    assert site["read_only"] is True and site["tmpfs"] == ["/tmp"]
    assert site["healthcheck"] == {
        "test": ["CMD-SHELL", "wget -q -O /dev/null http://localhost:3000/ || exit 1"],
        "interval": "30s", "timeout": "5s", "retries": 3, "start_period": "30s",
    }
    assert site["deploy"] == {"resources": {"limits": {"cpus": "0.25", "memory": "512M"}}}
    cms = compose_document(site_model(), 2)["services"]["cms"]
    assert cms["deploy"]["resources"]["limits"] == {"cpus": "1", "memory": "2048M"}
    assert cms["read_only"] is False


def test_the_talks_to_variables_are_in_both_phases():
    for phase, site_host in ((1, "host.docker.internal"), (2, "site")):
        environment = compose_document(site_model(), phase)["services"]["proxy"]["environment"]
        assert environment == {
            "SITE_UPSTREAM": f"{site_host}:3000", "SITE_HOST": site_host, "SITE_PORT": "3000",
            "CMS_UPSTREAM": "cms:8080", "CMS_HOST": "cms", "CMS_PORT": "8080",
        }


def test_a_hand_written_upstream_variable_is_not_inventory_environment():
    imported = import_compose({"services": {
        "web": {"image": "web:1", "ports": ["80:80"], "depends_on": ["api"], "environment": {"API_UPSTREAM": "api:4000", "MODE": "x"}},
        "api": {"image": "api:1", "expose": ["4000"]},
    }})
    assert imported["services"][0]["environment"] == {"MODE": "x"}
    assert imported["services"][0]["talks_to"] == ["api"]


def test_a_task_container_named_like_another_service_is_refused():
    model = model_of([
        {"name": "site", "port": 3000, "image": "site:1", "sidecars": [{"name": "logs", "image": "l:1"}]},
        {"name": "site-logs", "port": 3001, "image": "l:1"},
        {"name": "proxy", "port": 8080, "image": "proxy:1"},
    ])
    with pytest.raises(ComposeError, match="'site-logs', which another service has"):
        compose_document(model, 2)


def test_a_dependency_without_a_health_check_is_only_started():
    model = model_of([
        {"name": "site", "port": 3000, "image": "site:1"},
        {"name": "proxy", "port": 8080, "image": "proxy:1", "talks_to": ["site"]},
    ])
    proxy = compose_document(model, 2)["services"]["proxy"]
    assert proxy["depends_on"] == {"site": {"condition": "service_started"}}


def test_named_volumes_stand_in_for_access_points_and_get_their_owner_from_a_one_shot_service():
    document = compose_document(site_model(), 2)
    assert document["volumes"] == {
        "cms-data": {
            "labels": {
                "quoin.file_system": "cms", "quoin.root_directory": "/cms/data", "quoin.uid": "1000", "quoin.gid": "1000",
                "quoin.permissions": "0750", "quoin.backup": "true",
            }
        }
    }
    cms = document["services"]["cms"]
    assert cms["volumes"] == [{"type": "volume", "source": "cms-data", "target": "/mesh/data", "read_only": False}]
    assert cms["depends_on"] == {INIT_SERVICE: {"condition": "service_completed_successfully"}}
    owners = document["services"][INIT_SERVICE]
    assert owners["image"].startswith("busybox:")
    assert owners["user"] == "0:0"
    assert owners["command"] == ["sh", "-c", "chown 1000:1000 /volumes/cms-data && chmod 0750 /volumes/cms-data"]
    assert owners["volumes"] == [{"type": "volume", "source": "cms-data", "target": "/volumes/cms-data"}]
    assert owners["cap_drop"] == ["ALL"] and owners["cap_add"] == ["CHOWN", "FOWNER"]
    assert owners["network_mode"] == "none" and owners["restart"] == "no"
    # Nothing of EFS: no access points, no file system IDs.
    assert "fsap-" not in json.dumps(document) and "efs" not in json.dumps(document).lower()


def test_services_sharing_an_access_point_directory_share_the_named_volume():
    model = model_of(
        [
            {"name": "cms", "port": 8080, "image": "cms:1",
             "volumes": [{"name": "uploads", "file_system": "cms", "path": "/uploads", "uid": 1001, "gid": 1002, "permissions": "0755"}]},
            {"name": "proxy", "port": 8080, "image": "proxy:1", "talks_to": ["cms"],
             "volumes": [{"name": "static", "file_system": "cms", "path": "/usr/share/nginx/html", "read_only": True,
                          "root_directory": "/cms/uploads", "uid": 1001, "gid": 1002}]},
        ],
        file_systems=[{"name": "cms"}],
    )
    document = compose_document(model, 2, {"published_ports": {"cms": 8081}})
    assert list(document["volumes"]) == ["cms-uploads"]
    assert document["services"]["proxy"]["volumes"] == [
        {"type": "volume", "source": "cms-uploads", "target": "/usr/share/nginx/html", "read_only": True,
         "x-quoin": {"name": "static", "permissions": "0750"}}
    ]
    assert document["services"][INIT_SERVICE]["command"][2] == "chown 1001:1002 /volumes/cms-uploads && chmod 0755 /volumes/cms-uploads"
    assert schema_errors(document) == []


def test_secrets_come_from_the_env_file_never_from_aws():
    document = compose_document(site_model(), 2)
    cms = document["services"]["cms"]
    assert cms["env_file"] == "../.env"
    assert "MESH_INITIAL_ADMIN_PASSWORD" not in cms["environment"]
    # The ARN is kept only in the extension field, for the import; nothing that reads it runs here.
    assert cms["x-quoin"]["secrets"] == {"MESH_INITIAL_ADMIN_PASSWORD": ARN}
    assert "env_file" not in document["services"]["site"] and "env_file" not in document["services"]["proxy"]
    assert compose_document(site_model(), 2, {"env_file": "../local.env"})["services"]["cms"]["env_file"] == "../local.env"


def test_dollar_signs_are_taken_literally():
    model = model_of([
        {"name": "site", "port": 3000, "image": "site:1", "environment": {"PRICE": "$5", "GREETING": "${NAME}"}},
        {"name": "proxy", "port": 8080, "image": "proxy:1"},
    ])
    document = compose_document(model, 2)
    assert document["services"]["site"]["environment"] == {"PRICE": "$$5", "GREETING": "$${NAME}"}
    assert import_compose(document)["services"][0]["environment"] == {"PRICE": "$5", "GREETING": "${NAME}"}


def test_options_choose_the_host_address_and_ports():
    document = compose_document(site_model(), 1, {"host_address": "172.17.0.1", "published_ports": {"proxy": 8000}})
    proxy = document["services"]["proxy"]
    assert proxy["environment"]["SITE_UPSTREAM"] == "172.17.0.1:3000"
    assert "extra_hosts" not in proxy  # an address needs no name mapping
    assert proxy["ports"][0]["published"] == "8000"


def test_in_phase_1_the_services_a_host_service_talks_to_are_published():
    model = model_of([
        {"name": "site", "port": 3000, "image": "site:1", "talks_to": ["cms"]},
        {"name": "cms", "port": 8081, "image": "cms:1"},
        {"name": "proxy", "port": 8080, "image": "proxy:1", "talks_to": ["site", "cms"]},
    ])
    services = compose_document(model, 1)["services"]
    assert services["cms"]["ports"] == [{"target": 8081, "published": "8081", "host_ip": "127.0.0.1", "protocol": "tcp"}]
    assert "ports" not in compose_document(model, 2)["services"]["cms"]


@pytest.mark.parametrize(
    "phase, options, message",
    [
        (3, None, "phase: 3 must be 1"),
        ("two", None, "phase: 'two' must be 1"),
        (True, None, "phase: True must be 1"),
        (1, {"host_services": ["web"]}, "options.host_services: no service 'web'"),
        (1, {"hosts": []}, "options: unknown hosts"),
        (2, {"published_ports": {"cms": 8080}}, "host port 8080 is wanted by 'proxy' and 'cms'"),
        (1, {"published_ports": {"site": 3001}}, "'site' is not a container in this phase"),
    ],
)
def test_bad_phases_and_options_are_refused(phase, options, message):
    with pytest.raises(ComposeError, match=re.escape(message)):
        compose_document(site_model(), phase, options)


def test_the_filters_report_ansible_errors():
    with pytest.raises(AnsibleFilterError, match="compose_file: phase"):
        compose_file(site_model(), 0)
    with pytest.raises(AnsibleFilterError, match="compose_file expects the normalized environment model"):
        compose_file({"services_": []}, 1)
    with pytest.raises(AnsibleFilterError, match="compose_import: not a Compose document"):
        compose_import("just: text")
    assert compose_file(site_model(), "2") == compose_document(site_model(), 2)


# ---------------------------------------------------------------------------------------------------
# Round trip


def test_a_generated_phase_2_file_gives_back_the_service_model():
    model = site_model()
    imported, back = reimported(compose_document(model, 2), "proxy")
    assert imported["untranslated"] == [] and imported["notes"] == []
    assert imported["entry_service"] == "proxy"
    assert imported["file_systems"] == [{"name": "cms"}]
    assert inventory_view(back) == inventory_view(model)


def test_the_round_trip_through_yaml_text():
    model = site_model()
    text = yaml.safe_dump(compose_document(model, 2), sort_keys=False)
    assert import_compose(text) == import_compose(compose_document(model, 2))


def test_the_round_trip_keeps_what_compose_has_no_key_for():
    model = model_of(
        [
            {"name": "site", "port": 3000, "image": "site:1", "command": ["node", "server.js"], "entrypoint": ["/sbin/tini", "--"],
             "desired_count": 2, "enable_execute_command": True, "readonly_root_filesystem": False, "cpu": 2048, "memory": 5120,
             "environment": {"DEBUG": False}, "talks_to": ["cms"],
             "health_check": {"command": ["CMD", "/healthcheck"], "interval": 10, "timeout": 3, "retries": 5}},
            {"name": "cms", "port": 8080, "image": "cms:1", "user": "1000:1000", "readonly_root_filesystem": False,
             "secrets": {"ADMIN_PASSWORD": ARN}, "assign_public_ip": True,
             "volumes": [{"name": "data", "file_system": "cms", "path": "/data", "uid": 1000, "root_directory": "/mesh", "permissions": "0700"},
                         {"name": "cache", "file_system": "cache", "path": "/cache", "backup": False}],
             "scratch_paths": ["/tmp"], "health_check": {"command": "true"},
             "init_containers": [{"name": "migrate", "image": "tools:1", "command": ["migrate"], "user": "1000:1000",
                                  "secrets": {"DB_PASSWORD": ARN}, "mounts": [{"volume": "data"}, {"scratch_path": "/tmp", "path": "/work"}]},
                                 {"name": "seed", "image": "tools:1", "readonly_root_filesystem": False}],
             "sidecars": [{"name": "exporter", "image": "exporter:1", "environment": {"PORT": 9100}, "essential": False,
                           "health_check": {"command": ["CMD", "/check"], "interval": 10},
                           "mounts": [{"volume": "cache", "read_only": True, "path": "/srv/cache"}],
                           "depends_on": [{"container": "cms", "condition": "HEALTHY"}, {"container": "seed", "condition": "COMPLETE"}]}],
             "depends_on": [{"container": "seed", "condition": "START"}]},
            {"name": "proxy", "port": 8080, "image": "proxy:1", "talks_to": ["site", "cms"], "scratch_paths": ["/tmp"],
             "volumes": [{"name": "uploads", "file_system": "cms", "path": "/srv", "read_only": True, "root_directory": "/mesh", "uid": 1000}]},
        ],
        file_systems=[{"name": "cms"}, {"name": "cache"}],
    )
    document = compose_document(model, 2, {"published_ports": {"cms": 8081}})
    assert schema_errors(document) == []
    # Locally the site reaches the CMS by its compose name (on Fargate by its Cloud Map name); the
    # variables come from talks_to, so the import does not make them inventory environment.
    assert document["services"]["site"]["environment"] == {"DEBUG": "false", "CMS_UPSTREAM": "cms:8080", "CMS_HOST": "cms", "CMS_PORT": "8080"}
    # The task's other containers are compose services of their own, started in the task's order.
    services = document["services"]
    assert services["cms"]["depends_on"] == {
        INIT_SERVICE: {"condition": "service_completed_successfully"},
        "cms-migrate": {"condition": "service_completed_successfully"}, "cms-seed": {"condition": "service_started"},
    }
    assert services["cms-migrate"]["restart"] == "no" and services["cms-exporter"]["restart"] == "unless-stopped"
    assert services["cms-migrate"]["volumes"] == [{"type": "volume", "source": "cms-data", "target": "/data", "read_only": False}]
    assert services["cms-migrate"]["tmpfs"] == ["/work"] and services["cms-migrate"]["env_file"] == "../.env"
    # COMPLETE is stricter locally: compose only knows "completed successfully".
    assert services["cms-exporter"]["depends_on"] == {
        INIT_SERVICE: {"condition": "service_completed_successfully"},  # it mounts an EFS volume
        "cms": {"condition": "service_healthy"}, "cms-seed": {"condition": "service_completed_successfully"},
    }
    # The proxy reads the CMS's directory through its own access point: one named volume, its own settings beside.
    assert document["services"]["proxy"]["volumes"] == [
        {"type": "volume", "source": "cms-data", "target": "/srv", "read_only": True, "x-quoin": {"name": "uploads", "permissions": "0750"}}
    ]
    imported, back = reimported(document, "proxy")
    assert inventory_view(back) == inventory_view(model)
    assert imported["entry_service"] is None  # two services publish a port here


# ---------------------------------------------------------------------------------------------------
# Conversions


@pytest.mark.parametrize(
    "text, seconds",
    [("30s", 30), ("1m30s", 90), ("1m", 60), ("2h", 7200), ("1h2m3s", 3723), ("500ms", 1), ("1.5s", 2), ("0s", 0), ("90s", 90), ("1500ms", 2)],
)
def test_durations_become_whole_seconds_rounded_up(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["30", "", "1 minute", "s", "1d"])
def test_what_is_not_a_duration_is_refused(text):
    with pytest.raises(ValueError):
        duration_seconds(text)


@pytest.mark.parametrize(
    "value, mib",
    [("1g", 1024), ("1gb", 1024), ("512m", 512), ("2048M", 2048), ("1500m", 1500), ("1.5g", 1536), ("100k", 1), (1073741824, 1024), ("1048577b", 2)],
)
def test_byte_values_become_mib_rounded_up(value, mib):
    assert memory_mib(value) == mib


@pytest.mark.parametrize(
    "cpus, memory, size",
    [
        ("0.5", "1g", (512, 1024)),
        ("0.75", "1500m", (1024, 2048)),
        ("0.1", "3g", (512, 3072)),
        ("0.25", "512m", (256, 512)),
        ("2", "1g", (2048, 4096)),
        (None, "6g", (1024, 6144)),
        ("4", None, (4096, 8192)),
        ("1", "9g", (2048, 9216)),
        ("8", "50g", (8192, 53248)),
    ],
)
def test_limits_are_rounded_up_to_a_fargate_size(cpus, memory, size):
    limits = {key: value for key, value in (("cpus", cpus), ("memory", memory)) if value is not None}
    document = {"services": {"web": {"image": "web:1", "expose": ["80"], "deploy": {"resources": {"limits": limits}}}}}
    service = import_compose(document)["services"][0]
    assert (service["cpu"], service["memory"]) == size
    assert size[1] in FARGATE_SIZES[size[0]]


def test_a_size_beyond_fargate_is_reported_not_guessed():
    with pytest.raises(ComposeError):
        fargate_size(16384, 200000)
    imported = import_compose({"services": {"web": {"image": "web:1", "expose": ["80"], "deploy": {"resources": {"limits": {"memory": "200g"}}}}}})
    assert "cpu" not in imported["services"][0]
    assert imported["untranslated"] == ["services.web.deploy.resources.limits"]


# ---------------------------------------------------------------------------------------------------
# Import of hand-written compose files


@pytest.mark.parametrize("name", ["mesh-nginx.yml", "build-profiles.yml", "unsupported.yml"])
def test_the_fixtures_are_valid_compose_files(name):
    assert schema_errors(load_fixture(name)) == []


@pytest.mark.parametrize("name", ["mesh-nginx.yml", "build-profiles.yml", "unsupported.yml"])
def test_nothing_is_dropped_silently(name):
    document = load_fixture(name)
    imported = import_compose(document)
    for path in imported["untranslated"]:
        resolve(document, path)  # each names a key that is there
    for service_name, service in document["services"].items():
        for key in service:
            if key not in READ_KEYS and not key.startswith("x-"):
                assert f"services.{service_name}.{key}" in imported["untranslated"]
    for key in document:
        if key not in ("services", "volumes", "name", "version") and not key.startswith("x-"):
            assert any(path.split(".")[0] == key for path in imported["untranslated"])


def test_import_of_a_gentics_mesh_and_nginx_file():
    imported = import_compose(load_fixture("mesh-nginx.yml"))
    mesh, nginx = imported["services"]
    assert mesh == {
        "name": "mesh",
        "image": "gentics/mesh:2.1.6",
        "port": 8080,
        "cpu": 1024,
        "memory": 2048,
        "environment": {"MESH_AUTH_KEYSTORE_PATH": "/mesh/data/keystore.jceks", "MESH_HTTP_CORS_ENABLE": "false", "JAVA_TOOL_OPTIONS": "-Xms512m -Xmx1g"},
        "secrets": {"MESH_INITIAL_ADMIN_PASSWORD": SECRET_PLACEHOLDER},
        "health_check": {"command": "wget -q -O /dev/null http://localhost:8080/api/v2/health/ready || exit 1", "interval": 10, "retries": 5, "start_period": 90},
        "user": "1000:1000",
        "readonly_root_filesystem": False,
        "volumes": [
            {"name": "mesh-data", "file_system": "mesh-data", "path": "/mesh/data", "uid": 1000, "gid": 1000},
            {"name": "mesh-uploads", "file_system": "mesh-uploads", "path": "/mesh/uploads", "read_only": True, "uid": 1000, "gid": 1000},
        ],
    }
    assert nginx == {
        "name": "nginx",
        "image": "nginx:1.27-alpine",
        "port": 80,
        "cpu": 512,
        "memory": 1024,
        # Compose's default timeout (30s) is not the model's (5), so it is written out.
        "health_check": {"command": "wget -q -O /dev/null http://localhost/ || exit 1", "timeout": 30},
        "scratch_paths": ["/var/cache/nginx", "/var/run"],
        "talks_to": ["mesh"],
    }
    assert imported["file_systems"] == [{"name": "mesh-data"}, {"name": "mesh-uploads"}]
    assert imported["entry_service"] == "nginx"
    assert imported["untranslated"] == ["services.nginx.volumes[0]"]
    # The credential's value never reaches the result.
    assert "admin" not in json.dumps(imported["services"]).replace("MESH_INITIAL_ADMIN", "")
    assert any("rounded up to the Fargate size 1024 cpu units, 2048 MiB" in note for note in imported["notes"])


def test_the_imported_mesh_and_nginx_file_is_a_model_once_the_arn_is_given():
    imported = import_compose(load_fixture("mesh-nginx.yml"))
    services = copy.deepcopy(imported["services"])
    services[0]["secrets"]["MESH_INITIAL_ADMIN_PASSWORD"] = ARN
    services[0]["user"] = "1000"
    model = model_of(services, imported["file_systems"], imported["entry_service"])
    assert [svc["name"] for svc in model["services"]] == ["mesh", "nginx"]
    # And back again: the model renders a compose file Compose accepts.
    assert schema_errors(compose_document(model, 2, {"host_services": []})) == []


def test_import_of_a_file_with_build_sections_and_profiles():
    imported = import_compose(load_fixture("build-profiles.yml"))
    services = {svc["name"]: svc for svc in imported["services"]}
    assert imported["untranslated"] == [
        "services.web.build",
        "services.web.profiles",
        "services.web.develop",
        "services.web.environment.HTTP_PROXY",
        "services.web.env_file",
        "services.web.volumes[0]",
        "services.api.build",
        "services.api.deploy.resources.reservations",
        "services.api.environment.LOG_LEVEL",
        "services.api.healthcheck.start_interval",
        "services.api.depends_on.migrate",
        "services.migrate.build",
        "services.migrate.profiles",
        "services.migrate.restart",
        "services.db.profiles",
    ]
    web = services["web"]
    assert web["image"] == "registry.example.com/shop/web:dev"
    assert web["command"] == ["npm", "run", "start", "--", "--port", "3000"]
    assert web["environment"] == {"NODE_ENV": "development", "API_URL": "http://api:4000", "PRICE_FORMAT": "$0.00"}
    assert web["secrets"] == {"SESSION_SECRET": SECRET_PLACEHOLDER}
    assert web["scratch_paths"] == ["/app/node_modules"]  # an anonymous volume
    assert web["talks_to"] == ["api"]
    api = services["api"]
    assert "image" not in api
    assert any(note.startswith("services.api: no image, only build") for note in imported["notes"])
    assert (api["cpu"], api["memory"]) == (512, 3072)
    assert api["desired_count"] == 2
    assert api["health_check"] == {"command": "curl -f http://localhost:4000/health || exit 1", "interval": 90, "timeout": 2, "start_period": 45}
    assert any("500ms is outside ECS's 2 to 120; 2 instead" in note for note in imported["notes"])
    assert api["talks_to"] == ["db"]
    db = services["db"]
    assert (db["cpu"], db["memory"]) == (512, 1024)
    assert db["health_check"] == {"command": ["CMD", "pg_isready", "-U", "shop"], "interval": 5, "timeout": 3, "retries": 10}
    assert db["volumes"] == [{"name": "db-data", "file_system": "db-data", "path": "/var/lib/postgresql/data", "uid": 70, "gid": 70}]
    assert db["secrets"] == {"POSTGRES_PASSWORD": SECRET_PLACEHOLDER}
    assert imported["entry_service"] == "web"


def test_import_of_a_file_with_keys_fargate_cannot_take():
    imported = import_compose(load_fixture("unsupported.yml"))
    assert imported["untranslated"] == [
        "networks.backend",
        "configs.app_config",
        "secrets.db_password",
        "services.app.networks",
        "services.app.configs",
        "services.app.secrets",
        "services.app.logging",
        "services.app.labels",
        "services.app.stop_grace_period",
        "services.app.ports[1]",
        "services.worker.privileged",
        "services.worker.cap_add",
        "services.worker.ulimits",
        "services.worker.sysctls",
        "services.worker.shm_size",
        "services.worker.networks",
        "services.worker.volumes[0].volume",
        "services.worker.extra_hosts",
        "services.statsd.networks",
        "services.statsd.ports[0]",
        "volumes.shared.driver",
        "volumes.shared.driver_opts",
    ]
    services = {svc["name"]: svc for svc in imported["services"]}
    assert services["app"]["port"] == 8080
    assert "port" not in services["statsd"]  # UDP only
    assert services["worker"]["volumes"] == [{"name": "shared", "file_system": "shared", "path": "/var/lib/app", "uid": 10001, "gid": 10001}]
    assert any(note == "services.statsd.ports[0]: udp: the model's services take TCP" for note in imported["notes"])


def test_compose_names_become_model_names():
    imported = import_compose({"services": {"Web_App": {"image": "web:1", "expose": ["80"], "depends_on": ["db.primary"]},
                                            "db.primary": {"image": "db:1", "expose": ["5432"]}}})
    assert [svc["name"] for svc in imported["services"]] == ["web-app", "db-primary"]
    assert imported["services"][0]["talks_to"] == ["db-primary"]


def test_links_give_talks_to_and_their_aliases_are_reported():
    imported = import_compose({"services": {"web": {"image": "web:1", "expose": ["80"], "links": ["db:database", "cache"]},
                                            "db": {"image": "db:1", "expose": ["5432"]}, "cache": {"image": "cache:1", "expose": ["6379"]}}})
    assert imported["services"][0]["talks_to"] == ["db", "cache"]
    assert imported["untranslated"] == ["services.web.links"]


def test_a_volume_without_a_known_owner_gets_the_default_and_a_note():
    imported = import_compose({"services": {"web": {"image": "web:1", "expose": ["80"], "user": "node", "volumes": ["data:/data"]}},
                               "volumes": {"data": {}}})
    assert imported["services"][0]["volumes"] == [{"name": "data", "file_system": "data", "path": "/data"}]
    assert "services.web.volumes[0]: owner unknown (no numeric user); uid/gid 1000 assumed, the model's default" in imported["notes"]


# ---------------------------------------------------------------------------------------------------
# The playbook


@pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="needs ansible-playbook")
def test_the_playbook_writes_both_phases_without_aws(tmp_path):
    state = tmp_path / "local-aws"
    state.mkdir()
    (state / "state.json").write_text(
        json.dumps({"endpoint": "http://127.0.0.1:1", "region": "eu-central-1", "vpc_id": NETWORK["vpc_id"],
                    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}),
        encoding="utf-8",
    )
    env = dict(os.environ, QUOIN_LOCAL_AWS_DIR=str(state), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    out = tmp_path / "compose"

    def run(*extra):
        return subprocess.run(
            ["ansible-playbook", "local_dev.yml", "-i", "local", "-e", f"local_dev_dir={out}", *extra],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )

    refused = run("-e", "phase=3")
    assert refused.returncode != 0 and "needs -e phase=1" in refused.stdout
    assert not out.exists()
    for phase in ("1", "2"):
        result = run("-e", f"phase={phase}")
        assert result.returncode == 0, result.stdout + result.stderr
        text = (out / f"phase{phase}" / "compose.yaml").read_text(encoding="utf-8")
        assert text.startswith("# Generated by quoin.fargate's local_dev.yml from the local inventory")
        document = yaml.safe_load(text)
        assert schema_errors(document) == []
        assert document == compose_document(site_model(), int(phase), {"source": "inventories/local"})
    example = (out / ".env.example").read_text(encoding="utf-8")
    assert "\nMESH_INITIAL_ADMIN_PASSWORD=\n" in example
    assert f"# {ARN}\n" in example


@pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="needs ansible-playbook")
def test_the_playbook_needs_no_local_aws_and_the_others_say_to_start_it(tmp_path):
    # A machine where the local AWS was never started: its state directory is empty.
    state = tmp_path / "local-aws"
    state.mkdir()
    env = dict(os.environ, QUOIN_LOCAL_AWS_DIR=str(state), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    env.pop("AWS_ENDPOINT_URL", None)
    out = tmp_path / "compose"

    def run(playbook, *extra):
        return subprocess.run(
            ["ansible-playbook", playbook, "-i", "local", *extra], cwd=REPO, env=env, capture_output=True, text=True, check=False
        )

    result = run("local_dev.yml", "-e", "phase=2", "-e", f"local_dev_dir={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    document = yaml.safe_load((out / "phase2" / "compose.yaml").read_text(encoding="utf-8"))
    assert document == compose_document(site_model(), 2, {"source": "inventories/local"})

    refused = run("site.yml")
    assert refused.returncode != 0
    assert "quoin_vpc_id: 'the local AWS was never started here" in refused.stdout, refused.stdout
    assert "python tools/local_aws.py start" in refused.stdout
    # Refused by the preflight, before the stack role's first AWS call.
    assert "Read the VPC's DNS attributes" not in refused.stdout
