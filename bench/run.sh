#!/usr/bin/env bash
# Benchmark cloudbox against moto on the same request mix; see bench/README.md.
#   bench/run.sh [--duration SECONDS] [--connections 1,16] [other bench.py options]
# The cloudbox binary is build/cloudbox, or $CLOUDBOX_BIN.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: wrk is required: apt-get install wrk" >&2
  exit 1
fi

bin="${CLOUDBOX_BIN:-$repo/build/cloudbox}"
if [[ ! -x "$bin" ]]; then
  echo "bench: no cloudbox binary at $bin: build it (cmake -S . -B build -G Ninja && cmake --build build) or set CLOUDBOX_BIN" >&2
  exit 1
fi

# moto lives in the pyenv python3 on these machines; BENCH_PYTHON picks another interpreter.
py="${BENCH_PYTHON:-python3}"
if ! "$py" -c 'import moto.server' >/dev/null 2>&1; then
  echo "bench: $py cannot import moto.server: pip install 'moto[server]' (or set BENCH_PYTHON)" >&2
  exit 1
fi

exec "$py" "$here/bench.py" --binary "$bin" "$@"
