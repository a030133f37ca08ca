#!/usr/bin/env bash
# The main job on the local AWS, from a fresh clone: set up .venv, start the emulator, run site.yml
# against it and print what was deployed. The emulator keeps running for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh requirements-local.txt
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

python tools/local_aws.py start
eval "$(python tools/local_aws.py env)"
ansible-playbook site.yml -i local "$@"

echo
python tools/show_deployment.py --stack quoin-local
cat <<MSG

The local AWS keeps running at $AWS_ENDPOINT_URL.
  Inspect it:  eval "\$(.venv/bin/python tools/local_aws.py env)"; .venv/bin/python tools/show_deployment.py
               or any AWS client with --endpoint-url $AWS_ENDPOINT_URL; its dashboard: $AWS_ENDPOINT_URL/moto-api/
  Run again:   .venv/bin/ansible-playbook site.yml -i local   (a second run changes nothing)
  Stop it:     .venv/bin/python tools/local_aws.py stop       (or: make stop-local)
MSG
