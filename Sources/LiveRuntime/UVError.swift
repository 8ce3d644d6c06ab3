import CLibUV

/// A libuv status code as a Swift error, with libuv's own name and message.
public struct UVError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let operation: String

    public init(_ code: Int32, _ operation: String) {
        self.code = code
        self.operation = operation
    }

    public var name: String { String(cString: uv_err_name(code)) }
    public var message: String { String(cString: uv_strerror(code)) }
    public var description: String { "\(operation): \(message) (\(name))" }

    /// Throws when `code` is negative (libuv's error convention).
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(UVError) {
        if code < 0 { throw UVError(code, operation()) }
    }
}
