#!/usr/bin/env bash
# The test suite. Installs the third-party peers the tests drive (boto3 and the AWS CLI, from
# PyPI, into ./.venv) when they are missing, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/aws ]] || ! .venv/bin/pip freeze 2>/dev/null | grep -qxF -f <(grep -v '^#' tests/peers/requirements.txt); then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi

cargo test --workspace "$@"
