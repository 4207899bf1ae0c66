#!/usr/bin/env bash
# The v1 contract may grow but never break: buf breaking (FILE rules) against
# the main branch when working on another branch, else against the commit
# before HEAD (what the latest change did to the contract).
set -euo pipefail
cd "$(dirname "$0")/.."
buf=tools/node_modules/.bin/buf
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "not a git checkout: nothing to compare against"; exit 0
fi
branch=$(git rev-parse --abbrev-ref HEAD)
if [ "$branch" != "main" ] && git rev-parse --verify -q main >/dev/null; then
  against="main"
elif git rev-parse --verify -q HEAD~1 >/dev/null &&
     git cat-file -e HEAD~1:proto/sigverify/v1/verification.proto 2>/dev/null; then
  against="HEAD~1"
else
  echo "no earlier contract to compare against"; exit 0
fi
echo "buf breaking proto against $against"
"$buf" breaking proto --against ".git#ref=$(git rev-parse "$against"),subdir=proto"
echo "OK: no breaking change"
