#!/usr/bin/env bash
# Every molecule scenario (extensions/molecule/<scenario>/), each its own `molecule test`, against the
# local AWS that tests/run.sh started. Scenarios run one by one so that a failing one does not hide
# the others; each one's output goes to tests/output/molecule/<scenario>.log and is shown on failure.
set -uo pipefail
out=tests/output/molecule
rm -rf "$out" && mkdir -p "$out"

# The local inventory reads the emulator's state file: without a running emulator nothing works.
python tools/local_aws.py status >/dev/null || exit 1
# Plain logs (molecule colours its output, and ansible's, even without a terminal).
export NO_COLOR=1

scenarios=()
for file in extensions/molecule/*/molecule.yml; do
  scenarios+=("$(basename "$(dirname "$file")")")
done
[ ${#scenarios[@]} -gt 0 ] || { echo "molecule: no scenarios under extensions/molecule" >&2; exit 1; }

passed=0 failed=0 failures=()
for scenario in "${scenarios[@]}"; do
  start=$SECONDS
  # A scenario passes only if it converged twice without change and verified: molecule reports a step
  # that is missing from the sequence or disabled without failing.
  if molecule test --scenario-name "$scenario" >"$out/$scenario.log" 2>&1 &&
    grep -Eq "^$scenario (>|➜) idempotence: Executed: Successful" "$out/$scenario.log" &&
    grep -Eq "^$scenario (>|➜) verify: Executed: Successful" "$out/$scenario.log"; then
    passed=$((passed + 1))
    echo "molecule $scenario: passed in $((SECONDS - start))s"
  else
    failed=$((failed + 1))
    failures+=("$scenario")
    cat "$out/$scenario.log"
    echo "molecule $scenario: FAILED in $((SECONDS - start))s"
  fi
done
[ $failed -eq 0 ] || echo "molecule: failed scenarios: ${failures[*]}"
echo "molecule: $passed passed, $failed failed"
[ $failed -eq 0 ]
