import ConsulAPI
import ConsulClient

/// `consul rtt [-wan] node1 [node2]`: the round-trip time the Vivaldi coordinates predict.
enum RTTCommand {
    static let help = "Usage: consul rtt [options] node1 [node2]\n\n  Estimates the network round trip time between two nodes using Consul's network\n  coordinates model of the cluster."

    struct Coord {
        var vec: [Double], error: Double, adjustment: Double, height: Double
        init?(_ json: JSONValue?) {
            guard let json, let vec = json["Vec"]?.arrayValue?.compactMap(\.doubleValue) else { return nil }
            self.vec = vec
            error = json["Error"]?.doubleValue ?? 0
            adjustment = json["Adjustment"]?.doubleValue ?? 0
            height = json["Height"]?.doubleValue ?? 0
        }
        /// ‖a−b‖ + heights, plus adjustments when that stays positive (agent.md §6.8), seconds.
        func distance(to o: Coord) -> Double {
            guard vec.count == o.vec.count else { return .nan }
            let euclid = zip(vec, o.vec).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let raw = euclid + height + o.height
            let adjusted = raw + adjustment + o.adjustment
            return adjusted > 0 ? adjusted : raw
        }
    }

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.bool("wan", "Use WAN coordinates instead of LAN coordinates.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let names = flags.positional
        guard names.count == 1 || names.count == 2 else {
            console.error("One or two node names must be specified")
            console.error(help)
            return 1
        }
        let wan = flags.flag("wan")
        do {
            let client = try HTTPFlags.client(flags)
            let first = names[0]
            var second = names.count == 2 ? names[1] : ""
            if second.isEmpty {
                let me = try client.json(try client.sendExpectingOK("GET", "/v1/agent/self", serverFlags: false))
                let node = me["Config"]?["NodeName"]?.stringValue ?? ""
                second = wan ? "\(node).\(me["Config"]?["Datacenter"]?.stringValue ?? "")" : node
            }
            var coordinates: [String: Coord] = [:]
            if wan {
                for name in [first, second] where !name.contains(".") {
                    console.error("Node names must be specified as <node name>.<datacenter> with -wan")
                    return 1
                }
                let dcs = try client.json(try client.sendExpectingOK("GET", "/v1/coordinate/datacenters", serverFlags: false))
                for dc in dcs.arrayValue ?? [] {
                    for entry in dc["Coordinates"]?.arrayValue ?? [] {
                        if let n = entry["Node"]?.stringValue, let c = Coord(entry["Coord"]) { coordinates[n] = c }
                    }
                }
            } else {
                let nodes = try client.json(try client.sendExpectingOK("GET", "/v1/coordinate/nodes", serverFlags: false))
                for entry in nodes.arrayValue ?? [] {
                    if let n = entry["Node"]?.stringValue, let c = Coord(entry["Coord"]) { coordinates[n] = c }
                }
            }
            for name in [first, second] where coordinates[name] == nil {
                console.error("Could not find a coordinate for node \"\(name)\"")
                return 1
            }
            let ms = coordinates[first]!.distance(to: coordinates[second]!) * 1000
            console.info("Estimated \(first) <-> \(second) rtt: \(formatMilliseconds(ms)) ms (using \(wan ? "WAN" : "LAN") coordinates)")
            return 0
        } catch {
            console.error("Error getting coordinates: \(error)")
            return 1
        }
    }

    /// Three decimals, as Go's `%.3f`.
    static func formatMilliseconds(_ ms: Double) -> String {
        let thousandths = Int((ms * 1000).rounded())
        let whole = thousandths / 1000, frac = thousandths % 1000
        return "\(whole)." + String(repeating: "0", count: 3 - String(frac).count) + String(frac)
    }
}
