"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML, as ansible-doc and the sanity stage
read them (minutes later in the suite)."""

import importlib
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("[a-z]*.py"))


@pytest.mark.parametrize("source", MODULES, ids=[source.stem for source in MODULES])
def test_the_documentation_parses(source):
    module = importlib.import_module(f"ansible_collections.quoin.fargate.plugins.modules.{source.stem}")
    documentation = yaml.safe_load(module.DOCUMENTATION)
    assert documentation["module"] == source.stem
    assert isinstance(yaml.safe_load(module.EXAMPLES), list)
    returned = yaml.safe_load(module.RETURN)
    assert returned is None or isinstance(returned, dict)
