#!/usr/bin/env bash
# Installs everything cloudbox needs to build and test, from Debian packages and npm only.
# Safe to run again: apt and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-system-dev libssl-dev libsqlite3-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-client libnss-myhostname
  awscli python3 python3-boto3 python3-pytest python3-psutil
  nodejs npm uuid-runtime curl procps wrk
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere on some machines: accept any working ones.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# JavaScript SDK v3 clients for the integration tests.
# Reinstalled whenever the lock file is newer than what node_modules was installed from.
js=tests/integration/js
if [ ! -f $js/node_modules/.package-lock.json ] || [ $js/package-lock.json -nt $js/node_modules/.package-lock.json ]; then
  (cd $js && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
