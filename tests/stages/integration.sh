#!/usr/bin/env bash
# Integration tests: the playbooks against the local AWS, with the state read back through the API.
set -euo pipefail
python -m pytest -q tests/integration
