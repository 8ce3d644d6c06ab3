/// Why a `?filter=` expression was refused. Positions follow go-bexpr's parser (pigeon):
/// `line:column (offset)` with a 1-based line and column counted in Unicode scalars, and a
/// 0-based byte offset into the UTF-8 text.
public struct FilterError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public let line: Int
    public let column: Int
    public let offset: Int

    /// `1:7 (6): expected value after '==', found end of input`
    public var description: String { "\(line):\(column) (\(offset)): \(message)" }

    public init(message: String, line: Int, column: Int, offset: Int) {
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// An error at scalar index `index` of `scalars`, with the line, column and byte offset worked out.
    init(_ message: String, at index: Int, in scalars: [Unicode.Scalar]) {
        var line = 1, column = 1, offset = 0
        for scalar in scalars.prefix(index) {
            offset += UTF8.width(scalar)
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        self.init(message: message, line: line, column: column, offset: offset)
    }
}
