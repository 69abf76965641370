#!/usr/bin/env bash
# The whole test suite: unit tests (GoogleTest) and integration tests with the real AWS CLI v2, boto3 and
# the JS SDK v3 against the real binary. Installs and builds what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j "${CLOUDBOX_TEST_JOBS:-2}" "$@"
