#!/usr/bin/env bash
# The contract may grow but never break: the proto tree as it is now is
# checked with buf breaking (FILE rules) against every earlier version of it
# in the history (each commit that changed proto/sigverify), so that
# something added and later removed is caught as well as a change to the
# first release. Without git history there is nothing to prove it against,
# and that is a failure, not a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=tools/node_modules/.bin/buf
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "FAIL: not a git checkout: the contract cannot be compared with its history"; exit 1
fi
if [ "$(git rev-parse --is-shallow-repository)" = "true" ]; then
  echo "FAIL: shallow clone: the contract's history is missing (git fetch --unshallow)"; exit 1
fi
mapfile -t versions < <(git log --format=%H -- proto/sigverify)
if [ "${#versions[@]}" -eq 0 ]; then
  echo "FAIL: no earlier version of proto/sigverify in the history"; exit 1
fi
failed=0
for c in "${versions[@]}"; do
  # A version whose files buf cannot build (none so far) would be reported.
  if ! "$buf" breaking proto --against ".git#ref=$c,subdir=proto"; then
    echo "breaking change against $(git log -1 --format='%h %s' "$c" | cut -c1-80)"
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "OK: no breaking change against ${#versions[@]} earlier versions"
exit "$failed"
