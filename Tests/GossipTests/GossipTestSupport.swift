@testable import Gossip

/// "0a ff" or "0aff" → bytes; spaces are ignored so the reference's annotated hex can be pasted.
func bytes(hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd hex string")
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func hexString(_ b: [UInt8]) -> String { b.map { hex($0) }.joined() }

/// Deterministic bytes for round-trip and garbage tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Text-like data over a small alphabet: compresses well and fills the LZW table quickly.
func textLikeBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
    let words = ["serf", "alive", "node", "consul", "gossip", " ", " ", "\n", "127.0.0.1", "dc1"].map { Array($0.utf8) }
    var out: [UInt8] = []
    while out.count < count { out += words[Int.random(in: 0..<words.count, using: &rng)] }
    return Array(out.prefix(count))
}

let vsnSerfAgent: [UInt8] = [1, 5, 2, 2, 5, 5]
