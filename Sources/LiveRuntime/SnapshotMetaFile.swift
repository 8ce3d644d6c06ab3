import Platform
import Wire

/// `meta.json` of one snapshot directory: a flat JSON object with the Raft index and term, the
/// configuration (base64), the uncompressed size and the length of `state.lz4`. LiveRuntime has
/// no JSON library, and this one shape needs only unsigned integers and plain strings.
struct SnapshotMetaFile: Equatable {
    var meta: SnapshotMeta
    /// Bytes in `state.lz4`; lets a truncated file be reported as such before decompressing.
    var stateBytes: UInt64

    func encoded() -> [UInt8] {
        let json = "{\"index\":\(meta.index),\"term\":\(meta.term),\"size\":\(meta.size),"
            + "\"stateBytes\":\(stateBytes),\"configuration\":\"\(Base64.encode(meta.configuration))\"}\n"
        return Array(json.utf8)
    }

    /// Parses what `encoded` wrote; anything else is an error naming `path`.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> SnapshotMetaFile {
        func corrupt(_ problem: String) -> StorageError {
            StorageError(path: path, message: "corrupt snapshot metadata: \(problem)")
        }
        var parser = FlatJSONParser(bytes: bytes)
        guard let fields = parser.parseObject() else { throw corrupt("not a JSON object (\(parser.problem))") }
        func number(_ key: String) -> UInt64? { if case .number(let n)? = fields[key] { return n } else { return nil } }
        guard let index = number("index"), let term = number("term"), let size = number("size"),
              let stateBytes = number("stateBytes") else {
            throw corrupt("missing index, term, size or stateBytes")
        }
        guard case .string(let encoded)? = fields["configuration"], let configuration = Base64.decode(encoded) else {
            throw corrupt("missing or invalid base64 configuration")
        }
        return SnapshotMetaFile(meta: SnapshotMeta(index: index, term: term, configuration: configuration, size: size),
                                stateBytes: stateBytes)
    }
}

/// A JSON object whose values are unsigned integers or escape-free strings — nothing more.
private struct FlatJSONParser {
    enum Value: Equatable { case number(UInt64), string(String) }
    let bytes: [UInt8]
    var position = 0
    var problem = ""

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseObject() -> [String: Value]? {
        var fields: [String: Value] = [:]
        guard expect(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if peek() == UInt8(ascii: "}") { position += 1; return finish(fields) }
        while true {
            skipSpace()
            guard let key = parseString(), expect(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if peek() == UInt8(ascii: "\"") {
                guard let text = parseString() else { return nil }
                fields[key] = .string(text)
            } else {
                guard let number = parseNumber() else { return nil }
                fields[key] = .number(number)
            }
            skipSpace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            guard expect(UInt8(ascii: "}")) else { return nil }
            return finish(fields)
        }
    }

    private mutating func finish(_ fields: [String: Value]) -> [String: Value]? {
        skipSpace()
        guard position == bytes.count else { problem = "trailing bytes at offset \(position)"; return nil }
        return fields
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) -> Bool {
        skipSpace()
        guard peek() == byte else {
            problem = "expected '\(Character(Unicode.Scalar(byte)))' at offset \(position)"
            return false
        }
        position += 1
        return true
    }

    private mutating func parseString() -> String? {
        guard expect(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while let b = peek(), b != UInt8(ascii: "\"") {
            guard b != UInt8(ascii: "\\"), b >= 0x20 else { problem = "unsupported character at offset \(position)"; return nil }
            position += 1
        }
        guard peek() != nil else { problem = "unterminated string"; return nil }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func parseNumber() -> UInt64? {
        var value: UInt64 = 0
        let start = position
        while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            guard !o1, !o2 else { problem = "number too large at offset \(start)"; return nil }
            value = sum
            position += 1
        }
        guard position > start else { problem = "expected a number at offset \(start)"; return nil }
        return value
    }
}

