#!/usr/bin/env bash
# ansible-lint with the production profile over the whole repository: roles, playbooks, inventories,
# collection metadata, molecule scenarios and the test playbooks. .ansible-lint sets the profile, keeps
# it offline (no Galaxy) and excludes generated content; .yamllint pins the YAML rules it applies.
set -euo pipefail
ansible-lint --version
ansible-lint
