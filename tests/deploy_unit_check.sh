#!/usr/bin/env bash
# systemd's own checker on the shipped unit, with ExecStart pointed at the
# binary just built (the unit names the installed path).
set -euo pipefail
unit_src=$1
bin=$2
if ! command -v systemd-analyze >/dev/null; then echo "systemd-analyze missing"; exit 1; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/sigverifyd|$bin|" "$unit_src" >"$dir/sigverifyd.service"
out=$(systemd-analyze verify "$dir/sigverifyd.service" 2>&1 || true)
echo "$out"
# Messages about the host's own units are not ours; any line naming ours is.
if grep -q "sigverifyd.service" <<<"$out"; then echo "FAIL"; exit 1; fi
echo "OK: systemd-analyze verify"
