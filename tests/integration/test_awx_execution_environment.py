"""execution-environment.yml: `ansible-builder create` writes the build context with no container engine and
no Galaxy (the collection artifact is built here, as a release would), and every pin in it is the one the rest
of the repository runs: the collection at galaxy.yml's version, amazon.aws, community.aws and ansible.posix at
the versions the pinned ansible package bundles, ansible-core, ansible-runner and the Python packages as
constraints.txt pins them. The image itself is not built (no container engine here); what its build would
install is checked with ansible-builder's own introspection script, offline."""

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import ansible
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

# The emulator's own behaviour, without a deployment: part of `tests/run.sh quick`.
pytestmark = pytest.mark.quick


REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE = yaml.safe_load((REPO / "execution-environment.yml").read_text())
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
BUNDLED = Path(ansible.__file__).resolve().parent.parent / "ansible_collections"
# Nothing here may reach Galaxy: an address that refuses connections.
OFFLINE = {"ANSIBLE_GALAXY_SERVER": "http://127.0.0.1:9", "ANSIBLE_NOCOLOR": "1"}


def build_collection(dest):
    """The collection artifact, as `ansible-galaxy collection build` makes it from this repository."""
    dest.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dest)],
        cwd=REPO, capture_output=True, text=True, env=dict(os.environ, **OFFLINE),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dest / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"


def install_collection(tarball, collections_dir):
    """Install an artifact the way the image's galaxy stage does, offline and without dependencies."""
    result = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(collections_dir), str(tarball)],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_dir), **OFFLINE),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return collections_dir / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]


def pins(lines):
    """name -> version of every `name==version` line (comments and other lines skipped)."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name.strip()).lower()] = version.strip()
    return found


def repository_pins():
    """Every pin of constraints.txt and requirements*.txt (the checkov environment's own file excepted)."""
    files = [REPO / "constraints.txt"] + [p for p in sorted(REPO.glob("requirements*.txt")) if p.name != "requirements-checkov.txt"]
    found = {}
    for path in files:
        for name, version in pins(path.read_text().splitlines()).items():
            assert found.setdefault(name, version) == version, f"{name} is pinned twice, differently ({path.name})"
    return found


def bundled_version(collection):
    return json.loads((BUNDLED / collection.replace(".", "/") / "MANIFEST.json").read_text())["collection_info"]["version"]


@pytest.fixture(scope="module")
def created(tmp_path_factory):
    """The build context `ansible-builder create` writes, from a copy of the definition beside a fresh artifact."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work)
    tarball = build_collection(work / "build")
    # Only the virtual environment on PATH: no podman or docker to find, whatever the machine has.
    result = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context", "--output-filename", "Containerfile", "-v3"],
        cwd=work, capture_output=True, text=True, env=dict(OFFLINE, PATH=str(BIN), HOME=str(work)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"context": work / "context", "tarball": tarball, "log": result.stdout}


def test_create_writes_a_complete_build_context(created):
    context = created["context"]
    containerfile = (context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{EE["images"]["base_image"]["name"]}"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
    for stage in ("FROM $EE_BASE_IMAGE AS base", "FROM base AS galaxy", "FROM base AS builder", "FROM base AS final"):
        assert stage in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "RUN /output/scripts/check_ansible $PYCMD" in containerfile
    for script in ("assemble", "check_ansible", "check_galaxy", "entrypoint", "install-from-bindep", "introspect.py", "pip_install"):
        assert (context / "_build/scripts" / script).is_file(), script
    assert yaml.safe_load((context / "_build/requirements.yml").read_text()) == EE["dependencies"]["galaxy"]
    assert (context / "_build/requirements.txt").read_text().split() == EE["dependencies"]["python"]
    # The artifact went into the context unchanged, where the galaxy stage's requirements name it.
    copied = context / "_build/collections" / created["tarball"].name
    assert copied.read_bytes() == created["tarball"].read_bytes()
    local = [c["name"] for c in EE["dependencies"]["galaxy"]["collections"] if c.get("type") == "file"]
    assert local == [f"/build/collections/{created['tarball'].name}"]
    assert "COPY _build /build" in containerfile and "WORKDIR /build" in containerfile


def test_the_collection_in_the_image_is_this_repository_at_its_version(created, tmp_path):
    with tarfile.open(created["tarball"]) as artifact:
        manifest = json.load(artifact.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
    assert EE["options"]["tags"] == [f"quoin-fargate-ee:{GALAXY['version']}"]
    installed = install_collection(created["tarball"], tmp_path)
    for path in ("roles/preflight/tasks/main.yml", "playbooks/site.yml", "plugins/filter/environment_model.py", "meta/runtime.yml"):
        assert (installed / path).is_file(), path


def test_the_collections_are_the_versions_the_tests_run_against():
    pinned = {c["name"]: c["version"] for c in EE["dependencies"]["galaxy"]["collections"] if c.get("type") != "file"}
    assert pinned == {name: bundled_version(name) for name in pinned}
    # Everything the playbooks and roles call, and the callback ansible.cfg enables (AWX runs with the
    # project's ansible.cfg), is in the image.
    used = set()
    for path in [*REPO.glob("*.yml"), *REPO.glob("playbooks/**/*.yml"), *REPO.glob("roles/*/*/*.yml"), REPO / "ansible.cfg"]:
        used |= {f"{a}.{b}" for a, b in re.findall(r"\b([a-z_]+)\.([a-z_]+)\.[a-z_]+\b", path.read_text())}
    used = {name for name in used if (BUNDLED / name.replace(".", "/")).is_dir()} - {"ansible.builtin"}
    assert {"amazon.aws", "community.aws", "ansible.posix"} <= used <= set(pinned)
    # What AWX installs at project update is the same, so the image's versions are the ones that run.
    requirements = yaml.safe_load((REPO / "collections/requirements.yml").read_text())["collections"]
    assert {c["name"]: c["version"] for c in requirements} == pinned
    # The collection's own dependencies accept the pins.
    for name, requirement in GALAXY["dependencies"].items():
        minimum = requirement.removeprefix(">=")
        assert Version(pinned[name]) >= Version(minimum), name


def test_the_python_packages_are_pinned_as_the_repository_pins_them():
    repository = repository_pins()
    wanted = pins(EE["dependencies"]["python"])
    wanted.update(pins([EE["dependencies"]["ansible_core"]["package_pip"], EE["dependencies"]["ansible_runner"]["package_pip"]]))
    assert len(wanted) == len(EE["dependencies"]["python"]) + 2, "every Python requirement is an exact pin"
    for name, version in wanted.items():
        assert repository.get(name) == version, f"{name}=={version}: the repository pins {repository.get(name)}"
    # boto3 and botocore with everything they need, pinned: their requirements, followed through.
    needed, pending = set(), ["boto3", "botocore"]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(re.sub(r"[-_.]+", "-", requirement.name).lower())
    assert needed <= set(pins(EE["dependencies"]["python"])), needed - set(pins(EE["dependencies"]["python"]))


def test_what_the_image_build_would_install_is_consistent(created, tmp_path):
    """ansible-builder's introspection, as the builder stage runs it, over the collections the galaxy stage installs."""
    collections = tmp_path / "collections"
    install_collection(created["tarball"], collections)
    for name in (c["name"] for c in EE["dependencies"]["galaxy"]["collections"] if c.get("type") != "file"):
        namespace, collection = name.split(".")
        (collections / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        (collections / "ansible_collections" / namespace / collection).symlink_to(BUNDLED / namespace / collection)
    context = created["context"] / "_build"
    result = subprocess.run(
        [sys.executable, str(context / "scripts/introspect.py"), "introspect", str(collections), f"--user-pip={context / 'requirements.txt'}",
         f"--write-pip={tmp_path / 'pip.txt'}", f"--write-bindep={tmp_path / 'bindep.txt'}"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    user = pins(EE["dependencies"]["python"])
    for line in (tmp_path / "pip.txt").read_text().splitlines():
        requirement = Requirement(line.split("#")[0].strip())
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        # Every collection's Python requirement is met by a pin: the build installs exactly the pinned versions.
        assert name in user and requirement.specifier.contains(user[name]), line
    # quoin.fargate adds no requirement of its own beyond what the definition pins.
    assert "from collection quoin.fargate" not in (tmp_path / "pip.txt").read_text()
