#!/usr/bin/env bash
# Unit tests: the environment model, the filters, and the rendered stack template. No AWS calls.
# The slowest tests are listed.
set -euo pipefail

# The connection check's shell runs for real: with busybox alone, as in the init image, and with
# Debian's nc (netcat-openbsd) and getent.
source tests/stages/programs.sh
need_programs unit busybox:busybox nc:netcat-openbsd
python -m pytest -q --durations=10 tests/unit
