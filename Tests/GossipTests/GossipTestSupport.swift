@testable import Gossip
import TestSupport
import Wire

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

func hexString(_ b: [UInt8]) -> String { Hex.encode(b) }



/// Text-like data over a small alphabet: compresses well and fills the LZW table quickly.
func textLikeBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
    let words = ["serf", "alive", "node", "consul", "gossip", " ", " ", "\n", "127.0.0.1", "dc1"].map { Array($0.utf8) }
    var out: [UInt8] = []
    while out.count < count { out += words[Int.random(in: 0..<words.count, using: &rng)] }
    return Array(out.prefix(count))
}

let vsnSerfAgent: [UInt8] = [1, 5, 2, 2, 5, 5]
