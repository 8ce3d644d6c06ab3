import CLZ4
import Glibc

/// Large state as consecutive LZ4 frames of at most `chunkBytes` content each (what `lz4 -d`
/// reads as one stream), compressed and decompressed on several threads. Each frame carries
/// its content size and content checksum, so every chunk is verified on its own.
enum LZ4Chunks {
    static let chunkBytes = 8 << 20
    static let threads = 2

    /// The frames of `input`, in order.
    static func compressFrames(_ input: [UInt8]) throws(LZ4Error) -> [[UInt8]] {
        let ranges = stride(from: 0, to: max(input.count, 1), by: chunkBytes).map { $0..<min($0 + chunkBytes, input.count) }
        var frames = [Result<[UInt8], LZ4Error>](repeating: .success([]), count: ranges.count)
        input.withUnsafeBytes { source in
            frames.withUnsafeMutableBufferPointer { out in
                let outBase = out.baseAddress!
                parallel(ranges.count) { i in
                    outBase[i] = Result { () throws(LZ4Error) in try LZ4Frame.compress(UnsafeRawBufferPointer(rebasing: source[ranges[i]])) }
                }
            }
        }
        var out: [[UInt8]] = []
        for frame in frames { out.append(try frame.get()) }
        return out
    }

    /// Decompresses consecutive frames holding exactly `expectedSize` bytes in all. The frames
    /// are found by walking their block headers, then decompressed in parallel; truncation,
    /// trailing bytes, a wrong total or any frame's checksum mismatch is an error.
    static func decompress(_ input: [UInt8], expectedSize: Int) throws(LZ4Error) -> [UInt8] {
        // LZ4 cannot expand data more than 255-fold: a larger claim is hostile, refused before
        // anything is allocated.
        guard expectedSize <= input.count * 255 + 64 else {
            throw LZ4Error(operation: "LZ4F_decompress", message: "\(input.count) bytes cannot hold \(expectedSize)")
        }
        let bounds: Result<[(bytes: Range<Int>, contentSize: Int)], LZ4Error> = input.withUnsafeBytes { source in
            Result { () throws(LZ4Error) in try frameBounds(source) }
        }
        let frames = try bounds.get()
        var offsets: [Int] = []
        var total = 0
        for frame in frames {
            offsets.append(total)
            total += frame.contentSize
        }
        guard total == expectedSize else {
            throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frames hold \(total) bytes, expected \(expectedSize)")
        }
        var failures = [LZ4Error?](repeating: nil, count: frames.count)
        let output = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let whole = UnsafeMutableRawBufferPointer(buffer)
            input.withUnsafeBytes { source in
                failures.withUnsafeMutableBufferPointer { failed in
                    let failedBase = failed.baseAddress!
                    parallel(frames.count) { i in
                        let destination = UnsafeMutableRawBufferPointer(rebasing: whole[offsets[i]..<(offsets[i] + frames[i].contentSize)])
                        do throws(LZ4Error) { try LZ4Frame.decompress(UnsafeRawBufferPointer(rebasing: source[frames[i].bytes]), into: destination) } catch {
                            failedBase[i] = error
                        }
                    }
                }
            }
            initialized = total
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return output
    }

    /// Checks every frame's content checksum and the total size without keeping the content:
    /// each frame is decoded into one reused scratch buffer.
    static func verify(_ input: [UInt8], expectedSize: Int) throws(LZ4Error) {
        let result: Result<Void, LZ4Error> = input.withUnsafeBytes { source in
            Result { () throws(LZ4Error) in
                let frames = try frameBounds(source)
                let total = frames.reduce(0) { $0 + $1.contentSize }
                guard total == expectedSize else {
                    throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frames hold \(total) bytes, expected \(expectedSize)")
                }
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, frames.map(\.contentSize).max() ?? 1), alignment: 16)
                defer { scratch.deallocate() }
                for frame in frames {
                    try LZ4Frame.decompress(UnsafeRawBufferPointer(rebasing: source[frame.bytes]),
                                            into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frame.contentSize]))
                }
            }
        }
        try result.get()
    }

    /// Where each frame lies and how much it holds, from its header and block sizes alone.
    private static func frameBounds(_ source: UnsafeRawBufferPointer) throws(LZ4Error) -> [(bytes: Range<Int>, contentSize: Int)] {
        guard source.count > 0 else { throw LZ4Error(operation: "LZ4F_decompress", message: "empty input (truncated frame)") }
        let context = try DecompressionContext()
        var frames: [(bytes: Range<Int>, contentSize: Int)] = []
        var offset = 0
        while offset < source.count {
            var info = LZ4F_frameInfo_t()
            var headerBytes = source.count - offset
            LZ4F_resetDecompressionContext(context.dctx)
            try LZ4Error.check(LZ4F_getFrameInfo(context.dctx, &info, source.baseAddress! + offset, &headerBytes), "LZ4F_getFrameInfo")
            guard info.contentChecksumFlag == LZ4F_contentChecksumEnabled else {
                throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frame has no content checksum")
            }
            guard info.contentSize <= UInt64(Int32.max) else {
                throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frame content size \(info.contentSize) out of range")
            }
            var at = offset + headerBytes
            let blockChecksum = info.blockChecksumFlag == LZ4F_blockChecksumEnabled ? 4 : 0
            while true {
                guard at + 4 <= source.count else { throw LZ4Error(operation: "LZ4F_decompress", message: "truncated frame") }
                let word = source.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
                at += 4
                if word == 0 { break }
                at += Int(word & 0x7FFF_FFFF) + blockChecksum
                guard at <= source.count else { throw LZ4Error(operation: "LZ4F_decompress", message: "truncated frame") }
            }
            at += 4  // content checksum
            guard at <= source.count else { throw LZ4Error(operation: "LZ4F_decompress", message: "truncated frame") }
            frames.append((offset..<at, Int(info.contentSize)))
            offset = at
        }
        return frames
    }

    /// Runs `body(0..<count)` on `threads` threads (this one included) and waits for all.
    private static func parallel(_ count: Int, _ body: @escaping (Int) -> Void) {
        let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        next.initialize(to: 0)
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        defer {
            pthread_mutex_destroy(lock)
            lock.deallocate()
            next.deallocate()
        }
        let work = {
            while true {
                pthread_mutex_lock(lock)
                let i = next.pointee
                next.pointee += 1
                pthread_mutex_unlock(lock)
                if i >= count { return }
                body(i)
            }
        }
        var helpers: [pthread_t] = []
        for _ in 1..<max(1, min(threads, count)) {
            let context = Unmanaged.passRetained(WorkBox(work)).toOpaque()
            var id = pthread_t()
            if pthread_create(&id, nil, { raw in
                Unmanaged<WorkBox>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, context) == 0 {
                helpers.append(id)
            } else {
                Unmanaged<WorkBox>.fromOpaque(context).release()
            }
        }
        work()
        for id in helpers { pthread_join(id, nil) }
    }

    private final class WorkBox {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
}
