import Wire

/// Streams Go-style JSON (Consul's field names, fixed order) into bytes without building a tree.
/// Compact by default; `pretty` indents by 4 spaces like Consul's `?pretty`; the CLI uses other
/// indents (`consul version -format json` 3 spaces, `consul kv export` a tab).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private let pretty: Bool
    private let indent: [UInt8]
    private var depth = 0
    /// Whether the container at each depth still awaits its first element.
    private var firstInContainer: [Bool] = []
    private var afterKey = false

    public init(pretty: Bool = false, reserve: Int = 256) {
        self.init(indent: pretty ? "    " : "", reserve: reserve)
    }

    /// Pretty-prints with `indent` per level (empty = compact).
    public init(indent: String, reserve: Int = 256) {
        self.pretty = !indent.isEmpty
        self.indent = Array(indent.utf8)
        bytes.reserveCapacity(reserve)
    }

    public mutating func beginObject() { beginValue(); open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { beginValue(); open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(32) }
        afterKey = true
    }

    public mutating func string(_ s: String) { beginValue(); appendString(s) }
    public mutating func uint(_ v: UInt64) { beginValue(); appendUInt(v) }
    public mutating func int(_ v: Int) {
        beginValue()
        if v < 0 { bytes.append(UInt8(ascii: "-")); appendUInt(UInt64(-(v + 1)) + 1) } else { appendUInt(UInt64(v)) }
    }
    public mutating func bool(_ v: Bool) { beginValue(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { beginValue(); bytes.append(contentsOf: "null".utf8) }
    /// A number already formatted (floats use Go's formatting chosen by the caller).
    public mutating func rawNumber(_ text: String) { beginValue(); bytes.append(contentsOf: text.utf8) }
    /// Standard base64 with padding, as Go encodes `[]byte`; nil/empty handled by the caller.
    public mutating func base64(_ data: [UInt8]) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(data, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Output with Consul's pretty-mode trailing newline.
    public mutating func finish() -> [UInt8] {
        if pretty { bytes.append(10) }
        return bytes
    }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: UInt64) { key(name); uint(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }

    private mutating func open(_ c: UInt8) {
        bytes.append(c)
        depth += 1
        firstInContainer.append(true)
    }

    private mutating func close(_ c: UInt8) {
        let wasEmpty = firstInContainer.removeLast()
        depth -= 1
        if pretty && !wasEmpty { newline() }
        bytes.append(c)
    }

    private mutating func beginValue() {
        if afterKey { afterKey = false; return }
        separate()
    }

    private mutating func separate() {
        guard depth > 0 else { return }
        if firstInContainer[depth - 1] {
            firstInContainer[depth - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        if pretty { newline() }
    }

    private mutating func newline() {
        bytes.append(10)
        for _ in 0..<depth { bytes.append(contentsOf: indent) }
    }

    private mutating func appendUInt(_ value: UInt64) {
        if value == 0 { bytes.append(48); return }
        var v = value
        var tmp: [UInt8] = []
        tmp.reserveCapacity(20)
        while v > 0 { tmp.append(UInt8(48 + v % 10)); v /= 10 }
        bytes.append(contentsOf: tmp.reversed())
    }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        let hex = hexDigits
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(92); bytes.append(c)
            case UInt8(ascii: "\\"): bytes.append(92); bytes.append(c)
            case 10: bytes.append(92); bytes.append(UInt8(ascii: "n"))
            case 13: bytes.append(92); bytes.append(UInt8(ascii: "r"))
            case 9: bytes.append(92); bytes.append(UInt8(ascii: "t"))
            case 0..<32, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                // Go escapes control characters and HTML-significant ones as \u00XX.
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(c >> 4)]); bytes.append(hex[Int(c & 15)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
