/// The layout of a `testdata/*.txt` interaction script (etcd's datadriven idea, simplified):
///
///     # comments and blank lines are kept as written
///     command arg key=value
///     ----
///     expected output, one or more non-blank lines
///     <blank line ends the block>
///
/// A command written without `----` has no expected output yet; `REWRITE=1` fills it in.
struct ScriptFile {
    struct Block {
        /// Comment and blank lines written before the command.
        var leading: [String]
        var command: String
        /// 1-based line of the command in the file (for failure messages).
        var line: Int
        /// nil when the block has no `----` section yet.
        var expected: [String]?
    }

    var blocks: [Block] = []
    /// Comment and blank lines after the last block.
    var trailing: [String] = []

    init(parsing text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var pending: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                pending.append(line)
                i += 1
                continue
            }
            var block = Block(leading: pending, command: trimmed, line: i + 1, expected: nil)
            pending = []
            i += 1
            if i < lines.count, lines[i].trimmingSpaces == "----" {
                i += 1
                var output: [String] = []
                while i < lines.count, !lines[i].trimmingSpaces.isEmpty {
                    output.append(lines[i])
                    i += 1
                }
                if i < lines.count { i += 1 } // the blank line that ends the block
                block.expected = output
            } else if i < lines.count, lines[i].trimmingSpaces.isEmpty {
                i += 1 // a new command's separating blank line becomes the end of its block
            }
            blocks.append(block)
        }
        trailing = pending
    }

    /// The file with block i's expected output replaced by `outputs[i]`; blocks past the end of
    /// `outputs` (after a script error) are written as bare commands.
    func rendered(outputs: [[String]]) -> String {
        var out: [String] = []
        for (i, block) in blocks.enumerated() {
            out += block.leading
            out.append(block.command)
            if i < outputs.count {
                out.append("----")
                out += outputs[i]
            }
            out.append("")
        }
        out += trailing
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}
