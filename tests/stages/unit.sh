#!/usr/bin/env bash
# Unit tests: the environment model, the filters, and the rendered stack template. No AWS calls.
set -euo pipefail
python -m pytest -q tests/unit
