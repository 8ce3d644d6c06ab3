import CLZ4

/// An LZ4 frame error as a Swift error: what we were doing and LZ4's error name.
public struct LZ4Error: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let message: String
    public var description: String { "\(operation): \(message)" }

    /// Throws when `code` is an LZ4F error code; returns it otherwise.
    @discardableResult
    static func check(_ code: Int, _ operation: @autoclosure () -> String) throws(LZ4Error) -> Int {
        if LZ4F_isError(code) != 0 {
            throw LZ4Error(operation: operation(), message: String(cString: LZ4F_getErrorName(code)))
        }
        return code
    }
}

/// LZ4 frames (the snapshot file format): the frame header records the content size and the
/// frame ends with an xxHash32 of the content, which decompression verifies.
enum LZ4Frame {
    /// Level 0 is LZ4's fast mode; 3 and above are LZ4 HC (smaller, several times the CPU;
    /// decompression is as fast either way).
    static func compress(_ input: [UInt8], level: Int32 = 0) throws(LZ4Error) -> [UInt8] {
        let result: Result<[UInt8], LZ4Error> = input.withUnsafeBytes { source in
            Result { () throws(LZ4Error) -> [UInt8] in try compress(source, level: level) }
        }
        return try result.get()
    }

    static func compress(_ source: UnsafeRawBufferPointer, level: Int32 = 0) throws(LZ4Error) -> [UInt8] {
        var preferences = LZ4F_preferences_t()
        preferences.compressionLevel = level
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.contentSize = UInt64(source.count)
        let bound = LZ4F_compressFrameBound(source.count, &preferences)
        try LZ4Error.check(bound, "LZ4F_compressFrameBound")
        var written = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            written = LZ4F_compressFrame(buffer.baseAddress, buffer.count, source.baseAddress, source.count, &preferences)
            initialized = LZ4F_isError(written) != 0 ? 0 : written
        }
        try LZ4Error.check(written, "LZ4F_compressFrame")
        // A copy of exactly the compressed bytes: the bound-sized buffer (about the input's
        // size) is freed rather than kept as spare capacity.
        return Array(output[..<written])
    }

    /// Decompresses exactly one whole frame of exactly `destination.count` bytes into it.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(LZ4Error) {
        let context = try DecompressionContext()
        let size = try frameContentSize(source, context, expected: destination.count)
        try decode(source, context, headerBytes: size.headerBytes, into: destination)
    }

    /// Decompresses exactly one whole frame. Truncation, trailing bytes, a content size other
    /// than `expectedSize` (when given) or a checksum mismatch are errors.
    static func decompress(_ input: [UInt8], expectedSize: Int? = nil) throws(LZ4Error) -> [UInt8] {
        let context = try DecompressionContext()
        // withUnsafeBytes only rethrows untyped errors; carry ours out in a Result.
        let result: Result<[UInt8], LZ4Error> = input.withUnsafeBytes { source in
            Result { () throws(LZ4Error) -> [UInt8] in try decompress(source, context, expectedSize) }
        }
        return try result.get()
    }

    private static func decompress(_ source: UnsafeRawBufferPointer, _ context: DecompressionContext,
                                   _ expectedSize: Int?) throws(LZ4Error) -> [UInt8] {
        let size = try frameContentSize(source, context, expected: expectedSize)
        // The header says how big the content is, so the output is one allocation.
        var failure: LZ4Error?
        let output = [UInt8](unsafeUninitializedCapacity: size.content) { buffer, initialized in
            do throws(LZ4Error) { try decode(source, context, headerBytes: size.headerBytes, into: UnsafeMutableRawBufferPointer(buffer)) } catch {
                failure = error
            }
            initialized = size.content
        }
        if let failure { throw failure }
        return output
    }

    /// The frame header: how many bytes it takes and how much content the frame holds.
    private static func frameContentSize(_ source: UnsafeRawBufferPointer, _ context: DecompressionContext,
                                         expected: Int?) throws(LZ4Error) -> (headerBytes: Int, content: Int) {
        guard let base = source.baseAddress else {
            throw LZ4Error(operation: "LZ4F_decompress", message: "empty input (truncated frame)")
        }
        var info = LZ4F_frameInfo_t()
        var consumed = source.count
        try LZ4Error.check(LZ4F_getFrameInfo(context.dctx, &info, base, &consumed), "LZ4F_getFrameInfo")
        // Without the content checksum a damaged file could decompress "successfully".
        guard info.contentChecksumFlag == LZ4F_contentChecksumEnabled else {
            throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frame has no content checksum")
        }
        if let expected, info.contentSize != UInt64(expected) {
            throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "frame holds \(info.contentSize) bytes, expected \(expected)")
        }
        guard info.contentSize <= UInt64(Int.max) else {
            throw LZ4Error(operation: "LZ4F_getFrameInfo", message: "content size \(info.contentSize) too large")
        }
        return (consumed, Int(info.contentSize))
    }

    /// Decodes the frame after its header into `output`, which it must fill exactly.
    private static func decode(_ source: UnsafeRawBufferPointer, _ context: DecompressionContext, headerBytes: Int,
                               into output: UnsafeMutableRawBufferPointer) throws(LZ4Error) {
        let base = source.baseAddress!
        var inputOffset = headerBytes
        var outputOffset = 0
        var hint = 1
        while hint != 0 {
            guard inputOffset < source.count else {
                throw LZ4Error(operation: "LZ4F_decompress", message: "truncated frame (\(source.count) bytes)")
            }
            var sourceSize = source.count - inputOffset
            var destinationSize = output.count - outputOffset
            let code = LZ4F_decompress(context.dctx, output.baseAddress.map { $0 + outputOffset },
                                       &destinationSize, base + inputOffset, &sourceSize, nil)
            hint = try LZ4Error.check(code, "LZ4F_decompress")
            inputOffset += sourceSize
            outputOffset += destinationSize
            // No progress with input left means the output is full but the frame is not done.
            if sourceSize == 0 && destinationSize == 0 && hint != 0 {
                throw LZ4Error(operation: "LZ4F_decompress", message: "content larger than the frame header says")
            }
        }
        guard inputOffset == source.count else {
            throw LZ4Error(operation: "LZ4F_decompress", message: "\(source.count - inputOffset) bytes after the end of the frame")
        }
        guard outputOffset == output.count else {
            throw LZ4Error(operation: "LZ4F_decompress", message: "frame ended after \(outputOffset) of \(output.count) bytes")
        }
    }
}

/// Owns one LZ4F decompression context; freed in `deinit`.
final class DecompressionContext {
    let dctx: OpaquePointer

    init() throws(LZ4Error) {
        var pointer: OpaquePointer?
        try LZ4Error.check(LZ4F_createDecompressionContext(&pointer, UInt32(LZ4F_VERSION)), "LZ4F_createDecompressionContext")
        guard let pointer else {
            throw LZ4Error(operation: "LZ4F_createDecompressionContext", message: "no context")
        }
        dctx = pointer
    }

    deinit { LZ4F_freeDecompressionContext(dctx) }
}
