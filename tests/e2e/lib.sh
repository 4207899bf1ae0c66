# Helpers for end-to-end scripts: start sigverifyd on free loopback ports,
# stop it, and assert.
set -euo pipefail

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server SIGVERIFYD ANCHORS_DIR LOG [extra flags...]; sets GRPC_ADDR, METRICS_ADDR, SERVER_PID
start_server() {
  local bin=$1 anchors=$2 log=$3
  shift 3
  GRPC_ADDR="127.0.0.1:$(free_port)"
  METRICS_ADDR="127.0.0.1:$(free_port)"
  "$bin" --listen="$GRPC_ADDR" --metrics-listen="$METRICS_ADDR" --trust-anchors="$anchors" "$@" \
    >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$log"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "sigverifyd exited at start:"; cat "$log"; return 1
    fi
    sleep 0.1
  done
  echo "sigverifyd did not start:"; cat "$log"; return 1
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
  fi
}

PASSED=0
FAILED=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    PASSED=$((PASSED + 1)); echo "ok   $name"
  else
    FAILED=$((FAILED + 1)); echo "FAIL $name"
    # The last command's output, to see why.
    cat "$WORK/out" "$WORK/err" 2>/dev/null | head -c 2000 | sed 's/^/     | /' || true
  fi
}

summary() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
