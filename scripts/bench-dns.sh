#!/usr/bin/env bash
# DNS throughput of the agent against dnsmasq on this machine (issue #8's `make bench` figures):
#   - starts `consul agent -dev` on free loopback ports and registers service "web" with
#     INSTANCES instances (nodes web-1…, 10.0.0.1…, port 8080), all passing;
#   - starts a dnsmasq (foreground, no upstream, no /etc/hosts) serving the same names: an A
#     record per instance for web.service.consul and an SRV per instance with its target's A;
#   - runs dnsperf -c 1 -q 100 -l SECONDS (100 queries outstanding) for A and for SRV against each;
#   - counts the agent's heap allocations during each of its runs (LD_PRELOAD malloc counter,
#     scripts/bench-support/malloc-count.c) and divides by the queries answered.
# Prints one Markdown table and PASS/MISS per query type (target: at least dnsmasq's queries/s).
# Note: the agent's UDP answers carry udp_answer_limit (default 3) A records, dnsmasq's all
# INSTANCES; SRV answers likewise (Consul's rule, agent.md §1.5).
#
# Usage: scripts/bench-dns.sh BINARY    (env: BENCH_DNS_SECONDS, default 10; INSTANCES, default 5)
set -euo pipefail

usage() { echo "usage: $0 BINARY   (env BENCH_DNS_SECONDS=10 INSTANCES=5)" >&2; exit 2; }
[ $# -eq 1 ] || usage
BINARY=$1
[ -x "$BINARY" ] || { echo "bench-dns: $BINARY is not an executable" >&2; exit 2; }
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
SECS=${BENCH_DNS_SECONDS:-10}
INSTANCES=${INSTANCES:-5}
[[ $SECS =~ ^[1-9][0-9]*$ && $INSTANCES =~ ^[1-9][0-9]?$ ]] || usage
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
for tool in curl dnsperf dig python3 cc "$DNSMASQ"; do
  command -v "$tool" >/dev/null || { echo "bench-dns: $tool not found (make deps / make bench-deps installs it)" >&2; exit 2; }
done
HERE=$(cd "$(dirname "$0")" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/consul-bench-dns.XXXXXX")
AGENT_PID=""
DNSMASQ_PID=""
stop() {  # stop PID: KILL and reap (both run in the foreground as our children)
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop "$AGENT_PID"
  stop "$DNSMASQ_PID"
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {  # a UDP+TCP-free loopback port
  python3 - <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
}
wait_dns() {  # wait_dns PORT NAME: up to 10 s for an answer
  for _ in $(seq 100); do
    [ -n "$(dig @127.0.0.1 -p "$1" +short +time=1 +tries=1 "$2" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  echo "bench-dns: nothing answers $2 on port $1" >&2; return 1
}

# ---- the malloc counter ----
cc -O2 -shared -fPIC -o "$TMP/malloc-count.so" "$HERE/bench-support/malloc-count.c"
COUNT_FILE=$TMP/malloc-count
alloc_count() {  # the agent's allocations so far
  rm -f "$COUNT_FILE"
  kill -USR2 "$AGENT_PID"
  for _ in $(seq 100); do [ -s "$COUNT_FILE" ] && break; sleep 0.01; done
  cat "$COUNT_FILE"
}

# ---- the agent ----
DNS_PORT=$(free_port); HTTP_PORT=$(free_port)
ports=(-dns-port "$DNS_PORT" -http-port "$HTTP_PORT" -serf-lan-port "$(free_port)" -serf-wan-port "$(free_port)"
       -server-port "$(free_port)" -grpc-port "$(free_port)")
MALLOC_COUNT_FILE=$COUNT_FILE LD_PRELOAD=$TMP/malloc-count.so \
  "$BINARY" agent -dev -log-level=warn "${ports[@]}" >"$TMP/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 200); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/v1/status/leader" 2>/dev/null | grep -q ':' && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$TMP/agent.log" >&2; exit 1; }
  sleep 0.05
done
for i in $(seq "$INSTANCES"); do
  curl -fsS -X PUT "http://127.0.0.1:$HTTP_PORT/v1/catalog/register" \
    -d "{\"Node\":\"web-$i\",\"Address\":\"10.0.0.$i\",\"Service\":{\"Service\":\"web\",\"Port\":8080}}" >/dev/null
done
wait_dns "$DNS_PORT" web.service.consul

# ---- dnsmasq with the same records ----
DNSMASQ_PORT=$(free_port)
records=()
for i in $(seq "$INSTANCES"); do
  records+=("--host-record=web.service.consul,10.0.0.$i" "--host-record=web-$i.node.dc1.consul,10.0.0.$i"
            "--srv-host=web.service.consul,web-$i.node.dc1.consul,8080,1,1")
done
user=(); [ "$(id -u)" = 0 ] && user=(--user=root --group=root)
"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --pid-file= \
  --port="$DNSMASQ_PORT" --listen-address=127.0.0.1 --bind-interfaces --log-facility=- "${user[@]}" \
  "${records[@]}" >"$TMP/dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!
wait_dns "$DNSMASQ_PORT" web.service.consul

echo "web.service.consul A" >"$TMP/q-A"
echo "web.service.consul SRV" >"$TMP/q-SRV"

# run SERVER PORT TYPE → sets QPS, LAT_MS, LOST, ANSWERED
run() {
  dnsperf -s 127.0.0.1 -p "$2" -d "$TMP/q-$3" -c 1 -q 100 -l "$SECS" >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; exit 1; }
  QPS=$(awk '/Queries per second/ {printf "%.0f", $4}' "$TMP/out")
  LAT_MS=$(awk '/Average Latency/ {printf "%.3f", $4 * 1000}' "$TMP/out")
  ANSWERED=$(awk '/Queries completed/ {print $3}' "$TMP/out")
  LOST=$(awk '/Queries lost/ {print $3}' "$TMP/out")
}

declare -A qps
rows=()
for type in A SRV; do
  before=$(alloc_count)
  run consul "$DNS_PORT" "$type"
  after=$(alloc_count)
  per=$(awk -v d=$((after - before)) -v n="$ANSWERED" 'BEGIN { printf "%.1f", n ? d / n : 0 }')
  qps[consul-$type]=$QPS
  rows+=("| $type | consul | $QPS | $LAT_MS | $LOST | $per |")
  run dnsmasq "$DNSMASQ_PORT" "$type"
  qps[dnsmasq-$type]=$QPS
  rows+=("| $type | dnsmasq | $QPS | $LAT_MS | $LOST | — |")
done

echo
echo "DNS: dnsperf -c 1 -q 100 -l $SECS, web.service.consul with $INSTANCES instances"
echo
echo "| query | server | queries/s | avg latency (ms) | lost | allocations/query |"
echo "|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
status=0
for type in A SRV; do
  ours=${qps[consul-$type]} theirs=${qps[dnsmasq-$type]}
  if [ "$ours" -ge "$theirs" ]; then verdict=PASS; else verdict=MISS; fi
  echo "$verdict  DNS $type queries/s: consul $ours vs dnsmasq $theirs (target: at least dnsmasq)"
done
exit $status
