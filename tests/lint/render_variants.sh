#!/usr/bin/env bash
# Render the base stack template as the stack role does, for the local inventory and each variant in
# tests/lint/variants/ (HTTPS, no load balancer, more services), into tests/output/cfn/<variant>.cfn.yml.
# Shared by the cfn-lint and checkov stages.
set -euo pipefail
out=tests/output/cfn
rm -rf "$out" && mkdir -p "$out"
for variant in default tests/lint/variants/*.yml; do
  name=$(basename "$variant" .yml)
  extra=()
  [ "$variant" = default ] || extra=(-e "@$variant")
  ansible-playbook tests/lint/render_stack_template.yml -i inventories/local "${extra[@]}" \
    -e "render_dest=$PWD/$out/$name.cfn.yml" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
done
