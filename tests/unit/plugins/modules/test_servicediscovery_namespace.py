"""servicediscovery_namespace against stubbed Cloud Map and Route 53 clients: how it finds a namespace
(name and VPC), what it changes, what check mode predicts without writing, how it waits for Cloud
Map's operations, and what it refuses."""

import uuid

import botocore.waiter
import pytest

from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import AnsibleServiceDiscoveryError
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import current_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import ensure_namespace
from ansible_collections.quoin.fargate.plugins.module_utils.servicediscovery import find_namespace as find
from ansible_collections.quoin.fargate.plugins.modules import servicediscovery_namespace as module_under_test
from ansible_collections.quoin.fargate.plugins.modules.servicediscovery_namespace import ensure_absent

from ..fake_servicediscovery import OTHER_VPC_ID
from ..fake_servicediscovery import VPC_ID
from ..fake_servicediscovery import FailJson
from ..fake_servicediscovery import FakeModule
from ..fake_servicediscovery import FakeRoute53
from ..fake_servicediscovery import FakeServiceDiscovery
from ..fake_servicediscovery import namespace
from ..fake_servicediscovery import service
from ..module_runner import module_runner

DEFAULTS = {
    "state": "present",
    "name": None,
    "vpc": None,
    "description": None,
    "tags": None,
    "purge_tags": True,
    "wait": True,
    "wait_timeout": 300,
}
NAME = "quoin-prod.internal"


def module(check_mode=False, **params):
    """A module asking for the namespace quoin-prod.internal in the VPC."""
    return FakeModule(DEFAULTS, check_mode, **dict({"name": NAME, "vpc": VPC_ID}, **params))


def existing(ns_id="ns-old", name=NAME, description=None):
    return namespace(ns_id, name, description=description, hosted_zone_id=f"Z-{ns_id}")


def clients(*namespaces, zones=None, tags=None, **kwargs):
    """The fakes, every namespace's hosted zone in VPC_ID unless `zones` says otherwise."""
    zones = dict({f"Z-{ns['Id']}": [VPC_ID] for ns in namespaces}, **(zones or {}))
    route53 = FakeRoute53(zones)
    return FakeServiceDiscovery(namespaces=namespaces, tags=tags, route53=route53, **kwargs), route53


def find_namespace(sd, route53, module):
    return find(sd, route53, module.params["name"], module.params["vpc"])


def run(sd, route53, module):
    """What the module's main() does: (result, namespace before, namespace after)."""
    result = {"changed": False}
    before = current_namespace(sd, route53, module.params["name"], module.params["vpc"])
    if module.params["state"] == "present":
        outcome = ensure_namespace(sd, module.params, before, module.check_mode)
        assert outcome.diff == {"before": before, "after": outcome.namespace}
        result["changed"], after = outcome.changed, outcome.namespace
        if outcome.operation_id:
            result["operation_id"] = outcome.operation_id
    else:
        after = ensure_absent(sd, module, before, result)
    return result, before, after


def arn(ns_id):
    return namespace(ns_id, NAME)["Arn"]


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """The seconds the waiter slept, in order; the fakes answer at once unless told to stay pending."""
    slept = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", slept.append)
    return slept


class TestFindNamespace:
    def test_by_name_among_others(self):
        sd, route53 = clients(existing("ns-1", name="other.internal"), existing("ns-2"))
        assert find_namespace(sd, route53, module())["Id"] == "ns-2"
        assert sd.calls[0] == (
            "list_namespaces",
            {
                "Filters": [
                    {"Name": "NAME", "Values": [NAME], "Condition": "EQ"},
                    {"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"},
                ]
            },
        )

    def test_other_types_of_the_same_name_do_not_count(self):
        public = dict(existing("ns-public"), Type="DNS_PUBLIC")
        sd, route53 = clients(public)
        assert find_namespace(sd, route53, module()) is None

    def test_the_vpc_picks_one_of_two_namespaces_of_the_same_name(self):
        sd, route53 = clients(existing("ns-a"), existing("ns-b"), zones={"Z-ns-a": [OTHER_VPC_ID]})
        assert find_namespace(sd, route53, module())["Id"] == "ns-b"
        assert find_namespace(sd, route53, module(vpc=OTHER_VPC_ID))["Id"] == "ns-a"
        assert ("get_hosted_zone", {"Id": "Z-ns-a"}) in route53.calls

    def test_the_same_name_in_another_vpc_is_another_namespace(self):
        sd, route53 = clients(existing("ns-a"), zones={"Z-ns-a": [OTHER_VPC_ID]})
        assert find_namespace(sd, route53, module()) is None

    def test_a_zone_associated_with_several_vpcs_matches_each(self):
        sd, route53 = clients(existing("ns-a"), zones={"Z-ns-a": [OTHER_VPC_ID, VPC_ID]})
        assert find_namespace(sd, route53, module())["Id"] == "ns-a"

    @pytest.mark.parametrize("zones", [{"Z-ns-a": []}, {}], ids=["zone-without-vpcs", "zone-missing"])
    def test_a_zone_that_names_no_vpc_does_not_rule_the_namespace_out(self, zones):
        sd = FakeServiceDiscovery(namespaces=[existing("ns-a")])
        route53 = FakeRoute53(zones)
        assert find_namespace(sd, route53, module())["Id"] == "ns-a"

    def test_without_a_vpc_route53_is_not_asked(self):
        sd, route53 = clients(existing("ns-a"))
        assert find_namespace(sd, route53, module(state="absent", vpc=None))["Id"] == "ns-a"
        assert route53.calls == []

    def test_nothing_found_asks_no_hosted_zone(self):
        sd, route53 = clients()
        assert find_namespace(sd, route53, module()) is None
        assert route53.calls == []

    def test_two_of_the_same_name_without_a_vpc_fail_clearly(self):
        sd, route53 = clients(existing("ns-b"), existing("ns-a"))
        with pytest.raises(AnsibleServiceDiscoveryError) as failed:
            find_namespace(sd, route53, module(state="absent", vpc=None))
        assert failed.value.message == (
            f"2 private DNS namespaces are named {NAME} (ns-a, ns-b): give vpc to say which one"
        )

    def test_two_of_the_same_name_in_the_vpc_fail_clearly(self):
        sd, route53 = clients(existing("ns-b"), existing("ns-a"))
        with pytest.raises(AnsibleServiceDiscoveryError) as failed:
            find_namespace(sd, route53, module())
        assert failed.value.message == f"2 private DNS namespaces are named {NAME} in {VPC_ID} (ns-a, ns-b)"


class TestCreate:
    def test_check_mode_predicts_without_writing(self):
        sd, route53 = clients()
        result, before, after = run(sd, route53, module(True, description="prod names", tags={"env": "prod"}))
        assert result == {"changed": True}
        assert before == {}
        assert sd.writes == []
        assert sd.namespaces == {}
        assert after == {
            "name": NAME,
            "type": "DNS_PRIVATE",
            "description": "prod names",
            "properties": {"hosted_zone_id": None, "dns_name": NAME},
            "tags": {"env": "prod"},
        }

    def test_create_sends_the_request_waits_and_returns_what_aws_reports(self):
        sd, route53 = clients()
        result, _, after = run(sd, route53, module(description="prod names", tags={"env": "prod"}))
        assert result == {"changed": True}
        [(operation, request)] = sd.writes
        assert operation == "create_private_dns_namespace"
        creator_request_id = request.pop("CreatorRequestId")
        assert str(uuid.UUID(creator_request_id)) == creator_request_id
        assert request == {
            "Name": NAME,
            "Vpc": VPC_ID,
            "Description": "prod names",
            "Tags": [{"Key": "env", "Value": "prod"}],
        }
        [ns_id] = sd.namespaces
        assert after["id"] == ns_id
        assert after["arn"].endswith(f":namespace/{ns_id}")
        assert after["properties"]["hosted_zone_id"] == sd.namespaces[ns_id]["Properties"]["DnsProperties"]["HostedZoneId"]
        assert after["tags"] == {"env": "prod"}
        assert sd.operations()[1:] == [
            "create_private_dns_namespace",
            "get_operation",  # the waiter
            "get_operation",  # the namespace's ID
            "get_namespace",
            "list_tags_for_resource",
        ]

    def test_without_description_and_tags_none_are_sent(self):
        sd, route53 = clients()
        run(sd, route53, module())
        request = sd.writes[0][1]
        assert "Description" not in request and "Tags" not in request

    def test_check_mode_predicts_what_a_real_run_returns(self):
        params = dict(description="prod names", tags={"env": "prod"})
        _, _, prediction = run(*clients(), module(True, **params))
        _, _, created = run(*clients(), module(**params))
        expected = {k: v for k, v in created.items() if k not in ("id", "arn", "service_count")}
        expected["properties"] = dict(expected["properties"], hosted_zone_id=None)
        assert prediction == expected

    def test_the_waiter_polls_a_pending_operation_until_it_succeeds(self, sleeps):
        sd, route53 = clients(pending_polls=2)
        _, _, after = run(sd, route53, module())
        assert sleeps == [5, 5]
        assert sd.operations().count("get_operation") == 4  # three polls, then the namespace's ID
        assert after["id"] in sd.namespaces

    def test_an_operation_that_fails_reports_cloud_maps_reason(self):
        sd, route53 = clients(failing={"CREATE_NAMESPACE": ("CONFLICTING_DOMAIN_EXISTS", "The domain exists.")})
        with pytest.raises(AnsibleServiceDiscoveryError) as failed:
            run(sd, route53, module())
        assert failed.value.message.startswith("Cloud Map operation op-")
        assert failed.value.message.endswith("(CREATE_NAMESPACE) failed: CONFLICTING_DOMAIN_EXISTS: The domain exists.")

    def test_an_operation_still_pending_at_the_timeout_fails(self, sleeps):
        sd, route53 = clients(pending_polls=100)
        with pytest.raises(AnsibleServiceDiscoveryError, match="^Timeout trying to wait for the Cloud Map operation"):
            run(sd, route53, module(wait_timeout=20))
        assert sum(sleeps) < 20

    def test_without_wait_the_operation_is_returned_and_not_polled(self, sleeps):
        sd, route53 = clients(pending_polls=5)
        result, _, after = run(sd, route53, module(wait=False))
        assert result["changed"] is True
        assert result["operation_id"].startswith("op-")
        assert sleeps == []
        assert sd.operations().count("get_operation") == 1
        assert after["id"] in sd.namespaces

    def test_without_wait_an_operation_naming_no_namespace_returns_the_prediction(self):
        sd, route53 = clients()
        original = sd.get_operation

        def without_targets(**kwargs):
            answer = original(**kwargs)
            answer["Operation"].pop("Targets")
            return answer

        sd.get_operation = without_targets
        _, _, after = run(sd, route53, module(wait=False, tags={"env": "prod"}))
        assert "id" not in after
        assert after["name"] == NAME
        assert after["tags"] == {"env": "prod"}


class TestUpdate:
    START_TAGS = {"env": "prod", "team": "web"}

    def clients(self, **kwargs):
        return clients(existing(description="prod names"), tags={arn("ns-old"): dict(self.START_TAGS)}, **kwargs)

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_the_same_parameters_change_nothing(self, check_mode):
        sd, route53 = self.clients()
        result, before, after = run(sd, route53, module(check_mode, description="prod names", tags=self.START_TAGS))
        assert result == {"changed": False}
        assert sd.writes == []
        assert after == before
        assert after["id"] == "ns-old"

    def test_omitted_description_and_tags_are_left_alone(self):
        sd, route53 = self.clients()
        result, _, after = run(sd, route53, module())
        assert result == {"changed": False}
        assert after["description"] == "prod names"
        assert after["tags"] == self.START_TAGS

    def test_a_new_description_is_applied_and_waited_for(self, sleeps):
        sd, route53 = self.clients(pending_polls=1)
        result, before, after = run(sd, route53, module(description="new"))
        assert result == {"changed": True}
        [(operation, request)] = sd.writes
        assert operation == "update_private_dns_namespace"
        assert request["Id"] == "ns-old"
        assert request["Namespace"] == {"Description": "new"}
        assert request["UpdaterRequestId"]
        assert sleeps == [5]
        assert before["description"] == "prod names"
        assert after["description"] == "new"
        assert sd.namespaces["ns-old"]["Description"] == "new"

    def test_an_empty_description_matches_none(self):
        sd, route53 = clients(existing())
        result, _, _ = run(sd, route53, module(description=""))
        assert result == {"changed": False}

    def test_without_wait_the_update_returns_the_prediction_and_the_operation(self, sleeps):
        sd, route53 = self.clients(pending_polls=3)
        result, _, after = run(sd, route53, module(description="new", wait=False))
        assert result["operation_id"].startswith("op-")
        assert after["description"] == "new"
        assert sleeps == []
        assert "get_operation" not in sd.operations()

    def test_purge_false_adds_and_keeps_the_others(self):
        sd, route53 = self.clients()
        result, _, after = run(sd, route53, module(tags={"owner": "ops", "team": "cms"}, purge_tags=False))
        assert result == {"changed": True}
        assert [op for op, _ in sd.writes] == ["tag_resource"]
        expected = {"env": "prod", "team": "cms", "owner": "ops"}
        assert sd.tags_of(arn("ns-old")) == expected
        assert after["tags"] == expected

    def test_purge_true_removes_the_others(self):
        sd, route53 = self.clients()
        result, _, after = run(sd, route53, module(tags={"owner": "ops"}))
        assert result == {"changed": True}
        [(_, untag)] = [call for call in sd.writes if call[0] == "untag_resource"]
        assert sorted(untag["TagKeys"]) == ["env", "team"]
        assert after["tags"] == {"owner": "ops"}

    def test_aws_reserved_tags_are_not_purged(self):
        sd, route53 = clients(existing(), tags={arn("ns-old"): {"aws:cloudformation:stack-name": "s", "env": "prod"}})
        run(sd, route53, module(tags={}))
        assert sd.tags_of(arn("ns-old")) == {"aws:cloudformation:stack-name": "s"}

    @pytest.mark.parametrize(
        "params",
        [
            {"tags": {"owner": "ops"}, "purge_tags": False},
            {"tags": {"owner": "ops"}},
            {"tags": {}},
            {"description": "new"},
            {"description": "new", "tags": {"env": "dev"}},
        ],
    )
    def test_check_mode_predicts_what_a_real_run_returns(self, params):
        sd, route53 = self.clients()
        result, _, prediction = run(sd, route53, module(True, **params))
        assert result == {"changed": True}
        assert sd.writes == []
        assert sd.tags_of(arn("ns-old")) == self.START_TAGS
        _, _, after = run(*self.clients(), module(**params))
        assert prediction == after


class TestAbsent:
    def test_nothing_to_delete(self):
        sd, route53 = clients(existing(name="other.internal"))
        result, _, after = run(sd, route53, module(state="absent"))
        assert (result, after) == ({"changed": False}, {})
        assert sd.writes == []

    @pytest.mark.parametrize("check_mode", [False, True])
    def test_a_namespace_with_services_is_refused_naming_them(self, check_mode):
        sd, route53 = clients(existing())
        sd.services = {
            "srv-1": service("srv-1", "site", "ns-old"),
            "srv-2": service("srv-2", "cms", "ns-old"),
            "srv-3": service("srv-3", "proxy", "ns-elsewhere"),
        }
        with pytest.raises(FailJson) as failed:
            run(sd, route53, module(check_mode, state="absent"))
        assert failed.value.kwargs["msg"] == (
            f"namespace {NAME} (ns-old) still holds 2 service(s): cms, site. "
            "Cloud Map deletes only empty namespaces: delete the services first."
        )
        assert failed.value.kwargs["namespace"]["id"] == "ns-old"
        assert sd.writes == []

    def test_check_mode_deletes_nothing(self):
        sd, route53 = clients(existing())
        result, _, after = run(sd, route53, module(True, state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert sd.writes == []
        assert list(sd.namespaces) == ["ns-old"]

    def test_delete_and_wait(self, sleeps):
        sd, route53 = clients(existing(), pending_polls=1)
        result, before, after = run(sd, route53, module(state="absent"))
        assert (result, after) == ({"changed": True}, {})
        assert before["id"] == "ns-old"
        assert sd.writes == [("delete_namespace", {"Id": "ns-old"})]
        assert sd.operations()[-2:] == ["get_operation", "get_operation"]
        assert sleeps == [5]
        assert sd.namespaces == {}

    def test_delete_without_waiting(self):
        sd, route53 = clients(existing(), pending_polls=1)
        result, _, _ = run(sd, route53, module(state="absent", wait=False))
        assert result["changed"] is True
        assert result["operation_id"].startswith("op-")
        assert "get_operation" not in sd.operations()

    def test_a_failed_deletion_reports_cloud_maps_reason(self):
        sd, route53 = clients(existing(), failing={"DELETE_NAMESPACE": ("RESOURCE_IN_USE", "Services exist.")})
        with pytest.raises(AnsibleServiceDiscoveryError, match=r"\(DELETE_NAMESPACE\) failed: RESOURCE_IN_USE: Services exist.$"):
            run(sd, route53, module(state="absent"))

    def test_a_service_added_meanwhile_is_reported(self):
        sd, route53 = clients(existing(), errors={"delete_namespace": "ResourceInUse"})
        with pytest.raises(FailJson) as failed:
            run(sd, route53, module(state="absent"))
        assert failed.value.kwargs["msg"] == (
            f"namespace {NAME} (ns-old) is in use (services were added meanwhile?); delete its services first"
        )
        assert failed.value.kwargs["exception"].response["Error"]["Code"] == "ResourceInUse"

    def test_only_the_namespace_in_the_vpc_is_deleted(self):
        sd, route53 = clients(existing("ns-a"), existing("ns-b"), zones={"Z-ns-a": [OTHER_VPC_ID]})
        run(sd, route53, module(state="absent"))
        assert list(sd.namespaces) == ["ns-a"]

    def test_without_a_vpc_a_unique_name_is_enough(self):
        sd, route53 = clients(existing("ns-a"), existing("ns-b", name="other.internal"))
        result, _, _ = run(sd, route53, module(state="absent", vpc=None))
        assert result["changed"] is True
        assert list(sd.namespaces) == ["ns-b"]


@pytest.fixture
def run_module(monkeypatch):
    """Run the module's main() with these arguments on these fakes; (failed, result)."""
    run = module_runner(monkeypatch, module_under_test)
    return lambda sd, route53, args: run({"servicediscovery": sd, "route53": route53}, args)


class TestMain:
    AWS = {"region": "eu-central-1", "access_key": "testing", "secret_key": "testing"}

    def test_check_mode_with_diff(self, run_module):
        sd, route53 = clients()
        args = dict(self.AWS, name=NAME, vpc=VPC_ID, _ansible_check_mode=True, _ansible_diff=True)
        failed, result = run_module(sd, route53, args)
        assert not failed, result
        assert result["changed"] is True
        assert sd.writes == []
        assert result["diff"] == {"before": {}, "after": result["namespace"]}
        assert result["namespace"]["name"] == NAME

    def test_create_then_nothing_to_do(self, run_module):
        sd, route53 = clients()
        args = dict(self.AWS, name=NAME, vpc=VPC_ID, description="d", tags={"env": "prod"})
        failed, first = run_module(sd, route53, args)
        assert not failed, first
        assert first["changed"] is True
        failed, second = run_module(sd, route53, dict(args, _ansible_diff=True))
        assert not failed, second
        assert second["changed"] is False
        assert second["namespace"] == first["namespace"]
        assert second["diff"]["before"] == second["diff"]["after"]
        assert [op for op, _ in sd.writes] == ["create_private_dns_namespace"]

    def test_present_needs_a_vpc(self, run_module):
        sd, route53 = clients()
        failed, result = run_module(sd, route53, dict(self.AWS, name=NAME))
        assert failed
        assert result["msg"] == "state is present but all of the following are missing: vpc"
        assert sd.calls == []

    def test_aws_errors_fail_with_the_call_named(self, run_module):
        sd, route53 = clients(errors={"create_private_dns_namespace": "ResourceLimitExceeded"})
        failed, result = run_module(sd, route53, dict(self.AWS, name=NAME, vpc=VPC_ID))
        assert failed
        assert result["msg"].startswith("Failed to create private DNS namespace")
        assert result["error"]["code"] == "ResourceLimitExceeded"

    def test_a_failed_operation_fails_the_task_with_its_reason(self, run_module):
        sd, route53 = clients(failing={"CREATE_NAMESPACE": ("LIMIT_EXCEEDED", "Too many namespaces.")})
        failed, result = run_module(sd, route53, dict(self.AWS, name=NAME, vpc=VPC_ID))
        assert failed
        assert result["msg"].endswith("(CREATE_NAMESPACE) failed: LIMIT_EXCEEDED: Too many namespaces.")
