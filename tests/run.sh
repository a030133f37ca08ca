#!/usr/bin/env bash
# The whole test suite: set-up, a private local AWS, then every stage.
#   tests/run.sh              every stage, as CI runs it: the checks that need no AWS and molecule in two
#                             lanes side by side, then the integration tests (one worker per CPU)
#   tests/run.sh quick        for development: lint and unit side by side, then the integration tests
#                             marked quick (the emulator's own behaviour, no deployment)
#   tests/run.sh STAGE ...    the named stages one after another: lint sanity unit cfn-lint checkov
#                             molecule integration
# Each stage is tests/stages/<stage>.sh, run from the repository root with .venv/bin on PATH and the
# AWS variables pointing at the emulator started here (stopped again on exit); its output goes to
# tests/output/stages/<stage>.log and is printed whole when the stage ends. The end lists each stage's time.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools/setup.sh requirements-test.txt || exit 1
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"

all=(lint sanity unit cfn-lint checkov molecule integration)
case "${1:-}" in
  "")
    # Lanes share no output: cfn-lint and checkov render the templates into one directory. Each lane
    # takes about as long as the other (measured on 2 CPUs), so integration starts as early as it can.
    lanes=("cfn-lint checkov molecule unit" "lint sanity")
    last=(integration) ;;
  quick)
    export QUOIN_INTEGRATION_MARK=quick
    lanes=("lint" "unit")
    last=(integration) ;;
  *)
    for stage in "$@"; do
      [[ " ${all[*]} " == *" $stage "* ]] || { echo "no such stage: $stage (stages: ${all[*]}, or quick)" >&2; exit 2; }
    done
    lanes=()
    last=("$@") ;;
esac

# A private emulator (own state directory, a free port if the default is taken), so a developer's
# running local AWS is neither reused nor reset by the tests.
export QUOIN_LOCAL_AWS_DIR="$root/.local-aws/test"
python tools/local_aws.py start || exit 1
trap 'python tools/local_aws.py stop >/dev/null' EXIT
eval "$(python tools/local_aws.py env)"

out=tests/output/stages
rm -rf "$out" && mkdir -p "$out"
suite_start=$SECONDS

# Run one stage; print its output and time once it ends (under a lock, so lanes do not interleave).
run_stage() {
  local stage=$1 start=$SECONDS status=passed
  bash "tests/stages/$stage.sh" >"$out/$stage.log" 2>&1 || status=FAILED
  local seconds=$((SECONDS - start))
  {
    flock 9
    printf '\n=== %s\n' "$stage"
    cat "$out/$stage.log"
    printf '=== %s %s in %ss\n' "$stage" "$status" "$seconds"
    printf '%s %s %s\n' "$stage" "$status" "$seconds" >>"$out/times"
  } 9>>"$out/.print-lock"
}

pids=()
for lane in "${lanes[@]}"; do
  # shellcheck disable=SC2086 # a lane is a list of stage names
  (for stage in $lane; do run_stage "$stage"; done) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for stage in "${last[@]}"; do run_stage "$stage"; done

echo
echo "stage times (wall $((SECONDS - suite_start))s; stages in lanes overlap):"
awk '{ printf "  %-12s %-7s %5ss\n", $1, $2, $3 }' "$out/times"
failed=$(awk '$2 == "FAILED" { print $1 }' "$out/times" | tr '\n' ' ')
[ -z "$failed" ] || echo "failed stages: $failed"
echo "stages: $(awk '$2 == "passed"' "$out/times" | wc -l) passed, $(awk '$2 == "FAILED"' "$out/times" | wc -l) failed"
[ -z "$failed" ]
