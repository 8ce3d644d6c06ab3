#!/usr/bin/env python3
"""Browser test of the web UI against the real binary.

Starts a 3-server cluster of BINARY on 127.0.0.1 (free ports, -ui), registers services with
TTL checks, and drives Debian's chromium headless through Playwright: services list and
filters, a service's instances and check output, a check turning critical shown within 2 s
without a reload (blocking queries), back/forward, nodes, a node's detail, the servers page, KV
(folder, key, edit, a conflicting PUT by another client reported, delete) with awkward keys and
values, and deep links. Exits 0 on success, 1 on failure (naming the failed step); 77 when
Playwright or chromium are missing, unless CI=true, where that is a failure.

Usage: Tests/browser/ui_browser_test.py --binary PATH [--screenshots DIR] [--ui-dir DIR] [--headed]
"""
import argparse, base64, contextlib, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import http.client, urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LEADER_TIMEOUT = 60


def fail_setup(msg):
    if os.environ.get("CI", "").lower() == "true":
        print(f"FAIL setup: {msg}")
        sys.exit(1)
    print(f"SKIP: {msg}")
    sys.exit(77)


try:
    from playwright.sync_api import sync_playwright, expect
except ImportError:
    fail_setup("python playwright is not installed (python3 -m pip install playwright)")
if not os.path.exists(CHROMIUM):
    fail_setup(f"{CHROMIUM} is missing (apt-get install -y chromium)")


class StepFailed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    def __init__(self, binary, tmp, name, join=None, ui_dir=None, extra=("-bootstrap-expect", "3")):
        self.name = name
        self.ports = {k: free_port() for k in ["http-port", "dns-port", "serf-lan-port", "serf-wan-port", "server-port", "grpc-port"]}
        args = [binary, "agent", "-server", *extra, "-data-dir", os.path.join(tmp, name), "-node", name,
                "-bind", "127.0.0.1", "-log-level", "info"] + (["-ui-dir", ui_dir] if ui_dir else ["-ui"])
        for k, v in self.ports.items():
            args += ["-" + k, str(v)]
        if join:
            args += ["-retry-join", f"127.0.0.1:{join}", "-retry-interval", "1s"]
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.http = self.ports["http-port"]

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def tail(self, n=15):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-n:])


class Client:
    """One keep-alive HTTP connection to an agent (another client than the browser)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise

    def ok(self, method, path, body=None):
        status, data = self.call(method, path, body)
        if status != 200:
            raise StepFailed(f"{method} {path} -> {status}: {data[:200]!r}")
        return data

    def json(self, path):
        return json.loads(self.ok("GET", path))

    def kv_raw(self, key):
        """The stored bytes of a key, or None."""
        status, data = self.call("GET", "/v1/kv/" + urllib.parse.quote(key, safe="") + "?raw")
        return data if status == 200 else None


def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except StepFailed:
            raise
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(0.2)
    raise StepFailed(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last})" if last else ""))


PASSED = []


@contextlib.contextmanager
def step(name):
    t = time.time()
    try:
        yield
    except Exception as e:
        raise StepFailed(f"{name}: {e}") from e
    PASSED.append(name)
    print(f"ok   {name} ({time.time() - t:.1f}s)", flush=True)


def start_cluster(binary, tmp, ui_dir=None):
    agents = [Agent(binary, tmp, "s1", ui_dir=ui_dir)]
    join = agents[0].ports["serf-lan-port"]
    agents += [Agent(binary, tmp, "s2", join, ui_dir), Agent(binary, tmp, "s3", join, ui_dir)]
    # A second datacenter, WAN-joined to s1, for the datacenter switcher (?dc=).
    agents.append(Agent(binary, tmp, "d2", None, ui_dir, ("-bootstrap-expect", "1", "-datacenter", "dc2",
                                                         "-retry-join-wan", f"127.0.0.1:{agents[0].ports['serf-wan-port']}",
                                                         "-retry-interval", "1s")))
    return agents


def run(args, agents, shots):
    c = Client(agents[0].http)
    base = f"http://127.0.0.1:{agents[0].http}"

    with step("cluster elects a leader and every agent knows it"):
        def leader_known(a):
            if a.proc.poll() is not None:
                raise StepFailed(f"agent {a.name} exited with status {a.proc.returncode}")
            try:
                return len(Client(a.http).ok("GET", "/v1/status/leader")) > 4
            except OSError:
                return False
        for a in agents:
            wait_for(f"a leader on {a.name}", lambda a=a: leader_known(a), LEADER_TIMEOUT)
        wait_for("3 nodes in the catalog", lambda: len(c.json("/v1/catalog/nodes")) == 3, 30)
        wait_for("dc2 known to dc1 (WAN)", lambda: "dc2" in c.json("/v1/catalog/datacenters"), 30)
        wait_for("3 Raft peers", lambda: len(c.json("/v1/operator/raft/configuration")["Servers"]) == 3, 30)

    with step("register services and checks"):
        c2 = Client(agents[1].http)
        regs = [
            (c, {"Name": "web", "ID": "web-1", "Port": 8080, "Tags": ["v1", "primary"], "Meta": {"version": "1.2.0"},
                 "Check": {"CheckID": "web-1-ttl", "Name": "web-1 HTTP", "TTL": "10m"}}),
            (c2, {"Name": "web", "ID": "web-2", "Port": 8081, "Tags": ["v1"], "Check": {"CheckID": "web-2-ttl", "Name": "web-2 HTTP", "TTL": "10m"}}),
            (c, {"Name": "api", "ID": "api-1", "Port": 9000, "Tags": ["grpc"], "Check": {"CheckID": "api-ttl", "Name": "api load", "TTL": "10m"}}),
            (c, {"Name": "db", "ID": "db-1", "Port": 5432, "Tags": ["primary"], "Check": {"CheckID": "db-ttl", "Name": "db replication", "TTL": "10m"}}),
        ]
        for cl, body in regs:
            cl.ok("PUT", "/v1/agent/service/register", body)
        c.ok("PUT", "/v1/agent/check/pass/web-1-ttl?note=" + urllib.parse.quote("HTTP GET /health: 200 OK"))
        c2.ok("PUT", "/v1/agent/check/pass/web-2-ttl?note=" + urllib.parse.quote("HTTP GET /health: 200 OK"))
        c.ok("PUT", "/v1/agent/check/warn/api-ttl?note=" + urllib.parse.quote("load average 7.5 above 4"))
        c.ok("PUT", "/v1/agent/check/fail/db-ttl?note=" + urllib.parse.quote("replication lag 45s exceeds 10s"))
        Client(agents[3].http).ok("PUT", "/v1/agent/service/register", {"Name": "billing", "ID": "billing-1", "Port": 7000,
                                                                         "Check": {"CheckID": "billing-ttl", "Name": "billing", "TTL": "10m"}})
        wait_for("billing in dc2 through dc1", lambda: "billing" in c.json("/v1/catalog/services?dc=dc2"), 15)
        sess = json.loads(c.ok("PUT", "/v1/session/create", {"Name": "ui-test-lock", "Node": "s1"}))["ID"]
        wait_for("services in the catalog", lambda: {"web", "api", "db"} <= set(c.json("/v1/catalog/services")), 10)

    with step("the agent serves /ui/ with the placeholders filled in"):
        status, body = c.call("GET", "/ui/")
        if status != 200 or b'<script type="module"' not in body:
            raise StepFailed(f"GET /ui/ -> {status}")
        if (b"%CONTENT_PATH%" in body or b"%DATACENTER%" in body or b"%ASSET_VERSION%" in body):
            raise StepFailed("index.html still has a %PLACEHOLDER%")

    if not args.ui_dir:
        with step("serving: gzip, strong ETag, immutable hashed assets, no-cache index, client routes"):
            check_serving(c, body)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=not args.headed, args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(10000)
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        try:
            browse(page, c, base, shots, sess)
        except Exception:
            with contextlib.suppress(Exception):
                if shots:
                    page.screenshot(path=os.path.join(shots, "failure.png"), full_page=True)
                print(f"     (page at failure: {page.url}" + (f", screenshot {shots}/failure.png)" if shots else ")"))
            raise
        finally:
            browser.close()
        if errors:
            raise StepFailed("JavaScript errors on the page: " + "; ".join(errors[:5]))


def check_serving(c, index):
    import re
    m = re.search(rb'src="(/ui/assets/[0-9a-zA-Z]+/js/app\.js)"', index)
    if not m:
        raise StepFailed("index.html has no /ui/assets/<version>/js/app.js")
    asset = m.group(1).decode()
    c.conn.request("GET", "/ui/", headers={"Accept-Encoding": "gzip"})
    r = c.conn.getresponse(); r.read()
    if "no-cache" not in (r.getheader("Cache-Control") or ""):
        raise StepFailed(f"/ui/ Cache-Control is {r.getheader('Cache-Control')!r}, want no-cache")
    c.conn.request("GET", asset, headers={"Accept-Encoding": "gzip"})
    r = c.conn.getresponse(); data = r.read()
    etag, cc = r.getheader("ETag") or "", r.getheader("Cache-Control") or ""
    if r.status != 200 or r.getheader("Content-Encoding") != "gzip":
        raise StepFailed(f"{asset}: status {r.status}, Content-Encoding {r.getheader('Content-Encoding')!r}, want 200 gzip")
    if not etag.startswith('"') or "max-age" not in cc or int(re.search(r"max-age=(\d+)", cc).group(1)) < 86400:
        raise StepFailed(f"{asset}: ETag {etag!r}, Cache-Control {cc!r}: want a strong ETag and a long max-age")
    if not r.getheader("Content-Type", "").startswith("text/javascript"):
        raise StepFailed(f"{asset}: Content-Type {r.getheader('Content-Type')!r}")
    c.conn.request("GET", asset, headers={"If-None-Match": etag})
    r = c.conn.getresponse(); r.read()
    if r.status != 304:
        raise StepFailed(f"{asset} with If-None-Match: {r.status}, want 304")
    for route in ["/ui/dc1/services/web/instances", "/ui/dc1/kv/a/b/edit", "/ui/dc1/nodes/s1/health-checks"]:
        status, page = c.call("GET", route)
        if status != 200 or page != index:
            raise StepFailed(f"{route}: {status}, want index.html")


def svc_row(page, name):
    return page.locator("#svc-rows tr").filter(has=page.get_by_role("link", name=name, exact=True))


def browse(page, c, base, shots, sess):
    shot = (lambda name, full=False: page.screenshot(path=os.path.join(shots, name), full_page=full)) if shots else (lambda *a, **k: None)

    with step("/ui/ goes to /ui/dc1/services and lists services with their health"):
        page.goto(base + "/ui/")
        expect(page).to_have_url(base + "/ui/dc1/services", timeout=5000)
        expect(svc_row(page, "web")).to_contain_text("passing")
        expect(svc_row(page, "api")).to_contain_text("warning")
        expect(svc_row(page, "db")).to_contain_text("critical")
        expect(svc_row(page, "web")).to_contain_text("2")  # instances
        expect(svc_row(page, "web")).to_contain_text("primary")
        shot("services.png")

    with step("services filter by text, health and tag"):
        page.get_by_label("Search").fill("db")
        expect(page.locator("#svc-rows tr")).to_have_count(1)
        expect(svc_row(page, "db")).to_be_visible()
        page.get_by_label("Search").fill("")
        page.get_by_label("Health").select_option("warning")
        expect(page.locator("#svc-rows tr")).to_have_count(1)
        expect(svc_row(page, "api")).to_be_visible()
        page.get_by_label("Health").select_option("")
        page.get_by_label("Tag").select_option("primary")
        expect(page.locator("#svc-rows tr")).to_have_count(2)  # web and db
        page.get_by_label("Tag").select_option("")
        page.get_by_label("Sort").select_option("status:asc")
        expect(page.locator("#svc-rows tr").first).to_contain_text("db")
        page.get_by_label("Sort").select_option("name:asc")
        expect(page.locator("#svc-rows tr").first).to_contain_text("api")

    with step("datacenter switcher: dc2's services through dc1's agent (?dc=dc2)"):
        dc_requests = []
        page.on("request", lambda r: dc_requests.append(r.url) if "/v1/internal/ui/services" in r.url else None)
        page.get_by_label("Datacenter").select_option("dc2")
        expect(page).to_have_url(base + "/ui/dc2/services")
        expect(svc_row(page, "billing")).to_contain_text("critical")  # TTL check not yet passed
        expect(svc_row(page, "web")).to_have_count(0)
        if not any("dc=dc2" in u for u in dc_requests):
            raise StepFailed(f"no ?dc=dc2 on {dc_requests}")
        page.get_by_label("Datacenter").select_option("dc1")
        expect(page).to_have_url(base + "/ui/dc1/services")
        expect(svc_row(page, "web")).to_be_visible()

    with step("open a service: instances with node, address:port, tags, meta, check output"):
        page.get_by_role("link", name="web", exact=True).click()
        expect(page).to_have_url(base + "/ui/dc1/services/web/instances")
        cards = page.locator("section.instance")
        expect(cards).to_have_count(2)
        w1 = page.locator('section.instance[data-instance="web-1"]')
        expect(w1).to_contain_text("s1")
        expect(w1).to_contain_text("127.0.0.1:8080")
        expect(w1).to_contain_text("version=1.2.0")
        expect(w1.locator('[data-check="web-1-ttl"]')).to_contain_text("passing")
        expect(w1.locator('[data-check="web-1-ttl"] pre')).to_have_text("HTTP GET /health: 200 OK")
        expect(page.locator('section.instance[data-instance="web-2"]')).to_contain_text("s2")
        shot("service.png")

    with step("a check turning critical shows on the open page within 2 s, without a reload"):
        page.evaluate("window.__noReload = true")
        page.wait_for_timeout(300)  # let the first blocking query be in flight (not a negative assert)
        t0 = time.time()
        c.ok("PUT", "/v1/agent/check/fail/web-1-ttl?note=" + urllib.parse.quote("HTTP GET /health: 503 Service Unavailable"))
        chk = page.locator('section.instance[data-instance="web-1"] [data-check="web-1-ttl"]')
        expect(chk).to_contain_text("critical", timeout=2000)
        expect(chk.locator("pre")).to_have_text("HTTP GET /health: 503 Service Unavailable", timeout=max(0.1, 2 - (time.time() - t0)) * 1000)
        took = time.time() - t0
        if took > 2:
            raise StepFailed(f"took {took:.2f}s")
        if not page.evaluate("window.__noReload === true"):
            raise StepFailed("the page reloaded")
        print(f"     critical shown {took * 1000:.0f} ms after the API call")

    with step("back and forward"):
        page.go_back()
        expect(page).to_have_url(base + "/ui/dc1/services")
        expect(svc_row(page, "web")).to_contain_text("critical")
        page.go_forward()
        expect(page).to_have_url(base + "/ui/dc1/services/web/instances")
        expect(page.locator("section.instance")).to_have_count(2)

    with step("instance page (from the service page)"):
        page.get_by_role("link", name="web-2", exact=True).click()
        expect(page).to_have_url(base + "/ui/dc1/services/web/instances/s2/web-2/health-checks")
        expect(page.locator("main")).to_contain_text("127.0.0.1:8081")
        expect(page.locator('[data-check="web-2-ttl"]')).to_contain_text("passing")

    with step("nodes page shows the 3 servers with health and one leader"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Nodes").click()
        expect(page).to_have_url(base + "/ui/dc1/nodes")
        expect(page.locator("#node-rows tr")).to_have_count(3)
        for n in ("s1", "s2", "s3"):
            expect(page.locator(f'#node-rows tr[data-node="{n}"]')).to_contain_text("127.0.0.1")
        expect(page.locator("#node-rows .leader")).to_have_count(1)
        expect(page.locator('#node-rows tr[data-node="s1"]')).to_contain_text("critical")  # db-1 on s1
        shot("nodes.png")

    with step("node page: checks, services, lock session, round-trip time, metadata"):
        page.get_by_role("link", name="s1", exact=True).click()
        expect(page).to_have_url(base + "/ui/dc1/nodes/s1/health-checks")
        expect(page.locator("#node-checks")).to_contain_text("Serf Health Status")
        expect(page.locator('#node-checks [data-check="db-ttl"]')).to_contain_text("replication lag 45s exceeds 10s")
        expect(page.locator("#node-services")).to_contain_text("db-1")
        expect(page.locator("#node-sessions")).to_contain_text(sess)
        expect(page.locator("#node-sessions")).to_contain_text("ui-test-lock")
        expect(page.locator("#node-rtt")).to_contain_text(re_any("ms", "own node", "No network coordinates"))
        expect(page.locator("#node-meta")).to_contain_text("consul-version")
        shot("node.png", full=True)

    with step("servers page shows Raft peers, leader, voters, autopilot, failure tolerance"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Servers").click()
        expect(page).to_have_url(base + "/ui/dc1/overview")
        expect(page.locator("tr[data-server]")).to_have_count(3)
        leader = c.json("/v1/operator/raft/configuration")
        lname = [s["Node"] for s in leader["Servers"] if s["Leader"]][0]
        expect(page.locator(f'tr[data-server="{lname}"]')).to_contain_text("Leader")
        expect(page.locator("#ov-cards")).to_contain_text(lname)
        expect(page.locator("#ov-cards .stat").filter(has_text="Failure tolerance")).to_contain_text("1", timeout=30000)
        expect(page.locator("#ov-cards")).to_contain_text("healthy", timeout=30000)
        shot("overview.png")

    with step("KV: create a folder and a key (JSON validated)"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Key/Value").click()
        expect(page).to_have_url(base + "/ui/dc1/kv/")
        page.get_by_role("link", name="Create").click()
        expect(page).to_have_url(base + "/ui/dc1/kv/create")
        page.get_by_label("Key or folder name").fill("ui-test/")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(base + "/ui/dc1/kv/ui-test/")
        if c.kv_raw("ui-test/") is None:
            raise StepFailed("folder ui-test/ not in KV")
        expect(page.locator("#kv-empty")).to_be_visible()
        c.ok("PUT", "/v1/kv/ui-test/from-elsewhere", "x")  # the open folder follows a blocking query
        expect(page.locator('#kv-rows tr[data-key="ui-test/from-elsewhere"]')).to_have_count(1, timeout=2000)
        c.ok("DELETE", "/v1/kv/ui-test/from-elsewhere")
        expect(page.locator('#kv-rows tr[data-key="ui-test/from-elsewhere"]')).to_have_count(0, timeout=2000)
        page.get_by_role("link", name="Create").click()
        expect(page).to_have_url(base + "/ui/dc1/kv/ui-test/create")
        page.get_by_label("Key or folder name").fill("config")
        page.get_by_label("Validate as JSON").check()
        page.get_by_label("Value", exact=True).fill('{"replicas": 1')
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("JSON")
        if c.kv_raw("ui-test/config") is not None:
            raise StepFailed("invalid JSON was saved")
        page.get_by_label("Value", exact=True).fill('{"replicas": 1}')
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(base + "/ui/dc1/kv/ui-test/config/edit")
        wait_for("the key's value", lambda: c.kv_raw("ui-test/config") == b'{"replicas": 1}', 5)
        page.goto(base + "/ui/dc1/kv/ui-test/create")
        page.get_by_label("Key or folder name").fill("config")
        page.get_by_label("Value", exact=True).fill("must not replace the existing value")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("already exists")
        page.get_by_label("Key or folder name").fill("/rooted")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text('cannot start with "/"')
        if c.kv_raw("ui-test/config") != b'{"replicas": 1}':
            raise StepFailed("creating an existing key replaced it")
        page.goto(base + "/ui/dc1/kv/ui-test/config/edit")

    with step("KV: edit a key"):
        expect(page.get_by_label("Value", exact=True)).to_have_value('{"replicas": 1}')
        page.get_by_label("Value", exact=True).fill('{"replicas": 2}')
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("Saved")
        if c.kv_raw("ui-test/config") != b'{"replicas": 2}':
            raise StepFailed(f"stored {c.kv_raw('ui-test/config')!r}")
        page.goto(base + "/ui/dc1/kv/ui-test/")
        expect(page.locator("#kv-rows")).to_contain_text("config")
        page.get_by_role("link", name="config").click()
        expect(page.get_by_label("Value", exact=True)).to_have_value('{"replicas": 2}')
        shot("kv-edit.png")

    with step("KV: a conflicting edit by another client is reported, nothing overwritten"):
        c.ok("PUT", "/v1/kv/ui-test/config", '{"replicas": 5, "by": "someone else"}')
        page.get_by_label("Value", exact=True).fill('{"replicas": 3}')
        page.get_by_role("button", name="Save").click()
        conflict = page.locator("#kv-msg .conflict")
        expect(conflict).to_contain_text("Conflict")
        expect(conflict).to_contain_text('"by": "someone else"')
        if c.kv_raw("ui-test/config") != b'{"replicas": 5, "by": "someone else"}':
            raise StepFailed("the other client's value was overwritten")
        expect(page.get_by_label("Value", exact=True)).to_have_value('{"replicas": 3}')  # mine kept
        page.get_by_role("button", name="Discard mine, load theirs").click()
        expect(page.get_by_label("Value", exact=True)).to_have_value('{"replicas": 5, "by": "someone else"}')
        c.ok("PUT", "/v1/kv/ui-test/config", '{"replicas": 6}')
        page.get_by_label("Value", exact=True).fill('{"replicas": 7}')
        page.get_by_role("button", name="Save").click()
        expect(conflict).to_contain_text("Conflict")
        page.get_by_role("button", name="Overwrite with my value").click()
        expect(page.locator("#kv-msg")).to_contain_text("Saved")
        if c.kv_raw("ui-test/config") != b'{"replicas": 7}':
            raise StepFailed(f"overwrite stored {c.kv_raw('ui-test/config')!r}")

    with step("KV: delete a key and a folder"):
        page.get_by_role("button", name="Delete").click()  # the confirm() dialog is accepted
        expect(page).to_have_url(base + "/ui/dc1/kv/ui-test/")
        wait_for("the key to be gone", lambda: c.kv_raw("ui-test/config") is None, 5)
        page.get_by_role("link", name="Key/Value").first.click()
        expect(page).to_have_url(base + "/ui/dc1/kv/")
        page.locator('#kv-rows tr[data-key="ui-test/"] button').click()
        expect(page.locator('#kv-rows tr[data-key="ui-test/"]')).to_have_count(0)
        wait_for("the folder to be gone", lambda: c.call("GET", "/v1/kv/ui-test/?keys")[0] == 404, 5)

    with step("KV: awkward keys and values are shown and edited without loss"):
        big = ("0123456789abcdef" * 32768).encode()  # 512 KiB
        binv = bytes([0xFF, 0xFE, 0x00, 0x01, 0x80, 0x41])
        odd = {"odd/a b ünï Ωμέγα ключ": "spaces and unicode", "odd/../dots": "dot segment", "odd/crlf": "line1\r\nline2",
               "odd/100%?#&=+": "reserved characters"}
        for k, v in odd.items():
            c.ok("PUT", "/v1/kv/" + urllib.parse.quote(k, safe=""), v)
        c.ok("PUT", "/v1/kv/odd/big", big)
        c.ok("PUT", "/v1/kv/odd/bin", binv)
        row = lambda k: page.locator(f'#kv-rows tr[data-key="{css_str(k)}"]')
        page.goto(base + "/ui/dc1/kv/odd/")
        for k in ["odd/a b ünï Ωμέγα ключ", "odd/../", "odd/crlf", "odd/100%?#&=+", "odd/big", "odd/bin"]:
            expect(row(k)).to_have_count(1)
        shot("kv.png")
        # text keys: open from the listing, edit, save; the stored bytes change only as edited
        for k, v in odd.items():
            page.goto(base + "/ui/dc1/kv/odd/")
            if k == "odd/../dots":  # a folder named ".." holding the key
                row("odd/../").get_by_role("link").click()
                expect(row(k)).to_have_count(1)
            row(k).get_by_role("link").click()
            expect(page.locator("#kv-facts")).to_contain_text(k)
            if "\r" in v:
                expect(page.locator('input[name="kv-mode"][value="base64"]')).to_be_checked()
                expect(page.get_by_label("Value", exact=True)).to_have_value(base64.b64encode(v.encode()).decode())
                page.get_by_role("button", name="Save").click()
                expect(page.locator("#kv-msg")).to_contain_text("Saved")
                if c.kv_raw(k) != v.encode():
                    raise StepFailed(f"{k!r}: CRLF value changed to {c.kv_raw(k)!r}")
                continue
            expect(page.get_by_label("Value", exact=True)).to_have_value(v)
            page.get_by_label("Value", exact=True).fill(v + " (edited)")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#kv-msg")).to_contain_text("Saved")
            if c.kv_raw(k) != (v + " (edited)").encode():
                raise StepFailed(f"{k!r}: stored {c.kv_raw(k)!r}")
        if c.kv_raw("dots") is not None or c.kv_raw("odd/dots") is not None:
            raise StepFailed("editing odd/../dots wrote another key")
        # non-UTF-8 value: shown as base64, edited in base64, saved byte for byte
        page.goto(base + "/ui/dc1/kv/odd/bin/edit")
        expect(page.locator('input[name="kv-mode"][value="base64"]')).to_be_checked()
        expect(page.get_by_label("Value", exact=True)).to_have_value(base64.b64encode(binv).decode())
        page.get_by_label("Text", exact=True).click()  # refused: stays base64
        expect(page.locator("#kv-note")).to_contain_text("not valid UTF-8")
        expect(page.locator('input[name="kv-mode"][value="base64"]')).to_be_checked()
        page.get_by_label("Value", exact=True).fill(base64.b64encode(binv + b"\xfa").decode())
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("Saved")
        if c.kv_raw("odd/bin") != binv + b"\xfa":
            raise StepFailed(f"binary value stored as {c.kv_raw('odd/bin')!r}")
        page.get_by_label("Value", exact=True).fill("not base64!")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("not valid base64")
        # 512 KiB value: shown whole, saved unchanged; one byte more is refused with the agent's message
        page.goto(base + "/ui/dc1/kv/odd/big/edit")
        expect(page.locator("#kv-facts")).to_contain_text("524288 bytes")
        if page.get_by_label("Value", exact=True).input_value() != big.decode():
            raise StepFailed("512 KiB value not shown whole")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg")).to_contain_text("Saved")
        if c.kv_raw("odd/big") != big:
            raise StepFailed("512 KiB value changed by saving")
        page.get_by_label("Value", exact=True).press("End")
        page.get_by_label("Value", exact=True).type("X")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#kv-msg .error")).to_contain_text("too large")
        if c.kv_raw("odd/big") != big:
            raise StepFailed("a refused value changed the key")
        if len(page.get_by_label("Value", exact=True).input_value()) != len(big) + 1:
            raise StepFailed("the editor lost the refused value")

    with step("deep links load directly"):
        for path, text in [("/ui/dc1/services/db/instances/s1/db-1/health-checks", "replication lag 45s exceeds 10s"),
                           ("/ui/dc1/nodes/s2/health-checks", "web-2"),
                           ("/ui/dc1/kv/odd/" + urllib.parse.quote("a b ünï Ωμέγα ключ") + "/edit", "spaces and unicode (edited)"),
                           ("/ui/dc1/services?filter=we", "web")]:
            page.goto(base + path)
            expect(page.locator("main")).to_contain_text(text) if "kv" not in path else \
                expect(page.get_by_label("Value", exact=True)).to_have_value(text)
        expect(page.locator("#svc-rows tr")).to_have_count(1)

    with step("keyboard: skip link and filter reachable by Tab, Enter follows a link"):
        page.goto(base + "/ui/dc1/services")
        expect(svc_row(page, "api")).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.get_by_label("Search").focus()
        page.keyboard.type("api")
        expect(page.locator("#svc-rows tr")).to_have_count(1)
        page.get_by_role("link", name="api", exact=True).focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(base + "/ui/dc1/services/api/instances")
        expect(page.locator('[data-check="api-ttl"]')).to_contain_text("warning")


def re_any(*words):
    import re
    return re.compile("|".join(re.escape(w) for w in words))


def css_str(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--screenshots", help="directory for page screenshots (PNG)")
    ap.add_argument("--headed", action="store_true")
    ap.add_argument("--ui-dir", help="serve the UI from this directory (-ui-dir), e.g. Sources/WebUI/assets while editing it")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the agents (finally) when killed
    expect.set_options(timeout=10000)
    if not os.access(args.binary, os.X_OK):
        print(f"FAIL setup: {args.binary} is not an executable")
        return 1
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ui-browser-")
    agents = []
    try:
        agents = start_cluster(os.path.abspath(args.binary), tmp, args.ui_dir and os.path.abspath(args.ui_dir))
        run(args, agents, args.screenshots)
        print(f"PASS: {len(PASSED)} steps")
        return 0
    except StepFailed as e:
        print(f"FAIL {e}")
        for a in agents:
            state = "running" if a.proc.poll() is None else f"exited {a.proc.returncode}"
            print(f"--- {a.name} ({state}, http {a.http}) log, last lines:\n{a.tail(40)}")
        return 1
    finally:
        for a in agents:
            a.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
