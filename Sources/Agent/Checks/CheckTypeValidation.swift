/// Why a check definition was refused, in Consul's words. `description` is the bare message;
/// the HTTP API answers `400 Invalid check: <message>`.
public struct CheckValidationError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    /// The body Consul's agent endpoints answer with.
    public var httpText: String { "Invalid check: \(message)" }
}

extension CheckType {
    /// Consul's `CheckType.Validate()`, same order, same texts.
    public func validate() throws(CheckValidationError) {
        let intervalCheck = isIntervalCheck
        if intervalNanoseconds > 0 && ttlNanoseconds > 0 {
            throw CheckValidationError("Interval and TTL cannot both be specified")
        }
        if intervalCheck && intervalNanoseconds <= 0 {
            throw CheckValidationError("Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks")
        }
        if intervalCheck && isAlias {
            throw CheckValidationError("Interval cannot be set for Alias checks")
        }
        if isAlias && ttlNanoseconds > 0 {
            throw CheckValidationError("TTL must be not be set for Alias checks")
        }
        if !intervalCheck && !isAlias && ttlNanoseconds <= 0 {
            throw CheckValidationError("TTL must be > 0 for TTL checks")
        }
        if outputMaxSize < 0 {
            throw CheckValidationError("MaxOutputMaxSize must be positive")
        }
        if failuresBeforeWarning > failuresBeforeCritical {
            throw CheckValidationError("FailuresBeforeWarning can't be higher than FailuresBeforeCritical")
        }
    }
}
