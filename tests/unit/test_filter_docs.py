"""Each filter's documentation file (plugins/filter/<name>.yml, which ansible-test sanity reads) against
the filter itself: the options are its arguments after the input, in order, with the same defaults."""

import importlib
import inspect
from pathlib import Path

import pytest
import yaml

FILTERS = Path(__file__).resolve().parents[2] / "plugins" / "filter"


def filters():
    found = {}
    for source in sorted(FILTERS.glob("*.py")):
        module = importlib.import_module(f"ansible_collections.quoin.fargate.plugins.filter.{source.stem}")
        found.update(module.FilterModule().filters())
    return found


DOCS = sorted(FILTERS.glob("*.yml"))


@pytest.mark.parametrize("doc", DOCS, ids=[doc.stem for doc in DOCS])
def test_the_documentation_matches_the_filter(doc):
    documented = yaml.safe_load(doc.read_text())
    documentation = documented["DOCUMENTATION"]
    assert documentation["name"] == doc.stem
    assert "_value" in documented["RETURN"]
    yaml.safe_load(documented["EXAMPLES"])
    function = filters()[doc.stem]
    first, *parameters = inspect.signature(function).parameters.values()
    options = dict(documentation["options"])
    assert options.pop("_input").get("required") is True, first.name
    assert list(options) == [parameter.name for parameter in parameters]
    for parameter in parameters:
        option = options[parameter.name]
        if parameter.default is inspect.Parameter.empty:
            assert option.get("required") is True, parameter.name
        else:
            assert not option.get("required"), parameter.name
            assert option.get("default") == parameter.default, parameter.name

