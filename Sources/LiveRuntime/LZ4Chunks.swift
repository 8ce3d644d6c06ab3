import CLZ4
import Glibc
import Platform

/// Large state as consecutive LZ4 frames of at most `chunkBytes` content each (what `lz4 -d`
/// reads as one stream), compressed and decompressed on several threads. Each frame carries
/// its content size and content checksum, so every chunk is verified on its own.
enum LZ4Chunks {
    static let chunkBytes = SnapshotArchiveMeta.statePieceBytes
    static let threads = 2

    /// The frames of `input` (pieces of `chunkBytes`), in order.
    static func compressFrames(_ input: [UInt8], level: Int32 = 0) throws(LZ4Error) -> [[UInt8]] {
        try compressFrames(level: level) { emit in
            for start in stride(from: 0, to: max(input.count, 1), by: chunkBytes) {
                emit(Array(input[start..<min(start + chunkBytes, input.count)]))
            }
        }
    }

    /// One frame per piece that `produce` hands to `emit`, in order. Pieces are compressed on
    /// the other threads while `produce` is still running on this one, which then helps with
    /// the rest; a piece is freed once compressed. `inOrder` sees each frame, in order, as soon
    /// as it and those before it are made (hashing them meanwhile, say).
    static func compressFrames(level: Int32, inOrder: (([UInt8]) -> Void)? = nil,
                               _ produce: (_ emit: @escaping ([UInt8]) -> Void) -> Void) throws(LZ4Error) -> [[UInt8]] {
        let line = CompressionLine(level: level, inOrder: inOrder)
        let helpers = (1..<threads).compactMap { _ in JoinableThread.start { line.work() } }
        produce { line.push($0) }
        line.finishPushing()
        line.work()
        for helper in helpers { helper.join() }
        var out: [[UInt8]] = []
        for frame in line.results() { out.append(try frame.get()) }
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
        let next = Counter()
        let work = {
            while true {
                let i = next.take()
                if i >= count { return }
                body(i)
            }
        }
        let helpers = (1..<max(1, min(threads, count))).compactMap { _ in JoinableThread.start(work) }
        work()
        for helper in helpers { helper.join() }
    }
}

/// Hands out 0, 1, 2, … to any thread.
private final class Counter {
    private var next = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func take() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        next += 1
        return next - 1
    }
}

/// Pieces waiting to be compressed, and the frames made so far, shared by the threads of
/// `LZ4Chunks.compressFrames`.
private final class CompressionLine {
    private let level: Int32
    private let inOrder: (([UInt8]) -> Void)?
    /// The next frame `inOrder` gets, and whether a thread is feeding it now.
    private var nextInOrder = 0
    private var feeding = false
    private var waiting: [(Int, [UInt8])] = []
    private var pushed = 0
    private var pushing = true
    private var frames: [Int: Result<[UInt8], LZ4Error>] = [:]
    private var lock = pthread_mutex_t()
    private var changed = pthread_cond_t()

    init(level: Int32, inOrder: (([UInt8]) -> Void)?) {
        self.level = level
        self.inOrder = inOrder
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&lock)
    }

    func push(_ piece: [UInt8]) {
        pthread_mutex_lock(&lock)
        waiting.append((pushed, piece))
        pushed += 1
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&lock)
    }

    func finishPushing() {
        pthread_mutex_lock(&lock)
        pushing = false
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&lock)
    }

    /// Compresses pieces until none are waiting and no more will come.
    func work() {
        while true {
            pthread_mutex_lock(&lock)
            while waiting.isEmpty && pushing { pthread_cond_wait(&changed, &lock) }
            guard !waiting.isEmpty else {
                pthread_mutex_unlock(&lock)
                return
            }
            let (number, piece) = waiting.removeFirst()
            pthread_mutex_unlock(&lock)
            let frame = Result { () throws(LZ4Error) in try LZ4Frame.compress(piece, level: level) }
            pthread_mutex_lock(&lock)
            frames[number] = frame
            feedInOrder()
            pthread_mutex_unlock(&lock)
        }
    }

    /// With the lock held: hands the frames that are next in order to `inOrder` (outside the
    /// lock), unless another thread is already doing so.
    private func feedInOrder() {
        guard let inOrder, !feeding else { return }
        feeding = true
        while case .success(let frame)? = frames[nextInOrder] {
            nextInOrder += 1
            pthread_mutex_unlock(&lock)
            inOrder(frame)
            pthread_mutex_lock(&lock)
        }
        feeding = false
    }

    /// Every frame in order (call after all threads are done).
    func results() -> [Result<[UInt8], LZ4Error>] {
        (0..<pushed).map { frames[$0]! }
    }
}
