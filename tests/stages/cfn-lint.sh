#!/usr/bin/env bash
# cfn-lint on the base stack template as the stack role renders it: the local inventory and variants
# that reach the template's other branches (HTTPS, no load balancer, more services and subnets).
# Includes the informational checks (I3011: data stores keep DeletionPolicy/UpdateReplacePolicy Retain).
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
cfn-lint --include-checks I -- "$out"/*.cfn.yml
echo "cfn-lint: $(ls "$out"/*.cfn.yml | wc -l) rendered templates clean"
