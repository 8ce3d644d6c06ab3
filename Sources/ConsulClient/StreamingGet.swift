import Platform
import HTTP1

/// A GET whose body arrives as it is produced (`consul monitor`): the head is read, then each
/// piece of the chunked body is handed to `body` as it decodes, until the server ends the
/// stream or `body` returns false.
extension ConsulHTTPClient {
    public func stream(_ path: String, query: [(String, String?)] = [], body: ([UInt8]) -> Bool) throws {
        let connection = try openStream("GET", path, query: query)
        defer { connection.close() }
        var buffer: [UInt8] = []
        // The head.
        var headEnd: Int?
        while headEnd == nil {
            let bytes = try read(connection)
            guard !bytes.isEmpty else { throw ClientError.badResponse("connection closed before the response head") }
            buffer += bytes
            headEnd = indexOfCRLFCRLF(buffer)
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 200 else {
            while case let more = try read(connection), !more.isEmpty { buffer += more }
            throw ClientError.unexpectedResponse(status: status, body: String(decoding: ChunkedBody.decodeAll(buffer) ?? buffer, as: UTF8.self))
        }
        var decoder = ChunkedBody()
        while true {
            let (payload, finished) = try decoder.feed(buffer)
            buffer = []
            if !payload.isEmpty && !body(payload) { return }
            if finished { return }
            buffer = try read(connection)
            if buffer.isEmpty { return }
        }
    }

    private func read(_ connection: BlockingStream) throws -> [UInt8] {
        do { return try connection.read(maxBytes: 65536) } catch { throw ClientError.connection("\(error)") }
    }

    private func indexOfCRLFCRLF(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}

/// Incremental `Transfer-Encoding: chunked` decoding (sizes in hex, CRLF-framed, 0 ends).
struct ChunkedBody {
    private var pending: [UInt8] = []

    /// Decoded bytes so far, and whether the last chunk arrived.
    mutating func feed(_ bytes: [UInt8]) throws -> ([UInt8], Bool) {
        pending += bytes
        var out: [UInt8] = []
        while true {
            guard let lineEnd = crlf(in: pending, from: 0) else { return (out, false) }
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingSpaces, radix: 16) else { throw ClientError.badResponse("bad chunk size") }
            if size == 0 { return (out, true) }
            guard pending.count >= lineEnd + 2 + size + 2 else { return (out, false) }
            out += pending[(lineEnd + 2)..<(lineEnd + 2 + size)]
            pending.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    /// A whole chunked body at once (nil when it is not one).
    static func decodeAll(_ bytes: [UInt8]) -> [UInt8]? {
        var decoder = ChunkedBody()
        return (try? decoder.feed(bytes))?.0
    }

    private func crlf(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}

private extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
