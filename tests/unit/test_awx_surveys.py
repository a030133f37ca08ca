"""The AWX configuration (awx/configure.yml) and its surveys (awx/surveys.yml) against what they drive.

The surveys are rendered by the playbook itself (-e awx_survey_dir: it writes them and stops before any
AWX call), then held against AWX's own acceptance rules, against the playbooks (every question is an extra
var the playbook reads, every input a playbook needs is asked for, read statically from its Jinja), against
each environment's inventory as the environment model normalizes it (choices), and against the roles'
argument specs and defaults. No AWX and no AWS: the configuration's AWX calls are covered by ansible-lint's
argument checks and the syntax check only.
"""

import functools
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment, nodes

from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("prod", "dev")
DEFINITIONS = yaml.safe_load((REPO / "awx/surveys.yml").read_text())["awx_surveys"]
CONFIGURE = yaml.safe_load((REPO / "awx/configure.yml").read_text())[0]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))

# Strings of these keys are Jinja expressions without braces.
EXPRESSION_KEYS = {"when", "that", "failed_when", "changed_when", "until"}
# Names a template may read that no extra var gives: Jinja and Ansible globals, magic variables.
GLOBALS = {"lookup", "query", "q", "now", "undef", "omit", "range", "dict", "lipsum", "cycler", "joiner", "namespace",
           "item", "groups", "hostvars", "play_hosts", "playbook_dir", "role_path", "true", "false", "none", "True", "False", "None"}
VARS_LOOKUP = re.compile(r"""lookup\(\s*'(?:ansible\.builtin\.)?vars'\s*,\s*'([A-Za-z_][A-Za-z0-9_]*)'""")
JINJA = Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
# What AWX accepts as a question's default, by type (awx/api/views: JobTemplateSurveySpec.ALLOWED_TYPES).
AWX_DEFAULT_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                     "integer": int, "float": (float, int)}
# Valid-looking stand-ins for the prod and dev inventories' placeholders, so the environment model accepts them.
NETWORK = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}


# --- the rendered surveys -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{environment: {playbook: survey spec}}, written by awx/configure.yml without any AWX call."""
    out = tmp_path_factory.mktemp("surveys")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROLLER_")}
    result = subprocess.run(
        [ANSIBLE_PLAYBOOK, "awx/configure.yml", "-e", f"awx_survey_dir={out}"],
        cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=dict(env, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Register the execution environment" not in result.stdout, "the render-only run went on to AWX"
    return {
        environment.name: {f"{path.stem}.yml": json.loads(path.read_text()) for path in environment.glob("*.json")}
        for environment in out.iterdir()
    }


def questions(survey):
    return {question["variable"]: question for question in (survey.get("spec") or [])}


# --- what the playbooks read, statically ----------------------------------------------------------------------

def template_strings(node, key=None):
    if isinstance(node, dict):
        for k, value in node.items():
            yield from template_strings(value, k)
    elif isinstance(node, list):
        for value in node:
            yield from template_strings(value, key)
    elif isinstance(node, str):
        if key in EXPRESSION_KEYS:
            yield "{{ " + node + " }}"
        elif "{{" in node or "{%" in node:
            yield node


def read_names(template):
    """Variables a template reads that it does not set itself."""
    with warnings.catch_warnings():
        # Regular expressions in string literals ('\d' and the like): Jinja unescapes them as Python does.
        warnings.simplefilter("ignore", DeprecationWarning)
        ast = JINJA.parse(template)
    names = list(ast.find_all(nodes.Name))
    return {n.name for n in names if n.ctx == "load"} - {n.name for n in names if n.ctx in ("store", "param")}


def tasks_of(node):
    """Every task dict in a play or task list, blocks included."""
    if isinstance(node, list):
        for entry in node:
            yield from tasks_of(entry)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always", "pre_tasks", "tasks", "post_tasks", "handlers"):
            if key in node:
                yield from tasks_of(node[key])


class Playbook:
    """A playbook of playbooks/ and the task files it includes: what it reads, defines and runs."""

    def __init__(self, name):
        self.path = REPO / "playbooks" / name
        self.reads, self.defines, self.play_vars, self.roles = set(), set(), {}, set()
        plays = yaml.safe_load(self.path.read_text())
        for play in plays:
            self.play_vars.update(play.get("vars") or {})
            for role in play.get("roles") or []:
                self.roles.add(role if isinstance(role, str) else role.get("role") or role.get("name"))
            self._scan(play)
        self.defines |= set(self.play_vars)

    def _scan(self, node):
        for template in template_strings(node):
            self.reads |= read_names(template)
            self.reads |= set(VARS_LOOKUP.findall(template))
        for task in tasks_of(node):
            self.defines |= set(task.get("vars") or {})
            if "register" in task:
                self.defines.add(task["register"])
            self.defines |= set(task.get("ansible.builtin.set_fact") or task.get("set_fact") or {}) - {"cacheable"}
            self.defines.add((task.get("loop_control") or {}).get("loop_var", "item"))
            for module in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                if module in task:
                    self.roles.add(task[module]["name"])
            for module in ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks"):
                if module in task:
                    included = task[module] if isinstance(task[module], str) else task[module]["file"]
                    self._scan(yaml.safe_load((self.path.parent / included).read_text()))

    @property
    def role_inputs(self):
        """Options of the argument specs and defaults of the roles it runs (with their dependencies)."""
        inputs, pending, seen = set(), [r.split(".")[-1] for r in self.roles], set()
        while pending:
            role = pending.pop()
            if role in seen:
                continue
            seen.add(role)
            specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
            for entry_point in specs.values():
                inputs |= set(entry_point.get("options") or {})
            defaults = REPO / "roles" / role / "defaults/main.yml"
            if defaults.exists():
                inputs |= set(yaml.safe_load(defaults.read_text()) or {})
            meta = yaml.safe_load((REPO / "roles" / role / "meta/main.yml").read_text())
            pending += [(d if isinstance(d, str) else d["role"]).split(".")[-1] for d in meta.get("dependencies") or []]
        return inputs

    @property
    def free_inputs(self):
        """Names it reads that nothing defines: the inputs only an extra var can give.

        Not counted: names it sets itself (play, block and task vars, registers, facts, loop variables), private
        names (_*), the inventory's and the roles' facts (quoin_*), magic variables, and the roles' own options.
        """
        return {
            name for name in self.reads - self.defines - self.role_inputs - GLOBALS
            if not name.startswith(("_", "quoin_", "ansible_", "inventory_"))
        }


@functools.cache
def book(name):
    return Playbook(name)


# --- what the inventories mean ---------------------------------------------------------------------------------

def inventory(environment):
    """The environment's group_vars/all, combined, as AWX imports it."""
    merged = {}
    for path in sorted((REPO / "inventories" / environment / "group_vars/all").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def model(environment):
    """The environment model of an inventory, placeholders (REPLACE-...) replaced by valid-looking values."""
    given = dict(yaml.safe_load((REPO / "roles/preflight/defaults/main.yml").read_text()), **inventory(environment))
    raw = {key.removeprefix("quoin_"): value for key, value in given.items() if key.startswith("quoin_")}
    raw = json.loads(json.dumps(raw).replace("REPLACE-ACCOUNT", "123456789012"))
    raw.update(NETWORK, public_subnet_ids=None)
    return normalize_environment(raw)


def model_lists(environment):
    """The lists a question's `choices` may name, as the environment model has them."""
    normalized = model(environment)
    volumes = normalized["backup"]["volumes"]
    return {
        "services": [service["name"] for service in normalized["services"]],
        "backed_up_services": list(dict.fromkeys(volume["service"] for volume in volumes)),
        "backed_up_volumes": list(dict.fromkeys(volume["volume"] for volume in volumes)),
        "backed_up_keys": [volume["key"] for volume in volumes],
    }


def argument_spec(reference):
    role, entry_point, option = reference.split("/")
    specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    return role, specs[entry_point]["options"][option]


# --- AWX's acceptance rules ------------------------------------------------------------------------------------

def awx_refusals(survey):
    """Why AWX's API would refuse a survey spec (JobTemplateSurveySpec._validate_spec_data); empty when it accepts."""
    problems = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(survey.get(field), kind):
            problems.append(f"{field}: expected {kind.__name__}")
    if not survey.get("spec"):
        return problems + ["spec: no questions"]
    seen = set()
    for index, question in enumerate(survey["spec"]):
        for field, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            if not isinstance(question.get(field), kind):
                problems.append(f"question {index}: {field} must be a {kind.__name__}")
        if question.get("variable") in seen:
            problems.append(f"question {index}: variable {question['variable']} twice")
        seen.add(question.get("variable"))
        kind = question.get("type")
        if kind not in AWX_DEFAULT_TYPES:
            problems.append(f"question {index}: type {kind!r}")
            continue
        default = question.get("default", "")
        if default != "" and not isinstance(default, AWX_DEFAULT_TYPES[kind]):
            problems.append(f"question {index}: default {default!r} is not a {kind}")
        for key in ("min", "max"):
            if key in question and question[key] is not None and not isinstance(question[key], int):
                problems.append(f"question {index}: {key} must be an integer")
        if kind in ("multiplechoice", "multiselect"):
            choices = question.get("choices")
            if not choices:
                problems.append(f"question {index}: a {kind} needs choices")
                continue
            choices = choices.splitlines() if isinstance(choices, str) else choices
            defaults = [d for d in str(default).splitlines() if d.strip()]
            if kind == "multiplechoice" and len(defaults) > 1:
                problems.append(f"question {index}: one default only")
            if any(d not in choices for d in defaults):
                problems.append(f"question {index}: default choice must be answered from the choices listed")
        if kind in ("text", "textarea", "password") and isinstance(question.get("min"), int) and isinstance(question.get("max"), int):
            if question["min"] > question["max"]:
                problems.append(f"question {index}: min above max")
    return problems


# --- the tests -------------------------------------------------------------------------------------------------

def test_configure_renders_a_survey_for_every_playbook_and_environment(rendered):
    assert set(rendered) == set(ENVIRONMENTS) == set(CONFIGURE["vars"]["awx_environments"])
    for environment in ENVIRONMENTS:
        assert set(rendered[environment]) == set(DEFINITIONS)
    # One job template per surveyed playbook, each a playbook at the repository root (where AWX runs them).
    templates = CONFIGURE["vars"]["awx_job_templates"]
    assert sorted(t["playbook"] for t in templates) == sorted(DEFINITIONS)
    for playbook in DEFINITIONS:
        assert (REPO / playbook).is_file() and (REPO / "playbooks" / playbook).is_file(), playbook


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("playbook", sorted(DEFINITIONS))
def test_awx_accepts_the_survey(rendered, environment, playbook):
    survey = rendered[environment][playbook]
    if not DEFINITIONS[playbook].get("questions"):
        assert survey == {}, "a playbook without questions gets no survey (an empty spec is refused)"
        return
    assert awx_refusals(survey) == []


@pytest.mark.parametrize("playbook", sorted(DEFINITIONS))
def test_every_question_is_an_extra_var_the_playbook_reads(rendered, playbook):
    read = book(playbook)
    for variable in questions(rendered["prod"][playbook]):
        assert not variable.startswith(("_", "quoin_")), f"{playbook}: {variable} is private or the inventory's, not an input"
        assert variable in read.reads | set(read.play_vars) | read.role_inputs, f"{playbook} never reads {variable}"


@pytest.mark.parametrize("playbook", sorted(DEFINITIONS))
def test_every_input_the_playbook_needs_is_asked_for(rendered, playbook):
    asked = set(questions(rendered["prod"][playbook]))
    assert book(playbook).free_inputs <= asked, f"{playbook} reads extra vars its survey does not ask for"


def test_the_inputs_found_are_the_documented_ones():
    """The static reading finds exactly the extra vars the playbooks document (a check on the check itself)."""
    found = {playbook: book(playbook).free_inputs for playbook in DEFINITIONS}
    assert found == {
        "site.yml": set(), "verify.yml": set(), "teardown.yml": set(),
        "rollback.yml": {"service", "revision"}, "redeploy.yml": {"services"}, "backup.yml": {"volumes"},
        "restore.yml": {"service", "volume", "from", "confirm"},
    }


def test_restore_asks_for_exactly_its_extra_vars_all_required(rendered):
    asked = questions(rendered["prod"]["restore.yml"])
    assert set(asked) == book("restore.yml").free_inputs
    assert all(question["required"] for question in asked.values())


def test_the_backup_timestamp_question_fits_what_restore_accepts(rendered):
    question = questions(rendered["prod"]["restore.yml"])["from"]
    pattern = re.search(r"_restore_from is not match\('([^']+)'\)", (REPO / "playbooks/restore.yml").read_text()).group(1)
    example = re.search(r"like (\S+?)[ )]", question["question_description"]).group(1)
    assert re.match(pattern, example) and question["min"] <= len(example) <= question["max"]


def test_teardown_asks_for_each_of_its_flags_with_its_default(rendered):
    teardown = book("teardown.yml")
    public = {name: value for name, value in teardown.play_vars.items() if not name.startswith("_")}
    asked = questions(rendered["prod"]["teardown.yml"])
    assert set(asked) == set(public)
    accepted = teardown.play_vars["_teardown_booleans"]
    for name, default in public.items():
        if isinstance(default, bool):
            assert asked[name]["type"] == "multiplechoice" and set(asked[name]["choices"]) <= set(accepted), name
            assert asked[name]["default"] == str(default).lower(), name
    assert asked["confirm"]["default"] == "" and not asked["confirm"]["required"]


def test_a_confirmation_is_never_answered_in_advance(rendered):
    for environment in ENVIRONMENTS:
        for playbook, survey in rendered[environment].items():
            for variable, question in questions(survey).items():
                if variable == "confirm":
                    assert question["type"] == "text" and question["default"] == "", playbook
                    assert environment in question["question_description"], f"{playbook}: the question names {environment}"


def test_rollback_asks_for_a_service_and_a_positive_revision_both_optional(rendered):
    asked = questions(rendered["prod"]["rollback.yml"])
    assert asked["revision"]["type"] == "integer" and asked["revision"]["min"] == 1
    assert not asked["service"]["required"] and not asked["revision"]["required"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_choices_are_the_environment_models(rendered, environment):
    """Every choice list named in surveys.yml is what the environment model makes of the inventory."""
    lists = model_lists(environment)
    assert lists["services"] and lists["backed_up_keys"], "the inventory has services and a backed-up volume"
    compared = 0
    for playbook, definition in DEFINITIONS.items():
        asked = questions(rendered[environment][playbook])
        for question in definition.get("questions") or []:
            if isinstance(question.get("choices"), str):
                assert asked[question["variable"]]["choices"] == lists[question["choices"]], f"{playbook}: {question['variable']}"
                compared += 1
    assert compared >= 5


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_multiselect_answers_are_lists_the_playbooks_take(rendered, environment):
    """AWX sends a multiselect answer as a list: redeploy and backup take a list as well as a comma-separated string."""
    for playbook in ("redeploy.yml", "backup.yml"):
        source = (REPO / "playbooks" / playbook).read_text()
        for variable, question in questions(rendered[environment][playbook]).items():
            if question["type"] == "multiselect":
                assert f"if {variable} is string else {variable}" in source, f"{playbook}: {variable} as a list"


def test_questions_from_argument_specs_follow_the_spec_and_the_role_defaults(rendered):
    checked = 0
    for playbook, definition in DEFINITIONS.items():
        for question in definition.get("questions") or []:
            if "argument_spec" not in question:
                continue
            role, spec = argument_spec(question["argument_spec"])
            asked = questions(rendered["prod"][playbook])[question["variable"]]
            assert question["variable"] == question["argument_spec"].split("/")[-1]
            assert question["variable"] in book(playbook).role_inputs
            role_default = (yaml.safe_load((REPO / "roles" / role / "defaults/main.yml").read_text()) or {}).get(question["variable"])
            assert spec.get("default") == role_default, f"{role}: the argument spec and defaults/main.yml disagree"
            if spec["type"] == "bool":
                assert (asked["type"], asked["choices"], asked["default"]) == ("multiplechoice", ["false", "true"], str(spec["default"]).lower())
            description = " ".join(spec["description"]) if isinstance(spec["description"], list) else spec["description"]
            assert asked["question_description"] == re.sub(r"\b[BCIMOUV]\(([^)]*)\)", r"\1", description)
            checked += 1
    assert checked >= 1


def test_no_playbook_asks_anything_at_run_time():
    """AWX runs every playbook without a terminal: no vars_prompt, no pause that waits for an answer."""
    files = sorted(REPO.glob("*.yml")) + sorted((REPO / "playbooks").rglob("*.yml")) + sorted((REPO / "roles").glob("*/tasks/*.yml"))
    assert len(files) > 20
    for path in files:
        document = yaml.safe_load(path.read_text())
        if not isinstance(document, list):
            continue
        for entry in document:
            assert "vars_prompt" not in entry, path
            for task in tasks_of(entry):
                pause = task.get("ansible.builtin.pause", task.get("pause"))
                if pause is not None:
                    assert isinstance(pause, dict) and ("seconds" in pause or "minutes" in pause) and "prompt" not in pause, path


def test_the_workflow_rolls_back_a_failed_deploy_then_notifies():
    tasks = {task["name"]: task for task in CONFIGURE["tasks"]}
    templates = {t["title"]: t for t in CONFIGURE["vars"]["awx_job_templates"]}
    workflow = next(t["awx.awx.workflow_job_template"] for t in tasks.values() if "awx.awx.workflow_job_template" in t)
    rollback = next(t["awx.awx.job_template"] for t in tasks.values()
                    if "awx.awx.job_template" in t and t["awx.awx.job_template"].get("playbook") == "rollback.yml")
    nodes_ = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    assert templates["deploy"]["playbook"] == "site.yml"
    assert nodes_["deploy"]["unified_job_template"]["name"].endswith(" deploy")
    assert nodes_["deploy"]["related"]["failure_nodes"] == [{"identifier": "rollback"}]
    assert nodes_["rollback"]["unified_job_template"]["name"].endswith("{{ awx_failed_deploy_rollback_title }}")
    assert "related" not in nodes_["rollback"] or not any(nodes_["rollback"]["related"].values())
    # A rolled back deploy notifies through the rollback; anything unhandled through the workflow's error.
    assert rollback["notification_templates_success"] and workflow["notification_templates_error"]
    assert rollback["survey_spec"] == {} and rollback["survey_enabled"] is False
