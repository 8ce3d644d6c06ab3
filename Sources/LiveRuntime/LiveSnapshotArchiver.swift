import CLibUV
import Glibc
import Platform

/// `SnapshotArchiver` on libuv's thread pool: compression, checksums and decoding never run on
/// the loop. Loop-confined like the loop it is built with.
public final class LiveSnapshotArchiver: SnapshotArchiver {
    private let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    public func pack(_ meta: SnapshotArchiveMeta, encodeState: @escaping (_ emit: @escaping ([UInt8]) -> Void) -> Void,
                     completion: @escaping (Result<[UInt8], SnapshotArchiveError>) -> Void) {
        let seconds = SnapshotDirectory.wallClockMillis() / 1000
        loop.runOnPool({ () -> Result<[UInt8], SnapshotArchiveError> in
            let archive = Result { () throws(SnapshotArchiveError) in
                try SnapshotArchive.build(meta, modifiedSeconds: seconds, encodeState: encodeState)
            }
            // The state's pieces and frames were allocated on other threads' malloc arenas;
            // glibc keeps freed arena memory mapped unless asked, which would leave the agent
            // holding a state's worth of RSS after every save.
            malloc_trim(0)
            return archive
        }, then: completion)
    }

    public func unpack(_ archive: [UInt8], check: @escaping ([UInt8]) -> String?,
                       completion: @escaping (Result<UnpackedSnapshot, SnapshotArchiveError>) -> Void) {
        loop.runOnPool({ () -> Result<UnpackedSnapshot, SnapshotArchiveError> in
            let verified = Result { () throws(SnapshotArchiveError) in
                let unpacked = try SnapshotArchive.open(archive)
                let state = try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size)
                if let problem = check(state) { throw SnapshotArchiveError("snapshot state does not decode: \(problem)") }
                return unpacked
            }
            malloc_trim(0)  // the inflated state and its trial decode, freed on this thread's arena
            return verified
        }, then: completion)
    }

    public func inflate(_ compressed: [UInt8], size: UInt64) -> Result<[UInt8], SnapshotArchiveError> {
        Result { () throws(SnapshotArchiveError) in try SnapshotArchive.inflate(compressed, size: size) }
    }
}
