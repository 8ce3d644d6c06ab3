/// Go's `flag` package semantics, which Consul's CLI users type by habit: `-f`, `--f`, `-f=v`,
/// `-f v`; booleans only as `-f` or `-f=false`; parsing stops at the first positional argument
/// or at `--`.
struct GoFlags {
    enum Kind { case bool, value, list }

    struct Definition {
        let name: String
        let kind: Kind
        let usage: String
        let placeholder: String
    }

    private(set) var definitions: [Definition] = []
    private(set) var values: [String: [String]] = [:]
    private(set) var positional: [String] = []

    mutating func bool(_ name: String, _ usage: String) { definitions.append(Definition(name: name, kind: .bool, usage: usage, placeholder: "")) }
    mutating func value(_ name: String, _ placeholder: String = "<value>", _ usage: String) {
        definitions.append(Definition(name: name, kind: .value, usage: usage, placeholder: placeholder))
    }
    mutating func list(_ name: String, _ placeholder: String = "<value>", _ usage: String) {
        definitions.append(Definition(name: name, kind: .list, usage: usage, placeholder: placeholder))
    }

    enum ParseOutcome: Equatable { case ok, help, error(String) }

    mutating func parse(_ args: [String]) -> ParseOutcome {
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" { positional = Array(args[(i + 1)...]); return .ok }
            guard arg.hasPrefix("-"), arg.count > 1 else { positional = Array(args[i...]); return .ok }
            var name = String(arg.dropFirst(arg.hasPrefix("--") ? 2 : 1))
            if name.isEmpty || name.hasPrefix("-") || name.hasPrefix("=") { return .error("bad flag syntax: \(arg)") }
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "h" || name == "help" { return .help }
            guard let def = definitions.first(where: { $0.name == name }) else {
                return .error("flag provided but not defined: -\(name)")
            }
            switch def.kind {
            case .bool:
                if let inline {
                    guard let b = parseGoBool(inline) else {
                        return .error("invalid boolean value \"\(inline)\" for -\(name): parse error")
                    }
                    values[name] = [b ? "true" : "false"]
                } else {
                    values[name] = ["true"]
                }
            case .value, .list:
                var value = inline
                if value == nil {
                    guard i + 1 < args.count else { return .error("flag needs an argument: -\(name)") }
                    i += 1
                    value = args[i]
                }
                if def.kind == .list { values[name, default: []].append(value!) } else { values[name] = [value!] }
            }
            i += 1
        }
        return .ok
    }

    func isSet(_ name: String) -> Bool { values[name] != nil }
    func flag(_ name: String) -> Bool { values[name]?.last == "true" }
    func string(_ name: String) -> String? { values[name]?.last }
    func strings(_ name: String) -> [String] { values[name] ?? [] }

    /// Unsigned integer flag; nil when unset, an error text when malformed.
    func uint64(_ name: String) -> Result<UInt64?, FlagValueError> {
        guard let text = string(name) else { return .success(nil) }
        guard let v = UInt64(text) else { return .failure(FlagValueError(message: "invalid value \"\(text)\" for flag -\(name): parse error")) }
        return .success(v)
    }

    func int(_ name: String) -> Result<Int?, FlagValueError> {
        guard let text = string(name) else { return .success(nil) }
        guard let v = Int(text) else { return .failure(FlagValueError(message: "invalid value \"\(text)\" for flag -\(name): parse error")) }
        return .success(v)
    }

    /// The flag listing for help output, Consul style.
    var usageText: String {
        definitions.sorted { $0.name < $1.name }.map { def in
            let head = def.kind == .bool ? "  -\(def.name)" : "  -\(def.name)=\(def.placeholder)"
            return head + "\n     " + def.usage
        }.joined(separator: "\n\n")
    }
}

/// Go's strconv.ParseBool.
func parseGoBool(_ s: String) -> Bool? {
    switch s {
    case "1", "t", "T", "TRUE", "true", "True": return true
    case "0", "f", "F", "FALSE", "false", "False": return false
    default: return nil
    }
}

struct FlagValueError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
