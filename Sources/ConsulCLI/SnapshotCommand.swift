import ConsulAPI
import ConsulClient
import Glibc
import LiveRuntime
import Platform

/// `consul snapshot save|restore|inspect|agent` (docs/snapshot.md): Consul's texts and exit
/// codes over `/v1/snapshot`; the archive is this agent's own (tar of meta.json, state.lz4,
/// SHA256SUMS), so `inspect` reads it offline.
enum SnapshotCommand {
    static let help = """
    Usage: consul snapshot <subcommand> [options] [args]

      This command has subcommands for saving, restoring, and inspecting the state
      of the Consul servers for disaster recovery. These are atomic, point-in-time
      snapshots which include key/value entries, service catalog, prepared queries,
      and sessions.

    Subcommands:
        agent      Periodically saves snapshots of Consul server state
        inspect    Displays information about a Consul snapshot file
        restore    Restores snapshot of Consul server state
        save       Saves snapshot of Consul server state
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(help); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "save": return save(rest, console)
        case "restore": return restore(rest, console)
        case "inspect": return SnapshotInspectCommand.run(rest, console)
        case "agent": return SnapshotAgentCommand.run(rest, console)
        case "-h", "-help", "--help": console.info(help); return 0
        default: console.error(help); return 1
        }
    }

    /// The single FILE argument, or Consul's complaint.
    static func fileArgument(_ positional: [String], _ console: Console) -> String? {
        guard !positional.isEmpty else { console.error("Missing FILE argument"); return nil }
        guard positional.count == 1 else {
            console.error("Too many arguments (expected 1, got \(positional.count))")
            return nil
        }
        return positional[0]
    }

    static let saveHelp = """
    Usage: consul snapshot save [options] FILE

      Retrieves an atomic, point-in-time snapshot of the state of the Consul servers
      which includes key/value entries, service catalog, prepared queries, and
      sessions, and saves it to FILE. The file is written whole and verified before
      it appears under its name.
    """

    static func save(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        if let code = CLI.parse(&flags, args, help: saveHelp, console) { return code }
        guard let file = fileArgument(flags.positional, console) else { return 1 }
        let archive: [UInt8], index: String
        do {
            let response = try HTTPFlags.client(flags).sendExpectingOK("GET", "/v1/snapshot")
            (archive, index) = (response.body, response.headers["X-Consul-Index"] ?? "0")
        } catch {
            console.error("Error saving snapshot: \(error)")
            return 1
        }
        switch SnapshotFile.saveVerified(archive, to: file) {
        case .failure(let message):
            console.error(message)
            return 1
        case .success:
            console.info("Saved and verified snapshot to index \(index)")
            return 0
        }
    }

    static let restoreHelp = """
    Usage: consul snapshot restore [options] FILE

      Restores an atomic, point-in-time snapshot of the state of the Consul servers
      which includes key/value entries, service catalog, prepared queries, and
      sessions. Restores involve a potentially dangerous low-level Raft operation
      that is not designed to handle server failures during a restore.
    """

    static func restore(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        if let code = CLI.parse(&flags, args, help: restoreHelp, console) { return code }
        guard let file = fileArgument(flags.positional, console) else { return 1 }
        let archive: [UInt8]
        do { archive = try Files.read(file) } catch {
            console.error("Error opening snapshot file: \(error)")
            return 1
        }
        do {
            // A restore never reads stale data; Consul ignores -stale here too.
            var settings = HTTPFlags.settings(flags)
            settings.stale = false
            _ = try ConsulHTTPClient(settings: settings, dialer: PosixDialer()).sendExpectingOK("PUT", "/v1/snapshot", body: archive)
        } catch {
            console.error("Error restoring snapshot: \(error)")
            return 1
        }
        console.info("Restored snapshot")
        return 0
    }
}

/// Writing an archive to disk the way `save` and the snapshot agent do.
enum SnapshotFile {
    enum Outcome { case success, failure(String) }

    /// Checks that the file is the archive the server sent: tar, checksums, metadata, and the
    /// compressed state's own frame checksums and size (the server checked it decodes).
    static func verify(_ archive: [UInt8]) -> Result<SnapshotArchiveMeta, SnapshotArchiveError> {
        Result { () throws(SnapshotArchiveError) in try SnapshotArchive.verify(archive) }
    }

    /// `FILE.unverified` is written and fsynced while the same bytes are verified, then renamed
    /// to FILE (and the directory synced) once both succeeded; on any failure neither file is left.
    static func saveVerified(_ archive: [UInt8], to file: String) -> Outcome {
        let unverified = file + ".unverified"
        defer { unlink(unverified) }
        var written: Result<Void, Error> = .success(())
        let writing = { written = Result { try Files.writeAtomically(unverified, archive) } }
        let writer = JoinableThread.start(writing)
        let verified = verify(archive)
        if let writer { writer.join() } else { writing() }
        if case .failure(let error) = written { return .failure("Error writing unverified snapshot file: \(error)") }
        if case .failure(let error) = verified { return .failure("Error verifying snapshot file: \(error)") }
        guard rename(unverified, file) == 0 else {
            return .failure("Error renaming \"\(unverified)\" to \"\(file)\": \(String(cString: strerror(errno)))")
        }
        do { try Files.syncDirectory(of: file) } catch {
            return .failure("Error syncing the directory of \"\(file)\": \(error)")
        }
        return .success
    }
}
