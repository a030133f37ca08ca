#!/usr/bin/env bash
# ansible-test sanity on the collection as it ships: built by ansible-galaxy (galaxy.yml's build_ignore
# decides what goes in), installed from the tarball, and tested in the installed copy. Only the
# controller's Python 3.11 is tested: the plugins are filters and plugin_utils, which never run on a
# target. Without tests/sanity/ignore-*.txt, any finding fails the stage.
set -euo pipefail
root=$PWD

# Build into build/ (git-ignored), where the artifact stays for a look afterwards.
mkdir -p build
rm -f build/quoin-fargate-*.tar.gz
ansible-galaxy collection build --output-path build
tarball=$(echo build/quoin-fargate-*.tar.gz)

# The artifact holds the collection and nothing else: a new file outside these paths (tooling, tests
# that run from a clone, configuration) needs a decision in galaxy.yml's build_ignore.
shipped='^(MANIFEST\.json|FILES\.json|README\.md|CHANGELOG\.md|COPYING|LICENSE|(changelogs|docs|inventories|meta|playbooks|plugins|roles)(/.*)?|tests/(sanity(/.*)?)?|extensions/)$'
if unexpected=$(tar -tzf "$tarball" | grep -Ev "$shipped"); then
  echo "sanity: $tarball holds files that are not part of the collection (add them to build_ignore):" >&2
  echo "$unexpected" >&2
  exit 1
fi

# Install outside this clone: ansible-test looks up the tree for a .git directory and would take its
# file list from git, in which build/ is ignored (nothing would be tested). --no-deps: no Galaxy.
work=$(mktemp -d "${TMPDIR:-/tmp}/quoin-fargate-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
ANSIBLE_COLLECTIONS_PATH=$work ansible-galaxy collection install --no-deps -p "$work" "$tarball"
# ansible-test finds dependencies (module_utils, doc fragments) only beside the collection under test:
# link the ones the pinned ansible package bundles.
bundled=$(python -c 'import ansible, pathlib; print(pathlib.Path(ansible.__file__).parent.parent / "ansible_collections")')
for dependency in amazon/aws community/aws; do
  mkdir -p "$work/ansible_collections/${dependency%/*}"
  ln -s "$bundled/$dependency" "$work/ansible_collections/$dependency"
done

# ansible-test gives every sanity test its own virtual environment with pinned requirements from PyPI,
# cached under ~/.ansible/test. HOME points into .cache/ (git-ignored) so that cache belongs to this
# clone and nothing is written to the user's home; the first run fills it (about a minute), later runs
# reuse it.
export HOME=$root/.cache/ansible-test
# ansible-test bootstraps pip in those environments with a get-pip script from a host outside PyPI.
# This stand-in, put where ansible-test caches that script, does the same from PyPI: pip from the
# interpreter's ensurepip, then upgraded to the pinned version ansible-test asks for.
pip_version=$(python -c 'import types; from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])')
mkdir -p "$HOME/.ansible/test/cache"
cat >"$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py" <<'PY'
"""Install pip (and the packages named) into this interpreter's environment, like get-pip.py does."""
import subprocess
import sys

pip_arguments = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pip_arguments], check=True)
if "--no-setuptools" in sys.argv:
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], check=True)
PY

# Locally, without --docker or --venv: the controller is this .venv's Python, and ansible-test installs
# each test's own requirements anyway (--requirements would add nothing; --venv only adds another
# environment). No test is skipped here: none needs docker. Those with nothing to check in this
# collection skip themselves (pslint, shellcheck, changelog, action-plugin-docs, empty-init,
# use-argspec-type-path: no PowerShell, shell scripts, changelog fragments, action plugins or modules).
# ansible-test exits non-zero on any finding.
cd "$work/ansible_collections/quoin/fargate"
ansible-test sanity --python 3.11
