#!/usr/bin/env python3
"""Snapshot benchmark (docs/snapshot.md): a durable single server loaded with 100,000 KV keys
(values 100-2,000 bytes of JSON- and text-like content) and 10,000 service instances, then
`consul snapshot save` and `consul snapshot restore` timed, the archive's size against the raw
bytes, and the agent's peak RSS (VmHWM, reset before each phase through /proc/PID/clear_refs)
during save and restore against its RSS once loaded. etcd, started in the same run with the same
keys, is timed doing `etcdctl snapshot save` for comparison.

Usage: scripts/bench-snapshot.py BINARY   (env SNAP_KEYS=100000 SNAP_SERVICES=10000)
Prints a Markdown table and PASS/MISS per target; exits 1 on a miss."""
import base64, http.client, json, os, random, shutil, socket, subprocess, sys, tempfile, time

TARGET_SAVE_S, TARGET_RESTORE_S, TARGET_ARCHIVE_PCT, TARGET_RSS_RATIO = 1.0, 2.0, 40, 2.0
KEYS = int(os.environ.get("SNAP_KEYS", "100000"))
SERVICES = int(os.environ.get("SNAP_SERVICES", "10000"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


WORDS = ("service replica region primary standby timeout retries endpoint cache backend "
         "frontend worker queue shard tenant deploy canary health metrics tracing").split()
TEAMS = ["payments", "search", "identity", "platform", "checkout", "ledger", "media", "growth"]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"]


def pad_json(doc, target, rng, key="env"):
    """Adds environment-style entries until the JSON reaches `target` bytes."""
    i = 0
    while len(json.dumps(doc)) < target:
        doc.setdefault(key, {})["%s_%s_%d" % (rng.choice(WORDS).upper(), rng.choice(WORDS).upper(), i)] = (
            rng.choice(["true", "false", str(rng.randint(1, 5000)), "%s.%s.internal" % (rng.choice(WORDS), rng.choice(REGIONS)),
                        "https://%s.example.com/%s" % (rng.choice(WORDS), rng.choice(WORDS))]))
        i += 1
    return json.dumps(doc)


def value(rng):
    """What KV stores hold, 100-2,000 bytes: service configs and feature flags (JSON of a few
    schemas with varying values), config-file and log text, and a tenth of base64 secrets
    (certificates, tokens), which barely compress."""
    target = rng.randint(100, 2000)
    kind = rng.random()
    if kind < 0.45:
        name = "%s-%s" % (rng.choice(TEAMS), rng.choice(WORDS))
        text = pad_json({"service": name, "replicas": rng.randint(1, 12), "owner": rng.choice(TEAMS),
                         "image": "registry.example.com/%s/%s:%d.%d.%d" % (rng.choice(TEAMS), name, rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 99)),
                         "resources": {"cpu": "%dm" % rng.choice([100, 250, 500, 1000]), "memory": "%dMi" % rng.choice([128, 256, 512, 1024])},
                         "region": rng.choice(REGIONS), "updated": "2026-%02d-%02dT%02d:%02d:00Z" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))},
                        target, rng)
    elif kind < 0.70:
        text = pad_json({"flag": "%s-%s-v%d" % (rng.choice(TEAMS), rng.choice(WORDS), rng.randint(1, 4)), "enabled": rng.random() < 0.5,
                         "rollout": rng.randint(0, 100), "segments": rng.sample(REGIONS, rng.randint(1, 3)),
                         "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))}, target, rng, key="rules")
    elif kind < 0.90:
        lines = []
        while sum(len(l) + 1 for l in lines) < target:
            lines.append(rng.choice([
                "%s = %s" % (rng.choice(WORDS), rng.choice(["on", "off", str(rng.randint(1, 65535)), rng.choice(REGIONS)])),
                "[%s.%s]" % (rng.choice(WORDS), rng.choice(WORDS)),
                "2026-12-%02dT%02d:%02d:%02dZ level=%s msg=\"%s\" id=%08x" % (rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                    rng.choice(["info", "warn", "debug"]), " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))), rng.getrandbits(32))]))
        text = "\n".join(lines)
    else:
        blob = base64.b64encode(rng.randbytes(target * 3 // 4)).decode()
        text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(blob[i:i + 64] for i in range(0, len(blob), 64))
    return text[:target].encode()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="consul-snap-bench.")
    procs = []
    try:
        ports = {n: free_port() for n in ["http-port", "dns-port", "serf-lan-port", "serf-wan-port", "server-port", "grpc-port"]}
        args = [binary, "agent", "-server", "-bootstrap", "-data-dir", tmp + "/data", "-bind", "127.0.0.1", "-log-level", "warn"]
        for name, port in ports.items():
            args += ["-" + name, str(port)]
        agent = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(agent)
        http_port = ports["http-port"]
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)

        def call(method, path, body=None):
            conn.request(method, path, body=body)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
            return data

        deadline = time.time() + 30
        while True:
            try:
                if call("GET", "/v1/status/leader").strip(b'"'):
                    break
            except Exception:
                conn.close()
            if time.time() > deadline:
                sys.exit("bench-snapshot: the agent did not elect itself")
            time.sleep(0.1)

        rng = random.Random(42)
        raw = 0
        ops = []
        pairs = []
        for i in range(KEYS):
            key = "app/%s-%d/config/%d" % (rng.choice(WORDS), i % 500, i)
            v = value(rng)
            raw += len(key) + len(v)
            pairs.append((key, v))
            ops.append({"KV": {"Verb": "set", "Key": key, "Value": base64.b64encode(v).decode()}})
            if len(ops) == 64:
                call("PUT", "/v1/txn", json.dumps(ops))
                ops = []
        if ops:
            call("PUT", "/v1/txn", json.dumps(ops))
        for i in range(SERVICES):
            body = json.dumps({"Node": "node-%d" % (i % 1000), "Address": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256),
                               "Service": {"ID": "svc-%d" % i, "Service": "svc-%d" % (i % 200), "Port": 20000 + i % 1000,
                                           "Tags": ["v%d" % (i % 3), "zone-%d" % (i % 4)], "Meta": {"version": "1.%d" % (i % 10)}},
                               "Check": {"CheckID": "svc-%d:alive" % i, "Name": "alive", "Status": "passing", "ServiceID": "svc-%d" % i}})
            raw += len(body)
            call("PUT", "/v1/catalog/register", body)
        conn.close()
        time.sleep(1)
        loaded_kb = rss_kb(agent.pid, "VmRSS")

        env = dict(os.environ, CONSUL_HTTP_ADDR="127.0.0.1:%d" % http_port)
        archive_path = tmp + "/backup.snap"
        reset_peak(agent.pid)
        t0 = time.monotonic()
        out = subprocess.run([binary, "snapshot", "save", archive_path], env=env, capture_output=True, text=True)
        save_s = time.monotonic() - t0
        if out.returncode != 0:
            sys.exit("bench-snapshot: save failed: " + out.stderr)
        save_peak_kb = rss_kb(agent.pid, "VmHWM")
        archive_bytes = os.path.getsize(archive_path)
        if os.environ.get("SNAP_KEEP"):
            shutil.copy(archive_path, os.environ["SNAP_KEEP"])

        # Change some keys so the restore has something to undo.
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
        for key, _ in pairs[:100]:
            call("PUT", "/v1/kv/" + key, b"changed")
        conn.close()
        time.sleep(0.5)
        before_restore_kb = rss_kb(agent.pid, "VmRSS")
        reset_peak(agent.pid)
        t0 = time.monotonic()
        out = subprocess.run([binary, "snapshot", "restore", archive_path], env=env, capture_output=True, text=True)
        restore_s = time.monotonic() - t0
        if out.returncode != 0:
            sys.exit("bench-snapshot: restore failed: " + out.stderr)
        restore_peak_kb = rss_kb(agent.pid, "VmHWM")
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
        key, v = pairs[0]
        got = json.loads(call("GET", "/v1/kv/" + key))[0]["Value"]
        conn.close()
        if base64.b64decode(got) != v:
            sys.exit("bench-snapshot: restored value differs")

        etcd_line = etcd_compare(tmp, pairs, procs)

        pct = 100.0 * archive_bytes / raw
        ratio = restore_peak_kb / loaded_kb
        rows = [
            ("save (consul snapshot save, download + verify)", "%.2f s" % save_s, "<= %.1f s" % TARGET_SAVE_S, save_s <= TARGET_SAVE_S),
            ("restore (consul snapshot restore, verify + commit)", "%.2f s" % restore_s, "<= %.1f s" % TARGET_RESTORE_S, restore_s <= TARGET_RESTORE_S),
            ("archive size vs raw bytes", "%.1f MB / %.1f MB = %.0f %%" % (archive_bytes / 1e6, raw / 1e6, pct), "<= %d %%" % TARGET_ARCHIVE_PCT, pct <= TARGET_ARCHIVE_PCT),
            ("agent RSS loaded", "%.0f MB" % (loaded_kb / 1024), "", None),
            ("peak RSS during save", "%.0f MB" % (save_peak_kb / 1024), "", None),
            ("peak RSS during restore vs loaded", "%.0f MB = %.2fx (%.0f MB before)" % (restore_peak_kb / 1024, ratio, before_restore_kb / 1024),
             "<= %.1fx" % TARGET_RSS_RATIO, ratio <= TARGET_RSS_RATIO),
        ]
        print("\n### Snapshots: %d keys, %d service instances\n" % (KEYS, SERVICES))
        print("| measure | value | target | |")
        print("|---|---|---|---|")
        missed = False
        for name, val, target, ok in rows:
            mark = "" if ok is None else ("PASS" if ok else "MISS")
            missed |= ok is False
            print(f"| {name} | {val} | {target} | {mark} |")
        print("| etcd 3.4 `etcdctl snapshot save`, same keys | %s | | |" % etcd_line)
        sys.exit(1 if missed else 0)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def etcd_compare(tmp, pairs, procs):
    """etcd with the same keys: time and size of its own snapshot save."""
    etcd, etcdctl = shutil.which("etcd"), shutil.which("etcdctl")
    if not etcd or not etcdctl:
        return "not installed (make bench-deps)"
    client, peer = free_port(), free_port()
    endpoint = "http://127.0.0.1:%d" % client
    p = subprocess.Popen([etcd, "--data-dir", tmp + "/etcd", "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                          "--listen-peer-urls", "http://127.0.0.1:%d" % peer, "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                          "--initial-cluster", "default=http://127.0.0.1:%d" % peer, "--quota-backend-bytes", str(8 << 30)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    conn = http.client.HTTPConnection("127.0.0.1", client, timeout=60)
    deadline = time.time() + 20
    while True:
        try:
            conn.request("GET", "/health")
            if conn.getresponse().read():
                break
        except Exception:
            conn.close()
        if time.time() > deadline:
            return "did not start"
        time.sleep(0.1)
    for i in range(0, len(pairs), 128):
        success = [{"requestPut": {"key": base64.b64encode(k.encode()).decode(), "value": base64.b64encode(v).decode()}}
                   for k, v in pairs[i:i + 128]]
        conn.request("POST", "/v3/kv/txn", json.dumps({"success": success}))
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            return "load failed: %d" % r.status
    conn.close()
    t0 = time.monotonic()
    out = subprocess.run([etcdctl, "--endpoints", endpoint, "snapshot", "save", tmp + "/etcd.db"],
                         env=dict(os.environ, ETCDCTL_API="3"), capture_output=True, text=True)
    took = time.monotonic() - t0
    if out.returncode != 0:
        return "save failed: " + out.stderr.strip()[:80]
    return "%.2f s, %.1f MB (uncompressed bolt db)" % (took, os.path.getsize(tmp + "/etcd.db") / 1e6)


if __name__ == "__main__":
    main()
