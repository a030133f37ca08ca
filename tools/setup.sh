#!/usr/bin/env bash
# Create .venv (Python 3.11), install the pinned requirements and link this repository into
# .venv/collections as the quoin.fargate collection. Quick and silent when already up to date.
#   tools/setup.sh [requirements file]   (default: requirements-test.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements-test.txt}

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate
      break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

[ -x .venv/bin/python ] || "$python" -m venv .venv
# The stamp names the content of every requirements and constraints file: a change reinstalls.
stamp=.venv/.installed-$(basename "$requirements" .txt)-$(cat requirements*.txt constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing $requirements into .venv"
  # The machine's pip configuration may name local mirrors that are absent: drop those warnings only.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" -c constraints.txt \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  touch "$stamp"
fi
mkdir -p .venv/collections/ansible_collections/quoin
ln -sfn ../../../.. .venv/collections/ansible_collections/quoin/fargate
