#!/usr/bin/env bash
# Configures and builds cloudbox and its tests into build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build build -j "${CLOUDBOX_BUILD_JOBS:-$(nproc)}"
