"""The Cloud Map API layer the two servicediscovery modules share: result shapes, the operation waiter,
how missing resources read, and the comparison of a service with the parameters."""

import botocore.waiter
import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import AnsibleServiceDiscoveryError
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import delete_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import delete_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import fixed_service_differences
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import get_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import get_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import hosted_zone_vpcs
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import list_instances
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import list_tags
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import normalize_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import normalize_service
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import service_update
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import services_by_name
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import wait_for_operation

from ..fake_servicediscovery import VPC_ID
from ..fake_servicediscovery import FakeRoute53
from ..fake_servicediscovery import FakeServiceDiscovery
from ..fake_servicediscovery import namespace
from ..fake_servicediscovery import service


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", slept.append)
    return slept


class TestShapes:
    def test_a_namespace(self):
        api = namespace("ns-1", "quoin-prod.internal", description="d", hosted_zone_id="Z1")
        assert normalize_namespace(api, {"env": "prod"}) == {
            "id": "ns-1",
            "arn": "arn:aws:servicediscovery:eu-central-1:123456789012:namespace/ns-1",
            "name": "quoin-prod.internal",
            "type": "DNS_PRIVATE",
            "description": "d",
            "properties": {"hosted_zone_id": "Z1", "dns_name": "quoin-prod.internal"},
            "service_count": 0,
            "tags": {"env": "prod"},
        }

    def test_a_service(self):
        api = service("srv-1", "site", "ns-1", records=(("A", 10), ("SRV", 20)), custom={"FailureThreshold": 1})
        api["InstanceCount"] = 2
        assert normalize_service(api) == {
            "id": "srv-1",
            "arn": "arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-1",
            "name": "site",
            "namespace_id": "ns-1",
            "description": None,
            "dns_config": {"routing_policy": "MULTIVALUE", "dns_records": [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 20}]},
            "health_check_custom_config": {"failure_threshold": 1},
            "instance_count": 2,
            "tags": {},
        }

    def test_nothing_is_empty(self):
        assert normalize_namespace(None) == {}
        assert normalize_service({}) == {}


class TestWaiter:
    def test_success_at_once_does_not_sleep(self, sleeps):
        sd = FakeServiceDiscovery()
        op_id = sd._operation("UPDATE_SERVICE", {"SERVICE": "srv-1"})
        assert wait_for_operation(sd, op_id, 60)["Status"] == "SUCCESS"
        assert sleeps == []

    def test_an_operation_not_visible_yet_is_polled_again(self, sleeps):
        sd = FakeServiceDiscovery()
        original = sd.get_operation
        answers = iter(["missing"])

        def get_operation(**kwargs):
            if next(answers, None):
                return original(OperationId="op-does-not-exist")
            return original(**kwargs)

        sd.get_operation = get_operation
        op_id = sd._operation("UPDATE_SERVICE", {"SERVICE": "srv-1"})
        assert wait_for_operation(sd, op_id, 60, delay=2)["Status"] == "SUCCESS"
        assert sleeps == [2]

    def test_the_timeout_bounds_the_polls(self, sleeps):
        sd = FakeServiceDiscovery(pending_polls=1000)
        op_id = sd._operation("CREATE_NAMESPACE", {"NAMESPACE": "ns-1"})
        with pytest.raises(AnsibleServiceDiscoveryError, match="Timeout trying to wait for the Cloud Map operation"):
            wait_for_operation(sd, op_id, 30, delay=5)
        assert sleeps == [5] * 5
        assert sd.operations().count("get_operation") == 6

    def test_a_failure_carries_the_reason(self):
        sd = FakeServiceDiscovery(pending_polls=1, failing={"DELETE_NAMESPACE": ("RESOURCE_IN_USE", "Has services.")})
        op_id = sd._operation("DELETE_NAMESPACE", {"NAMESPACE": "ns-1"})
        with pytest.raises(AnsibleServiceDiscoveryError) as failed:
            wait_for_operation(sd, op_id, 60)
        assert failed.value.message == f"Cloud Map operation {op_id} (DELETE_NAMESPACE) failed: RESOURCE_IN_USE: Has services."


class TestMissingResources:
    def test_reads_of_missing_resources(self):
        sd = FakeServiceDiscovery()
        assert get_namespace(sd, "ns-missing") is None
        assert get_service(sd, "srv-missing") is None
        assert list_instances(sd, "srv-missing") == []
        assert list_tags(sd, "arn:aws:servicediscovery:eu-central-1:123456789012:service/srv-missing") == {}
        assert hosted_zone_vpcs(FakeRoute53(), "Z-missing") is None

    def test_deleting_what_is_gone_is_false(self):
        sd = FakeServiceDiscovery()
        assert delete_namespace(sd, "ns-missing") is False
        assert delete_service(sd, "srv-missing") is False

    def test_other_errors_name_the_call(self):
        sd = FakeServiceDiscovery(errors={"get_service": "AccessDeniedException"})
        with pytest.raises(AnsibleServiceDiscoveryError, match="^Failed to get service"):
            get_service(sd, "srv-1")

    def test_the_vpcs_of_a_hosted_zone(self):
        assert hosted_zone_vpcs(FakeRoute53({"Z1": [VPC_ID, "vpc-2"]}), "Z1") == [VPC_ID, "vpc-2"]


def current(records=(("A", 10),), routing_policy="MULTIVALUE", description=None, custom=None):
    return normalize_service(service("srv-1", "site", "ns-1", records=records, routing_policy=routing_policy, description=description, custom=custom))


def params(records=(("A", 10),), routing_policy="MULTIVALUE", description=None, custom=None):
    return {
        "dns_records": [{"type": t, "ttl": ttl} for t, ttl in records],
        "routing_policy": routing_policy,
        "description": description,
        "health_check_custom_config": custom,
    }


class TestComparison:
    def test_no_difference(self):
        assert fixed_service_differences(current(), params()) == []
        assert service_update(current(), params()) == (None, current())

    def test_a_custom_health_check_the_service_has_is_not_a_difference_when_omitted_or_given(self):
        have = current(custom={"FailureThreshold": 1})
        assert fixed_service_differences(have, params()) == []
        assert fixed_service_differences(have, params(custom={"failure_threshold": 5})) == []

    def test_a_service_without_dns_config_differs_in_everything_fixed(self):
        have = dict(current(), dns_config=None)
        assert fixed_service_differences(have, params()) == [
            "dns_records types from [] to ['A']",
            "routing_policy from None to MULTIVALUE",
        ]

    def test_ttls_are_matched_by_type(self):
        have = current(records=(("A", 10), ("SRV", 10)))
        change, after = service_update(have, params(records=(("SRV", 30), ("A", 10))))
        assert change == {"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 30}]}}
        assert after["dns_config"]["dns_records"] == [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 30}]
        assert have["dns_config"]["dns_records"][1]["ttl"] == 10

    def test_a_description_is_kept_in_every_update(self):
        change, after = service_update(current(description="d"), params(records=(("A", 20),)))
        assert change["Description"] == "d"
        assert after["description"] == "d"


class TestServicesByName:
    def fake(self):
        services = [service("srv-1", "site", "ns-1", description="d"), service("srv-2", "cms", "ns-1"), service("srv-3", "site", "ns-2")]
        return FakeServiceDiscovery(namespaces=[namespace("ns-1", "a.internal"), namespace("ns-2", "b.internal")], services=services)

    def test_the_summaries_serve_when_the_listing_matches_the_namespace_count(self):
        sd = self.fake()
        found = services_by_name(sd, get_namespace(sd, "ns-1"), {"site", "api"})
        assert list(found) == ["site"]
        assert normalize_service(found["site"]) == dict(normalize_service(sd.services["srv-1"]), instance_count=0)
        assert sd.operations() == ["get_namespace", "list_services"]

    def test_a_listing_of_other_namespaces_services_is_read_in_full(self):
        sd = self.fake()
        original = sd.list_services
        sd.list_services = lambda **kwargs: original()
        found = services_by_name(sd, get_namespace(sd, "ns-2"), {"site", "cms"})
        assert {name: srv["Id"] for name, srv in found.items()} == {"site": "srv-3"}
        assert sorted(request["Id"] for operation, request in sd.calls if operation == "get_service") == ["srv-1", "srv-2", "srv-3"]

    def test_a_namespace_without_a_service_count_is_read_in_full(self):
        sd = self.fake()
        ns = get_namespace(sd, "ns-1")
        del ns["ServiceCount"]
        assert services_by_name(sd, ns, {"cms"})["cms"]["NamespaceId"] == "ns-1"
        assert ("get_service", {"Id": "srv-2"}) in sd.calls
