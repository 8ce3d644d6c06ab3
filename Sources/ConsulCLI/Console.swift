import Glibc

/// Where command output goes: `info` to stdout, `error` to stderr (Consul's UI split).
/// Tests substitute a capturing console.
public class Console {
    public init() {}
    public func info(_ text: String) { writeAll(1, text + "\n") }
    public func error(_ text: String) { writeAll(2, text + "\n") }
    /// Without an added newline (raw values, JSON with its own).
    public func raw(_ text: String) { writeAll(1, text) }
    public func rawBytes(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    private func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Go's text/tabwriter with Consul's settings (space padding): every column but the last is
/// padded to its widest cell plus `padding`, and to at least `minWidth`.
func tabulate(_ rows: [[String]], padding: Int, minWidth: Int = 0) -> [String] {
    var widths: [Int] = []
    for row in rows {
        for (i, cell) in row.enumerated().dropLast() {
            if widths.count <= i { widths.append(0) }
            widths[i] = max(widths[i], cell.count)
        }
    }
    return rows.map { row in
        var line = ""
        for (i, cell) in row.enumerated() {
            if i == row.count - 1 { line += cell } else {
                line += cell + String(repeating: " ", count: max(widths[i] + padding, minWidth) - cell.count)
            }
        }
        return line
    }
}

/// ryanuber/columnize as Consul uses it: `|`-separated input, columns joined by two spaces,
/// the last column unpadded.
func columnize(_ lines: [String]) -> String {
    let rows = lines.map { $0.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingSpaces() } }
    return tabulate(rows, padding: 2).map { $0.trimmingTrailingSpaces() }.joined(separator: "\n")
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
