import HTTP1
import WebUI

/// Serves the embedded web UI under its content path (`/ui/` by default): hashed assets with
/// long cache lifetimes and gzip when the client accepts it; every other path below the
/// content path is a client-side route and gets `index.html` (never cached without asking).
final class UIEndpoint {
    let contentPath: String
    private let bundle: UIBundle
    private let assetPrefix: String

    init(contentPath: String, datacenter: String, files: [(path: String, bytes: [UInt8])]?) {
        self.contentPath = contentPath
        bundle = files.flatMap { UIBundle.fromFiles($0, contentPath: contentPath, datacenter: datacenter) }
            ?? UIBundle.embedded(contentPath: contentPath, datacenter: datacenter)
        assetPrefix = contentPath + "assets/"
    }

    /// True for the paths this endpoint answers: the content path, and it without its slash.
    func owns(_ path: String) -> Bool {
        path.hasPrefix(contentPath) || path + "/" == contentPath
    }

    func serve(_ request: HTTPRequest, _ responder: Responder) {
        guard request.method == "GET" || request.method == "HEAD" else {
            var headers = HTTPHeaders()
            headers.add("Allow", "GET,HEAD")
            return responder.respond(.text(405, "method \(request.method) not allowed", headers: headers))
        }
        if request.path + "/" == contentPath {
            var headers = HTTPHeaders()
            headers.add("Location", contentPath)
            return responder.respond(HTTPResponse(status: 301, headers: headers))
        }
        if request.path.hasPrefix(assetPrefix) {
            let rest = request.path.dropFirst(assetPrefix.count)
            guard let slash = rest.firstIndex(of: "/"), rest[..<slash] == bundle.assetVersion,
                  let file = bundle.assets[String(rest[rest.index(after: slash)...])] else {
                return responder.respond(.text(404, "404 page not found\n"))
            }
            return responder.respond(Self.response(file, request, cacheControl: "public, max-age=31536000, immutable"))
        }
        responder.respond(Self.response(bundle.index, request, cacheControl: "no-cache"))
    }

    static func response(_ file: UIFile, _ request: HTTPRequest, cacheControl: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("ETag", file.etag)
        headers.add("Cache-Control", cacheControl)
        headers.add("X-Content-Type-Options", "nosniff")
        if file.gzip != nil { headers.add("Vary", "Accept-Encoding") }
        if let tags = request.headers["If-None-Match"], matches(tags, file.etag) {
            return HTTPResponse(status: 304, headers: headers)
        }
        headers.add("Content-Type", file.contentType)
        if let gzip = file.gzip, acceptsGzip(request.headers["Accept-Encoding"] ?? "") {
            headers.add("Content-Encoding", "gzip")
            return HTTPResponse(status: 200, headers: headers, body: gzip)
        }
        return HTTPResponse(status: 200, headers: headers, body: file.raw)
    }

    /// `If-None-Match`: `*` or a list of entity tags (weak ones compare by their opaque part).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = Substring(candidate.trimmingSpaces())
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == etag
        }
    }

    /// True when `Accept-Encoding` lists gzip (or `*`) without `q=0`.
    static func acceptsGzip(_ header: String) -> Bool {
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let refused = parts.dropFirst().contains { parameter in
                let p = parameter.filter { $0 != " " }
                return p.hasPrefix("q=") && Double(p.dropFirst(2)) == 0
            }
            return !refused
        }
        return false
    }
}
