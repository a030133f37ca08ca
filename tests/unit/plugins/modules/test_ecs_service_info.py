"""ecs_service_info against a stubbed ECS client: ten services per DescribeServices call with their tags
in the same call, the services in the order asked for, snake_cased as ecs_service returns them, the
deleted ones with their status, the unknown ones in `missing`, and nothing ever written."""

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.ecs_service import normalize_service
from ansible_collections.quoin.fargate.plugins.modules import ecs_service_info as module_under_test

from ..fake_ecs_services import CLUSTER
from ..fake_ecs_services import FakeECS
from ..fake_ecs_services import service
from ..fake_ecs_services import service_arn
from ..module_runner import module_runner

AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
NAMES = [f"svc-{index:02d}" for index in range(30)]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake client; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda client, **args: run(client, dict(AWS, **dict({"cluster": CLUSTER}, **args)))


@pytest.fixture
def ecs():
    """30 services, each tagged with its name."""
    return FakeECS(*[service(name, tags={"quoin:service": name, "quoin:environment": "prod"}) for name in NAMES])


def described_batches(ecs):
    return [kwargs["services"] for operation, kwargs in ecs.calls if operation == "describe_services"]


class TestBatching:
    def test_30_services_take_3_calls_with_their_tags(self, run_module, ecs):
        failed, result = run_module(ecs, services=NAMES)
        assert not failed, result
        assert result["changed"] is False
        assert ecs.operations() == ["describe_services"] * 3
        assert described_batches(ecs) == [NAMES[0:10], NAMES[10:20], NAMES[20:30]]
        assert all(kwargs["include"] == ["TAGS"] and kwargs["cluster"] == CLUSTER for _, kwargs in ecs.calls)
        assert [s["service_name"] for s in result["services"]] == NAMES
        assert result["missing"] == []

    def test_23_services_take_3_calls_of_at_most_10(self, run_module, ecs):
        failed, result = run_module(ecs, services=NAMES[:23])
        assert not failed, result
        assert [len(batch) for batch in described_batches(ecs)] == [10, 10, 3]

    def test_a_name_given_twice_is_described_and_returned_once(self, run_module, ecs):
        failed, result = run_module(ecs, services=["svc-03", "svc-01", "svc-03"])
        assert not failed, result
        assert described_batches(ecs) == [["svc-03", "svc-01"]]
        assert [s["service_name"] for s in result["services"]] == ["svc-03", "svc-01"]

    def test_no_services_no_call(self, run_module, ecs):
        failed, result = run_module(ecs, services=[])
        assert not failed, result
        assert (result["services"], result["missing"]) == ([], [])
        assert ecs.calls == []


class TestShape:
    def test_each_service_as_ecs_service_returns_it(self, run_module, ecs):
        failed, result = run_module(ecs, services=["svc-07"])
        assert not failed, result
        (found,) = result["services"]
        assert found == normalize_service(ecs.get("svc-07"))
        assert found["tags"] == {"quoin:service": "svc-07", "quoin:environment": "prod"}
        assert found["service_arn"] == service_arn("svc-07")
        assert found["desired_count"] == 1
        assert found["network_configuration"]["awsvpc_configuration"]["subnets"] == ["subnet-a", "subnet-b"]
        assert found["deployments"][0]["rollout_state"] == "COMPLETED"
        assert found["created_at"] == "2024-05-01T12:00:00+00:00"

    def test_without_tags_neither_asked_nor_returned(self, run_module, ecs):
        failed, result = run_module(ecs, services=NAMES[:12], include_tags=False)
        assert not failed, result
        assert all("include" not in kwargs for _, kwargs in ecs.calls)
        assert len(ecs.calls) == 2
        assert all("tags" not in s for s in result["services"])

    def test_a_service_without_tags_has_an_empty_dict(self, run_module):
        ecs = FakeECS(service("bare"))
        failed, result = run_module(ecs, services=["bare"])
        assert not failed, result
        assert result["services"][0]["tags"] == {}

    def test_by_arn(self, run_module, ecs):
        failed, result = run_module(ecs, services=[service_arn("svc-02")])
        assert not failed, result
        assert [s["service_name"] for s in result["services"]] == ["svc-02"]
        assert result["missing"] == []


class TestMissingAndDeleted:
    def test_unknown_services_are_missing_and_deleted_ones_keep_their_status(self, run_module, ecs):
        ecs.get("svc-04")["status"] = "INACTIVE"
        ecs.get("svc-05")["status"] = "DRAINING"
        ecs.drain_polls = 10
        failed, result = run_module(ecs, services=["svc-01", "gone", "svc-04", "svc-05", "never"])
        assert not failed, result
        assert [(s["service_name"], s["status"]) for s in result["services"]] == [("svc-01", "ACTIVE"), ("svc-04", "INACTIVE"), ("svc-05", "DRAINING")]
        assert result["missing"] == ["gone", "never"]
        assert len(ecs.calls) == 1

    def test_the_active_incarnation_of_a_recreated_service(self, run_module):
        ecs = FakeECS(service("web", tags={"v": "2"}))
        answer = ecs.describe_services

        def with_the_old_incarnation(**kwargs):
            response = answer(**kwargs)
            old = service("web", status="INACTIVE", tags={"v": "1"})
            response["services"].insert(0, old)
            return response

        ecs.describe_services = with_the_old_incarnation
        failed, result = run_module(ecs, services=["web"])
        assert not failed, result
        assert [(s["status"], s["tags"]) for s in result["services"]] == [("ACTIVE", {"v": "2"})]


class TestReadOnly:
    def test_check_mode_reads_the_same(self, run_module, ecs):
        failed, result = run_module(ecs, services=NAMES[:3], _ansible_check_mode=True)
        assert not failed, result
        assert len(result["services"]) == 3
        assert ecs.writes == []

    def test_a_missing_cluster_fails(self, run_module, ecs):
        failed, result = run_module(ecs, services=NAMES[:3], cluster="nope")
        assert failed
        assert result["msg"] == "cluster nope does not exist"

    def test_an_api_error_fails(self, run_module):
        ecs = FakeECS(service("web"), errors={"describe_services": "AccessDeniedException"})
        failed, result = run_module(ecs, services=["web"])
        assert failed
        assert result["msg"].startswith("Failed to describe services")

    def test_services_are_required(self, run_module, ecs):
        failed, result = run_module(ecs)
        assert failed
        assert "services" in result["msg"]
        assert ecs.calls == []
