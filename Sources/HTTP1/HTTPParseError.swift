/// Why a request could not be parsed; each maps to the status the server answers before closing.
public enum HTTPParseError: Error, Equatable, Sendable {
    case badRequestLine
    case badTarget
    case badVersion
    case badHeader
    case headersTooLarge
    case badContentLength
    case conflictingLength
    case unsupportedTransferEncoding
    case badChunk
    case bodyTooLarge
    case badPercentEncoding

    public var status: Int {
        switch self {
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .badVersion: return 505
        default: return 400
        }
    }

    /// The plain-text reason sent in the error response.
    public var reason: String {
        switch self {
        case .badRequestLine: return "malformed HTTP request line"
        case .badTarget: return "malformed request target"
        case .badVersion: return "unsupported HTTP version"
        case .badHeader: return "malformed HTTP header"
        case .headersTooLarge: return "request header fields too large"
        case .badContentLength: return "invalid Content-Length"
        case .conflictingLength: return "conflicting Content-Length / Transfer-Encoding"
        case .unsupportedTransferEncoding: return "unsupported Transfer-Encoding"
        case .badChunk: return "malformed chunked body"
        case .bodyTooLarge: return "request body too large"
        case .badPercentEncoding: return "invalid URL escape"
        }
    }
}
