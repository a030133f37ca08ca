#!/usr/bin/env bash
# cfn-lint on the base stack template as the stack role renders it: the local inventory and variants
# that reach the template's other branches (HTTPS, no load balancer, more services and subnets).
# Includes the informational checks (I3011: data stores keep DeletionPolicy/UpdateReplacePolicy Retain).
set -euo pipefail
bash tests/lint/render_variants.sh
out=tests/output/cfn
cfn-lint --include-checks I -- "$out"/*.cfn.yml
echo "cfn-lint: $(ls "$out"/*.cfn.yml | wc -l) rendered templates clean"
