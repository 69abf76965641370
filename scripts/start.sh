#!/usr/bin/env bash
# One command from a fresh clone: install what is needed, build, and start cloudbox on 127.0.0.1:4566.
# Extra arguments go to `cloudbox serve` (e.g. --ephemeral, --port 4567, --enforce-iam).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/cloudbox serve "$@"
