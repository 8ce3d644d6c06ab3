#!/usr/bin/env bash
# Sessions, locks and transactions on one durable server (-server -bootstrap-expect 1 with a data
# dir, so every write is fsynced through the Raft log):
#   - lock round trips/s: each wrk connection owns a session and alternates
#     PUT /v1/kv/lock/<n>?acquire=<session> and ?release=<session> on its own key
#     (one round trip = acquire + release); c=1 and c=16;
#   - txn/s with 10-op transactions (10 KV sets on distinct keys), c=1 and c=16, and the ops/s
#     that makes; a plain PUT /v1/kv/k at the same concurrency for comparison.
# Prints one Markdown table. Everything it starts and every temp file is removed on exit.
#
# Usage: scripts/bench-locks.sh BINARY        (env: BENCH_SECONDS, default 10)
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BINARY   (env BENCH_SECONDS=10)" >&2; exit 2; }
BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$BINARY" ] || { echo "bench-locks: $BINARY is not an executable" >&2; exit 2; }
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
for tool in curl wrk python3; do
  command -v "$tool" >/dev/null || { echo "bench-locks: $tool not found (make deps installs it)" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/consul-bench-locks.XXXXXX")
AGENT_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AGENT_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r HTTP_PORT DNS_PORT SERF_LAN_PORT SERF_WAN_PORT SERVER_PORT <<<"$(python3 - <<'EOF'
import socket
held, ports = [], []
while len(ports) < 5:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: u.bind(("127.0.0.1", p))
    except OSError: t.close(); u.close(); continue
    held += [t, u]; ports.append(p)
print(" ".join(map(str, ports)))
EOF
)"
BASE="http://127.0.0.1:$HTTP_PORT"
mkdir -p "$TMP/data"
(cd "$TMP" && exec "$BINARY" agent -server -bootstrap-expect 1 -data-dir "$TMP/data" -bind 127.0.0.1 \
  -client 127.0.0.1 -node bench -http-port "$HTTP_PORT" -dns-port "$DNS_PORT" -serf-lan-port "$SERF_LAN_PORT" \
  -serf-wan-port "$SERF_WAN_PORT" -server-port "$SERVER_PORT") >"$TMP/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 300); do
  [ "$(curl -s --max-time 1 "$BASE/v1/status/leader" 2>/dev/null || true)" != '""' ] && \
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/v1/status/leader" 2>/dev/null || true)" = 200 ] && break
  kill -0 "$AGENT_PID" 2>/dev/null || { tail -n 30 "$TMP/agent.log" >&2; exit 1; }
  sleep 0.1
done
# Sessions need the node registered with serfHealth passing (the leader does that within a second or two).
for _ in $(seq 100); do
  curl -s "$BASE/v1/health/node/bench" | grep -q '"passing"' && break
  sleep 0.1
done

ROWS=()
run_wrk() {  # run_wrk LABEL CONCURRENCY OPS_PER_REQUEST URL LUA
  local label=$1 conc=$2 ops=$3 url=$4 lua=$5 out rps p99 notes=""
  out=$(wrk -t"$conc" -c"$conc" -d"${SECONDS_PER_RUN}s" --latency -s "$lua" "$url" 2>&1) || { echo "$out" >&2; exit 1; }
  [ -n "${BENCH_DEBUG:-}" ] && echo "$out" >&2
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  [ -n "$non2xx" ] && notes="non-2xx: $non2xx"
  [ -n "$rps" ] || { echo "$out" >&2; echo "bench-locks: could not parse wrk output" >&2; exit 1; }
  local per=$(python3 -c "print(f'{$rps / -($ops):.0f}' if $ops < 0 else f'{$rps * $ops:.0f}')")
  ROWS+=("| $label | $conc | $(printf '%.0f' "$rps") | $per | ${p99:-?} | $notes |")
}

# One session per wrk thread (wrk's setup() hands them out in order).
: >"$TMP/sessions"
for i in $(seq 16); do
  id=$(curl -s -X PUT "$BASE/v1/session/create" -d '{"LockDelay":"0s"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
  echo "$id" >>"$TMP/sessions"
done

cat >"$TMP/lock.lua" <<EOF
local sessions = {}
for line in io.lines("$TMP/sessions") do sessions[#sessions + 1] = line end
local next_thread = 1
function setup(thread)
  thread:set("session", sessions[next_thread])
  thread:set("key", "lock/" .. next_thread)
  next_thread = next_thread + 1
end
-- The next verb flips on each answer, not in request(): wrk may build a request it never sends.
local acquire = true
function request()
  local verb = acquire and "acquire" or "release"
  return wrk.format("PUT", "/v1/kv/" .. key .. "?" .. verb .. "=" .. session, nil, "holder")
end
function response(status, headers, body)
  acquire = not acquire
  if body ~= "true" then io.stderr:write("lock bench: unexpected answer " .. status .. " " .. body .. "\n"); wrk.thread:stop() end
end
EOF

cat >"$TMP/txn.lua" <<'EOF'
local n = 0
function request()
  n = n + 1
  local ops = {}
  for i = 1, 10 do
    ops[i] = string.format('{"KV":{"Verb":"set","Key":"txn/%d/%d","Value":"dmFsdWU="}}', n % 1000, i)
  end
  return wrk.format("PUT", "/v1/txn", {["Content-Type"] = "application/json"}, "[" .. table.concat(ops, ",") .. "]")
end
EOF

cat >"$TMP/put.lua" <<'EOF'
function request() return wrk.format("PUT", "/v1/kv/k", nil, "value") end
EOF

for c in ${BENCH_CONCURRENCY:-1 16}; do
  run_wrk "lock acquire+release (round trips/s = req/s ÷ 2)" "$c" -2 "$BASE" "$TMP/lock.lua"
  run_wrk "txn, 10 KV sets" "$c" 10 "$BASE" "$TMP/txn.lua"
  run_wrk "PUT /v1/kv/k (reference)" "$c" 1 "$BASE" "$TMP/put.lua"
done

echo
echo "### Sessions, locks and transactions (one durable server, $(nproc) cores, ${SECONDS_PER_RUN}s per run)"
echo
echo "| workload | c | requests/s | round trips/s or ops/s | p99 | notes |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
