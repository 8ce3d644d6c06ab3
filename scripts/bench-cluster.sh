#!/usr/bin/env bash
# KV throughput and p99 of a 3-server cluster, side by side with a 3-member etcd 3.4 cluster
# (Debian etcd-server) on the same box, both loaded by wrk at concurrency 1, 16 and 64:
#   put:         PUT /v1/kv/k                 vs etcd POST /v3/kv/put
#   consistent:  GET /v1/kv/k?consistent      vs etcd POST /v3/kv/range (linearizable)
#   stale:       GET /v1/kv/k?stale           vs etcd POST /v3/kv/range {"serializable":true}
# Load goes to the leader of each cluster. Prints a Markdown table and the ratios at c=64
# against the targets of the cluster issue. Everything started is killed on exit.
#
# Usage: scripts/bench-cluster.sh BINARY      (env BENCH_SECONDS, default 10)
set -euo pipefail
BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
for tool in wrk curl python3 etcd; do command -v "$tool" >/dev/null || { echo "bench-cluster: $tool not found (make bench-deps)" >&2; exit 2; }; done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/consul-bench-cluster.XXXXXX")
PIDS=()
cleanup() { local s=$?; trap - EXIT; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; exit $s; }
trap cleanup EXIT

free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: u.bind(("127.0.0.1", p))
    except OSError: t.close(); u.close(); continue
    held += [t, u]; ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# ---- our cluster ----
declare -a HTTP SERF
for i in 1 2 3; do
  read -r h d s w r <<<"$(free_ports 5)"
  HTTP[$i]=$h; SERF[$i]=$s
  join=(); [ "$i" -gt 1 ] && join=(-retry-join "127.0.0.1:${SERF[1]}" -retry-interval 1s)
  mkdir -p "$TMP/c$i"
  "$BINARY" agent -server -bootstrap-expect 3 -data-dir "$TMP/c$i" -node "s$i" -bind 127.0.0.1 \
    -http-port "$h" -dns-port "$d" -serf-lan-port "$s" -serf-wan-port "$w" -server-port "$r" -grpc-port -1 \
    "${join[@]}" >"$TMP/c$i.log" 2>&1 &
  PIDS+=($!); disown $!
done
# The leader is the agent whose own server address (members: Addr + port tag) is /v1/status/leader.
find_leader() {
  python3 - "${HTTP[1]}" "${HTTP[2]}" "${HTTP[3]}" <<'EOF'
import json, sys, urllib.request
def get(port, path):
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2))
try:
    for port in sys.argv[1:]:
        leader = get(port, "/v1/status/leader")
        me = get(port, "/v1/agent/self")["Config"]["NodeName"]
        for m in get(port, "/v1/agent/members"):
            if leader and m["Name"] == me and f'{m["Addr"]}:{m["Tags"].get("port")}' == leader:
                print(port); sys.exit(0)
except Exception:
    pass
EOF
}
LEADER_HTTP=""
for _ in $(seq 300); do
  LEADER_HTTP=$(find_leader)
  [ -n "$LEADER_HTTP" ] && [ "$(curl -s --max-time 5 -X PUT --data-binary v "127.0.0.1:$LEADER_HTTP/v1/kv/k")" = true ] && break
  LEADER_HTTP=""
  sleep 0.2
done
[ -n "$LEADER_HTTP" ] || { echo "bench-cluster: no leader; logs:" >&2; tail -5 "$TMP"/c*.log >&2; exit 1; }

ROWS=()
declare -A RPS P99
run() {  # run NAME SYSTEM CONC URL LUA
  local name=$1 sys=$2 conc=$3 url=$4 lua=$5 threads=1 out
  [ "$conc" -gt 1 ] && threads=2
  out=$(wrk -t"$threads" -c"$conc" -d"${SECONDS_PER_RUN}s" --latency -s "$lua" "$url" 2>&1)
  local rps p99 errs
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out"); p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  RPS["$sys $name $conc"]=$rps; P99["$sys $name $conc"]=$p99
  ROWS+=("| $sys | $name | $conc | $(printf '%.0f' "$rps") | $p99 | ${errs:+non-2xx: $errs} |")
}
printf 'wrk.method = "PUT"\nwrk.body = "value"\n' >"$TMP/put.lua"
printf 'wrk.method = "GET"\n' >"$TMP/get.lua"
for c in 1 16 64; do run put consul "$c" "http://127.0.0.1:$LEADER_HTTP/v1/kv/k" "$TMP/put.lua"; done
for c in 1 16 64; do run consistent consul "$c" "http://127.0.0.1:$LEADER_HTTP/v1/kv/k?consistent" "$TMP/get.lua"; done
for c in 1 16 64; do run stale consul "$c" "http://127.0.0.1:$LEADER_HTTP/v1/kv/k?stale" "$TMP/get.lua"; done
# fsyncs per committed write: count fsync/fdatasync on every server during one more put run.
FSYNC_NOTE="not measured (strace missing)"
if command -v strace >/dev/null; then
  SPIDS=()
  for i in 1 2 3; do
    strace -f -qq -c --seccomp-bpf -e trace=fsync,fdatasync -o "$TMP/strace$i" -p "${PIDS[$((i-1))]}" &
    SPIDS+=($!)
  done
  sleep 0.5
  out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s "$TMP/put.lua" "http://127.0.0.1:$LEADER_HTTP/v1/kv/k" 2>&1)
  writes=$(awk '/requests in/ { print $1 }' <<<"$out")
  for sp in "${SPIDS[@]}"; do kill -INT "$sp" 2>/dev/null || true; done
  wait "${SPIDS[@]}" 2>/dev/null || true
  FSYNC_NOTE=""
  for i in 1 2 3; do
    calls=$(awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$TMP/strace$i")
    FSYNC_NOTE+="s$i $(awk -v c="$calls" -v w="$writes" 'BEGIN { printf "%.3f", (w > 0 ? c / w : 0) }') "
  done
  FSYNC_NOTE="fsyncs per committed write (put c=64 under strace, $writes writes): $FSYNC_NOTE"
fi
for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; PIDS=()

# ---- etcd cluster ----
read -r e1c e1p e2c e2p e3c e3p <<<"$(free_ports 6)"
CLUSTER="e1=http://127.0.0.1:$e1p,e2=http://127.0.0.1:$e2p,e3=http://127.0.0.1:$e3p"
for spec in "e1 $e1c $e1p" "e2 $e2c $e2p" "e3 $e3c $e3p"; do
  read -r n c p <<<"$spec"
  etcd --name "$n" --data-dir "$TMP/$n" --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --log-level error >"$TMP/$n.log" 2>&1 &
  PIDS+=($!); disown $!
done
ETCD_LEADER=""
for _ in $(seq 300); do
  for c in $e1c $e2c $e3c; do
    st=$(curl -s --max-time 1 -X POST "http://127.0.0.1:$c/v3/maintenance/status" -d '{}' || true)
    if python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s.get("leader") and s["leader"]==s["header"]["member_id"] else 1)' "$st" 2>/dev/null; then ETCD_LEADER=$c; break 2; fi
  done
  sleep 0.1
done
[ -n "$ETCD_LEADER" ] || { echo "bench-cluster: etcd has no leader" >&2; tail -5 "$TMP"/e*.log >&2; exit 1; }
KEY=$(printf k | base64); VAL=$(printf value | base64)
printf 'wrk.method = "POST"\nwrk.body = [[{"key":"%s","value":"%s"}]]\n' "$KEY" "$VAL" >"$TMP/eput.lua"
printf 'wrk.method = "POST"\nwrk.body = [[{"key":"%s"}]]\n' "$KEY" >"$TMP/eget.lua"
printf 'wrk.method = "POST"\nwrk.body = [[{"key":"%s","serializable":true}]]\n' "$KEY" >"$TMP/estale.lua"
curl -s -X POST "http://127.0.0.1:$ETCD_LEADER/v3/kv/put" -d "{\"key\":\"$KEY\",\"value\":\"$VAL\"}" >/dev/null
for c in 1 16 64; do run put etcd "$c" "http://127.0.0.1:$ETCD_LEADER/v3/kv/put" "$TMP/eput.lua"; done
for c in 1 16 64; do run consistent etcd "$c" "http://127.0.0.1:$ETCD_LEADER/v3/kv/range" "$TMP/eget.lua"; done
for c in 1 16 64; do run stale etcd "$c" "http://127.0.0.1:$ETCD_LEADER/v3/kv/range" "$TMP/estale.lua"; done

echo
echo "## 3-server cluster vs etcd 3.4 (3 members), wrk ${SECONDS_PER_RUN}s per run, $(nproc) CPUs, load on the leader"
echo
echo "| system | op | c | req/s | p99 | notes |"
echo "|---|---|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
for op in put:1.5 consistent:2.5 stale:3; do
  name=${op%%:*}; target=${op##*:}
  ratio=$(awk -v a="${RPS[consul $name 64]}" -v b="${RPS[etcd $name 64]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  ok=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "PASS" : "MISS" }')
  echo "- $name c=64: ${ratio}× etcd (target ≥ ${target}×): $ok; p99 consul ${P99[consul $name 64]} vs etcd ${P99[etcd $name 64]}"
done
echo "- $FSYNC_NOTE"
echo "- etcd is driven through its HTTP/JSON gateway (/v3/kv/*), since wrk speaks HTTP/1.1; its gRPC path is faster."
