#!/usr/bin/env python3
"""Catalog/health benchmark for a consul binary (the catalog half of the Makefile's `bench` rule):
  - registrations/s: PUT /v1/catalog/register for svc-0..svc-999 (one node each, one passing check)
    over 16 keep-alive connections;
  - 10,000 concurrent blocking watchers, GET /v1/health/service/svc-<i % 1000>?index=<current>&wait=300s,
    one TCP connection each (fewer if RLIMIT_NOFILE cannot be raised far enough; the output says so);
  - the agent's CPU (utime+stime from /proc/<pid>/stat) while those watchers wait idle;
  - wake-up latency: flip one service's check passing <-> critical and time from sending the PUT until
    every watcher of that service (10 each) has its answer; the watchers are then re-armed.
Prints one Markdown section and PASS/MISS per target. The agent, every socket and the temp dir are
removed on exit (including Ctrl-C and errors). Python 3 standard library only.

Usage: scripts/bench-catalog.py BINARY
       (env: BENCH_WATCHERS, default 10000; BENCH_ROUNDS, default 200; BENCH_IDLE_SECONDS, default 5)
"""
import asyncio
import gc
import json
import math
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque

# Targets.
TARGET_IDLE_CORES = 0.5     # agent CPU with every watcher waiting, fraction of one core (lower is better)
TARGET_WAKE_P99_MS = 10.0   # PUT sent -> all watchers of that service answered, p99 (lower is better)

SERVICES = 1000
REGISTER_CONNECTIONS = 16
CONNECT_CONCURRENCY = 256   # watcher connects in flight (the agent listens with backlog 1024)
FD_SLACK = 64               # fds besides the watchers: register pool, stdio, epoll, the agent's own files
BASELINE_SECONDS = 3        # agent CPU with no watchers, for comparison


def die(msg, code=1):
    print(f"bench-catalog: {msg}", file=sys.stderr)
    sys.exit(code)


def env_int(name, default):
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or int(raw) <= 0:
        die(f"{name} must be a positive integer", 2)
    return int(raw)


def free_ports(n):
    """n distinct loopback ports free for both TCP and UDP right now (all held until every one is chosen)."""
    held, ports = [], []
    try:
        while len(ports) < n:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                t.close(); u.close(); continue
            held += [t, u]; ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def raise_nofile(want):
    """Raises RLIMIT_NOFILE towards `want` as far as allowed; returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    if hard != resource.RLIM_INFINITY and hard < want:
        try:  # only with CAP_SYS_RESOURCE (and up to fs.nr_open)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            pass
    new_soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    except (ValueError, OSError):
        pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---- /proc helpers ----
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14, 15)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_of(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# ---- a minimal HTTP/1.1 client over asyncio.Protocol ----
class Response:
    __slots__ = ("status", "headers", "body", "t_ns")

    def __init__(self, status, headers, body, t_ns):
        self.status, self.headers, self.body, self.t_ns = status, headers, body, t_ns

    @property
    def index(self):
        return int(self.headers.get("x-consul-index", "0"))


class HTTPConn(asyncio.Protocol):
    """One keep-alive connection. Responses go to waiting `request()` calls in order, or, when none
    waits, to `on_response`. Each response carries the time its last byte was read (perf_counter_ns)."""

    def __init__(self, host_header):
        self.host_header = host_header
        self.transport = None
        self.buf = bytearray()
        self.head = None          # (status, headers) of the response being read
        self.need = 0             # body bytes it still needs
        self.waiters = deque()
        self.lost = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        now = time.perf_counter_ns()   # first thing: the latency clock stops here
        self.buf += data
        while True:
            if self.head is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = self.buf[:end].decode("latin-1").split("\r\n")
                del self.buf[:end + 4]
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                if "content-length" not in headers:
                    # The agent always sends Content-Length; anything else is a bug worth stopping for.
                    raise RuntimeError(f"response without Content-Length: {lines[0]!r}")
                self.head = (int(lines[0].split()[1]), headers)
                self.need = int(headers["content-length"])
            if len(self.buf) < self.need:
                return
            body = bytes(self.buf[:self.need])
            del self.buf[:self.need]
            status, headers = self.head
            self.head = None
            self.deliver(Response(status, headers, body, now))

    def deliver(self, response):
        if self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(response)

    def connection_lost(self, exc):
        self.lost = True
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed by the agent"))

    def send(self, method, path, body=b""):
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host_header}\r\n"
        if body or method in ("PUT", "POST"):
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.transport.write(head.encode() + b"\r\n" + body)

    def request(self, method, path, body=b""):
        """Sends a request; returns (send time in perf_counter_ns, future of its Response)."""
        if self.lost:
            raise ConnectionError("connection closed by the agent")
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        t0 = time.perf_counter_ns()
        self.send(method, path, body)
        return t0, fut

    def close(self):
        if self.transport is not None:
            self.transport.close()


class Watcher(HTTPConn):
    """One blocking query on its own connection, re-armed by the bench after each answer."""

    def __init__(self, host_header, bench, service):
        super().__init__(host_header)
        self.bench = bench
        self.service = service
        self.index = 0
        self.armed = False
        self.last = None

    def arm(self, index):
        self.index = index
        self.armed = True
        self.send("GET", f"/v1/health/service/svc-{self.service}?index={index}&wait=300s")

    def deliver(self, response):
        self.armed = False
        self.last = response
        self.bench.watcher_answered(self, response)

    def connection_lost(self, exc):
        super().connection_lost(exc)
        self.armed = False
        self.bench.watcher_lost(self)


def register_body(i, status):
    return json.dumps({
        "Node": f"node-{i}", "Address": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
        "Service": {"ID": f"svc-{i}", "Service": f"svc-{i}", "Port": 80},
        "Check": {"CheckID": f"chk-{i}", "Name": f"chk-{i}", "Status": status, "ServiceID": f"svc-{i}"},
    }, separators=(",", ":")).encode()


class Bench:
    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.agent = None
        self.conns = []
        self.watchers = []
        self.by_service = {}
        # Wake-round bookkeeping.
        self.round_service = None
        self.round_pending = 0
        self.round_done = None
        self.spurious = 0       # answers to watchers whose service did not change
        self.errors = []        # non-200 watcher answers
        self.lost_watchers = 0

    # ---- watcher callbacks (hot path: keep them small) ----
    def watcher_answered(self, w, response):
        if response.status != 200:
            self.errors.append(f"svc-{w.service}: HTTP {response.status} {response.body[:200]!r}")
        if w.service == self.round_service and self.round_done is not None:
            self.round_pending -= 1
            if self.round_pending == 0 and not self.round_done.done():
                self.round_done.set_result(None)
        else:
            self.spurious += 1
            if response.status == 200:   # re-arm; an early answer is counted, not fatal
                w.arm(response.index)

    def watcher_lost(self, w):
        self.lost_watchers += 1
        if w.service == self.round_service and self.round_done is not None and not self.round_done.done():
            self.round_done.set_exception(ConnectionError(f"a watcher of svc-{w.service} was disconnected"))

    # ---- agent ----
    def start_agent(self, nofile):
        http, dns, serf_lan, serf_wan, server, grpc = free_ports(6)
        self.port = http
        self.host_header = f"127.0.0.1:{http}"
        os.makedirs(os.path.join(self.tmp, "agent"))
        self.log_path = os.path.join(self.tmp, "agent.log")

        def preexec():  # the agent holds one fd per watcher too
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, nofile), max(hard, nofile)))
            except (ValueError, OSError):
                pass

        # Thousands of watchers come from one IP: lift Consul's default of 200 connections per
        # client, as an operator running such a load must.
        limits = os.path.join(self.tmp, "limits.hcl")
        with open(limits, "w") as f:
            f.write("limits {\n  http_max_conns_per_client = 0\n}\n")
        # Run from the temp dir so nothing the agent might write lands in the caller's tree.
        with open(self.log_path, "wb") as log:
            self.agent = subprocess.Popen(
                [self.binary, "agent", "-dev", "-config-file", limits, "-http-port", str(http), "-dns-port", str(dns),
                 "-serf-lan-port", str(serf_lan), "-serf-wan-port", str(serf_wan),
                 "-server-port", str(server), "-grpc-port", str(grpc)],
                cwd=os.path.join(self.tmp, "agent"), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=preexec)

    def agent_log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop_agent(self):
        p, self.agent = self.agent, None
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    async def connect(self, factory):
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(factory, "127.0.0.1", self.port)
        return proto

    async def wait_leader(self, timeout_s):
        """Polls /v1/status/leader until it answers 200 with a leader address; fails if the agent dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.agent.poll() is not None:
                break
            try:
                c = await asyncio.wait_for(self.connect(lambda: HTTPConn(self.host_header)), 1)
                try:
                    _, fut = c.request("GET", "/v1/status/leader")
                    r = await asyncio.wait_for(fut, 1)
                finally:
                    c.close()
                if r.status == 200 and r.body.strip() not in (b'""', b""):
                    return
            except (OSError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.01)
        code = self.agent.poll()
        why = f"exited with status {code}" if code is not None else f"reported no leader within {timeout_s} s"
        die(f"agent {why} (GET /v1/status/leader); its log:\n{self.agent_log_tail()}")

    async def call(self, conn, method, path, body=b"", timeout=30):
        t0, fut = conn.request(method, path, body)
        r = await asyncio.wait_for(fut, timeout)
        return r, (r.t_ns - t0) / 1e6

    # ---- the phases ----
    async def register_all(self):
        self.conns = [await self.connect(lambda: HTTPConn(self.host_header)) for _ in range(REGISTER_CONNECTIONS)]
        todo = iter(range(SERVICES))
        latencies = []

        async def worker(conn):
            for i in todo:
                r, ms = await self.call(conn, "PUT", "/v1/catalog/register", register_body(i, "passing"))
                if r.status != 200 or r.body.strip() != b"true":
                    die(f"register svc-{i}: HTTP {r.status} {r.body[:200]!r}")
                latencies.append(ms)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in self.conns))
        elapsed = time.perf_counter() - t0
        return SERVICES / elapsed, sorted(latencies)

    async def current_indexes(self):
        """Each service's X-Consul-Index, after checking it has one passing instance."""
        indexes = {}
        todo = iter(range(SERVICES))

        async def worker(conn):
            for s in todo:
                r, _ = await self.call(conn, "GET", f"/v1/health/service/svc-{s}")
                rows = json.loads(r.body) if r.status == 200 else None
                if not rows or len(rows) != 1 or [c["Status"] for c in rows[0]["Checks"]] != ["passing"]:
                    die(f"GET /v1/health/service/svc-{s}: unexpected answer HTTP {r.status} {r.body[:300]!r}")
                if r.index <= 0:
                    die(f"GET /v1/health/service/svc-{s}: no X-Consul-Index")
                indexes[s] = r.index

        await asyncio.gather(*(worker(c) for c in self.conns))
        return indexes

    async def open_watchers(self, n, indexes):
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(i):
            async with sem:
                w = await self.connect(lambda: Watcher(self.host_header, self, i % SERVICES))
            w.arm(indexes[w.service])
            return w

        pid = self.agent.pid
        base_fds = fd_count(pid)
        t0 = time.perf_counter()
        self.watchers = await asyncio.gather(*(one(i) for i in range(n)))
        for w in self.watchers:
            self.by_service.setdefault(w.service, []).append(w)
        # All connected and their GETs written; wait until the agent holds them all, then let it settle.
        deadline = time.monotonic() + 30
        while fd_count(pid) < base_fds + n and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(1)
        return elapsed

    async def agent_cpu(self, seconds):
        pid = self.agent.pid
        c0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        c1, t1 = cpu_seconds(pid), time.monotonic()
        return (c1 - c0) / (t1 - t0)

    async def wake_rounds(self, rounds):
        loop = asyncio.get_running_loop()
        conn = self.conns[0]
        status = {}
        latencies, put_latencies, stale, unarmed = [], [], 0, 0
        for r in range(rounds):
            s = (r * 7) % SERVICES            # 7 is coprime with 1000: the first 1000 rounds hit distinct services
            ws = self.by_service.get(s, [])
            armed = [w for w in ws if w.armed]
            unarmed += len(ws) - len(armed)
            if not armed:
                continue
            new = "critical" if status.get(s, "passing") == "passing" else "passing"
            status[s] = new
            self.round_service, self.round_pending, self.round_done = s, len(armed), loop.create_future()
            t0, put = conn.request("PUT", "/v1/catalog/register", register_body(s, new))
            try:
                await asyncio.wait_for(asyncio.gather(self.round_done, put), 10)
            except asyncio.TimeoutError:
                die(f"round {r}: svc-{s} changed but {self.round_pending} of {len(armed)} watchers were not "
                    f"answered within 10 s")
            pr = put.result()
            if pr.status != 200 or pr.body.strip() != b"true":
                die(f"round {r}: PUT svc-{s} -> HTTP {pr.status} {pr.body[:200]!r}")
            self.round_service, self.round_done = None, None
            latencies.append((max(w.last.t_ns for w in armed) - t0) / 1e6)
            put_latencies.append((pr.t_ns - t0) / 1e6)
            # Off the clock: every answer must show the new status; then re-arm with the new index.
            for w in armed:
                rows = json.loads(w.last.body) if w.last.status == 200 else []
                if not rows or [c["Status"] for c in rows[0]["Checks"]] != [new] or w.last.index <= w.index:
                    stale += 1
                if w.last.status == 200:
                    w.arm(w.last.index)
            await asyncio.sleep(0.01)   # let the re-arms land before the next change
        return sorted(latencies), sorted(put_latencies), stale, unarmed

    def close_all(self):
        for c in self.watchers:
            c.close()
        for c in self.conns:
            c.close()
        self.watchers, self.conns = [], []


async def run(binary, tmp):
    want_watchers = env_int("BENCH_WATCHERS", 10000)
    rounds = env_int("BENCH_ROUNDS", 200)
    idle_seconds = env_int("BENCH_IDLE_SECONDS", 5)

    nofile = raise_nofile(want_watchers + REGISTER_CONNECTIONS + FD_SLACK)
    watchers = max(0, min(want_watchers, nofile - REGISTER_CONNECTIONS - FD_SLACK))
    if watchers < SERVICES:
        die(f"RLIMIT_NOFILE is {nofile}: too low for even one watcher per service")

    b = Bench(binary, tmp)
    try:
        start = time.perf_counter()
        b.start_agent(nofile)
        await b.wait_leader(30)
        leader_ms = (time.perf_counter() - start) * 1000
        print(f"bench-catalog: agent pid {b.agent.pid} up in {leader_ms:.0f} ms, fd limit {nofile_of(b.agent.pid)}",
              file=sys.stderr)

        print(f"bench-catalog: registering {SERVICES} services over {REGISTER_CONNECTIONS} connections",
              file=sys.stderr)
        reg_rate, reg_lat = await b.register_all()
        indexes = await b.current_indexes()

        baseline_cores = await b.agent_cpu(BASELINE_SECONDS)
        rss_before = rss_mb(b.agent.pid)

        print(f"bench-catalog: opening {watchers} blocking watchers", file=sys.stderr)
        gc.collect(); gc.freeze()   # 10k long-lived objects: keep the collector off the latency path
        open_s = await b.open_watchers(watchers, indexes)
        agent_fds = fd_count(b.agent.pid)
        early_after_open = b.spurious

        print(f"bench-catalog: measuring agent CPU for {idle_seconds} s with {watchers} idle watchers",
              file=sys.stderr)
        spurious0 = b.spurious
        idle_cores = await b.agent_cpu(idle_seconds)
        idle_answers = b.spurious - spurious0
        rss_watching = rss_mb(b.agent.pid)

        print(f"bench-catalog: {rounds} wake-up rounds", file=sys.stderr)
        wake, puts, stale, unarmed = await b.wake_rounds(rounds)
        rss_after = rss_mb(b.agent.pid)
        if b.agent.poll() is not None:
            die(f"the agent exited during the run; its log:\n{b.agent_log_tail()}")
    finally:
        b.close_all()
        b.stop_agent()

    # ---- report ----
    lo, hi = watchers // SERVICES, -(-watchers // SERVICES)
    per_service = f"{lo}" if lo == hi else f"{lo}–{hi}"
    wp50, wp99, wmax = percentile(wake, 50), percentile(wake, 99), (wake[-1] if wake else float("nan"))
    idle_ok = idle_cores <= TARGET_IDLE_CORES
    wake_ok = bool(wake) and wp99 <= TARGET_WAKE_P99_MS
    verdict = lambda ok: "PASS" if ok else "MISS"
    notes_wake = []
    if stale:
        notes_wake.append(f"{stale} answers without the new status/index")
    if unarmed:
        notes_wake.append(f"{unarmed} watchers not armed at their round")
    if b.errors:
        notes_wake.append(f"{len(b.errors)} non-200 answers")

    rows = [
        ("register (PUT /v1/catalog/register)", f"{reg_rate:.0f} registrations/s",
         f"{SERVICES} services, {REGISTER_CONNECTIONS} keep-alive connections; "
         f"p50 {percentile(reg_lat, 50):.2f} ms, p99 {percentile(reg_lat, 99):.2f} ms"),
        ("open + arm blocking watchers", f"{open_s:.2f} s",
         f"{watchers} connections ({watchers / open_s:.0f}/s); agent holds {agent_fds} fds; "
         f"{early_after_open} answered early"),
        ("agent CPU, idle, no watchers", f"{baseline_cores:.3f} cores", f"{BASELINE_SECONDS} s; RSS {rss_before:.1f} MB"),
        (f"agent CPU, idle, {watchers} watchers", f"{idle_cores:.3f} cores",
         f"{idle_seconds} s; RSS {rss_watching:.1f} MB; {idle_answers} watchers answered meanwhile"),
        ("wake-up latency p50", f"{wp50:.2f} ms", f"{len(wake)} rounds, {per_service} watchers per service"),
        ("wake-up latency p99", f"{wp99:.2f} ms", "; ".join(notes_wake)),
        ("wake-up latency max", f"{wmax:.2f} ms", ""),
        ("PUT (status flip) answered, p50 / p99", f"{percentile(puts, 50):.2f} / {percentile(puts, 99):.2f} ms",
         f"RSS after rounds {rss_after:.1f} MB"),
    ]
    print()
    print(f"## consul catalog/health bench — {os.path.basename(binary)}, {SERVICES} services, "
          f"{watchers} blocking watchers, {os.cpu_count()} CPUs")
    print()
    if watchers < want_watchers:
        print(f"Note: RLIMIT_NOFILE allows {nofile} fds, so {watchers} watchers ran instead of {want_watchers}.")
        print()
    print("| measurement | value | notes |")
    print("|---|---:|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print()
    print(f"- agent CPU with {watchers} idle watchers: {idle_cores:.3f} cores "
          f"(target ≤ {TARGET_IDLE_CORES} core) — {verdict(idle_ok)}")
    print(f"- wake-up p99 (PUT sent → all {per_service} watchers of the service answered): {wp99:.2f} ms "
          f"(target ≤ {TARGET_WAKE_P99_MS:g} ms) — {verdict(wake_ok)}")
    if b.errors:
        print(f"- watcher errors: {len(b.errors)}, first: {b.errors[0]}")
    if b.lost_watchers:
        print(f"- watchers disconnected by the agent: {b.lost_watchers}")


def main():
    if len(sys.argv) != 2:
        die(f"usage: {sys.argv[0]} BINARY   (env BENCH_WATCHERS=10000 BENCH_ROUNDS=200 BENCH_IDLE_SECONDS=5)", 2)
    binary = os.path.abspath(sys.argv[1])
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        die(f"{sys.argv[1]} is not an executable", 2)
    # SIGTERM and Ctrl-C unwind through the finally blocks, which stop the agent and remove the temp dir.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="consul-bench-catalog.", dir=os.environ.get("TMPDIR") or "/tmp")
    try:
        asyncio.run(run(binary, tmp))
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
