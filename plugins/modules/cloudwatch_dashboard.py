#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
version_added: 0.1.0
short_description: Manage an Amazon CloudWatch dashboard
description:
  - Creates, replaces or deletes one CloudWatch dashboard, found by its name.
  - Neither amazon.aws nor community.aws manages CloudWatch dashboards. The body is given as data and
    compared as data with the one CloudWatch holds, so key order and whitespace do not count as changes.
author:
  - Quoin (@quoininc)
options:
  name:
    description:
      - The dashboard's name.
    type: str
    required: true
    aliases: ['dashboard_name']
  state:
    description:
      - Whether the dashboard should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  body:
    description:
      - The dashboard body (widgets and their properties) as a data structure; the module turns it into
        the JSON that CloudWatch expects. Required with O(state=present).
      - See U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
    type: dict
notes:
  - The whole body is managed. A widget added in the console is removed by the next run.
  - When CloudWatch answers a change with validation messages, the module fails and returns them in
    RV(validation_messages). CloudWatch keeps a dashboard whose messages are only warnings, so the
    dashboard may have been written anyway. A body that CloudWatch rejects outright fails with its error.
  - A name CloudWatch refuses (anything but letters, digits, C(-) and C(_), or longer than 255) and a body
    without a list of C(widgets) fail the module before any call.
  - Check mode cannot ask CloudWatch to validate a body; it only compares.
  - Diff mode shows the body before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and predict the result without changing anything.
    support: full
  diff_mode:
    description: Returns the body before and after the change (or the predicted change in check mode).
    support: full
"""

EXAMPLES = r"""
- name: One row for the web service
  quoin.fargate.cloudwatch_dashboard:
    name: quoin-prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: "web: CPU %"
            region: eu-central-1
            view: timeSeries
            metrics:
              - [AWS/ECS, CPUUtilization, ClusterName, quoin-prod, ServiceName, web]

- name: Delete the dashboard
  quoin.fargate.cloudwatch_dashboard:
    name: quoin-prod
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard after the change (predicted in check mode); null when there is none.
  returned: always
  type: dict
  contains:
    name:
      description: The dashboard's name.
      type: str
      sample: quoin-prod
    arn:
      description: The dashboard's ARN; null in check mode for a dashboard that does not exist yet.
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/quoin-prod
    body:
      description: The dashboard body, as data.
      type: dict
      sample: {"widgets": []}
validation_messages:
  description: What CloudWatch reported about the body; the module failed.
  returned: when CloudWatch reported validation messages
  type: list
  elements: dict
  contains:
    data_path:
      description: Where in the body the problem is.
      type: str
      sample: /widgets/0/properties/metrics
    message:
      description: The problem.
      type: str
      sample: Should NOT have more than 2 items
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import Dashboard
from ansible_collections.quoin.fargate.plugins.module_utils.cloudwatch import ensure_parts


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        body=dict(type="dict"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["state", "present", ["body"]]],
    )
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    body = module.params["body"] if module.params["state"] == "present" else None
    ensure_parts(module, [Dashboard(client, module.params["name"], body)])


if __name__ == "__main__":
    main()
