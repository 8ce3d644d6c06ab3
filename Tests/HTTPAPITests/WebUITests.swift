import ConsulAPI
import HTTP1
import HTTPAPI
import Testing
import Wire

/// The embedded UI as the agent serves it, and the `/v1/internal/ui/*` summaries behind it.
@Suite struct WebUIServingTests {
    private func harness(path: String = "/ui/") -> APIHarness {
        var config = APIConfig()
        config.uiEnabled = true
        config.uiContentPath = path
        return APIHarness(config: config)
    }

    /// The asset URLs index.html links to (`href`/`src` under the content path's assets/).
    private func assetLinks(_ html: String, under path: String) -> [String] {
        html.split(separator: "\"").map(String.init).filter { $0.hasPrefix(path + "assets/") }
    }

    @Test func disabledUIAnswersAsConsul() {
        let h = APIHarness()
        #expect(h.send("GET", "/").text == "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.")
        #expect(h.send("GET", "/ui/").status == 404)
        #expect(h.send("GET", "/robots.txt").status == 404)
    }

    @Test func everyRouteBelowTheContentPathIsTheApp() throws {
        let h = harness(path: "/console/")
        let root = h.send("GET", "/")
        #expect(root.status == 301 && root.header("Location") == "/console/")
        let bare = h.send("GET", "/console")
        #expect(bare.status == 301 && bare.header("Location") == "/console/")
        for route in ["/console/", "/console/dc1/services", "/console/dc1/services/web/instances",
                      "/console/dc1/kv/app/config/edit", "/console/dc1/nodes/n1/health-checks"] {
            let page = h.send("GET", route)
            #expect(page.status == 200, "\(route)")
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("Cache-Control") == "no-cache")
            let html = try #require(page.text)
            #expect(html.contains("content=\"/console/\"") && html.contains("content=\"dc1\""), "placeholders filled: \(html.prefix(300))")
            #expect(!html.contains("%CONTENT_PATH%") && !html.contains("%DATACENTER%") && !html.contains("%ASSET_VERSION%"))
            #expect(!assetLinks(html, under: "/console/").isEmpty, "index.html links its assets under the content path")
        }
        #expect(h.send("POST", "/console/dc1/services").status == 405)
        #expect(h.send("GET", "/robots.txt").text == "User-agent: *\nDisallow: /\n")
    }

    @Test func assetsAreCachedForGoodAndGzippedWhenAccepted() throws {
        let h = harness()
        let html = try #require(h.send("GET", "/ui/").text)
        let links = assetLinks(html, under: "/ui/")
        try #require(!links.isEmpty)
        for link in links {
            let plain = h.send("GET", link)
            #expect(plain.status == 200, "\(link)")
            #expect(plain.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(plain.header("Content-Encoding") == nil)
            #expect(plain.header("Vary") == "Accept-Encoding")
            let etag = try #require(plain.header("ETag"))
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""), "a strong validator: \(etag)")

            let zipped = h.send("GET", link, headers: [("Accept-Encoding", "br, gzip;q=0.8")])
            #expect(zipped.header("Content-Encoding") == "gzip")
            let gz = try #require(zipped.response?.body)
            #expect(gz.count > 18 && gz[0] == 0x1F && gz[1] == 0x8B, "a gzip member")
            // gzip's trailer carries the uncompressed size and CRC-32 of the raw bytes.
            let raw = plain.response!.body
            let size = gz.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(size == UInt32(raw.count))

            #expect(h.send("GET", link, headers: [("Accept-Encoding", "gzip;q=0")]).header("Content-Encoding") == nil)
            let cached = h.send("GET", link, headers: [("If-None-Match", "\"other\", \(etag)")])
            #expect(cached.status == 304 && cached.response?.body.isEmpty == true)
            #expect(h.send("GET", link, headers: [("If-None-Match", "\"other\"")]).status == 200)
        }
        // An asset of another build's version is gone, not the app page.
        let afterVersion = links[0].dropFirst("/ui/assets/".count).drop { $0 != "/" }
        let stale = "/ui/assets/000000000000" + afterVersion
        #expect(h.send("GET", stale).status == 404)
        #expect(h.send("GET", "/ui/assets/").status == 404)
    }
}

/// `ui_config.dir`: files read at start-up replace the embedded copy, versioned by their checksum.
@Suite struct WebUIDirectoryTests {
    @Test func filesFromADirectoryAreServedVersioned() throws {
        func harness(_ css: String) -> APIHarness {
            var config = APIConfig()
            config.uiEnabled = true
            config.uiFiles = [("index.html", Array(#"<link href="%CONTENT_PATH%assets/%ASSET_VERSION%/app.css"><b>%DATACENTER%</b>"#.utf8)),
                              ("app.css", Array(css.utf8)), ("img/logo.svg", Array("<svg/>".utf8))]
            return APIHarness(config: config)
        }
        let h = harness("b{}")
        let html = try #require(h.send("GET", "/ui/dc1/nodes").text)
        #expect(html.hasSuffix("/app.css\"><b>dc1</b>") && !html.contains("%"), "\(html)")
        let link = String(html.split(separator: "\"")[1])
        let css = h.send("GET", link, headers: [("Accept-Encoding", "gzip")])
        #expect(css.text == "b{}" && css.header("Content-Type") == "text/css; charset=utf-8" && css.header("Content-Encoding") == nil)
        let version = link.dropFirst("/ui/assets/".count).prefix { $0 != "/" }
        #expect(h.send("GET", "/ui/assets/\(version)/img/logo.svg").header("Content-Type") == "image/svg+xml")
        // Other contents, another version: browsers never keep a stale copy.
        let changed = try #require(harness("i{}").send("GET", "/ui/").text)
        #expect(String(changed.split(separator: "\"")[1]) != link)
    }
}

@Suite struct UIDataEndpointTests {
    private func register(_ h: APIHarness, _ body: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(h.send("PUT", "/v1/catalog/register", body: body).text == "true", sourceLocation: sourceLocation)
    }

    private func seed(_ h: APIHarness) {
        // n1: a critical node check, web-1 (passing check), api (warning); n2: web-2 (no checks).
        register(h, #"{"Node":"n1","Address":"10.0.0.1","NodeMeta":{"rack":"a"},"Check":{"CheckID":"serfHealth","Name":"Serf","Status":"critical"}}"#)
        register(h, #"{"Node":"n1","Address":"10.0.0.1","NodeMeta":{"rack":"a"},"Service":{"ID":"web-1","Service":"web","Tags":["v2","blue"],"Meta":{"external-source":"nomad"}},"Check":{"CheckID":"web-1-http","Name":"http","Status":"passing","ServiceID":"web-1"}}"#)
        register(h, #"{"Node":"n1","Address":"10.0.0.1","NodeMeta":{"rack":"a"},"Service":{"ID":"api","Service":"api","Tags":["v1"]},"Check":{"CheckID":"api-ttl","Name":"ttl","Status":"warning","ServiceID":"api"}}"#)
        register(h, #"{"Node":"n2","Address":"10.0.0.2","Service":{"ID":"web-2","Service":"web","Tags":["v1"]}}"#)
    }

    @Test func servicesSummariseInstancesTagsAndDistinctChecks() throws {
        let h = APIHarness()
        seed(h)
        let list = jsonArray(h.send("GET", "/v1/internal/ui/services"))
        #expect(list.map { $0.member("Name")?.stringValue } == ["api", "web"])
        let web = try #require(list.last)
        #expect(web.member("InstanceCount")?.int64Value == 2)
        #expect(web.member("Tags")?.arrayValue?.compactMap(\.stringValue) == ["blue", "v1", "v2"])
        #expect(web.member("Nodes")?.arrayValue?.compactMap(\.stringValue) == ["n1", "n2"])
        #expect(web.member("ExternalSources")?.arrayValue?.compactMap(\.stringValue) == ["nomad"])
        // n1's node check counts once for web; web-1's own check passes.
        #expect(web.member("ChecksPassing")?.int64Value == 1)
        #expect(web.member("ChecksWarning")?.int64Value == 0)
        #expect(web.member("ChecksCritical")?.int64Value == 1)
        #expect(web.member("Datacenter")?.stringValue == "dc1")
        #expect(web.member("Kind") == nil)
        for field in ["GatewayConfig", "TransparentProxy", "ConnectNative", "ConnectedWithProxy", "ConnectedWithGateway"] {
            #expect(web.member(field) != nil, "\(field)")
        }
        let api = try #require(list.first)
        #expect(api.member("ChecksWarning")?.int64Value == 1 && api.member("ChecksCritical")?.int64Value == 1)

        let filtered = jsonArray(h.send("GET", "/v1/internal/ui/services?filter=%22nomad%22%20in%20ExternalSources"))
        #expect(filtered.map { $0.member("Name")?.stringValue } == ["web"])
    }

    @Test func aCheckChangeWakesABlockedServicesQuery() throws {
        let h = APIHarness()
        seed(h)
        let first = h.send("GET", "/v1/internal/ui/services")
        let index = try #require(first.index)
        let waiting = h.send("GET", "/v1/internal/ui/services?index=\(index)&wait=60s")
        #expect(!waiting.answered)
        register(h, #"{"Node":"n2","Address":"10.0.0.2","Check":{"CheckID":"web-2-tcp","Name":"tcp","Status":"critical","ServiceID":"web-2"}}"#)
        #expect(waiting.answered)
        let web = jsonArray(waiting).last
        #expect(web?.member("ChecksCritical")?.int64Value == 2)
        #expect((waiting.index ?? 0) > index)
    }

    /// The per-service cache never shows what a fresh computation would not: random
    /// registrations, check flips, node checks and deregistrations, compared after each.
    @Test func cachedSummariesMatchAFreshComputation() {
        let h = APIHarness()
        var rng = SplitMix64(seed: 7)
        let statuses = ["passing", "warning", "critical"]
        for step in 0..<400 {
            let node = "n\(Int.random(in: 0..<4, using: &rng))", service = "s\(Int.random(in: 0..<6, using: &rng))", id = "i\(Int.random(in: 0..<3, using: &rng))-\(service)"
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:
                register(h, #"{"Node":"\#(node)","Address":"10.0.0.\#(Int.random(in: 0..<9, using: &rng))","Service":{"ID":"\#(id)","Service":"\#(service)","Tags":["t\#(Int.random(in: 0..<3, using: &rng))"]}}"#)
            case 1:
                // Refused while the service is not on that node: only the comparison matters.
                h.send("PUT", "/v1/catalog/register", body: #"{"Node":"\#(node)","Address":"10.0.0.1","Check":{"CheckID":"c-\#(id)","Name":"c","Status":"\#(statuses[Int.random(in: 0..<3, using: &rng)])","ServiceID":"\#(id)"}}"#)
            case 2:
                register(h, #"{"Node":"\#(node)","Address":"10.0.0.1","Check":{"CheckID":"node-check","Name":"n","Status":"\#(statuses[Int.random(in: 0..<3, using: &rng)])"}}"#)
            case 3:
                h.send("PUT", "/v1/catalog/deregister", body: #"{"Node":"\#(node)","ServiceID":"\#(id)"}"#)
            default:
                if Int.random(in: 0..<4, using: &rng) == 0 { h.send("PUT", "/v1/catalog/deregister", body: #"{"Node":"\#(node)"}"#) }
            }
            let cached = h.store.serviceSummaries().summaries
            #expect(cached == h.store.serviceSummaries(cached: false).summaries, "after step \(step)")
        }
    }

    @Test func nodeDumpsCarryServicesAndChecks() throws {
        let h = APIHarness()
        seed(h)
        let nodes = jsonArray(h.send("GET", "/v1/internal/ui/nodes"))
        #expect(nodes.map { $0.member("Node")?.stringValue } == ["n1", "n2"])
        let n1 = try #require(nodes.first)
        #expect(n1.member("Services")?.arrayValue?.compactMap { $0.member("ID")?.stringValue } == ["api", "web-1"])
        #expect(n1.member("Checks")?.arrayValue?.count == 3)
        #expect(n1.member("Meta")?.member("rack")?.stringValue == "a")
        #expect(jsonArray(h.send("GET", "/v1/internal/ui/nodes?node-meta=rack:a")).count == 1)
        #expect(nodes.last?.member("Checks")?.arrayValue?.isEmpty == true, "an empty list, never null")

        let one = h.send("GET", "/v1/internal/ui/node/n2")
        #expect(one.status == 200 && jsonObject(one)?.member("Address")?.stringValue == "10.0.0.2")
        let missing = h.send("GET", "/v1/internal/ui/node/nope")
        #expect(missing.status == 404 && missing.index != nil)
        #expect(h.send("GET", "/v1/internal/ui/node/").status == 400)
    }
}
