# Sourced by a stage whose tests run real programs of the distribution (no container engine): installs
# the packages of the programs it does not find, where that is possible (as root, with apt: CI). Where it
# is not, those tests skip, and under CI=true they fail (tests/conftest.py, program_or_skip).
#   need_programs STAGE COMMAND:PACKAGE ...
need_programs() {
  local stage=$1 pair packages=()
  shift
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || packages+=("${pair#*:}")
  done
  [ ${#packages[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "$stage: ${packages[*]} missing, and installing them needs root and apt-get" >&2
    return 0
  fi
  echo "$stage: installing ${packages[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale or absent on a fresh machine: update them only when the install fails.
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; } \
    || echo "$stage: could not install ${packages[*]}" >&2
}
