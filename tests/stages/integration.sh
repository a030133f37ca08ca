#!/usr/bin/env bash
# Integration tests: the playbooks against the local AWS, with the state read back through the API.
# In parallel (pytest-xdist): one worker per CPU unless QUOIN_TEST_WORKERS says otherwise, each with an
# emulator of its own; a module's tests stay together on one worker (tests/integration/conftest.py).
# QUOIN_INTEGRATION_MARK selects by marker (tests/run.sh quick sets it). The slowest tests are listed.
set -euo pipefail

# test_proxy.py runs the proxy image's configuration in the distribution's nginx (no container engine),
# rendered with envsubst as the image's start script does. Installed where missing and possible (as root,
# with apt: CI); otherwise that test skips, and under CI=true it fails.
proxy_tools=(nginx gettext-base)
have_proxy_tools() { { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null && command -v envsubst >/dev/null; }
if ! have_proxy_tools; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "integration: installing ${proxy_tools[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${proxy_tools[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${proxy_tools[@]}" >/dev/null; } \
      || echo "integration: could not install ${proxy_tools[*]}" >&2
  else
    echo "integration: nginx or envsubst is missing, and installing them needs root and apt-get" >&2
  fi
fi

workers=${QUOIN_TEST_WORKERS:-$(nproc)}
python -m pytest -q -n "$workers" --durations=20 ${QUOIN_INTEGRATION_MARK:+-m "$QUOIN_INTEGRATION_MARK"} tests/integration
