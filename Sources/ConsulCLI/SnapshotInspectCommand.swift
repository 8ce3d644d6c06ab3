import ConsulAPI
import ConsulState
import LiveRuntime
import Platform

/// `consul snapshot inspect [-kvdetails] [-kvdepth N] [-kvfilter P] [-format pretty|json] FILE`:
/// reads an archive offline, verifies it whole, and reports its metadata and what it holds by
/// record type (and by KV prefix), in Consul's layout.
enum SnapshotInspectCommand {
    static let help = """
    Usage: consul snapshot inspect [options] FILE

      Displays information about a snapshot file on disk: its ID, size, index, term
      and version, then counts and sizes by record type.

      To inspect the file "backup.snap":

        $ consul snapshot inspect backup.snap
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        flags.bool("kvdetails", "Provides a detailed KV space usage breakdown for any KV data that's been stored.")
        flags.value("kvdepth", "<int>", "Can only be used with -kvdetails. The key prefix depth used to breakdown KV store data. Defaults to 2.")
        flags.value("kvfilter", "<string>", "Can only be used with -kvdetails. Limits KV key breakdown using this prefix filter.")
        flags.value("format", "<string>", "Output format {pretty|json}")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard let file = SnapshotCommand.fileArgument(flags.positional, console) else { return 1 }
        let depth: Int
        switch flags.int("kvdepth") {
        case .failure(let error): console.error(error.message); return 1
        case .success(let value): depth = value ?? 2
        }
        let archive: [UInt8]
        do { archive = try Files.read(file) } catch {
            console.error("Error opening snapshot file: \(error)")
            return 1
        }
        let meta: SnapshotArchiveMeta
        let stats: SnapshotStats
        do throws(SnapshotArchiveError) {
            let unpacked = try SnapshotArchive.open(archive)
            let state = try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size)
            meta = unpacked.meta
            do { stats = try StateStore.snapshotStats(state) } catch {
                console.error("Error extracting snapshot data: \(error)")
                return 1
            }
        } catch {
            console.error("Error reading snapshot: \(error)")
            return 1
        }
        let kv = flags.flag("kvdetails") ? kvBreakdown(stats.keys, depth: depth, filter: flags.string("kvfilter") ?? "") : nil
        switch flags.string("format") ?? "pretty" {
        case "pretty": console.info(pretty(meta, archiveBytes: archive.count, stats: stats, kv: kv))
        case "json": console.info(json(meta, archiveBytes: archive.count, stats: stats, kv: kv))
        case let other:
            console.error("Error outputting enhanced snapshot data: Unknown format: \(other)")
            return 1
        }
        return 0
    }

    /// KV entries grouped by their first `depth` path segments (prefix-filtered); nil when none.
    static func kvBreakdown(_ keys: [(key: String, bytes: Int)], depth: Int, filter: String) -> [SnapshotStats.Row]? {
        var groups: [String: SnapshotStats.Row] = [:]
        for (key, bytes) in keys where key.hasPrefix(filter) {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            let name = parts.prefix(max(1, depth)).joined(separator: "/")
            groups[name, default: .init(name: name, count: 0, bytes: 0)].count += 1
            groups[name]!.bytes += bytes
        }
        return groups.isEmpty ? nil : sorted(Array(groups.values))
    }

    /// Largest first, then by name (Consul's order).
    static func sorted(_ rows: [SnapshotStats.Row]) -> [SnapshotStats.Row] {
        rows.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) }
    }

    static func pretty(_ meta: SnapshotArchiveMeta, archiveBytes: Int, stats: SnapshotStats, kv: [SnapshotStats.Row]?) -> String {
        let header = tabulate([[" ID", meta.id], [" Size", String(meta.size)], [" Index", String(meta.index)],
                               [" Term", String(meta.term)], [" Version", String(meta.version)]], padding: 6, minWidth: 8)
        var blocks = [header.joined(separator: "\n")]
        func table(_ title: String, _ rows: [SnapshotStats.Row]) -> String {
            var cells = [[" \(title)", "Count", "Size"], [" ----", "----", "----"]]
            cells += rows.map { [" \($0.name)", String($0.count), byteSize($0.bytes)] }
            cells += [[" ----", "----", "----"], [" Total", "", byteSize(rows.reduce(0) { $0 + $1.bytes })]]
            return tabulate(cells, padding: 6, minWidth: 8).joined(separator: "\n")
        }
        blocks.append(table("Type", sorted(stats.rows)))
        if let kv { blocks.append(table("Key Name", kv)) }
        return blocks.joined(separator: "\n\n")
    }

    static func json(_ meta: SnapshotArchiveMeta, archiveBytes: Int, stats: SnapshotStats, kv: [SnapshotStats.Row]?) -> String {
        var json = JSONWriter(indent: "   ")
        func rows(_ list: [SnapshotStats.Row]) {
            json.beginArray()
            for row in list {
                json.beginObject()
                json.field("Name", row.name)
                json.field("Sum", row.bytes)
                json.field("Count", row.count)
                json.endObject()
            }
            json.endArray()
        }
        json.beginObject()
        json.key("Meta")
        json.beginObject()
        json.field("ID", meta.id)
        json.field("Size", meta.size)
        json.field("Index", meta.index)
        json.field("Term", meta.term)
        json.field("Version", meta.version)
        json.endObject()
        json.key("Stats")
        rows(sorted(stats.rows))
        json.key("StatsKV")
        if let kv { rows(kv) } else { json.null() }
        json.field("TotalSize", stats.rows.reduce(0) { $0 + $1.bytes })
        json.field("TotalSizeKV", kv?.reduce(0) { $0 + $1.bytes } ?? 0)
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// 1024-based units with one decimal, a trailing ".0" dropped: `12B`, `1.6KB`, `2KB`.
    static func byteSize(_ bytes: Int) -> String {
        if bytes == 0 { return "0" }
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        let text = tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
        return text + units[unit]
    }
}
