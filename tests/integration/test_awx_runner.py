"""The playbooks run the way AWX runs them, against the local AWS, with the state read back through the API.

Each job gets a private data directory laid out as AWX lays it out for ansible-runner:
  project/         a copy of the project checkout (the repository's tracked and unignored files, as git has them)
  inventory/hosts  AWX's inventory script, printing what AWX imported from the project's inventories/local
  env/extravars    the survey answers (AWX marks them !unsafe) and AWX's own variables
  env/envvars      what the AWS credential injects, the emulator's address, and AWX's job environment
  env/cmdline      -u root (and --check for a check job)
  env/settings     the job and idle timeouts: a prompt would hang until they end the job
and is run with `ansible_runner.run(...)`, from the project directory with its ansible.cfg, nothing from the
test's own environment (ANSIBLE_CONFIG, AWS_*) reaching it except through those files. The collection comes
from the artifact installed as the execution environment installs it; the survey answers are checked against
the surveys awx/configure.yml renders for this inventory, as AWX checks them at launch.
"""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import ansible_runner
import pytest
import yaml

from .test_awx_execution_environment import build_collection
from .test_awx_execution_environment import install_collection

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CLUSTER = "quoin-local"
SERVICES = ("site", "cms", "proxy")
LAST_GOOD = "quoin:last-good-task-definition"
ROLLED_BACK_FROM = "quoin:rolled-back-from"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The job template's own extra vars (AWX does not mark them unsafe): shorter polls against the emulator.
TEMPLATE_VARS = {"ecs_wait_delay": 1, "rollback_wait_delay": 1}


class Unsafe(str):
    """A survey answer: AWX writes it to env/extravars as !unsafe, so Ansible never templates it."""


class AwxDumper(yaml.SafeDumper):
    pass


AwxDumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


@dataclass
class Job:
    status: str
    rc: int
    output: str


class SurveyRefused(Exception):
    """AWX refuses the launch: an answer the survey does not allow."""


def survey_answers(survey, **given):
    """The extra vars AWX makes of a launch's answers: checked against the survey, defaults filled in."""
    questions = {q["variable"]: q for q in survey.get("spec", [])}
    unknown = set(given) - set(questions)
    if unknown:
        raise SurveyRefused(f"not asked by the survey: {sorted(unknown)}")
    answers = {}
    for variable, question in questions.items():
        value = given.get(variable, question.get("default", ""))
        if value in ("", [], None):
            if question["required"]:
                raise SurveyRefused(f"{variable}: required")
            continue
        kind = question["type"]
        if kind == "multiselect":
            value = value.splitlines() if isinstance(value, str) else list(value)
            if any(v not in question["choices"] for v in value):
                raise SurveyRefused(f"{variable}: {value} not among {question['choices']}")
            answers[variable] = [Unsafe(v) for v in value]
        elif kind == "multiplechoice":
            if value not in question["choices"]:
                raise SurveyRefused(f"{variable}: {value!r} not among {question['choices']}")
            answers[variable] = Unsafe(value)
        elif kind == "integer":
            if not isinstance(value, int) or not question.get("min", value) <= value <= question.get("max", value):
                raise SurveyRefused(f"{variable}: {value!r} out of range")
            answers[variable] = value
        else:
            if not question.get("min", 0) <= len(str(value)) <= question.get("max", 1024):
                raise SurveyRefused(f"{variable}: length out of range")
            answers[variable] = Unsafe(value)
    return answers


class Awx:
    """What AWX does to run a job template: a project checkout, an imported inventory, one private data directory per job."""

    def __init__(self, root, collections, surveys):
        self.root, self.collections, self.surveys, self.jobs = root, collections, surveys, 0
        self.checkout = root / "checkout"
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, text=True, check=True).stdout
        for name in filter(None, listed.split("\0")):
            source, target = REPO / name, self.checkout / name
            if source.is_symlink() or source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)

    def imported_inventory(self):
        """What an inventory update from the project (source_path inventories/local/hosts.yml) leaves in AWX."""
        result = subprocess.run(
            [str(BIN / "ansible-inventory"), "-i", "inventories/local/hosts.yml", "--list", "--export"],
            cwd=self.checkout, capture_output=True, text=True, env=self.environment(), check=True,
        )
        listed = json.loads(result.stdout)
        hosts = listed["_meta"]["hostvars"]
        for index, name in enumerate(sorted(hosts), start=1):
            hosts[name].update(remote_tower_enabled="true", remote_tower_id=index)
        return {"all": {"hosts": sorted(hosts), "vars": listed["all"].get("vars", {})}, "_meta": {"hostvars": hosts}}

    def environment(self, private_data_dir=None):
        """The job's environment: AWX's own settings, the AWS credential, the emulator's address."""
        config = configparser.ConfigParser()
        config.read(self.checkout / "ansible.cfg")
        paths = [f"{private_data_dir}/requirements_collections", config.get("defaults", "collections_path"), str(self.collections)]
        return {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(self.root),
            "ANSIBLE_COLLECTIONS_PATH": ":".join(paths),
            "ANSIBLE_CALLBACKS_ENABLED": config.get("defaults", "callbacks_enabled"),
            "ANSIBLE_FORCE_COLOR": "True",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "JOB_ID": str(self.jobs),
            "INVENTORY_ID": "1",
            "AWX_HOST": "https://awx.example.com",
            # The Amazon Web Services credential.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # The local AWS, which the inventory's group_vars read.
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
            "AWS_REGION": os.environ["AWS_REGION"],
            "QUOIN_LOCAL_AWS_DIR": os.environ["QUOIN_LOCAL_AWS_DIR"],
        }

    def launch(self, template, job_type="run", **answers):
        """Launch the job template of a playbook with survey answers; the job's result when it finishes."""
        extra_vars = dict(TEMPLATE_VARS, **survey_answers(self.surveys[template], **answers))
        self.jobs += 1
        private = self.root / f"awx_{self.jobs}"
        shutil.copytree(self.checkout, private / "project", symlinks=True)
        (private / "inventory").mkdir()
        script = private / "inventory/hosts"
        script.write_text(f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({json.dumps(self.imported_inventory())!r})\n")
        script.chmod(0o700)
        (private / "env").mkdir()
        extra_vars.update(awx_job_id=self.jobs, awx_job_template_name=f"quoin local {template}", awx_job_launch_type="manual",
                          awx_inventory_name="quoin local", awx_project_revision="HEAD", awx_user_name="admin")
        (private / "env/extravars").write_text(yaml.dump(extra_vars, Dumper=AwxDumper))
        (private / "env/envvars").write_text(yaml.safe_dump(self.environment(private)))
        (private / "env/cmdline").write_text("-u root" + (" --check" if job_type == "check" else ""))
        (private / "env/settings").write_text(yaml.safe_dump({"job_timeout": 900, "idle_timeout": 300}))
        with pytest.MonkeyPatch.context() as patch:
            for name in [n for n in os.environ if n.startswith(("ANSIBLE_", "AWS_", "QUOIN_"))]:
                patch.delenv(name)
            runner = ansible_runner.run(private_data_dir=str(private), playbook=template, inventory=str(script),
                                        ident=str(self.jobs), quiet=True)
        return Job(runner.status, runner.rc, ANSI.sub("", runner.stdout.read()))


def service(aws, name):
    return aws("ecs").describe_services(cluster=CLUSTER, services=[name], include=["TAGS"])["services"][0]


def tags(described):
    return {t["key"]: t["value"] for t in described.get("tags", [])}


def environment_of(aws, task_definition):
    container = aws("ecs").describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["containerDefinitions"][0]
    return {e["name"]: e["value"] for e in container.get("environment", [])}


@pytest.fixture(scope="module")
def awx(reset_aws, tmp_path_factory):
    """An AWX for the local inventory: surveys rendered by awx/configure.yml, the collection as the image holds it."""
    root = tmp_path_factory.mktemp("awx")
    rendered = root / "surveys"
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "awx/configure.yml", "-e", f"awx_survey_dir={rendered}", "-e", '{"awx_environments": ["local"]}'],
        cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    surveys = {f"{path.stem}.yml": json.loads(path.read_text()) for path in (rendered / "local").glob("*.json")}
    collections = root / "execution-environment"
    install_collection(build_collection(root / "build"), collections)
    reset_aws()
    return Awx(root, collections, surveys)


def test_awx_refuses_answers_the_survey_does_not_offer(awx):
    with pytest.raises(SurveyRefused):
        survey_answers(awx.surveys["rollback.yml"], service="nope")
    with pytest.raises(SurveyRefused):
        survey_answers(awx.surveys["teardown.yml"], destroy_stack="yes")
    with pytest.raises(SurveyRefused):
        survey_answers(awx.surveys["restore.yml"], service="cms", volume="data", confirm="local")
    assert survey_answers(awx.surveys["site.yml"]) == {"efs_replace_access_points": "false"}


def test_deploy(awx, aws):
    job = awx.launch("site.yml")
    assert (job.status, job.rc) == ("successful", 0), job.output[-5000:]
    # The project's ansible.cfg callback ran (AWX enables it by environment); the checkout has no .venv, so the
    # roles and plugins came from the collection as the execution environment installs it.
    assert "ROLES RECAP" in job.output and not (awx.checkout / ".venv").exists()
    for name in SERVICES:
        described = service(aws, name)
        assert described["status"] == "ACTIVE"
        assert tags(described)[LAST_GOOD] == described["taskDefinition"]


def test_deploy_a_new_release_of_the_inventory(awx, aws):
    """A commit changes the inventory: the project update and the inventory update on launch bring it in."""
    before = service(aws, "site")["taskDefinition"]
    services_file = awx.checkout / "inventories/local/group_vars/all/services.yml"
    services_file.write_text(services_file.read_text().replace("NODE_ENV: production", "NODE_ENV: staging", 1))
    job = awx.launch("site.yml")
    assert (job.status, job.rc) == ("successful", 0), job.output[-5000:]
    after = service(aws, "site")
    assert after["taskDefinition"] != before and environment_of(aws, after["taskDefinition"])["NODE_ENV"] == "staging"
    assert tags(after)[LAST_GOOD] == after["taskDefinition"]


def test_rollback_of_one_service_chosen_in_the_survey(awx, aws):
    current = service(aws, "site")["taskDefinition"]
    job = awx.launch("rollback.yml", service="site")
    assert (job.status, job.rc) == ("successful", 0), job.output[-5000:]
    after = service(aws, "site")
    assert after["taskDefinition"] != current and environment_of(aws, after["taskDefinition"])["NODE_ENV"] == "production"
    assert tags(after)[LAST_GOOD] == after["taskDefinition"] and tags(after)[ROLLED_BACK_FROM] == current


def test_answers_the_survey_allows_but_the_playbook_refuses_fail_the_job(awx, aws):
    before = service(aws, "site")["taskDefinition"]
    job = awx.launch("rollback.yml", revision=1)
    assert (job.status, job.rc != 0) == ("failed", True), job.output[-5000:]
    assert "revision: names a revision of one family, so it needs -e service=NAME" in job.output
    job = awx.launch("teardown.yml", destroy_stack="true")
    assert (job.status, job.rc != 0) == ("failed", True), job.output[-5000:]
    assert "confirm it with -e confirm=local" in job.output
    assert service(aws, "site")["taskDefinition"] == before
    assert all(service(aws, name)["status"] == "ACTIVE" for name in SERVICES)


def test_a_bad_extra_var_past_the_survey_fails_the_job(awx, aws):
    """An API launch can bypass a survey's choices: the playbook still refuses, with a non-zero result."""
    awx.surveys["rollback.yml"]["spec"][0]["choices"].append("nope")
    try:
        job = awx.launch("rollback.yml", service="nope")
    finally:
        awx.surveys["rollback.yml"]["spec"][0]["choices"].remove("nope")
    assert (job.status, job.rc != 0) == ("failed", True), job.output[-5000:]
    assert 'service: no service "nope" in the local inventory; valid: site, cms, proxy' in job.output


def test_teardown_with_its_flags_and_confirmation(awx, aws):
    stack = aws("cloudformation").describe_stacks(StackName=CLUSTER)["Stacks"][0]
    file_system = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["FileSystemCmsId"]
    check = awx.launch("teardown.yml", job_type="check", remove_access_points="true")
    assert (check.status, check.rc) == ("successful", 0), check.output[-5000:]
    assert all(service(aws, name)["status"] == "ACTIVE" for name in SERVICES)
    job = awx.launch("teardown.yml", remove_access_points="true", destroy_stack="true", confirm="local")
    assert (job.status, job.rc) == ("successful", 0), job.output[-5000:]
    described = aws("ecs").describe_services(cluster=CLUSTER, services=list(SERVICES))["services"]
    assert all(s["status"] == "INACTIVE" for s in described)
    assert aws("efs").describe_access_points(FileSystemId=file_system)["AccessPoints"] == []
    remaining = [s["StackName"] for s in aws("cloudformation").list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert CLUSTER not in remaining
