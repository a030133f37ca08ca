"""Run a module's main() in-process on fake AWS clients: the harness the module tests share."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


class ExitJson(Exception):
    """exit_json or fail_json was called; `kwargs` is what the module returned."""

    def __init__(self, kwargs):
        super().__init__(kwargs)
        self.kwargs = kwargs


def module_runner(monkeypatch, module):
    """A function (client, args) -> (failed, result) that runs module.main() with these arguments,
    every AWS client being `client`, or, when `client` is a dict, client[service]. The result went
    through JSON, as Ansible would see it."""

    def exit_json(self, **kwargs):
        raise ExitJson(dict(kwargs, failed=False))

    def fail_json(self, msg, **kwargs):
        raise ExitJson(dict(kwargs, msg=msg, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(client, args):
        clients = client if isinstance(client, dict) else None
        monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kw: clients[service] if clients else client)
        with patch_module_args(args), pytest.raises(ExitJson) as done:
            module.main()
        result = json.loads(json.dumps(done.value.kwargs))
        return result["failed"], result

    return run
