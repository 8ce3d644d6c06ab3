#!/usr/bin/env bash
# Benchmarks a consul binary against the targets in the Makefile's `bench` rule:
#   - start-up: time from process start to the first HTTP 200 from /v1/status/leader;
#   - idle RSS (VmRSS) once the agent answers;
#   - wrk requests/s and p99 latency for GET /v1/kv/k, PUT /v1/kv/k and GET /v1/status/leader
#     at concurrency 1 (-t1 -c1) and 64 (-t2 -c64);
#   - the same GET against a one-worker nginx returning a fixed JSON body of the same shape,
#     as a ceiling for what this machine can serve.
# Prints one Markdown table and PASS/MISS per target. Everything it starts (agent, nginx) and
# every temp file is removed on exit.
#
# Usage: scripts/bench.sh BINARY        (env: BENCH_SECONDS, default 10 — wrk duration per run)
set -euo pipefail

# Targets.
TARGET_RATIO_PCT=50     # our GET /v1/kv/k at c=64 vs nginx, in percent (higher is better)
TARGET_RSS_MB=20        # idle VmRSS (lower is better)
TARGET_FIRST_MS=100     # process start to first 200 (lower is better)

usage() { echo "usage: $0 BINARY   (env BENCH_SECONDS=10)" >&2; exit 2; }
[ $# -eq 1 ] || usage
BINARY=$1
[ -x "$BINARY" ] || { echo "bench: $BINARY is not an executable" >&2; exit 2; }
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SECONDS must be a positive integer" >&2; exit 2; }
NGINX=${NGINX:-/usr/sbin/nginx}
for tool in curl wrk python3 "$NGINX"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (make deps installs it)" >&2; exit 2; }
done

# ---- cleanup: runs on any exit, including Ctrl-C and errors ----
TMP=$(mktemp -d "${TMPDIR:-/tmp}/consul-bench.XXXXXX")
AGENT_PID=""
NGINX_PID=""
stop() {  # stop PID: TERM, wait up to 5 s, then KILL
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop "$AGENT_PID"
  stop "$NGINX_PID"
  # Belt and braces: if nginx's master ever forked away from $NGINX_PID, its pid file says where.
  if [ -s "$TMP/nginx/nginx.pid" ]; then stop "$(cat "$TMP/nginx/nginx.pid")"; fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers ----
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }   # bash 5: microseconds, no fork

# Prints N distinct loopback ports that are free for both TCP and UDP right now (all sockets are
# held open until every port is chosen, so the ports differ from each other).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); u.close(); continue
    held += [t, u]; ports.append(port)
print(" ".join(map(str, ports)))
EOF
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" 2>/dev/null || true; }

# wait_200 URL PID TIMEOUT_S: polls URL in a tight loop until it answers 200; fails if PID dies.
wait_200() {
  local url=$1 pid=$2 deadline=$(( $(now_us) + $3 * 1000000 ))
  while [ "$(http_code "$url")" != 200 ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(now_us)" -lt "$deadline" ] || return 1
  done
}

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# run_wrk LABEL CONCURRENCY URL [LUA]: runs wrk and appends one table row to $ROWS.
ROWS=()
declare -A RPS
run_wrk() {
  local label=$1 conc=$2 url=$3 lua=${4:-} threads=1 out rps p99 notes=""
  [ "$conc" -gt 1 ] && threads=2
  local args=(-t"$threads" -c"$conc" -d"${SECONDS_PER_RUN}s" --latency)
  [ -n "$lua" ] && args+=(-s "$lua")
  echo "bench: wrk ${args[*]} $url" >&2
  out=$(wrk "${args[@]}" "$url" 2>&1) || { echo "$out" >&2; echo "bench: wrk failed" >&2; exit 1; }
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  # A fast error is not a result: surface non-2xx responses and socket errors next to the numbers.
  local non2xx sockerr
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  sockerr=$(sed -n 's/^ *Socket errors: *//p' <<<"$out")
  [ -n "$non2xx" ] && notes="non-2xx: $non2xx"
  [ -n "$sockerr" ] && notes="${notes:+$notes; }socket errors: $sockerr"
  [ -n "$rps" ] || { echo "$out" >&2; echo "bench: could not parse wrk output" >&2; exit 1; }
  RPS["$label c=$conc"]=$rps
  ROWS+=("| $label | $conc | $(printf '%.0f' "$rps") | ${p99:-?} | $notes |")
}

verdict() { [ "$1" = 1 ] && echo PASS || echo MISS; }   # verdict BOOL

# ---- start the agent ----
read -r HTTP_PORT DNS_PORT SERF_LAN_PORT SERF_WAN_PORT SERVER_PORT NGINX_PORT <<<"$(free_ports 6)"
BASE="http://127.0.0.1:$HTTP_PORT"
mkdir -p "$TMP/agent"
START_US=$(now_us)
# Run from the temp dir so nothing the agent might write lands in the caller's tree.
(cd "$TMP/agent" && exec "$BINARY" agent -dev -http-port "$HTTP_PORT" -dns-port "$DNS_PORT" \
  -serf-lan-port "$SERF_LAN_PORT" -serf-wan-port "$SERF_WAN_PORT" -server-port "$SERVER_PORT") \
  >"$TMP/agent.log" 2>&1 &
AGENT_PID=$!
if ! wait_200 "$BASE/v1/status/leader" "$AGENT_PID" 30; then
  echo "bench: agent did not answer 200 on $BASE/v1/status/leader; its log:" >&2
  tail -n 30 "$TMP/agent.log" >&2
  exit 1
fi
FIRST_MS=$(( ($(now_us) - START_US) / 1000 ))
sleep 1   # let start-up settle before sampling idle memory
IDLE_RSS=$(rss_mb "$AGENT_PID")

# ---- load the agent ----
[ "$(http_code -X PUT --data-binary value "$BASE/v1/kv/k")" = 200 ] || { echo "bench: PUT /v1/kv/k failed" >&2; exit 1; }
cat >"$TMP/put.lua" <<'EOF'
wrk.method = "PUT"
wrk.body   = "value"
wrk.headers["Content-Type"] = "application/octet-stream"
EOF
for c in 1 64; do run_wrk "GET /v1/kv/k" "$c" "$BASE/v1/kv/k"; done
for c in 1 64; do run_wrk "PUT /v1/kv/k" "$c" "$BASE/v1/kv/k" "$TMP/put.lua"; done
for c in 1 64; do run_wrk "GET /v1/status/leader" "$c" "$BASE/v1/status/leader"; done
LOADED_RSS=$(rss_mb "$AGENT_PID")
stop "$AGENT_PID"; AGENT_PID=""

# ---- nginx baseline: one worker, fixed body shaped like the KV answer ----
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            default_type application/json;
            return 200 '[{"LockIndex":0,"Key":"k","Flags":0,"Value":"dmFsdWU=","CreateIndex":5,"ModifyIndex":5}]';
        }
    }
}
EOF
# -e: error log before the config is read; -p: prefix so no default path under /etc or /var is used.
"$NGINX" -p "$TMP/nginx/" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
if ! wait_200 "http://127.0.0.1:$NGINX_PORT/v1/kv/k" "$NGINX_PID" 10; then
  echo "bench: nginx did not start; its log:" >&2
  cat "$TMP/nginx/stdout.log" "$TMP/nginx/error.log" >&2 2>/dev/null || true
  exit 1
fi
for c in 1 64; do run_wrk "nginx GET /v1/kv/k (fixed body)" "$c" "http://127.0.0.1:$NGINX_PORT/v1/kv/k"; done
stop "$NGINX_PID"; NGINX_PID=""

# ---- report ----
OURS=${RPS["GET /v1/kv/k c=64"]}
THEIRS=${RPS["nginx GET /v1/kv/k (fixed body) c=64"]}
RATIO=$(awk -v a="$OURS" -v b="$THEIRS" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
RATIO_OK=$(awk -v r="$RATIO" -v t="$TARGET_RATIO_PCT" 'BEGIN { print ((r >= t) ? 1 : 0) }')
RSS_OK=$(awk -v r="$IDLE_RSS" -v t="$TARGET_RSS_MB" 'BEGIN { print ((r <= t) ? 1 : 0) }')
FIRST_OK=$(( FIRST_MS <= TARGET_FIRST_MS ? 1 : 0 ))

echo
echo "## consul bench — $(basename "$BINARY"), wrk ${SECONDS_PER_RUN}s per run, $(nproc) CPUs"
echo
echo "| endpoint | concurrency | req/s | p99 | notes |"
echo "|---|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "- GET /v1/kv/k c=64 vs nginx: ${RATIO} % (target ≥ ${TARGET_RATIO_PCT} %) — $(verdict "$RATIO_OK")"
echo "- idle RSS: ${IDLE_RSS} MB (target ≤ ${TARGET_RSS_MB} MB) — $(verdict "$RSS_OK")   (after load: ${LOADED_RSS} MB)"
echo "- start to first 200: ${FIRST_MS} ms (target ≤ ${TARGET_FIRST_MS} ms) — $(verdict "$FIRST_OK")"
