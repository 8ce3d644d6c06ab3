#!/usr/bin/env bash
# End-to-end test of the Debian package in a fresh Debian 12 (bookworm) chroot:
#
#   1. install the .deb with apt (dependencies from deb.debian.org);
#   2. the consul user, /opt/consul, /etc/consul.d permissions, conffiles, enablement,
#      `consul version`, `consul validate /etc/consul.d`, `systemd-analyze verify` of the unit,
#      the man page and the bash completion;
#   3. the unit's ExecStart run as systemd would run it (User/Group, EnvironmentFile,
#      LimitNOFILE, NoNewPrivileges, NOTIFY_SOCKET bound by a listener that records each
#      datagram and its sender's PID) with a one-server configuration on random free ports:
#      READY=1 from the main PID, a leader, a KV round trip, a new service file picked up on
#      SIGHUP by the same process with RELOADING=1 then READY=1, STOPPING=1 and exit status 0
#      on SIGTERM;
#   4. reinstall as an unattended upgrade would (confdef/confold): an edited conffile and the
#      data directory are byte for byte unchanged;
#   5. apt-get remove keeps /etc/consul.d and /opt/consul; apt-get purge removes /etc/consul.d
#      but keeps /opt/consul and the consul user.
#
# Prints PASS/FAIL per check and a summary; exits 1 if any check failed. Must run as root.
# The chroot shares the host's network namespace, so the agent listens on 127.0.0.1 on free
# high ports only. A finished debootstrap is cached as a tarball (PACKAGE_TEST_CACHE, default
# /var/cache/consul-package-test) so that later runs start in seconds; delete it to refresh.
#
# Usage: scripts/package-test.sh DEB
#   env: PACKAGE_TEST_MIRROR (default http://deb.debian.org/debian), PACKAGE_TEST_CACHE,
#        PACKAGE_TEST_KEEP=1 keeps the chroot and logs for inspection.
# shellcheck disable=SC2016  # ${Conffiles}, $MAINPID and the like are meant literally
set -euo pipefail

usage() { echo "usage: $0 DEB" >&2; exit 2; }
[ $# -eq 1 ] || usage
DEB=$1
die() { echo "package-test: $*" >&2; exit 2; }
[ -f "$DEB" ] || die "$DEB: no such file"
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
for tool in debootstrap chroot mount umount tar python3 sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install debootstrap)"
done
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
DEB_NAME=$(basename "$DEB")

SUITE=bookworm
MIRROR=${PACKAGE_TEST_MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${PACKAGE_TEST_CACHE:-/var/cache/consul-package-test}
INCLUDE=systemd,adduser,ca-certificates,python3,curl,procps,man-db,bash-completion
CACHE_KEY=$(printf '%s\n' "$SUITE" minbase "$INCLUDE" "$MIRROR" | sha256sum | cut -c1-12)
CACHE_TAR=$CACHE_DIR/$SUITE-$CACHE_KEY.tar

WORK=$(mktemp -d /var/tmp/consul-package-test.XXXXXX)
CHROOT=$WORK/root
LOGS=$WORK/logs
mkdir -p "$CHROOT" "$LOGS"

AGENT_PID=""
LISTENER_PID=""

# ---- results ----
PASSED=0
FAILED=0
SUMMARY=()
pass() { PASSED=$((PASSED + 1)); SUMMARY+=("PASS  $1"); echo "PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); SUMMARY+=("FAIL  $1"); echo "FAIL: $1${2:+ — $2}"; }
# expect NAME ACTUAL WANTED
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
section() { echo; echo "== $*"; }

# ---- clean-up: the processes this script started in the chroot, the mounts, the work dir ----
mounted_under() { awk -v p="$1" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/mounts | sort -r; }
cleanup() {
  local status=$? pid m
  set +e
  for pid in $AGENT_PID $LISTENER_PID; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # Anything else still running with its root in the chroot was started by this script
  # (through chroot); stop it by PID so the mounts can go.
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$CHROOT" ] && kill -KILL "$pid" 2>/dev/null
  done
  cp "$CHROOT/root/package-test/notify.log" "$LOGS/notify.log" 2>/dev/null
  for m in $(mounted_under "$CHROOT"); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  if [ -n "${PACKAGE_TEST_KEEP:-}" ] || [ $FAILED -gt 0 ] || [ $status -ne 0 ]; then
    if [ -n "${PACKAGE_TEST_KEEP:-}" ]; then
      echo "package-test: kept $WORK (chroot: $CHROOT, logs: $LOGS)"
    else
      local kept
      kept=$(mktemp -d /var/tmp/consul-package-test-logs.XXXXXX)
      cp -a "$LOGS/." "$kept/" 2>/dev/null
      echo "package-test: logs kept in $kept"
    fi
  fi
  if [ -z "${PACKAGE_TEST_KEEP:-}" ]; then
    if [ -n "$(mounted_under "$CHROOT")" ]; then
      echo "package-test: $CHROOT still has mounts; not removing $WORK" >&2
    else
      rm -rf --one-file-system "$WORK"
    fi
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_chroot CMD...: CMD in the chroot with a clean root environment.
in_chroot() {
  chroot "$CHROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# ---- 1. the chroot ----
section "chroot ($SUITE, $MIRROR)"
if [ -f "$CACHE_TAR" ]; then
  echo "package-test: from cache $CACHE_TAR"
  tar -C "$CHROOT" --numeric-owner -xpf "$CACHE_TAR"
else
  echo "package-test: debootstrap (minutes the first time; cached as $CACHE_TAR)"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$CHROOT" "$MIRROR" \
    > "$LOGS/debootstrap.log" 2>&1 || { tail -20 "$LOGS/debootstrap.log" >&2; die "debootstrap failed"; }
  chroot "$CHROOT" apt-get clean
  mkdir -p "$CACHE_DIR"
  tar -C "$CHROOT" --numeric-owner -cpf "$CACHE_TAR.tmp.$$" . && mv "$CACHE_TAR.tmp.$$" "$CACHE_TAR"
fi
# No /run/systemd/system in the chroot: the maintainer scripts enable the unit but do not
# start it, as on a system not booted with systemd. /proc is what ps, python and the agent need.
mount -t proc proc "$CHROOT/proc"
rm -f "$CHROOT/etc/resolv.conf"
cat /etc/resolv.conf > "$CHROOT/etc/resolv.conf"
echo "deb $MIRROR $SUITE main" > "$CHROOT/etc/apt/sources.list"
in_chroot apt-get update -qq > "$LOGS/apt-update.log" 2>&1 || { cat "$LOGS/apt-update.log" >&2; die "apt-get update failed in the chroot"; }
cp "$DEB" "$CHROOT/tmp/$DEB_NAME"
chmod 0644 "$CHROOT/tmp/$DEB_NAME"

# ---- 2. install ----
section "install $DEB_NAME"
if in_chroot apt-get install -y -q "/tmp/$DEB_NAME" > "$LOGS/install.log" 2>&1; then
  pass "apt-get install ./$DEB_NAME"
else
  tail -30 "$LOGS/install.log"
  fail "apt-get install ./$DEB_NAME" "see install.log"
  exit 1
fi

passwd_entry=$(in_chroot getent passwd consul || true)
if [ -z "$passwd_entry" ]; then
  fail "user consul exists"
else
  pass "user consul exists"
  expect "user consul's shell is /usr/sbin/nologin" "$(cut -d: -f7 <<<"$passwd_entry")" /usr/sbin/nologin
  expect "user consul's home is /opt/consul" "$(cut -d: -f6 <<<"$passwd_entry")" /opt/consul
  uid=$(cut -d: -f3 <<<"$passwd_entry")
  if [ "$uid" -lt 1000 ]; then pass "user consul is a system user (uid $uid)"; else fail "user consul is a system user" "uid $uid"; fi
fi
expect "group consul exists" "$(in_chroot getent group consul | cut -d: -f1)" consul
expect "/opt/consul is 750 consul:consul" "$(in_chroot stat -c '%a %U:%G' /opt/consul 2>&1)" "750 consul:consul"
expect "/etc/consul.d is 750 root:consul" "$(in_chroot stat -c '%a %U:%G' /etc/consul.d 2>&1)" "750 root:consul"
expect "/etc/consul.d/consul.hcl is 640 root:consul" "$(in_chroot stat -c '%a %U:%G' /etc/consul.d/consul.hcl 2>&1)" "640 root:consul"
expect "/etc/consul.d/consul.env is 640 root:consul" "$(in_chroot stat -c '%a %U:%G' /etc/consul.d/consul.env 2>&1)" "640 root:consul"

conffiles=$(in_chroot dpkg-query -W -f='${Conffiles}\n' consul | awk 'NF { print $1 }' | sort | tr '\n' ' ')
expect "dpkg lists both conffiles" "$conffiles" "/etc/consul.d/consul.env /etc/consul.d/consul.hcl "

expect "consul.service is enabled (multi-user.target.wants link)" \
  "$(readlink "$CHROOT/etc/systemd/system/multi-user.target.wants/consul.service" || true)" /lib/systemd/system/consul.service

if version=$(in_chroot consul version 2>&1); then
  pass "consul version runs ($(head -n 1 <<<"$version"))"
else
  fail "consul version runs" "$version"
fi
if out=$(in_chroot consul validate /etc/consul.d 2>&1); then
  pass "consul validate /etc/consul.d"
else
  fail "consul validate /etc/consul.d" "$out"
fi

# systemd-analyze verify: in a chroot it may complain about other units; only lines about
# consul.service count.
in_chroot systemd-analyze verify /lib/systemd/system/consul.service > "$LOGS/systemd-analyze.log" 2>&1 || true
if grep -q 'consul\.service' "$LOGS/systemd-analyze.log"; then
  fail "systemd-analyze verify consul.service is clean" "$(grep 'consul\.service' "$LOGS/systemd-analyze.log" | tr '\n' ' ')"
else
  pass "systemd-analyze verify consul.service is clean"
fi

expect "man -w consul finds the man page" "$(in_chroot man -w consul 2>&1)" /usr/share/man/man1/consul.1.gz

# The completion as bash-completion loads it: `consul kv <TAB>` and `consul agent -config-d<TAB>`.
completion=$(in_chroot bash -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader consul
  comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
           COMPREPLY=(); _consul consul "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
           echo "${COMPREPLY[*]}"; }
  comp consul kv ""
  comp consul agent -config-d' 2>&1 || true)
expect "bash completion: consul kv <TAB>, consul agent -config-d<TAB>" "$(tr '\n' '|' <<<"$completion")" \
  "delete export get import put|-config-dir=|"

# ---- 3. the unit's ExecStart, run as systemd would ----
section "consul.service run as systemd would"
UNIT=$CHROOT/lib/systemd/system/consul.service
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
expect "consul.service is Type=notify" "$(unit_value Type)" notify
EXEC_START=$(unit_value ExecStart)
EXEC_START=${EXEC_START#[-@:+!]}
ENV_FILE=$(unit_value EnvironmentFile)
SERVICE_USER=$(unit_value User)
SERVICE_GROUP=$(unit_value Group)
NOFILE=$(unit_value LimitNOFILE)
START_TIMEOUT=$(unit_value TimeoutStartSec)
STOP_TIMEOUT=$(unit_value TimeoutStopSec)
NNP=$(unit_value NoNewPrivileges)
read -r -a exec_argv <<<"$EXEC_START"
echo "ExecStart: ${exec_argv[*]} (User=$SERVICE_USER Group=$SERVICE_GROUP EnvironmentFile=$ENV_FILE)"
if [ -z "$SERVICE_USER" ] || [ -z "${exec_argv[0]:-}" ]; then
  die "cannot read ExecStart/User from consul.service"
fi

# The EnvironmentFile's assignments (systemd's format: VAR=value lines, # and ; comments,
# optional quotes); "-" in front of the path: a missing file is fine.
env_assignments=()
env_path=${ENV_FILE#-}
if [ -f "$CHROOT$env_path" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    case $line in ''|'#'*|';'*) continue ;; esac
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    value=${BASH_REMATCH[2]}
    [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]] && value=${BASH_REMATCH[1]}
    env_assignments+=("${BASH_REMATCH[1]}=$value")
  done < "$CHROOT$env_path"
elif [ "${ENV_FILE:0:1}" != "-" ]; then
  fail "EnvironmentFile $env_path exists"
fi

# Free ports on 127.0.0.1, TCP and UDP both (the chroot shares the host's network).
read -r HTTP_PORT DNS_PORT SERF_LAN_PORT SERF_WAN_PORT SERVER_PORT < <(python3 - <<'EOF'
import random, socket
ports = []
while len(ports) < 5:
    p = random.randint(20000, 59999)
    if p in ports:
        continue
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            s.close()
    except OSError:
        continue
    ports.append(p)
print(*ports)
EOF
)
cat > "$CHROOT/etc/consul.d/server.hcl" <<EOF
# written by scripts/package-test.sh
node_name        = "package-test"
server           = true
bootstrap_expect = 1
bind_addr        = "127.0.0.1"
advertise_addr   = "127.0.0.1"
client_addr      = "127.0.0.1"
ports {
  http     = $HTTP_PORT
  dns      = $DNS_PORT
  serf_lan = $SERF_LAN_PORT
  serf_wan = $SERF_WAN_PORT
  server   = $SERVER_PORT
  grpc     = -1
  grpc_tls = -1
}
EOF
chmod 0644 "$CHROOT/etc/consul.d/server.hcl"
API=http://127.0.0.1:$HTTP_PORT
echo "ports: http $HTTP_PORT, dns $DNS_PORT, serf_lan $SERF_LAN_PORT, serf_wan $SERF_WAN_PORT, server $SERVER_PORT"

# The notify socket: a python listener in the chroot binds it and writes one line per
# assignment received: "<datagram number> <sender pid> <VAR=value>".
NOTIFY_DIR=/run/consul-package-test
NOTIFY_SOCKET_PATH=$NOTIFY_DIR/notify
NOTIFY_LOG=$LOGS/notify.log
mkdir -p "$CHROOT$NOTIFY_DIR" "$CHROOT/root/package-test"
: > "$NOTIFY_LOG"
cat > "$CHROOT/root/package-test/notify-listener.py" <<'EOF'
import os, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path + ".new")
os.chmod(path + ".new", 0o666)          # systemd's socket is writable by every service user
os.rename(path + ".new", path)
ucred = struct.calcsize("3i")
n = 0
with open(out, "a", buffering=1) as log:
    while True:
        data, ancdata, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(ucred))
        pid = -1
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:ucred])[0]
        n += 1
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                log.write("%d %d %s\n" % (n, pid, line))
EOF
# The log is written inside the chroot; the host reads it through $CHROOT.
chroot "$CHROOT" /usr/bin/python3 /root/package-test/notify-listener.py \
  "$NOTIFY_SOCKET_PATH" /root/package-test/notify.log > "$LOGS/notify-listener.log" 2>&1 &
LISTENER_PID=$!
for _ in $(seq 100); do [ -S "$CHROOT$NOTIFY_SOCKET_PATH" ] && break; sleep 0.05; done
[ -S "$CHROOT$NOTIFY_SOCKET_PATH" ] || die "the notify listener did not bind $NOTIFY_SOCKET_PATH"
notify_lines() { cat "$CHROOT/root/package-test/notify.log" 2>/dev/null; }
# notify_line_of FIELD AFTER_LINE [PID]: line number of the first FIELD after AFTER_LINE (from PID).
notify_line_of() {
  [ -f "$CHROOT/root/package-test/notify.log" ] || return 0
  awk -v f="$1" -v after="$2" -v pid="${3:-}" \
    'NR > after && $3 == f && (pid == "" || $2 == pid) { print NR; exit }' "$CHROOT/root/package-test/notify.log"
}

# Start it: the EnvironmentFile's variables, NOTIFY_SOCKET, the unit's user and group with
# their supplementary groups, LimitNOFILE, NoNewPrivileges, cwd /, stdin /dev/null; what
# systemd itself sets for a system service with User= (USER, LOGNAME, HOME, SHELL).
home=$(cut -d: -f6 <<<"$passwd_entry")
shell=$(cut -d: -f7 <<<"$passwd_entry")
setpriv_args=(--reuid="$SERVICE_USER" --regid="${SERVICE_GROUP:-$SERVICE_USER}" --init-groups)
[ "$NNP" = yes ] && setpriv_args+=(--no-new-privs)
prlimit_args=()
if [ -n "$NOFILE" ]; then
  # systemd raises the hard limit too; a container may not let this script go that high.
  if ! prlimit "--nofile=$NOFILE:$NOFILE" true 2>/dev/null; then
    echo "note: LimitNOFILE=$NOFILE is above what this host allows; using $(ulimit -Hn)"
    NOFILE=$(ulimit -Hn)
  fi
  prlimit_args=(prlimit "--nofile=$NOFILE:$NOFILE" --)
fi
chroot "$CHROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin \
  LANG=C.UTF-8 USER="$SERVICE_USER" LOGNAME="$SERVICE_USER" HOME="$home" SHELL="$shell" \
  NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH" "${env_assignments[@]}" \
  "${prlimit_args[@]}" setpriv "${setpriv_args[@]}" -- "${exec_argv[@]}" \
  < /dev/null > "$LOGS/agent.log" 2>&1 &
AGENT_PID=$!
START=$SECONDS
# chroot, env, prlimit and setpriv exec: the PID becomes the agent's.
for _ in $(seq 100); do
  [ "$(cat "/proc/$AGENT_PID/comm" 2>/dev/null)" = consul ] && break
  sleep 0.05
done
agent_alive() { kill -0 "$AGENT_PID" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$AGENT_PID/stat" 2>/dev/null)" != Z ]; }
expect "the agent runs as user $SERVICE_USER" "$(awk '/^Uid:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null || true)" \
  "$(in_chroot id -u "$SERVICE_USER")"
START_TIME=$(awk '{ print $22 }' "/proc/$AGENT_PID/stat" 2>/dev/null || true)

# Wait for READY=1 and for a leader. READY=1 may come at most TimeoutStartSec after the start,
# and — so that a missing notification fails in seconds, not minutes — at most 15 s after the
# HTTP API has shown a leader.
START_TIMEOUT=${START_TIMEOUT:-90}
leader=""
leader_at=""
ready_line=""
while :; do
  ready_line=$(notify_line_of READY=1 0 "$AGENT_PID")
  if [ -z "$leader" ]; then
    leader=$(curl -sf --max-time 2 "$API/v1/status/leader" 2>/dev/null | tr -d '"' || true)
    [ -n "$leader" ] && leader_at=$SECONDS
  fi
  [ -n "$ready_line" ] && [ -n "$leader" ] && break
  agent_alive || break
  [ $((SECONDS - START)) -ge "$START_TIMEOUT" ] && break
  [ -n "$leader_at" ] && [ $((SECONDS - leader_at)) -ge 15 ] && break
  sleep 0.2
done
if [ -n "$ready_line" ]; then
  pass "READY=1 on \$NOTIFY_SOCKET from the main PID ($((SECONDS - START)) s after start)"
else
  fail "READY=1 on \$NOTIFY_SOCKET from the main PID" \
    "none within $((SECONDS - START)) s; received: $(notify_lines | tr '\n' ';')"
fi
if ! agent_alive; then
  fail "the agent is running" "it exited; last log lines: $(tail -5 "$LOGS/agent.log" | tr '\n' ' ')"
  exit 1
fi
# A leader even if READY=1 never came, so that the rest can be tested.
while [ -z "$leader" ] && [ $((SECONDS - START)) -lt "$START_TIMEOUT" ] && agent_alive; do
  sleep 0.2
  leader=$(curl -sf --max-time 2 "$API/v1/status/leader" 2>/dev/null | tr -d '"' || true)
done
expect "GET /v1/status/leader names the leader" "$leader" "127.0.0.1:$SERVER_PORT"

put=$(in_chroot curl -sf --max-time 10 -X PUT --data-binary 'hello from the package test' \
  "$API/v1/kv/package-test/greeting" 2>&1 || true)
expect "PUT /v1/kv/package-test/greeting" "$put" true
expect "GET /v1/kv/package-test/greeting?raw" \
  "$(in_chroot curl -sf --max-time 10 "$API/v1/kv/package-test/greeting?raw" 2>&1 || true)" \
  "hello from the package test"

# Reload: a new service file, SIGHUP (what ExecReload sends), the same process serves it.
expect "ExecReload sends SIGHUP to the main PID" "$(unit_value ExecReload)" '/bin/kill --signal HUP $MAINPID'
cat > "$CHROOT/etc/consul.d/web.hcl" <<'EOF'
service {
  name = "web"
  port = 80
}
EOF
chmod 0644 "$CHROOT/etc/consul.d/web.hcl"
before_hup=$(notify_lines | wc -l)
kill -HUP "$AGENT_PID" || true
deadline=$((SECONDS + 30))
services=""
until grep -q '"web"' <<<"$services" || [ $SECONDS -ge $deadline ] || ! agent_alive; do
  sleep 0.2
  services=$(curl -sf --max-time 2 "$API/v1/agent/services" 2>/dev/null || true)
done
if grep -q '"web"' <<<"$services"; then
  pass "SIGHUP: /v1/agent/services lists web"
else
  fail "SIGHUP: /v1/agent/services lists web" "got: $services"
fi
if agent_alive && [ "$(awk '{ print $22 }' "/proc/$AGENT_PID/stat")" = "$START_TIME" ]; then
  pass "SIGHUP: the same process (PID $AGENT_PID) is still running"
else
  fail "SIGHUP: the same process (PID $AGENT_PID) is still running"
fi
deadline=$((SECONDS + 15))
reloading_line=""
ready_again=""
while [ $SECONDS -lt $deadline ]; do
  reloading_line=$(notify_line_of RELOADING=1 "$before_hup" "$AGENT_PID")
  [ -n "$reloading_line" ] && ready_again=$(notify_line_of READY=1 "$reloading_line" "$AGENT_PID")
  [ -n "$ready_again" ] && break
  sleep 0.2
done
if [ -n "$reloading_line" ] && [ -n "$ready_again" ]; then
  pass "SIGHUP: RELOADING=1 then READY=1 on \$NOTIFY_SOCKET"
else
  fail "SIGHUP: RELOADING=1 then READY=1 on \$NOTIFY_SOCKET" \
    "received after the HUP: $(notify_lines | tail -n +"$((before_hup + 1))" | tr '\n' ';')"
fi

# Stop: SIGTERM (KillSignal), exit status 0, STOPPING=1.
expect "KillSignal is SIGTERM" "$(unit_value KillSignal)" SIGTERM
before_term=$(notify_lines | wc -l)
kill -TERM "$AGENT_PID" || true
deadline=$((SECONDS + ${STOP_TIMEOUT:-90}))
while agent_alive && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
if agent_alive; then
  fail "SIGTERM: the agent exits within TimeoutStopSec" "still running after ${STOP_TIMEOUT:-90} s"
  kill -KILL "$AGENT_PID"
fi
status=0
wait "$AGENT_PID" || status=$?
AGENT_PID=""
expect "SIGTERM: exit status 0" "$status" 0
if [ -n "$(notify_line_of STOPPING=1 "$before_term")" ]; then
  pass "SIGTERM: STOPPING=1 on \$NOTIFY_SOCKET"
else
  fail "SIGTERM: STOPPING=1 on \$NOTIFY_SOCKET" \
    "received after the TERM: $(notify_lines | tail -n +"$((before_term + 1))" | tr '\n' ';')"
fi
kill "$LISTENER_PID" 2>/dev/null || true
wait "$LISTENER_PID" 2>/dev/null || true
LISTENER_PID=""
cp "$CHROOT/root/package-test/notify.log" "$NOTIFY_LOG" 2>/dev/null || true

data_files=$(in_chroot find /opt/consul -type f | wc -l)
if [ "$data_files" -gt 0 ]; then pass "the agent wrote its data to /opt/consul ($data_files files)"; else fail "the agent wrote its data to /opt/consul"; fi
foreign=$(in_chroot find /opt/consul ! -user consul -printf '%p ' 2>&1 || true)
expect "everything under /opt/consul is owned by consul" "$foreign" ""

# ---- 4. upgrade (reinstall) keeps an edited conffile and the data ----
section "upgrade"
echo "# edited by the package test" >> "$CHROOT/etc/consul.d/consul.hcl"
conf_sum() { (cd "$CHROOT" && sha256sum etc/consul.d/consul.hcl 2>/dev/null) || true; }
data_sums() { (cd "$CHROOT" && find opt/consul -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) || true; }
CONF_SUM=$(conf_sum)
DATA_SUMS=$(data_sums)
if in_chroot apt-get install --reinstall -y -q -o Dpkg::Options::=--force-confdef \
     -o Dpkg::Options::=--force-confold "/tmp/$DEB_NAME" > "$LOGS/reinstall.log" 2>&1; then
  pass "apt-get install --reinstall (confdef, confold, noninteractive)"
else
  fail "apt-get install --reinstall (confdef, confold, noninteractive)" "$(tail -5 "$LOGS/reinstall.log" | tr '\n' ' ')"
fi
expect "upgrade: the edited consul.hcl is unchanged" "$(conf_sum)" "$CONF_SUM"
expect "upgrade: /opt/consul data is unchanged" "$(data_sums)" "$DATA_SUMS"
expect "upgrade: consul.hcl is still 640 root:consul" "$(in_chroot stat -c '%a %U:%G' /etc/consul.d/consul.hcl 2>&1)" "640 root:consul"
expect "upgrade: /opt/consul is still 750 consul:consul" "$(in_chroot stat -c '%a %U:%G' /opt/consul 2>&1)" "750 consul:consul"

# ---- 5. remove, then purge ----
section "remove"
if in_chroot apt-get remove -y -q consul > "$LOGS/remove.log" 2>&1; then
  pass "apt-get remove consul"
else
  fail "apt-get remove consul" "$(tail -5 "$LOGS/remove.log" | tr '\n' ' ')"
fi
if [ -e "$CHROOT/usr/bin/consul" ]; then fail "remove: /usr/bin/consul is gone"; else pass "remove: /usr/bin/consul is gone"; fi
expect "remove: dpkg status is rc (config files kept)" \
  "$(in_chroot dpkg-query -W -f='${db:Status-Abbrev}' consul 2>&1 | tr -d ' ')" rc
expect "remove: the edited consul.hcl is kept" "$(conf_sum)" "$CONF_SUM"
expect "remove: /opt/consul data is kept" "$(data_sums)" "$DATA_SUMS"

section "purge"
if in_chroot apt-get purge -y -q consul > "$LOGS/purge.log" 2>&1; then
  pass "apt-get purge consul"
else
  fail "apt-get purge consul" "$(tail -5 "$LOGS/purge.log" | tr '\n' ' ')"
fi
if [ -e "$CHROOT/etc/consul.d" ]; then
  fail "purge: /etc/consul.d is gone" "left: $(find "$CHROOT/etc/consul.d" | sed "s|^$CHROOT||" | tr '\n' ' ')"
else
  pass "purge: /etc/consul.d is gone"
fi
expect "purge: /opt/consul data is kept" "$(data_sums)" "$DATA_SUMS"
expect "purge: user consul is kept" "$(in_chroot getent passwd consul | cut -d: -f1)" consul
expect "purge: no dpkg-statoverride entries left for /etc/consul.d" \
  "$(in_chroot dpkg-statoverride --list | grep ' /etc/consul.d' || true)" ""
if [ -e "$CHROOT/etc/systemd/system/multi-user.target.wants/consul.service" ] ||
   [ -e "$CHROOT/var/lib/systemd/deb-systemd-helper-enabled/consul.service.dsh-also" ]; then
  fail "purge: the systemd enablement state is gone"
else
  pass "purge: the systemd enablement state is gone"
fi
expect "purge: dpkg no longer knows consul" \
  "$(in_chroot dpkg-query -W -f='${db:Status-Abbrev}' consul 2>/dev/null | tr -d ' ' || true)" ""

# ---- summary ----
section "summary"
printf '%s\n' "${SUMMARY[@]}"
echo
echo "package-test: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
