#!/usr/bin/env bash
# Unit tests: the environment model, the filters, and the rendered stack template. No AWS calls.
# The slowest tests are listed.
set -euo pipefail
python -m pytest -q --durations=10 tests/unit
