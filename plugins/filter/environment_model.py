# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: environment_model
short_description: Check and normalize an inventory's environment model
version_added: 0.1.0
description:
  - Takes the inventory's C(quoin_*) variables (without the prefix) and returns the normalized model
    the roles deploy, or fails with every problem found, each naming the inventory variable.
  - Role argument specs check types and required keys; this filter checks formats, ranges,
    uniqueness and references between variables.
options:
  _input:
    description: The inventory values, keyed without the C(quoin_) prefix; C(null) means unset.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the inventory
  ansible.builtin.set_fact:
    quoin_model: "{{ {'environment': quoin_environment, 'services': quoin_services} | quoin.fargate.environment_model }}"
"""

RETURN = r"""
_value:
  description: The normalized model (environment, stack_name, network, file_systems, services, ...).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import ModelError
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment


def environment_model(raw):
    if not isinstance(raw, dict):
        raise AnsibleFilterError(f"environment_model expects a dict, got {type(raw).__name__}")
    try:
        return normalize_environment(raw)
    except ModelError as e:
        raise AnsibleFilterError(str(e)) from e


class FilterModule:
    def filters(self):
        return {"environment_model": environment_model}
