"""The deploy wait's verdict on one service, shared by ecs_deployment_wait and the verify role's
stable_services filter: importable without boto3, re-exported unchanged by ecs_deployment, and the
parts of the rule the wait's own tests do not reach (which counts decide, which deployment is shown,
the event lines)."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.quoin.fargate.plugins.module_utils import ecs_deployment
from ansible_collections.quoin.fargate.plugins.module_utils import ecs_verdict
from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import judge_service

TD = "arn:aws:ecs:eu-central-1:123456789012:task-definition/site:{}"

# What ecs_deployment offered before the verdict moved, and what its users import from there.
SHARED = (
    "COMPLETED", "IN_PROGRESS", "FAILED", "ROLLED_BACK", "TIMED_OUT", "MISSING", "INACTIVE", "UNSUPPORTED", "SKIPPED",
    "judge_service", "task_definition_matches", "task_definition_problem",
)


def deployment(revision, state="COMPLETED", status="PRIMARY", running=1, desired=1):
    return {"status": status, "taskDefinition": TD.format(revision), "runningCount": running, "desiredCount": desired,
            "rolloutState": state, "rolloutStateReason": f"{state} {revision}"}


def service(*deployments, running=1, desired=1, events=(), **fields):
    return dict({"serviceName": "site", "status": "ACTIVE", "runningCount": running, "desiredCount": desired,
                 "deploymentController": {"type": "ECS"}, "deployments": list(deployments), "events": list(events)}, **fields)


class TestShared:
    @pytest.mark.parametrize("name", SHARED)
    def test_ecs_deployment_re_exports_the_same_object(self, name):
        assert getattr(ecs_deployment, name) is getattr(ecs_verdict, name)

    def test_the_outcomes_the_roles_compare_with(self):
        # roles/verify compares outcome with 'completed'; ecs_deployment_wait returns these strings.
        assert (ecs_verdict.COMPLETED, ecs_verdict.IN_PROGRESS, ecs_verdict.FAILED, ecs_verdict.ROLLED_BACK) == (
            "completed", "in_progress", "failed", "rolled_back",
        )
        assert (ecs_verdict.TIMED_OUT, ecs_verdict.MISSING, ecs_verdict.INACTIVE, ecs_verdict.UNSUPPORTED, ecs_verdict.SKIPPED) == (
            "timed_out", "missing", "inactive", "unsupported", "skipped",
        )

    def test_the_wait_module_still_imports_from_ecs_deployment(self):
        from ansible_collections.quoin.fargate.plugins.modules import ecs_deployment_wait

        assert ecs_deployment_wait.SKIPPED == "skipped"
        assert ecs_deployment.wait_for_deployments.__module__ == ecs_deployment.__name__

    def test_the_verdict_and_the_filter_import_without_boto3(self):
        # The filter runs on the controller, where neither boto3 nor amazon.aws need be installed.
        root = Path(ecs_verdict.__file__).parents[5]
        script = "\n".join([
            "import sys",
            f"sys.path.insert(0, {str(root)!r})",
            "for name in ('boto3', 'botocore', 'ansible_collections.amazon'):",
            "    sys.modules[name] = None",
            "from ansible_collections.quoin.fargate.plugins.module_utils.ecs_verdict import judge_service",
            "from ansible_collections.quoin.fargate.plugins.filter.ecs import FilterModule",
            "assert 'stable_services' in FilterModule().filters()",
            "service = {'status': 'ACTIVE', 'deployments': [{'status': 'PRIMARY', 'taskDefinition': 'site:2', 'rolloutState': 'COMPLETED'}]}",
            "print(judge_service('site', 'site:2', service)['outcome'])",
        ])
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
        assert (done.returncode, done.stdout, done.stderr) == (0, "completed\n", "")


class TestJudgeService:
    def test_the_primary_deployments_counts_decide(self):
        # ECS updates the service's counts and the deployment's at different moments.
        behind = service(deployment(2, running=1, desired=2), running=2, desired=2)
        assert judge_service("site", TD.format(2), behind)["outcome"] == "in_progress"
        ahead = service(deployment(2, running=2, desired=2), running=1, desired=2)
        result = judge_service("site", TD.format(2), ahead)
        assert result["outcome"] == "completed"
        # The service's own counts are reported (stable_services also requires them equal).
        assert (result["running_count"], result["desired_count"]) == (1, 2)

    def test_without_counts_on_the_deployment_the_services_decide(self):
        primary = {"status": "PRIMARY", "taskDefinition": TD.format(2), "rolloutState": "COMPLETED"}
        assert judge_service("site", "site:2", service(primary, running=2, desired=2))["outcome"] == "completed"
        assert judge_service("site", "site:2", service(primary, running=1, desired=2))["outcome"] == "in_progress"

    def test_more_running_than_desired_is_complete(self):
        # Scaling in after a deploy: the extra tasks are stopping.
        assert judge_service("site", "site:2", service(deployment(2, running=3, desired=2)))["outcome"] == "completed"

    def test_the_primary_is_shown_before_an_older_deployment_of_the_same_revision(self):
        svc = service(deployment(2, "FAILED", status="ACTIVE", running=0), deployment(2, "COMPLETED"))
        result = judge_service("site", TD.format(2), svc)
        assert result["outcome"] == "completed"
        assert (result["rollout_state"], result["rollout_state_reason"]) == ("COMPLETED", "COMPLETED 2")

    def test_without_a_deployment_controller_rolling_updates_are_assumed(self):
        svc = service(deployment(2))
        del svc["deploymentController"]
        assert judge_service("site", "site:2", svc)["outcome"] == "completed"

    def test_no_deployments_is_not_decided(self):
        result = judge_service("site", "site:2", service())
        assert result["outcome"] == "in_progress"
        assert (result["primary_task_definition"], result["rollout_state"]) == (None, None)

    def test_the_result_names_the_service_and_what_was_expected(self):
        result = judge_service("site", "site:2", service(deployment(2)))
        assert result == {
            "name": "site", "task_definition": "site:2", "primary_task_definition": TD.format(2),
            "rollout_state": "COMPLETED", "rollout_state_reason": "COMPLETED 2", "running_count": 1, "desired_count": 1,
            "failed_tasks": None, "status": "ACTIVE", "outcome": "completed",
        }

    def test_events_only_when_not_completed_at_most_as_many_as_asked(self):
        events = [
            {"createdAt": datetime.datetime(2025, 1, 31, 10, 2, tzinfo=datetime.timezone.utc), "message": "newest"},
            {"createdAt": "2025-01-31T10:01:00Z", "message": "as text"},
            {"message": "beyond the count"},
        ]
        pending = service(deployment(2, "IN_PROGRESS", running=0), events=events)
        assert judge_service("site", "site:2", pending, events=2)["events"] == [
            "2025-01-31T10:02:00+00:00 newest",
            "2025-01-31T10:01:00Z as text",
        ]
        assert judge_service("site", "site:2", pending, events=0)["events"] == []
        assert "events" not in judge_service("site", "site:2", service(deployment(2), events=events))
