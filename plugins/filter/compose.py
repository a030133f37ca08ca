# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for local development with Docker Compose (playbooks/local_dev.yml): compose_file,
compose_import.

This file holds several filters, so each is documented in its own file next to it.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import ComposeError
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import compose_document
from ansible_collections.quoin.fargate.plugins.plugin_utils.compose import import_compose


def compose_file(model, phase, options=None):
    """The Compose document for local development in phase 1 or 2 (see compose_file.yml)."""
    if not isinstance(model, dict) or "services" not in model:
        raise AnsibleFilterError("compose_file expects the normalized environment model (quoin_model)")
    try:
        return compose_document(model, phase, options)
    except ComposeError as e:
        raise AnsibleFilterError(f"compose_file: {e}") from e


def compose_import(document):
    """Services in the inventory's model from a Compose document (see compose_import.yml)."""
    try:
        return import_compose(document)
    except ComposeError as e:
        raise AnsibleFilterError(f"compose_import: {e}") from e


class FilterModule:
    def filters(self):
        return {"compose_file": compose_file, "compose_import": compose_import}
