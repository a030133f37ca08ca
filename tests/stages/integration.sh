#!/usr/bin/env bash
# Integration tests: the playbooks against the local AWS, with the state read back through the API.
# In parallel (pytest-xdist): one worker per CPU unless QUOIN_TEST_WORKERS says otherwise, each with an
# emulator of its own; a module's tests stay together on one worker (tests/integration/conftest.py).
# QUOIN_INTEGRATION_MARK selects by marker (tests/run.sh quick sets it). The slowest tests are listed.
set -euo pipefail

# test_proxy.py runs the proxy image's configuration in the distribution's nginx, rendered with envsubst
# as the image's start script does.
source tests/stages/programs.sh
need_programs integration nginx:nginx envsubst:gettext-base

workers=${QUOIN_TEST_WORKERS:-$(nproc)}
python -m pytest -q -n "$workers" --durations=20 ${QUOIN_INTEGRATION_MARK:+-m "$QUOIN_INTEGRATION_MARK"} tests/integration
