#!/usr/bin/env bash
# The whole test suite: set-up, a private local AWS, then every stage in order.
#   tests/run.sh [stage ...]     stages: lint sanity unit cfn-lint checkov molecule integration (default: all)
# Each stage is tests/stages/<stage>.sh, run from the repository root with .venv/bin on PATH and the
# AWS variables pointing at the emulator started here (stopped again on exit).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools/setup.sh requirements-test.txt || exit 1
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint sanity unit cfn-lint checkov molecule integration)

# A private emulator (own state directory, a free port if the default is taken), so a developer's
# running local AWS is neither reused nor reset by the tests.
export QUOIN_LOCAL_AWS_DIR="$root/.local-aws/test"
python tools/local_aws.py start || exit 1
trap 'python tools/local_aws.py stop >/dev/null' EXIT
eval "$(python tools/local_aws.py env)"

passed=0 failed=0 failures=()
for stage in "${stages[@]}"; do
  script="tests/stages/$stage.sh"
  [ -f "$script" ] || { echo "no such stage: $stage" >&2; exit 2; }
  echo
  echo "=== $stage"
  start=$SECONDS
  if bash "$script"; then
    passed=$((passed + 1))
    echo "=== $stage passed in $((SECONDS - start))s"
  else
    failed=$((failed + 1))
    failures+=("$stage")
    echo "=== $stage FAILED in $((SECONDS - start))s"
  fi
done
echo
[ $failed -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
