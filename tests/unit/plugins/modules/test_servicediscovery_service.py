"""servicediscovery_service against a stubbed Cloud Map client: how it finds a service in its
namespace, what it creates and updates, what check mode predicts without writing, what it refuses
(fixed fields, deleting a service with registered instances)."""

import copy
import uuid

import botocore.waiter
import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import AnsibleServiceDiscoveryError
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import normalize_service
from ansible_collections.quoin.fargate.plugins.modules import servicediscovery_service as module_under_test
from ansible_collections.quoin.fargate.plugins.modules.servicediscovery_service import ensure_absent
from ansible_collections.quoin.fargate.plugins.modules.servicediscovery_service import ensure_present
from ansible_collections.quoin.fargate.plugins.modules.servicediscovery_service import find_service

from ..fake_servicediscovery import VPC_ID
from ..fake_servicediscovery import FailJson
from ..fake_servicediscovery import FakeModule
from ..fake_servicediscovery import FakeRoute53
from ..fake_servicediscovery import FakeServiceDiscovery
from ..fake_servicediscovery import namespace
from ..fake_servicediscovery import service
from ..module_runner import module_runner

NS = "ns-prod"
DEFAULTS = {
    "state": "present",
    "name": None,
    "namespace_id": None,
    "namespace": None,
    "dns_records": [{"type": "A", "ttl": 10}],
    "routing_policy": "MULTIVALUE",
    "health_check_custom_config": None,
    "description": None,
    "tags": None,
    "purge_tags": True,
    "wait": True,
    "wait_timeout": 120,
}


def module(check_mode=False, **params):
    """A module asking for the service site in the namespace NS."""
    return FakeModule(DEFAULTS, check_mode, **dict({"name": "site", "namespace_id": NS}, **params))


def existing(srv_id="srv-old", name="site", namespace_id=NS, **kwargs):
    return service(srv_id, name, namespace_id, **kwargs)


def fake(*services, tags=None, **kwargs):
    namespaces = [namespace(NS, "quoin-prod.internal"), namespace("ns-other", "other.internal")]
    return FakeServiceDiscovery(namespaces=namespaces, services=services, tags=tags, **kwargs)


def arn(srv_id):
    return existing(srv_id)["Arn"]


def run(sd, module):
    """What the module's main() does: (result, service before, service after)."""
    result = {"changed": False}
    found = find_service(sd, module)
    before = normalize_service(found, sd.tags_of(found["Arn"])) if found else {}
    if module.params["state"] == "present":
        after = ensure_present(sd, module, before, result)
    else:
        after = ensure_absent(sd, module, before, result)
    return result, before, after


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", slept.append)
    return slept


class TestFindService:
    def test_by_name_within_the_namespace(self):
        sd = fake(existing("srv-1", name="cms"), existing("srv-2"), existing("srv-3", namespace_id="ns-other"))
        assert find_service(sd, module())["Id"] == "srv-2"
        assert sd.calls == [
            ("list_services", {"Filters": [{"Name": "NAMESPACE_ID", "Values": [NS], "Condition": "EQ"}]}),
            ("get_service", {"Id": "srv-2"}),
        ]

    def test_a_listed_service_of_another_namespace_does_not_count(self):
        # An API that ignored the filter would list it; its full description names the other namespace.
        sd = fake(existing("srv-3", namespace_id="ns-other"))
        original = sd.list_services
        sd.list_services = lambda **kwargs: original()
        assert find_service(sd, module()) is None
        assert ("get_service", {"Id": "srv-3"}) in sd.calls

    def test_nothing_found_is_none(self):
        assert find_service(fake(existing(name="cms")), module()) is None

    def test_a_missing_namespace_has_no_services(self):
        assert find_service(fake(), module(namespace_id="ns-missing")) is None


class TestCreate:
    def test_check_mode_predicts_without_writing(self):
        sd = fake()
        params = dict(
            dns_records=[{"type": "A", "ttl": 30}, {"type": "SRV", "ttl": 30}],
            health_check_custom_config={"failure_threshold": None},
            description="the website",
            tags={"env": "prod"},
        )
        result, before, after = run(sd, module(True, **params))
        assert result == {"changed": True}
        assert before == {}
        assert sd.writes == []
        assert sd.services == {}
        assert after == {
            "name": "site",
            "namespace_id": NS,
            "description": "the website",
            "dns_config": {"routing_policy": "MULTIVALUE", "dns_records": [{"type": "A", "ttl": 30}, {"type": "SRV", "ttl": 30}]},
            "health_check_custom_config": {"failure_threshold": None},
            "tags": {"env": "prod"},
        }

    def test_create_sends_the_request_and_returns_what_aws_reports(self):
        sd = fake()
        params = dict(
            routing_policy="WEIGHTED",
            health_check_custom_config={"failure_threshold": 2},
            description="the website",
            tags={"env": "prod"},
        )
        result, _, after = run(sd, module(**params))
        assert result == {"changed": True}
        [(operation, request)] = sd.writes
        assert operation == "create_service"
        creator_request_id = request.pop("CreatorRequestId")
        assert str(uuid.UUID(creator_request_id)) == creator_request_id
        assert request == {
            "Name": "site",
            "NamespaceId": NS,
            "DnsConfig": {"RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "A", "TTL": 10}]},
            "HealthCheckCustomConfig": {"FailureThreshold": 2},
            "Description": "the website",
            "Tags": [{"Key": "env", "Value": "prod"}],
        }
        [srv_id] = sd.services
        assert after["id"] == srv_id
        assert after["arn"].endswith(f":service/{srv_id}")
        assert after["health_check_custom_config"] == {"failure_threshold": 1}
        assert after["tags"] == {"env": "prod"}

    def test_the_defaults_make_one_a_record_without_health_check(self):
        sd = fake()
        run(sd, module())
        request = sd.writes[0][1]
        assert request["DnsConfig"] == {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]}
        assert not {"HealthCheckCustomConfig", "Description", "Tags"} & set(request)

    def test_a_custom_health_check_without_threshold_sends_an_empty_config(self):
        sd = fake()
        run(sd, module(health_check_custom_config={"failure_threshold": None}))
        assert sd.writes[0][1]["HealthCheckCustomConfig"] == {}

    def test_check_mode_predicts_what_a_real_run_returns(self):
        params = dict(dns_records=[{"type": "SRV", "ttl": 5}], description="d", tags={"env": "prod"})
        _, _, prediction = run(fake(), module(True, **params))
        _, _, created = run(fake(), module(**params))
        assert prediction == {k: v for k, v in created.items() if k not in ("id", "arn")}

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_a_missing_namespace_fails_clearly(self, check_mode):
        sd = fake()
        with pytest.raises(FailJson) as failed:
            run(sd, module(check_mode, namespace_id="ns-missing"))
        assert failed.value.kwargs["msg"] == "namespace ns-missing does not exist"
        assert sd.writes == []


class TestUpdate:
    START_TAGS = {"env": "prod"}

    def fake(self, **service_kwargs):
        service_kwargs.setdefault("records", (("A", 10), ("SRV", 10)))
        service_kwargs.setdefault("description", "the website")
        return fake(existing(**service_kwargs), tags={arn("srv-old"): dict(self.START_TAGS)})

    RECORDS = [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 10}]

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_the_same_parameters_change_nothing(self, check_mode):
        sd = self.fake()
        result, before, after = run(sd, module(check_mode, dns_records=self.RECORDS, description="the website", tags=self.START_TAGS))
        assert result == {"changed": False}
        assert sd.writes == []
        assert after == before

    def test_the_order_of_the_records_does_not_count(self):
        sd = self.fake()
        result, _, _ = run(sd, module(dns_records=list(reversed(self.RECORDS))))
        assert result == {"changed": False}

    def test_omitted_description_tags_and_health_check_are_left_alone(self):
        sd = self.fake(custom={"FailureThreshold": 1})
        result, _, after = run(sd, module(dns_records=self.RECORDS))
        assert result == {"changed": False}
        assert after["description"] == "the website"
        assert after["tags"] == self.START_TAGS

    def test_the_failure_threshold_is_not_compared(self):
        sd = self.fake(custom={"FailureThreshold": 1})
        result, _, _ = run(sd, module(dns_records=self.RECORDS, health_check_custom_config={"failure_threshold": 3}))
        assert result == {"changed": False}

    def test_a_ttl_change_is_applied_in_the_records_order_and_waited_for(self, sleeps):
        sd = self.fake()
        sd.pending_polls = 1
        records = [{"type": "SRV", "ttl": 60}, {"type": "A", "ttl": 10}]
        result, before, after = run(sd, module(dns_records=records))
        assert result == {"changed": True}
        assert sd.writes == [
            (
                "update_service",
                {
                    "Id": "srv-old",
                    "Service": {
                        "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 60}]},
                        "Description": "the website",
                    },
                },
            )
        ]
        assert sleeps == [5]
        assert before["dns_config"]["dns_records"] == self.RECORDS
        assert after["dns_config"]["dns_records"] == [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 60}]
        assert after["description"] == "the website"

    def test_a_description_change(self):
        sd = self.fake()
        result, _, after = run(sd, module(dns_records=self.RECORDS, description="new"))
        assert result == {"changed": True}
        [(_, request)] = sd.writes
        assert request["Service"] == {
            "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]},
            "Description": "new",
        }
        assert after["description"] == "new"

    def test_a_service_without_description_is_updated_without_one(self):
        sd = fake(existing())
        run(sd, module(dns_records=[{"type": "A", "ttl": 99}]))
        [(_, request)] = sd.writes
        assert "Description" not in request["Service"]

    def test_a_route53_health_check_is_sent_again_so_it_is_kept(self):
        sd = self.fake()
        health_check = {"Type": "HTTPS", "ResourcePath": "/health", "FailureThreshold": 3}
        sd.services["srv-old"]["HealthCheckConfig"] = health_check
        _, _, after = run(sd, module(dns_records=[{"type": "A", "ttl": 60}, {"type": "SRV", "ttl": 10}]))
        [(_, request)] = sd.writes
        assert request["Service"]["HealthCheckConfig"] == health_check
        assert sd.services["srv-old"]["HealthCheckConfig"] == health_check
        assert after["health_check_config"] == {"type": "HTTPS", "resource_path": "/health", "failure_threshold": 3}

    def test_without_wait_the_update_returns_the_prediction_and_the_operation(self, sleeps):
        sd = self.fake()
        sd.pending_polls = 3
        result, _, after = run(sd, module(dns_records=[{"type": "A", "ttl": 60}, {"type": "SRV", "ttl": 10}], wait=False))
        assert result["operation_id"].startswith("op-")
        assert after["dns_config"]["dns_records"][0] == {"type": "A", "ttl": 60}
        assert sleeps == []
        assert "get_operation" not in sd.operations()

    def test_a_failed_update_reports_cloud_maps_reason(self):
        sd = self.fake()
        sd.failing = {"UPDATE_SERVICE": ("INTERNAL_FAILURE", "Route 53 said no.")}
        with pytest.raises(AnsibleServiceDiscoveryError, match=r"\(UPDATE_SERVICE\) failed: INTERNAL_FAILURE: Route 53 said no.$"):
            run(sd, module(dns_records=[{"type": "A", "ttl": 60}, {"type": "SRV", "ttl": 10}]))

    @pytest.mark.parametrize(
        "params",
        [
            {"dns_records": [{"type": "A", "ttl": 60}, {"type": "SRV", "ttl": 10}]},
            {"dns_records": RECORDS, "description": "new"},
            {"dns_records": RECORDS, "tags": {"owner": "ops"}, "purge_tags": False},
            {"dns_records": RECORDS, "tags": {}},
            {"dns_records": [{"type": "SRV", "ttl": 1}, {"type": "A", "ttl": 2}], "description": "", "tags": {"a": "b"}},
        ],
    )
    def test_check_mode_predicts_what_a_real_run_returns(self, params):
        sd = self.fake()
        result, _, prediction = run(sd, module(True, **copy.deepcopy(params)))
        assert result == {"changed": True}
        assert sd.writes == []
        _, _, after = run(self.fake(), module(**copy.deepcopy(params)))
        assert prediction == after

    def test_tags_purge_and_keep(self):
        sd = self.fake()
        run(sd, module(dns_records=self.RECORDS, tags={"owner": "ops"}, purge_tags=False))
        assert sd.tags_of(arn("srv-old")) == {"env": "prod", "owner": "ops"}
        run(sd, module(dns_records=self.RECORDS, tags={"team": "web"}))
        assert sd.tags_of(arn("srv-old")) == {"team": "web"}
        assert [op for op, _ in sd.writes] == ["tag_resource", "untag_resource", "tag_resource"]


class TestFixedFields:
    @pytest.mark.parametrize("check_mode", [False, True])
    def test_record_types_routing_and_health_check_are_refused_with_what_differs(self, check_mode):
        sd = fake(existing(records=(("A", 10),)))
        params = dict(
            dns_records=[{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 10}],
            routing_policy="WEIGHTED",
            health_check_custom_config={"failure_threshold": None},
            description="also a change",
        )
        with pytest.raises(FailJson) as failed:
            run(sd, module(check_mode, **params))
        msg = failed.value.kwargs["msg"]
        assert msg.startswith(
            "service site (srv-old) cannot change dns_records types from ['A'] to ['A', 'SRV']; "
            "routing_policy from MULTIVALUE to WEIGHTED; "
            "health_check_custom_config from none to a custom health check: "
        )
        assert "Delete the service and create it again" in msg
        assert failed.value.kwargs["service"]["id"] == "srv-old"
        assert sd.writes == []

    def test_a_record_type_swap_is_refused(self):
        sd = fake(existing(records=(("A", 10),)))
        with pytest.raises(FailJson, match=r"dns_records types from \['A'\] to \['AAAA'\]"):
            run(sd, module(dns_records=[{"type": "AAAA", "ttl": 10}]))
        assert sd.writes == []


class TestAbsent:
    def test_nothing_to_delete(self):
        sd = fake(existing(name="cms"))
        result, _, after = run(sd, module(state="absent"))
        assert (result, after) == ({"changed": False}, {})
        assert sd.writes == []

    def test_a_missing_namespace_has_nothing_to_delete(self):
        sd = fake()
        result, _, _ = run(sd, module(state="absent", namespace_id="ns-missing"))
        assert result == {"changed": False}

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_a_service_with_instances_is_refused_naming_them(self, check_mode):
        sd = fake(existing(), instances={"srv-old": ["task-b", "task-a"]})
        with pytest.raises(FailJson) as failed:
            run(sd, module(check_mode, state="absent"))
        assert failed.value.kwargs["msg"] == (
            "service site (srv-old) still has 2 registered instance(s): task-a, task-b. "
            "Cloud Map deletes only services without instances; ECS deregisters its tasks when they stop: "
            "scale the ECS service to zero, delete it or remove its service registry first."
        )
        assert sd.writes == []

    def test_a_long_list_of_instances_is_cut_short(self):
        sd = fake(existing(), instances={"srv-old": [f"task-{i:02d}" for i in range(12)]})
        with pytest.raises(FailJson) as failed:
            run(sd, module(state="absent"))
        assert "12 registered instance(s): task-00, task-01, task-02, task-03, task-04, task-05, task-06, task-07, task-08, task-09, ...." in failed.value.kwargs["msg"]

    def test_an_instance_registered_meanwhile_is_reported(self):
        sd = fake(existing())
        original = sd.list_instances
        answers = iter([{"Instances": []}])

        def list_instances(**kwargs):
            # Empty at the check; then an instance arrives before the deletion.
            sd.instances["srv-old"] = ["task-late"]
            return next(answers, None) or original(**kwargs)

        sd.list_instances = list_instances
        with pytest.raises(FailJson) as failed:
            run(sd, module(state="absent"))
        assert failed.value.kwargs["msg"].startswith("service site (srv-old) still has 1 registered instance(s): task-late.")
        assert failed.value.kwargs["exception"].response["Error"]["Code"] == "ResourceInUse"
        assert "srv-old" in sd.services

    def test_check_mode_deletes_nothing(self):
        sd = fake(existing())
        result, _, after = run(sd, module(True, state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert sd.writes == []
        assert list(sd.services) == ["srv-old"]

    def test_delete(self):
        sd = fake(existing(), existing("srv-cms", name="cms"))
        result, before, after = run(sd, module(state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert before["id"] == "srv-old"
        assert sd.writes == [("delete_service", {"Id": "srv-old"})]
        assert list(sd.services) == ["srv-cms"]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on this fake; (failed, result)."""
    return module_runner(monkeypatch, module_under_test)


class TestMain:
    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}

    def test_check_mode_with_diff(self, run_module):
        sd = fake()
        failed, result = run_module(sd, dict(self.AWS, name="site", namespace_id=NS, _ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert sd.writes == []
        assert result["diff"] == {"before": {}, "after": result["service"]}
        assert result["service"]["dns_config"] == {"routing_policy": "MULTIVALUE", "dns_records": [{"type": "A", "ttl": 10}]}

    def test_create_then_nothing_to_do(self, run_module):
        sd = fake()
        args = dict(self.AWS, name="site", namespace_id=NS, dns_records=[{"type": "A"}, {"type": "SRV", "ttl": 30}], tags={"a": "b"})
        failed, first = run_module(sd, args)
        assert not failed, first
        assert first["changed"] is True
        assert first["service"]["dns_config"]["dns_records"] == [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 30}]
        failed, second = run_module(sd, args)
        assert not failed, second
        assert second["changed"] is False
        assert second["service"] == first["service"]
        assert [op for op, _ in sd.writes] == ["create_service"]

    def test_invalid_parameters_fail_before_any_call(self, run_module):
        sd = fake()
        args = dict(
            self.AWS,
            name="site",
            namespace_id=NS,
            dns_records=[{"type": "A", "ttl": -1}, {"type": "A", "ttl": 10}],
            health_check_custom_config={"failure_threshold": 11},
        )
        failed, result = run_module(sd, args)
        assert failed
        assert result["msg"] == (
            "dns_records[0].ttl: -1 is out of range (0 to 2147483647); "
            "dns_records[1]: a record of type A is given twice; "
            "health_check_custom_config.failure_threshold: 11 is out of range (1 to 10)"
        )
        assert sd.calls == []

    def test_no_records_at_all_is_refused(self, run_module):
        sd = fake()
        failed, result = run_module(sd, dict(self.AWS, name="site", namespace_id=NS, dns_records=[]))
        assert failed
        assert result["msg"] == "dns_records: give at least one record"

    def test_the_parameters_are_not_checked_for_deletion(self, run_module):
        sd = fake(existing())
        failed, result = run_module(sd, dict(self.AWS, name="site", namespace_id=NS, dns_records=[], state="absent"))
        assert not failed, result
        assert result["changed"] is True

    def test_an_unknown_record_type_is_refused(self, run_module):
        sd = fake()
        failed, result = run_module(sd, dict(self.AWS, name="site", namespace_id=NS, dns_records=[{"type": "CNAME"}]))
        assert failed
        assert "value of type must be one of: A, AAAA, SRV, got: CNAME" in result["msg"]
        assert sd.calls == []

    def test_aws_errors_fail_with_the_call_named(self, run_module):
        sd = fake(errors={"create_service": "ResourceLimitExceeded"})
        failed, result = run_module(sd, dict(self.AWS, name="site", namespace_id=NS))
        assert failed
        assert result["msg"].startswith("Failed to create service")
        assert result["error"]["code"] == "ResourceLimitExceeded"


class TestListMode:
    """The option services: one listing of the namespace, the tags of the services named, a write only
    where a service differs, each element what the singular mode returns for that service."""

    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
    RECORDS = [{"type": "A", "ttl": 10}]

    def args(self, *services, **kwargs):
        return dict(self.AWS, services=list(services), **dict({"namespace_id": NS}, **kwargs))

    def many(self, count):
        """A namespace with `count` services svc-00... (tagged) and one of the other namespace."""
        services = [existing(f"srv-{i:02d}", name=f"svc-{i:02d}") for i in range(count)]
        services.append(existing("srv-other", name="svc-00", namespace_id="ns-other"))
        return fake(*services, tags={arn(f"srv-{i:02d}"): {"env": "prod"} for i in range(count)})

    @staticmethod
    def singular(run_module, sd, item, **kwargs):
        """What the singular mode returns for one item: (result, service)."""
        failed, result = run_module(sd, dict(TestListMode.AWS, namespace_id=NS, **item, **kwargs))
        assert not failed, result
        return result, result["service"]

    @staticmethod
    def listed(element):
        """An element without instance_count: ListServices reports it, the fake's GetService does not
        (AWS's GetService does)."""
        return {key: value for key, value in element.items() if key != "instance_count"}

    def test_thirty_unchanged_services_take_one_listing_and_their_tags(self, run_module):
        sd = self.many(30)
        items = [{"name": f"svc-{i:02d}", "tags": {"env": "prod"}} for i in reversed(range(30))]
        failed, result = run_module(sd, self.args(*items))
        assert not failed, result
        assert result["changed"] is False
        assert sd.writes == []
        assert sd.operations() == ["get_namespace", "list_services"] + ["list_tags_for_resource"] * 30
        assert [element["name"] for element in result["services"]] == [item["name"] for item in items]
        assert [element["arn"] for element in result["services"]] == [arn(f"srv-{i:02d}") for i in reversed(range(30))]
        assert all(element["changed"] is False and element["namespace_id"] == NS for element in result["services"])

    def test_each_element_is_what_the_singular_mode_returns(self, run_module):
        items = [
            {"name": "svc-00"},
            {"name": "svc-01", "dns_records": [{"type": "A", "ttl": 60}], "description": "new"},
            {"name": "svc-02", "tags": {"team": "web"}, "purge_tags": False},
            {"name": "new", "dns_records": [{"type": "SRV", "ttl": 5}], "health_check_custom_config": {}},
            {"name": "svc-00x", "state": "absent"},
        ]
        for check_mode in (True, False):
            list_sd, single_sd = self.many(3), self.many(3)
            failed, result = run_module(list_sd, self.args(*items, _ansible_check_mode=check_mode))
            assert not failed, result
            assert result["changed"] is True
            for item, element in zip(items, result["services"], strict=True):
                single, service = self.singular(run_module, single_sd, item, _ansible_check_mode=check_mode)
                assert self.listed(element) == dict(service, changed=single["changed"]), item["name"]

    def test_only_what_differs_is_written_once(self, run_module):
        sd = self.many(4)
        sd.instances = {"srv-03": []}
        items = [
            {"name": "svc-00", "tags": {"env": "prod"}},
            {"name": "svc-01", "dns_records": [{"type": "A", "ttl": 60}]},
            {"name": "svc-02", "tags": {"env": "test"}},
            {"name": "svc-03", "state": "absent"},
            {"name": "cms", "dns_records": [{"type": "A"}, {"type": "SRV", "ttl": 30}]},
            {"name": "gone", "state": "absent"},
        ]
        failed, result = run_module(sd, self.args(*items))
        assert not failed, result
        assert [element["changed"] for element in result["services"]] == [False, True, True, True, True, False]
        writes = [(operation, request.get("Id") or request.get("ResourceARN") or request.get("Name")) for operation, request in sd.writes]
        assert writes == [
            ("update_service", "srv-01"),
            ("tag_resource", arn("srv-02")),
            ("delete_service", "srv-03"),
            ("create_service", "cms"),
        ]
        assert result["services"][3] == {"changed": True}
        assert result["services"][4]["arn"] == sd.services[result["services"][4]["id"]]["Arn"]
        failed, again = run_module(sd, self.args(*items))
        assert not failed, again
        assert again["changed"] is False
        assert len(sd.writes) == 4

    def test_check_mode_writes_nothing_and_predicts_each_item(self, run_module):
        sd = self.many(2)
        items = [{"name": "svc-00", "dns_records": [{"type": "A", "ttl": 60}]}, {"name": "svc-01", "state": "absent"}, {"name": "cms"}]
        failed, result = run_module(sd, self.args(*items, _ansible_check_mode=True))
        assert not failed, result
        assert sd.writes == []
        assert [element["changed"] for element in result["services"]] == [True, True, True]
        assert result["services"][0]["dns_config"]["dns_records"] == [{"type": "A", "ttl": 60}]
        assert result["services"][1] == {"changed": True}
        assert "arn" not in result["services"][2] and result["services"][2]["name"] == "cms"

    def test_diff_maps_each_name_to_its_service_before_and_after(self, run_module):
        sd = self.many(2)
        items = [{"name": "svc-00", "description": "new"}, {"name": "svc-01", "state": "absent"}, {"name": "cms"}]
        failed, result = run_module(sd, self.args(*items, _ansible_diff=True))
        assert not failed, result
        before, after = result["diff"]["before"], result["diff"]["after"]
        assert list(before) == list(after) == ["svc-00", "svc-01", "cms"]
        assert before["svc-00"]["description"] is None and after["svc-00"]["description"] == "new"
        assert before["svc-01"]["id"] == "srv-01" and after["svc-01"] == {}
        assert before["cms"] == {} and after["cms"]["id"].startswith("srv-")
        assert after["cms"] == {key: value for key, value in result["services"][2].items() if key != "changed"}

    def test_invalid_items_fail_before_any_call_naming_each(self, run_module):
        sd = self.many(1)
        items = [
            {"name": "site", "dns_records": [{"type": "A", "ttl": -1}]},
            {"name": "cms"},
            {"name": "site", "state": "absent"},
            {"name": "proxy", "dns_records": [], "state": "absent"},
            {"name": "api", "dns_records": []},
        ]
        failed, result = run_module(sd, self.args(*items))
        assert failed
        assert result["msg"] == (
            "services[0] (site): dns_records[0].ttl: -1 is out of range (0 to 2147483647); "
            "services[2] (site): the name is given already at services[0]; "
            "services[4] (api): dns_records: give at least one record"
        )
        assert sd.calls == []

    @pytest.mark.parametrize("extra", [{"name": "site"}, {"dns_records": [{"type": "A"}]}, {"state": "absent"}, {"tags": {}}, {"purge_tags": False}])
    def test_services_with_name_or_a_per_service_option_at_the_top_is_refused(self, run_module, extra):
        sd = self.many(1)
        failed, result = run_module(sd, self.args({"name": "svc-00"}, **extra))
        assert failed
        assert "mutually exclusive" in result["msg"] and "services" in result["msg"]
        assert sd.calls == []

    def test_neither_name_nor_services_is_refused(self, run_module):
        failed, result = run_module(self.many(1), dict(self.AWS, namespace_id=NS))
        assert failed
        assert "one of the following is required: name, services" in result["msg"]

    def test_the_alias_resource_tags_works_in_an_item(self, run_module):
        sd = self.many(1)
        failed, result = run_module(sd, self.args({"name": "svc-00", "resource_tags": {"env": "test"}}))
        assert not failed, result
        assert sd.tags_of(arn("srv-00")) == {"env": "test"}

    def test_an_empty_list_makes_no_call(self, run_module):
        sd = self.many(1)
        failed, result = run_module(sd, self.args())
        assert (failed, result["changed"], result["services"]) == (False, False, [])
        assert sd.calls == []

    def test_fixed_fields_are_refused_for_every_item_before_any_write(self, run_module):
        sd = self.many(3)
        items = [
            {"name": "cms"},
            {"name": "svc-00", "routing_policy": "WEIGHTED"},
            {"name": "svc-01", "description": "fine"},
            {"name": "svc-02", "dns_records": [{"type": "AAAA"}]},
        ]
        failed, result = run_module(sd, self.args(*items))
        assert failed
        assert result["msg"].startswith("services[1] (svc-00): service svc-00 (srv-00) cannot change routing_policy from MULTIVALUE to WEIGHTED: ")
        assert " services[3] (svc-02): service svc-02 (srv-02) cannot change dns_records types from ['A'] to ['AAAA']: " in result["msg"]
        assert "svc-01" not in result["msg"]
        assert result["services"] == []
        assert sd.writes == []

    def test_a_missing_namespace_fails_before_any_write_when_an_item_should_exist(self, run_module):
        sd = fake()
        failed, result = run_module(sd, self.args({"name": "gone", "state": "absent"}, {"name": "site"}, namespace_id="ns-missing"))
        assert failed
        assert result["msg"] == "namespace ns-missing does not exist (wanted by services[1] (site))"
        assert sd.operations() == ["get_namespace"]

    def test_a_missing_namespace_has_nothing_to_delete(self, run_module):
        sd = fake()
        failed, result = run_module(sd, self.args({"name": "a", "state": "absent"}, {"name": "b", "state": "absent"}, namespace_id="ns-missing"))
        assert not failed, result
        assert result["services"] == [{"changed": False}, {"changed": False}]
        assert sd.operations() == ["get_namespace"]

    def test_a_listing_that_ignores_the_filter_is_checked_service_by_service(self, run_module):
        # An API that ignores the NAMESPACE_ID filter (moto does) lists services of other namespaces:
        # more services than the namespace counts, so the summaries of the names asked for are read in full.
        sd = fake(existing("srv-other", name="site", namespace_id="ns-other"), existing("srv-cms", name="cms", namespace_id="ns-other"))
        original = sd.list_services
        sd.list_services = lambda **kwargs: original()
        failed, result = run_module(sd, self.args({"name": "site"}, {"name": "cms", "state": "absent"}))
        assert not failed, result
        assert [element["changed"] for element in result["services"]] == [True, False]
        assert [op for op, _ in sd.writes] == ["create_service"]
        assert ("get_service", {"Id": "srv-other"}) in sd.calls and ("get_service", {"Id": "srv-cms"}) in sd.calls
        assert sd.services["srv-other"]["NamespaceId"] == "ns-other"

    def test_without_wait_each_updated_item_returns_its_operation(self, run_module, sleeps):
        sd = self.many(2)
        items = [{"name": "svc-00", "dns_records": [{"type": "A", "ttl": 60}]}, {"name": "svc-01"}]
        failed, result = run_module(sd, self.args(*items, wait=False))
        assert not failed, result
        assert result["services"][0]["operation_id"].startswith("op-")
        assert "operation_id" not in result["services"][1]
        assert sleeps == []

    def test_an_aws_error_part_way_names_the_item_and_what_was_done(self, run_module):
        sd = self.many(2)
        sd.errors = {"update_service": "ThrottlingException"}
        items = [{"name": "cms"}, {"name": "svc-00"}, {"name": "svc-01", "dns_records": [{"type": "A", "ttl": 60}]}, {"name": "api"}]
        failed, result = run_module(sd, self.args(*items))
        assert failed
        assert result["msg"].startswith(
            "services[2] (svc-01): Failed to update service (before it: cms created; 1 unchanged): "
        )
        assert result["error"]["code"] == "ThrottlingException"
        assert result["changed"] is True
        assert [element["name"] for element in result["services"]] == ["cms", "svc-00"]
        assert [op for op, _ in sd.writes] == ["create_service", "update_service"]

    def test_a_refused_deletion_part_way_names_the_item_and_what_was_done(self, run_module):
        sd = self.many(2)
        sd.instances = {"srv-01": ["task-a"]}
        items = [{"name": "svc-00", "state": "absent"}, {"name": "svc-01", "state": "absent"}]
        failed, result = run_module(sd, self.args(*items))
        assert failed
        assert result["msg"].startswith(
            "services[1] (svc-01): service svc-01 (srv-01) still has 1 registered instance(s): task-a. "
        )
        assert result["msg"].endswith("(before it: svc-00 deleted; 0 unchanged)")
        assert result["service"]["id"] == "srv-01"
        assert result["services"] == [{"changed": True}]


class TestNamespaceOption:
    """The option namespace: the namespace read with the services, refused items before any write, the
    namespace written, then the services in it; what servicediscovery_namespace does for the namespace."""

    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}
    NAME = "quoin-prod.internal"
    NAMESPACE = {"name": NAME, "vpc": VPC_ID, "description": "prod names", "tags": {"env": "prod"}}
    ITEMS = [{"name": "site", "health_check_custom_config": {}}, {"name": "cms", "tags": {"quoin:service": "cms"}}]

    def clients(self, *services, namespaces=(), **kwargs):
        """The fakes as the module asks for them; every namespace's hosted zone in VPC_ID."""
        route53 = FakeRoute53({ns["Properties"]["DnsProperties"]["HostedZoneId"]: [VPC_ID] for ns in namespaces})
        sd = FakeServiceDiscovery(namespaces=namespaces, services=services, route53=route53, **kwargs)
        return {"servicediscovery": sd, "route53": route53}

    def existing(self, *services, tags=None, **kwargs):
        """NS, named NAME, in VPC_ID, with these services and the tags of NAMESPACE unless told otherwise."""
        ns = namespace(NS, self.NAME, description="prod names")
        tags = {ns["Arn"]: {"env": "prod"} if tags is None else tags}
        return self.clients(*services, namespaces=[ns], tags=tags, **kwargs)

    def args(self, items=ITEMS, namespace=None, **kwargs):
        return dict(self.AWS, namespace=dict(self.NAMESPACE, **(namespace or {})), services=copy.deepcopy(items), **kwargs)

    def test_an_existing_namespace_is_found_by_name_and_vpc_and_left_alone(self, run_module):
        fakes = self.existing(existing("srv-site", name="site", custom={"FailureThreshold": 1}))
        sd = fakes["servicediscovery"]
        failed, result = run_module(fakes, self.args())
        assert not failed, result
        assert result["namespace"]["id"] == NS
        assert result["namespace"]["tags"] == {"env": "prod"}
        assert [element["changed"] for element in result["services"]] == [False, True]
        assert [element["namespace_id"] for element in result["services"]] == [NS, NS]
        assert [op for op, _ in sd.writes] == ["create_service"]
        assert sd.writes[0][1]["NamespaceId"] == NS
        assert fakes["route53"].operations() == ["get_hosted_zone"]
        failed, again = run_module(fakes, self.args())
        assert not failed, again
        assert again["changed"] is False
        assert again["namespace"] == result["namespace"]
        assert len(sd.writes) == 1

    def test_a_namespace_of_that_name_in_another_vpc_is_not_used(self, run_module):
        fakes = self.existing()
        fakes["route53"].zones = {zone: ["vpc-0fedcba9876543210"] for zone in fakes["route53"].zones}
        failed, result = run_module(fakes, self.args())
        assert not failed, result
        assert result["namespace"]["id"] != NS
        assert [op for op, _ in fakes["servicediscovery"].writes][0] == "create_private_dns_namespace"

    def test_a_new_namespace_is_created_then_the_services_in_it(self, run_module):
        fakes = self.clients()
        sd = fakes["servicediscovery"]
        failed, result = run_module(fakes, self.args())
        assert not failed, result
        assert result["changed"] is True
        [ns_id] = sd.namespaces
        assert result["namespace"]["id"] == ns_id
        assert result["namespace"]["description"] == "prod names"
        assert sd.tags_of(sd.namespaces[ns_id]["Arn"]) == {"env": "prod"}
        assert [op for op, _ in sd.writes] == ["create_private_dns_namespace", "create_service", "create_service"]
        assert sd.writes[0][1]["Vpc"] == VPC_ID
        assert [request["NamespaceId"] for op, request in sd.writes[1:]] == [ns_id, ns_id]
        assert [element["namespace_id"] for element in result["services"]] == [ns_id, ns_id]
        # An empty namespace: its services are not listed.
        assert "list_services" not in sd.operations()
        failed, again = run_module(fakes, self.args())
        assert not failed, again
        assert again["changed"] is False
        assert [element["arn"] for element in again["services"]] == [element["arn"] for element in result["services"]]
        assert len(sd.writes) == 3

    def test_check_mode_on_a_new_namespace_predicts_it_and_its_services(self, run_module):
        fakes = self.clients()
        sd = fakes["servicediscovery"]
        failed, result = run_module(fakes, self.args(_ansible_check_mode=True, _ansible_diff=True))
        assert not failed, result
        assert result["changed"] is True
        assert sd.writes == [] and sd.namespaces == {}
        assert result["namespace"] == {
            "name": self.NAME,
            "type": "DNS_PRIVATE",
            "description": "prod names",
            "properties": {"hosted_zone_id": None, "dns_name": self.NAME},
            "tags": {"env": "prod"},
        }
        assert [element["name"] for element in result["services"]] == ["site", "cms"]
        assert all(element["changed"] and element["namespace_id"] is None and "arn" not in element for element in result["services"])
        assert result["services"][1]["tags"] == {"quoin:service": "cms"}
        assert result["diff"]["before"] == {"namespace": {}, "services": {"site": {}, "cms": {}}}
        assert result["diff"]["after"]["namespace"] == result["namespace"]
        assert result["diff"]["after"]["services"]["cms"]["name"] == "cms"

    def test_check_mode_predicts_what_a_real_run_returns(self, run_module):
        failed, prediction = run_module(self.clients(), self.args(_ansible_check_mode=True))
        assert not failed, prediction
        failed, created = run_module(self.clients(), self.args())
        assert not failed, created
        assert prediction["namespace"]["tags"] == created["namespace"]["tags"]
        assert prediction["namespace"]["description"] == created["namespace"]["description"]
        # AWS reports a custom health check's threshold as 1, whatever was asked.
        drop = ("id", "arn", "namespace_id", "instance_count", "health_check_custom_config")
        for predicted, real in zip(prediction["services"], created["services"], strict=True):
            assert {k: v for k, v in predicted.items() if k not in drop} == {
                k: v for k, v in real.items() if k not in drop
            }

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_tag_changes_on_the_namespace(self, run_module, check_mode):
        fakes = self.existing(tags={"env": "prod", "team": "web"})
        sd = fakes["servicediscovery"]
        arn_ns = sd.namespaces[NS]["Arn"]
        args = self.args([], namespace={"tags": {"env": "test", "owner": "ops"}}, _ansible_check_mode=check_mode, _ansible_diff=True)
        failed, result = run_module(fakes, args)
        assert not failed, result
        assert result["changed"] is True
        assert result["namespace"]["tags"] == {"env": "test", "owner": "ops"}
        assert result["diff"]["before"]["namespace"]["tags"] == {"env": "prod", "team": "web"}
        assert result["diff"]["after"]["namespace"]["tags"] == {"env": "test", "owner": "ops"}
        if check_mode:
            assert sd.writes == []
            assert sd.tags_of(arn_ns) == {"env": "prod", "team": "web"}
        else:
            assert [op for op, _ in sd.writes] == ["untag_resource", "tag_resource"]
            assert sd.tags_of(arn_ns) == {"env": "test", "owner": "ops"}

    def test_omitted_namespace_description_and_tags_are_not_compared(self, run_module):
        fakes = self.existing(tags={"team": "web"})
        failed, result = run_module(fakes, self.args([], namespace={"description": None, "tags": None}))
        assert not failed, result
        assert result["changed"] is False
        assert fakes["servicediscovery"].writes == []

    @pytest.mark.parametrize(
        "args, message",
        [
            ({"namespace_id": NS}, "parameters are mutually exclusive: namespace_id|namespace"),
            ({"namespace": "omitted"}, "one of the following is required: namespace_id, namespace"),
            ({"namespace": {"name": "quoin-prod.internal"}}, "missing required arguments: vpc found in namespace"),
        ],
    )
    def test_exactly_one_of_namespace_and_namespace_id(self, run_module, args, message):
        fakes = self.existing()
        args = {key: value for key, value in dict(self.args(), **args).items() if value != "omitted"}
        failed, result = run_module(fakes, args)
        assert failed
        assert message in result["msg"]
        assert fakes["servicediscovery"].calls == [] and fakes["route53"].calls == []

    def test_a_failed_creation_names_what_was_done(self, run_module):
        fakes = self.clients(errors={"create_private_dns_namespace": "LimitExceeded"})
        failed, result = run_module(fakes, self.args())
        assert failed
        assert result["msg"].startswith(f"namespace {self.NAME}: Failed to create private DNS namespace (done: nothing; no service was changed)")
        assert result["error"]["code"] == "LimitExceeded"
        assert result["changed"] is False
        assert [op for op, _ in fakes["servicediscovery"].writes] == ["create_private_dns_namespace"]

    def test_a_creation_that_fails_in_cloud_map_names_the_operation_started(self, run_module):
        fakes = self.clients(failing={"CREATE_NAMESPACE": ("CONFLICTING_DOMAIN_EXISTS", "The domain exists.")})
        failed, result = run_module(fakes, self.args())
        assert failed
        assert result["msg"].startswith(f"namespace {self.NAME}: Cloud Map operation op-")
        assert "failed: CONFLICTING_DOMAIN_EXISTS: The domain exists. (done: creation of namespace" in result["msg"]
        assert result["msg"].endswith("started (operation op-2); no service was changed)")
        assert result["changed"] is True
        assert result["namespace"] == {}
        assert "create_service" not in fakes["servicediscovery"].operations()

    def test_a_failed_tag_update_names_the_tags_removed_before_it(self, run_module):
        fakes = self.existing(tags={"env": "prod", "team": "web"}, errors={"tag_resource": "ThrottlingException"})
        failed, result = run_module(fakes, self.args(namespace={"tags": {"env": "test"}}))
        assert failed
        assert result["msg"].startswith(
            f"namespace {self.NAME}: Failed to tag resource (done: tags team removed from namespace {self.NAME}; no service was changed)"
        )
        assert result["changed"] is True
        assert "create_service" not in fakes["servicediscovery"].operations()

    def test_fixed_fields_are_refused_before_the_namespace_is_written(self, run_module):
        fakes = self.existing(existing("srv-site", name="site"))
        items = [{"name": "site", "routing_policy": "WEIGHTED"}]
        failed, result = run_module(fakes, self.args(items, namespace={"tags": {"env": "test"}}))
        assert failed
        assert result["msg"].startswith("services[0] (site): service site (srv-site) cannot change routing_policy")
        assert fakes["servicediscovery"].writes == []

    def test_invalid_items_are_refused_before_any_call(self, run_module):
        fakes = self.clients()
        failed, result = run_module(fakes, self.args([{"name": "site", "dns_records": []}]))
        assert failed
        assert result["msg"] == "services[0] (site): dns_records: give at least one record"
        assert fakes["servicediscovery"].calls == [] and fakes["route53"].calls == []

    def test_a_service_failing_after_a_new_namespace_says_it_was_created(self, run_module):
        fakes = self.clients(errors={"create_service": "ResourceLimitExceeded"})
        failed, result = run_module(fakes, self.args())
        assert failed
        assert result["msg"].startswith("services[0] (site): Failed to create service (before it: namespace quoin-prod.internal created; 0 unchanged)")
        assert result["changed"] is True
        assert result["namespace"]["id"] in fakes["servicediscovery"].namespaces
        assert result["services"] == []

    def test_the_singular_mode_creates_the_namespace_and_the_service(self, run_module):
        fakes = self.clients()
        sd = fakes["servicediscovery"]
        args = dict(self.AWS, name="site", namespace=self.NAMESPACE, _ansible_diff=True)
        failed, result = run_module(fakes, args)
        assert not failed, result
        [ns_id] = sd.namespaces
        assert result["namespace"]["id"] == ns_id
        assert result["service"]["namespace_id"] == ns_id
        assert result["diff"]["before"] == {"namespace": {}, "service": {}}
        assert result["diff"]["after"] == {"namespace": result["namespace"], "service": result["service"]}
        failed, again = run_module(fakes, dict(args, _ansible_check_mode=True))
        assert not failed, again
        assert again["changed"] is False
        assert [op for op, _ in sd.writes] == ["create_private_dns_namespace", "create_service"]

    def test_the_singular_mode_in_check_mode_on_a_new_namespace(self, run_module):
        fakes = self.clients()
        failed, result = run_module(fakes, dict(self.AWS, name="site", namespace=self.NAMESPACE, _ansible_check_mode=True))
        assert not failed, result
        assert result["changed"] is True
        assert "id" not in result["namespace"]
        assert result["service"]["name"] == "site" and result["service"]["namespace_id"] is None
        assert fakes["servicediscovery"].writes == []

    def test_the_singular_mode_refuses_fixed_fields_before_the_namespace_is_written(self, run_module):
        fakes = self.existing(existing("srv-site", name="site"), tags={})
        failed, result = run_module(fakes, dict(self.AWS, name="site", routing_policy="WEIGHTED", namespace=self.NAMESPACE))
        assert failed
        assert result["msg"].startswith("service site (srv-site) cannot change routing_policy")
        assert fakes["servicediscovery"].writes == []

    def test_the_singular_mode_names_the_namespace_change_on_a_later_failure(self, run_module):
        fakes = self.existing(existing("srv-site", name="site"), tags={}, instances={"srv-site": ["task-a"]})
        failed, result = run_module(fakes, dict(self.AWS, name="site", state="absent", namespace=self.NAMESPACE))
        assert failed
        assert result["msg"].startswith("service site (srv-site) still has 1 registered instance(s): task-a.")
        assert result["msg"].endswith(f"(before it: namespace {self.NAME} updated)")
        assert result["changed"] is True
        assert result["namespace"]["tags"] == {"env": "prod"}
        assert [op for op, _ in fakes["servicediscovery"].writes] == ["tag_resource"]
