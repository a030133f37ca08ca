# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_read
short_description: One read-only AWS API call through boto3, for the molecule scenarios
description:
  - Returns the response of one C(describe_*), C(get_*) or C(list_*) operation (all pages when the
    operation paginates), without its ResponseMetadata and with timestamps as ISO 8601 text.
  - For what no stock module reads from the local AWS; no module describes an ECS cluster's settings,
    and community.aws.efs_info calls the legacy EFS DescribeTags operation, which moto lacks.
  - Endpoint, region and credentials are given as the plays' module_defaults give them to the modules,
    usually from the inventory's C(quoin_aws_*) variables.
options:
  _terms:
    description: The boto3 service name and the operation, for example C(ecs) and C(describe_clusters).
    required: true
  params:
    description: The operation's parameters.
    type: dict
    default: {}
  endpoint_url:
    description: The AWS endpoint; empty means AWS itself.
    type: str
  region:
    description: The region.
    type: str
  access_key:
    description: The access key; empty means boto3's own credential chain.
    type: str
  secret_key:
    description: The secret key.
    type: str
"""

EXAMPLES = r"""
- name: Read the cluster's settings
  ansible.builtin.set_fact:
    cluster: >-
      {{ lookup('aws_read', 'ecs', 'describe_clusters',
                params={'clusters': ['quoin-local'], 'include': ['SETTINGS']},
                endpoint_url=quoin_aws_endpoint_url, region=quoin_aws_region,
                access_key=quoin_aws_access_key, secret_key=quoin_aws_secret_key).clusters[0] }}
"""

RETURN = r"""
_raw:
  description: The operation's response.
  type: dict
"""

import datetime
import json

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    boto3 = None

READ_PREFIXES = ("describe_", "get_", "list_")


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if boto3 is None:
            raise AnsibleLookupError("aws_read needs boto3 in the controller's Python")
        if len(terms) != 2:
            raise AnsibleLookupError(f"aws_read takes a service and an operation, got {terms!r}")
        service, operation = terms
        # A read helper only: the scenarios change AWS through the roles and stock modules.
        if not operation.startswith(READ_PREFIXES):
            raise AnsibleLookupError(f"aws_read only reads: {operation!r} is not a describe/get/list operation")

        client = boto3.client(
            service,
            endpoint_url=self.get_option("endpoint_url") or None,
            region_name=self.get_option("region") or None,
            aws_access_key_id=self.get_option("access_key") or None,
            aws_secret_access_key=self.get_option("secret_key") or None,
        )
        params = self.get_option("params")
        try:
            if client.can_paginate(operation):
                response = client.get_paginator(operation).paginate(**params).build_full_result()
            else:
                response = getattr(client, operation)(**params)
        except (BotoCoreError, ClientError) as e:
            raise AnsibleLookupError(f"{service} {operation} failed: {e}") from e
        response.pop("ResponseMetadata", None)
        return [json.loads(json.dumps(response, default=_plain))]
