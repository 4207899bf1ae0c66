#!/usr/bin/env bash
# Installs the Debian 12 packages sigverify needs to build, run and test.
# Idempotent: installs only what is missing, so a second run costs one dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-tidy clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev openssl android-libboringssl-dev
  prometheus-cpp-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev liburcu-dev libsqlite3-dev sqlite3 libpq-dev postgresql
  libqpdf-dev qpdf poppler-utils libnss3-tools faketime
  python3-grpcio python3-protobuf curl
  prometheus systemd
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm may come with the machine's own nodejs build; Debian's npm only where none is.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# buf (proto linter) comes from the npm registry; kept inside the tree, not global.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/tools/node_modules/.bin/buf" ]; then
  echo "install-deps: installing @bufbuild/buf from npm"
  (cd "$root/tools" && npm install --no-audit --no-fund --silent >/dev/null)
fi
