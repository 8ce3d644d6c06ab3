import Wire

/// One file as the agent serves it.
public struct UIFile: Sendable {
    public let contentType: String
    public let raw: [UInt8]
    /// The same bytes gzip-compressed, for clients that accept it; nil where not worth it.
    public let gzip: [UInt8]?
    /// A strong validator: changes whenever the bytes do.
    public let etag: String
}

/// The web UI compiled into the binary (Sources/WebUI/assets, embedded by
/// scripts/gen-ui-assets.py): `index.html` with this agent's content path and datacenter
/// filled in, and the assets under `assets/<version>/`, whose version is a hash of them all so
/// browsers may cache them for good.
public struct UIBundle: Sendable {
    public let assetVersion: String
    public let index: UIFile
    /// Keyed by the path under `assets/<version>/` ("style.css", "js/app.js").
    public let assets: [String: UIFile]

    /// Decodes the embedded files; `contentPath` is where the UI is served ("/ui/").
    public static func embedded(contentPath: String, datacenter: String) -> UIBundle {
        var assets: [String: UIFile] = [:]
        var indexBytes: [UInt8] = []
        for source in UIAssetTable.entries {
            let raw = decodeWrapped(source.raw)
            if source.path == "index.html" { indexBytes = raw; continue }
            let crc = CRC32IEEE.checksum(raw)
            assets[source.path] = UIFile(contentType: source.contentType, raw: raw, gzip: decodeWrapped(source.gzip),
                                         etag: "\"\(UIAssetTable.assetVersion)-\(hex(crc))\"")
        }
        let page = fillPlaceholders(String(decoding: indexBytes, as: UTF8.self),
                                    ["%CONTENT_PATH%": contentPath, "%DATACENTER%": datacenter])
        let pageBytes = Array(page.utf8)
        let index = UIFile(contentType: "text/html; charset=utf-8", raw: pageBytes, gzip: nil,
                           etag: "\"\(UIAssetTable.assetVersion)-\(hex(CRC32IEEE.checksum(pageBytes)))\"")
        return UIBundle(assetVersion: UIAssetTable.assetVersion, index: index, assets: assets)
    }

    /// The UI from files read off disk (`ui_config.dir`: an operator's own copy, or the sources
    /// while developing the UI). `files` are paths relative to the directory with their bytes;
    /// nothing is compressed, and the asset version is a checksum of the files.
    public static func fromFiles(_ files: [(path: String, bytes: [UInt8])], contentPath: String, datacenter: String) -> UIBundle? {
        guard let page = files.first(where: { $0.path == "index.html" }) else { return nil }
        var crc = CRC32IEEE.checksum([UInt8]())
        var assets: [String: UIFile] = [:]
        for file in files.sorted(by: { $0.path < $1.path }) where file.path != "index.html" {
            crc = CRC32IEEE.checksum(Array(file.path.utf8) + [0] + file.bytes + hexBytes(crc))
            assets[file.path] = UIFile(contentType: contentType(file.path), raw: file.bytes, gzip: nil,
                                       etag: "\"\(hex(CRC32IEEE.checksum(file.bytes)))-\(file.bytes.count)\"")
        }
        let version = hex(crc)
        let html = fillPlaceholders(String(decoding: page.bytes, as: UTF8.self),
                                    ["%CONTENT_PATH%": contentPath, "%DATACENTER%": datacenter, "%ASSET_VERSION%": version])
        let bytes = Array(html.utf8)
        let index = UIFile(contentType: "text/html; charset=utf-8", raw: bytes, gzip: nil,
                           etag: "\"\(version)-\(hex(CRC32IEEE.checksum(bytes)))\"")
        return UIBundle(assetVersion: version, index: index, assets: assets)
    }

    /// The generator's content types, by file extension.
    static func contentType(_ path: String) -> String {
        switch path.split(separator: ".").last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    private static func hexBytes(_ v: UInt32) -> [UInt8] { Array(hex(v).utf8) }

    /// Replaces each placeholder with its value, HTML-escaped (they land in attributes).
    static func fillPlaceholders(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for (placeholder, value) in values.sorted(by: { $0.key < $1.key }) {
            out = out.replacingAll(placeholder, with: htmlEscaped(value))
        }
        return out
    }

    static func htmlEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    private static func decodeWrapped(_ text: String) -> [UInt8] {
        let compact = String(decoding: text.utf8.filter { $0 != 0x0A && $0 != 0x20 && $0 != 0x0D }, as: UTF8.self)
        guard let bytes = Base64.decode(compact) else {
            preconditionFailure("UIAssets.generated.swift holds invalid base64: regenerate it with scripts/gen-ui-assets.py")
        }
        return bytes
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this tier).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
