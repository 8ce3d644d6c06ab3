import Glibc

/// Reads `ui_config.dir` whole at start-up: every regular file below it, by path relative to it.
public enum UIDirectory {
    /// Beyond this the directory is surely not a UI (a mistyped path such as `/`).
    static let maxBytes = 64 << 20

    public static func read(_ directory: String) throws -> [(path: String, bytes: [UInt8])] {
        guard Files.isDirectory(directory) else { throw FileError(path: directory, message: "not a directory") }
        var files: [(path: String, bytes: [UInt8])] = []
        var total = 0
        var pending = [""]
        while let relative = pending.popLast() {
            let dir = relative.isEmpty ? directory : directory + "/" + relative
            for name in try Files.list(dir) {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = directory + "/" + path
                if Files.isDirectory(full) { pending.append(path); continue }
                let bytes = try Files.read(full)
                total += bytes.count
                guard total <= maxBytes else { throw FileError(path: directory, message: "more than 64 MiB of files; is this the UI's directory?") }
                files.append((path, bytes))
            }
        }
        guard files.contains(where: { $0.path == "index.html" }) else {
            throw FileError(path: directory, message: "no index.html in this directory")
        }
        return files.sorted { $0.path < $1.path }
    }
}
