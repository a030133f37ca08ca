#!/usr/bin/env bash
# checkov (--framework cloudformation) on the base stack template as the stack role renders it, for the
# local inventory and the variants (tests/lint/render_variants.sh). Any failed check fails the stage; a
# check that does not apply is skipped in the template itself (Metadata: checkov: skip) with its reason,
# which tests/unit/test_stack_template.py requires.
set -euo pipefail
venv=.cache/checkov-venv
stamp="$venv/.installed-$(sha256sum requirements-checkov.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python -m venv "$venv"
  mkdir -p tests/output
  "$venv/bin/pip" install --disable-pip-version-check -r requirements-checkov.txt >tests/output/checkov-install.log 2>&1 ||
    { tail -30 tests/output/checkov-install.log; exit 1; }
  touch "$stamp"
fi
bash tests/lint/render_variants.sh
# Offline: no download of external checks, guidelines or severities (CI reaches only package registries).
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
"$venv/bin/checkov" --framework cloudformation --directory tests/output/cfn --skip-download \
  --compact --quiet --output cli --output junitxml --output-file-path console,tests/output/checkov.xml
echo "checkov: $(ls tests/output/cfn/*.cfn.yml | wc -l) rendered templates, no failed check"
