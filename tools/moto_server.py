#!/usr/bin/env python3
"""moto's server, with the fixes that make it answer like AWS where this project depends on it.

    python tools/moto_server.py -H 127.0.0.1 -p 4566     (same arguments as moto_server)

CreateChangeSet: AWS takes an omitted ChangeSetType as UPDATE and answers an unchanged template with a
FAILED change set ("didn't contain changes"). moto 5.2 takes it as CREATE, which adds a second stack of
the same name in REVIEW_IN_PROGRESS, and answers an unchanged UPDATE with a ValidationError.
amazon.aws.cloudformation's check mode relies on the AWS behaviour.
"""

import sys

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.server import main

_create_change_set = CloudFormationResponse.create_change_set


def _stack_exists(response, name):
    try:
        stack = response.cloudformation_backend.get_stack(name)
    except ValidationError:
        return False
    return stack.status != "REVIEW_IN_PROGRESS"


def create_change_set(self):
    get_param = self._get_param

    def get_param_as_aws(name, if_none=None):
        if name == "ChangeSetType" and get_param(name) is None and _stack_exists(self, get_param("StackName")):
            return "UPDATE"
        return get_param(name, if_none)

    self._get_param = get_param_as_aws
    # The backend marks an unchanged UPDATE as a FAILED change set, as AWS does.
    self._validate_different_update = lambda *args, **kwargs: None
    return _create_change_set(self)


CloudFormationResponse.create_change_set = create_change_set

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
