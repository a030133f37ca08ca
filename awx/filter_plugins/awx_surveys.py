# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the AWX surveys of awx/surveys.yml for each environment (awx/configure.yml).

A survey question is an AWX survey question whose `choices` may name a list of the environment's
inventory, and whose type, default, choices and description may come from a role's argument spec
(`argument_spec: <role>/<entry point>/<option>`). What a question says is rendered once, here, from
those definitions; tests/unit/test_awx_surveys.py holds the result against the playbooks.
"""

import re

from ansible.errors import AnsibleFilterError

# Lists of the environment's inventory that a question's `choices` may name.
CHOICE_LISTS = ("services", "backed_up_services", "backed_up_volumes", "backed_up_keys")
# What AWX accepts in a survey question (awx/api/views: JobTemplateSurveySpec).
QUESTION_TYPES = ("text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect")
QUESTION_KEYS = {"question_name", "question_description", "variable", "type", "required", "default", "min", "max", "choices"}
# Argument spec markup (C(x), I(x), ...) that a survey shows as plain text.
MARKUP = re.compile(r"\b[BCIMOUV]\(([^)]*)\)")


def survey_choices(inventory):
    """The lists a question's `choices` may name, from an inventory's quoin_services and quoin_file_systems.

    A volume is backed up when it says so, and otherwise when the service writes to it (not read_only),
    on a file system the inventory declares: the environment model's rule (plugin_utils/environment_model.py).
    """
    services = [svc for svc in inventory.get("quoin_services") or [] if isinstance(svc, dict)]
    file_systems = {fs.get("name") for fs in inventory.get("quoin_file_systems") or [] if isinstance(fs, dict)}
    backed_up = [
        (svc["name"], volume["name"])
        for svc in services
        for volume in svc.get("volumes") or []
        if volume.get("backup", not volume.get("read_only", False)) is True and volume.get("file_system") in file_systems
    ]
    return {
        "services": [svc["name"] for svc in services],
        "backed_up_services": list(dict.fromkeys(service for service, _ in backed_up)),
        "backed_up_volumes": list(dict.fromkeys(volume for _, volume in backed_up)),
        "backed_up_keys": [f"{service}/{volume}" for service, volume in backed_up],
    }


def _plain(description):
    text = " ".join(description) if isinstance(description, list) else str(description or "")
    return MARKUP.sub(r"\1", text)


def _from_argument_spec(reference, argument_specs):
    """Type, default, choices and description of a role option, as a survey question."""
    try:
        role, entry_point, option = reference.split("/")
        spec = argument_specs[role][entry_point]["options"][option]
    except (KeyError, TypeError, ValueError) as e:
        raise AnsibleFilterError(f"argument_spec: {reference!r} names no role option (<role>/<entry point>/<option>)") from e
    kind = spec.get("type", "str")
    question = {"question_description": _plain(spec.get("description"))}
    if kind == "bool":
        # AWX has no boolean question; the playbooks read the answer with `| bool`.
        question.update(type="multiplechoice", choices=["false", "true"], default=str(bool(spec.get("default", False))).lower(),
                        required=True)
    elif kind == "int":
        question.update(type="integer", required="default" not in spec)
        if "default" in spec:
            question["default"] = spec["default"]
    elif kind == "str" and spec.get("choices"):
        question.update(type="multiplechoice", choices=[str(c) for c in spec["choices"]], required="default" not in spec)
        if "default" in spec:
            question["default"] = str(spec["default"])
    elif kind == "list" and spec.get("elements", "str") == "str" and spec.get("choices"):
        question.update(type="multiselect", choices=[str(c) for c in spec["choices"]], required=False)
        if spec.get("default"):
            question["default"] = "\n".join(str(c) for c in spec["default"])
    elif kind == "str":
        question.update(type="text", required="default" not in spec)
        if spec.get("default"):
            question["default"] = str(spec["default"])
    else:
        raise AnsibleFilterError(f"argument_spec: {reference} is a {kind}, which a survey question cannot ask for")
    return question


def _question(definition, choices, argument_specs, environment, where):
    unknown = set(definition) - QUESTION_KEYS - {"argument_spec"}
    if unknown:
        raise AnsibleFilterError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    question = {}
    if definition.get("argument_spec"):
        question.update(_from_argument_spec(definition["argument_spec"], argument_specs))
    question.update({key: value for key, value in definition.items() if key in QUESTION_KEYS})
    question.setdefault("question_name", question.get("variable", ""))
    question.setdefault("question_description", "")
    question.setdefault("required", False)
    if question.get("type") not in QUESTION_TYPES:
        raise AnsibleFilterError(f"{where}: type {question.get('type')!r} is not one of {', '.join(QUESTION_TYPES)}")
    named = question.get("choices")
    if isinstance(named, str):
        if named not in CHOICE_LISTS:
            raise AnsibleFilterError(f"{where}: choices {named!r} is not a list of values nor one of {', '.join(CHOICE_LISTS)}")
        question["choices"] = list(choices[named])
    for key in ("question_name", "question_description"):
        question[key] = str(question[key]).replace("{environment}", environment).strip()
    if question["type"] in ("text", "textarea", "password"):
        question.setdefault("min", 0)
        question.setdefault("max", 1024)
    question.setdefault("default", "")
    return question


def render_surveys(definitions, inventories, argument_specs):
    """{environment: {playbook: AWX survey spec}} from awx/surveys.yml's awx_surveys, each environment's
    inventory (group_vars/all, combined) and the roles' argument specs ({role: argument_specs}).

    A playbook without questions gets {} (AWX: no survey).
    """
    if not isinstance(definitions, dict) or not isinstance(inventories, dict):
        raise AnsibleFilterError("render_surveys expects the survey definitions and a dict of inventories")
    rendered = {}
    for environment, inventory in inventories.items():
        choices = survey_choices(inventory)
        rendered[environment] = {}
        for playbook, survey in definitions.items():
            questions = [
                _question(definition, choices, argument_specs, environment, f"{playbook} question {index}")
                for index, definition in enumerate(survey.get("questions") or [])
            ]
            rendered[environment][playbook] = (
                {
                    "name": str(survey.get("name", playbook)).replace("{environment}", environment),
                    "description": str(survey.get("description", "")).replace("{environment}", environment),
                    "spec": questions,
                }
                if questions else {}
            )
    return rendered


class FilterModule:
    def filters(self):
        return {"render_surveys": render_surveys, "survey_choices": survey_choices}
