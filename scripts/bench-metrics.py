#!/usr/bin/env python3
"""What metrics cost: GET /v1/kv at c=64 on -dev and PUT /v1/kv at c=64 on a 3-server durable
cluster, with metrics on (the default) and off (`telemetry { filter_default = false }`: every
metric dropped), interleaved rounds in one run. Reports requests/s and requests per agent
CPU-second (less sensitive to this 2-core box's scheduling noise); the agents run on CPU 0 and
wrk on CPU 1 (taskset), so they do not trade places. Target: metrics on costs <= 3 % (median of
the rounds).

Second part, immune to that noise: the agent's own instructions per request, counted by
valgrind's callgrind (deterministic for the same binary and load) while wrk runs: GET on -dev
and PUT on a durable single server (Raft, SQLite log, fsync), metrics on vs off, 2 runs each.

Usage: scripts/bench-metrics.py BINARY   (env METRICS_ROUNDS=4, METRICS_SECONDS=8, METRICS_CG_SECONDS=5)
"""
import glob, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROUNDS = int(os.environ.get("METRICS_ROUNDS", "4"))
CG_SECONDS = int(os.environ.get("METRICS_CG_SECONDS", "5"))
SECONDS = int(os.environ.get("METRICS_SECONDS", "8"))
TARGET_PCT = 3.0
PINNED = os.cpu_count() and os.cpu_count() >= 2 and shutil.which("taskset")
PIN_AGENT = ["taskset", "-c", "0"] if PINNED else []
PIN_LOAD = ["taskset", "-c", "1"] if PINNED else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_leader(port):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if len(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/status/leader", timeout=1).read()) > 2:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("bench-metrics: no leader")


def start_agents(binary, tmp, off, cluster):
    conf = os.path.join(tmp, "telemetry.hcl")
    with open(conf, "w") as f:
        f.write("telemetry {\n  filter_default = false\n}\n" if off else "telemetry {\n  disable_hostname = true\n}\n")
    procs, http = [], []
    count = 3 if cluster else 1
    first_serf = None
    for i in range(count):
        ports = {n: free_port() for n in ["http-port", "dns-port", "serf-lan-port", "serf-wan-port", "server-port"]}
        args = [binary, "agent", "-config-file", conf, "-grpc-port", "-1", "-log-level", "warn", "-bind", "127.0.0.1"]
        if cluster:
            args += ["-server", "-bootstrap-expect", "3", "-node", f"b{i}", "-data-dir", os.path.join(tmp, f"d{i}-{time.time_ns()}")]
            if first_serf:
                args += ["-retry-join", f"127.0.0.1:{first_serf}", "-retry-interval", "1s"]
            else:
                first_serf = ports["serf-lan-port"]
        else:
            args += ["-dev"]
        for name, port in ports.items():
            args += ["-" + name, str(port)]
        log = open(os.path.join(tmp, f"agent-{i}.log"), "w")
        procs.append(subprocess.Popen(PIN_AGENT + args, stdout=log, stderr=subprocess.STDOUT))
        http.append(ports["http-port"])
    try:
        wait_leader(http[0])
    except RuntimeError:
        for p in procs:
            p.terminate()
        for i in range(count):
            with open(os.path.join(tmp, f"agent-{i}.log")) as f:
                sys.stderr.write(f"--- agent {i}\n" + "".join(f.readlines()[-15:]))
        sys.exit("bench-metrics: no leader")
    return procs, http


def run(binary, tmp, off, cluster):
    procs, http = start_agents(binary, tmp, off, cluster)
    try:
        port = http[0]
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/kv/bench", data=b"hello", method="PUT")).read()
        script = os.path.join(tmp, "put.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "PUT"\nwrk.body = "value"\n')
        args = PIN_LOAD + ["wrk", "-t1", "-c64", f"-d{SECONDS}s"] + (["-s", script] if cluster else []) + [f"http://127.0.0.1:{port}/v1/kv/bench"]
        pids = [p.pid for p in procs]
        c0 = cpu_seconds(pids)
        out = subprocess.run(args, capture_output=True, text=True).stdout
        c1 = cpu_seconds(pids)
        total = int(re.search(r"(\d+) requests in", out).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        return rps, total / max(c1 - c0, 1e-9)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def instructions_per_request(binary, tmp, off, durable):
    """The agent's instructions (callgrind Ir, every thread) from just before to just after a
    wrk run, divided by the requests wrk completed."""
    conf = os.path.join(tmp, "telemetry-cg.hcl")
    with open(conf, "w") as f:
        f.write("telemetry {\n  filter_default = false\n}\n" if off else "telemetry {\n  disable_hostname = true\n}\n")
    ports = {n: free_port() for n in ["http-port", "dns-port", "serf-lan-port", "serf-wan-port", "server-port"]}
    out = os.path.join(tmp, f"cg-{time.time_ns()}")
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", binary, "agent", "-config-file", conf,
            "-grpc-port", "-1", "-log-level", "warn", "-bind", "127.0.0.1"]
    args += ["-server", "-bootstrap", "-data-dir", out + "-data"] if durable else ["-dev"]
    for name, port in ports.items():
        args += ["-" + name, str(port)]
    log = open(out + ".log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if len(urllib.request.urlopen(f"http://127.0.0.1:{ports['http-port']}/v1/status/leader", timeout=5).read()) > 2:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                sys.exit(f"bench-metrics: agent under valgrind did not start; see {out}.log")
            time.sleep(0.5)
        url = f"http://127.0.0.1:{ports['http-port']}/v1/kv/bench"
        urllib.request.urlopen(urllib.request.Request(url, data=b"hello", method="PUT"), timeout=30).read()
        script = os.path.join(tmp, "put.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "PUT"\nwrk.body = "value"\n')
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], capture_output=True, check=True)
        load = subprocess.run(["wrk", "-t1", "-c16", f"-d{CG_SECONDS}s", "--timeout", "10s"] + (["-s", script] if durable else []) + [url],
                              capture_output=True, text=True).stdout
        subprocess.run(["callgrind_control", "--dump=load", str(proc.pid)], capture_output=True, check=True)
        requests = int(re.search(r"(\d+) requests in", load).group(1))
        dumps = sorted(glob.glob(f"{out}.{proc.pid}.*"))
        with open(dumps[-1]) as f:
            ir = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
        return ir / max(requests, 1)
    finally:
        proc.terminate()
        proc.wait()


def instruction_counts(binary, tmp):
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("\nbench-metrics: valgrind not installed; instruction counts skipped")
        return False
    # valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: count on a copy
    # without debug sections (same code, symbols kept).
    stripped = os.path.join(tmp, "consul-nodebug")
    subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
    print("\n### Metrics overhead in instructions per request (valgrind callgrind, wrk -c16 for %d s, 2 runs each)\n" % CG_SECONDS)
    print("| workload | metrics off | metrics on | cost of metrics |")
    print("|---|---|---|---|")
    missed = False
    for name, durable in [("GET /v1/kv, -dev", False), ("PUT /v1/kv, durable single server", True)]:
        counts = {True: [], False: []}
        for _ in range(2):
            for off in (True, False):
                counts[off].append(instructions_per_request(stripped, tmp, off, durable))
        off_ir, on_ir = statistics.mean(counts[True]), statistics.mean(counts[False])
        cost = 100.0 * (on_ir / off_ir - 1)
        ok = cost <= TARGET_PCT
        missed |= not ok
        print("| %s | %s | %s | %.2f %% (target <= %.0f %%) %s |" % (
            name, " / ".join("%.0f" % c for c in counts[True]), " / ".join("%.0f" % c for c in counts[False]),
            cost, TARGET_PCT, "PASS" if ok else "MISS"))
    return missed


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="consul-metrics-bench.")
    try:
        print("\n### Metrics overhead: on (default) vs off (filter_default = false), %d interleaved rounds of %d s\n" % (ROUNDS, SECONDS))
        print("| workload | metrics | requests/s (median) | requests per agent CPU-second (median) |")
        print("|---|---|---|---|")
        missed = False
        for name, cluster in [("GET /v1/kv c=64, -dev", False), ("PUT /v1/kv c=64, 3 durable servers", True)]:
            results = {False: [], True: []}
            for i in range(ROUNDS):
                # Alternate which goes first, so warm-up and drift do not favour one side.
                for off in ((True, False) if i % 2 == 0 else (False, True)):
                    results[off].append(run(binary, tmp, off, cluster))
            med = {off: (statistics.median(r[0] for r in results[off]), statistics.median(r[1] for r in results[off])) for off in results}
            for off in (True, False):
                print("| %s | %s | %.0f | %.0f |" % (name, "off" if off else "on", med[off][0], med[off][1]))
            cost = 100.0 * (1 - med[False][1] / med[True][1])
            ok = cost <= TARGET_PCT
            missed |= not ok
            print("| %s | cost of metrics (CPU per request) | | %.1f %% (target <= %.0f %%) %s |" % (name, cost, TARGET_PCT, "PASS" if ok else "MISS"))
        missed |= instruction_counts(binary, tmp)
        if missed:
            print("\nbench-metrics: a target was missed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
