/// LZW as Go's compress/lzw does it with LSB bit order and 8-bit literals, the only variant
/// memberlist uses (../shared/reference/gossip-wire.md §3.2). The compressor reproduces Go's
/// output byte for byte: a clear code first, widths 9→12, a clear code when the next free code
/// would be 4095, and the end code 257 at the end.
enum LZW {
    static let clearCode: UInt32 = 256
    static let endCode: UInt32 = 257
    /// The last code a 12-bit stream can name; the writer resets instead of assigning it.
    static let codeMax: UInt32 = 4095
    static let widthMax = 12
    /// Decompressed bytes beyond this are refused: a few kilobytes of hostile LZW can claim
    /// gigabytes, and no memberlist message legitimately comes near it.
    static let decompressedBytesMax = 10 << 20

    static func compress(_ input: [UInt8]) -> [UInt8] {
        var out = BitWriter()
        out.bytes.reserveCapacity(input.count / 2 + 8)
        var width = 9
        var hi = endCode          // the last assigned code; the next one is hi + 1
        var overflow: UInt32 = 512
        var table = CodeTable()

        /// Go's incHi: returns false when the table was full and has been reset.
        func nextCode() -> Bool {
            hi += 1
            if hi == overflow {
                width += 1
                overflow <<= 1
            }
            if hi == codeMax {
                out.write(clearCode, width: width)
                width = 9
                hi = endCode
                overflow = 512
                table.reset()
                return false
            }
            return true
        }

        guard let first = input.first else {
            // Go's writer, never given bytes, writes the clear code at Close instead.
            out.write(clearCode, width: width)
            out.write(endCode, width: width)
            return out.finish()
        }
        out.write(clearCode, width: width)
        var code = UInt32(first)
        for literal in input.dropFirst() {
            let key = code << 8 | UInt32(literal)
            if let found = table.lookup(key) {
                code = found
                continue
            }
            out.write(code, width: width)
            code = UInt32(literal)
            if nextCode() { table.insert(key, code: hi) }
        }
        out.write(code, width: width)
        _ = nextCode()
        out.write(endCode, width: width)
        return out.finish()
    }

    /// Decodes a stream up to its end code (anything after it is ignored). Rejects streams that
    /// stop early, name codes not yet defined, or expand beyond `outputBytesMax`.
    static func decompress(_ input: [UInt8], outputBytesMax: Int = decompressedBytesMax) throws(GossipCodecError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(input.count * 3, outputBytesMax))
        var prefix = [UInt16](repeating: 0, count: 1 << widthMax)
        var suffix = [UInt8](repeating: 0, count: 1 << widthMax)
        var expansion = [UInt8](repeating: 0, count: 1 << widthMax)
        var width = 9
        var hi = endCode
        var overflow: UInt32 = 512
        var last: UInt32? = nil
        var bits: UInt32 = 0
        var bitCount = 0
        var position = 0

        while true {
            while bitCount < width {
                guard position < input.count else { throw .malformed("LZW stream ends without its end code") }
                bits |= UInt32(input[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let code = bits & (1 << UInt32(width) - 1)
            bits >>= UInt32(width)
            bitCount -= width

            if code == clearCode {
                width = 9
                hi = endCode
                overflow = 512
                last = nil
                continue
            }
            if code == endCode { return output }
            guard code <= hi else { throw .malformed("LZW code \(code) used before it was defined (next is \(hi))") }

            // Expand `code` back to front into `expansion[start...]`.
            var start = expansion.count
            var c = code
            if code >= clearCode, code == hi, let last {
                // The code being defined right now: the previous expansion plus its own first byte.
                var head = last
                while head >= clearCode { head = UInt32(prefix[Int(head)]) }
                start -= 1
                expansion[start] = UInt8(head)
                c = last
            }
            while c >= clearCode {
                start -= 1
                expansion[start] = suffix[Int(c)]
                c = UInt32(prefix[Int(c)])
            }
            start -= 1
            expansion[start] = UInt8(c)
            guard output.count + (expansion.count - start) <= outputBytesMax else {
                throw .malformed("LZW output exceeds \(outputBytesMax) bytes")
            }
            output.append(contentsOf: expansion[start...])

            if let last {
                suffix[Int(hi)] = UInt8(c)
                prefix[Int(hi)] = UInt16(last)
            }
            last = code
            hi += 1
            if hi >= overflow {
                if width == widthMax {
                    // Table full: stop defining codes until the next clear.
                    last = nil
                    hi -= 1
                } else {
                    width += 1
                    overflow <<= 1
                }
            }
        }
    }
}

/// Packs codes least-significant bit first, a byte as soon as eight bits are ready.
private struct BitWriter {
    var bytes: [UInt8] = []
    private var bits: UInt32 = 0
    private var bitCount = 0

    mutating func write(_ code: UInt32, width: Int) {
        bits |= code << UInt32(bitCount)
        bitCount += width
        while bitCount >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
            bitCount -= 8
        }
    }

    /// The last partial byte, zero-padded.
    mutating func finish() -> [UInt8] {
        if bitCount > 0 { bytes.append(UInt8(truncatingIfNeeded: bits)) }
        bitCount = 0
        bits = 0
        return bytes
    }
}

/// The compressor's dictionary: (prefix code, next byte) → code, open addressing in a fixed
/// table four times the code space so probes stay short.
private struct CodeTable {
    private static let size = 1 << 14
    private static let mask = UInt32(size - 1)
    /// Each slot holds key << 12 | code; 0 is empty (a real code is never below 258).
    private var slots = [UInt32](repeating: 0, count: size)

    mutating func reset() {
        for i in slots.indices { slots[i] = 0 }
    }

    func lookup(_ key: UInt32) -> UInt32? {
        var i = Self.hash(key)
        while true {
            let slot = slots[Int(i)]
            if slot == 0 { return nil }
            if slot >> 12 == key { return slot & 0xFFF }
            i = (i + 1) & Self.mask
        }
    }

    mutating func insert(_ key: UInt32, code: UInt32) {
        var i = Self.hash(key)
        while slots[Int(i)] != 0 { i = (i + 1) & Self.mask }
        slots[Int(i)] = key << 12 | code
    }

    private static func hash(_ key: UInt32) -> UInt32 {
        (key >> 12 ^ key) & mask
    }
}
