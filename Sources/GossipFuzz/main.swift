// Fuzz harness for the gossip wire codec (`make fuzz` → scripts/fuzz.sh gossip).
//
// Each input is fed whole to every decoder a peer can reach: MemberlistCodec.decodePacket (a UDP
// datagram), MemberlistCodec.decodeStream (the bytes buffered from a TCP connection),
// SerfCodec.decode, decodeTags and decodeCoordinatePayload, plus LZW both ways. Decoders may
// refuse the input, but never crash, and whatever they accept must survive the trip back: it
// re-encodes to bytes that decode to the same value, also through the compound, compress and CRC
// wrappers. A stream message must be exactly as long as it says: one byte less is still "need
// more bytes". A broken invariant stops the process with a message (`invariant`, FuzzDriver);
// libFuzzer reports it as a crash and saves the input.
// The driver and the replay build come from FuzzDriver.
import FuzzDriver
import Gossip

/// The datagram's messages must come back from their own encoding, alone and wrapped.
func checkPacket(_ input: [UInt8]) {
    guard let messages = try? MemberlistCodec.decodePacket(input) else { return }
    var parts: [[UInt8]] = []
    for message in messages {
        let encoded = MemberlistCodec.encode(message)
        let again = Result { () throws(GossipCodecError) in try MemberlistCodec.decodePacket(encoded) }
        invariant(again == .success([message]), "packet message \(message) re-encoded as \(encoded) decodes to \(again)")
        parts.append(encoded)
    }
    guard !parts.isEmpty, parts.count <= 255, parts.allSatisfy({ $0.count <= 0xFFFF }) else { return }
    let wrapped = MemberlistCodec.wrapPacket(MemberlistCodec.compound(parts), compress: true, crc: true)
    let unwrapped = Result { () throws(GossipCodecError) in try MemberlistCodec.decodePacket(wrapped) }
    invariant(unwrapped == .success(messages), "compound of \(messages.count) messages decodes to \(unwrapped)")
}

/// A decoded stream message says how long it was; its prefix waits; its re-encodings decode.
func checkStream(_ input: [UInt8]) {
    // try? folds "need more bytes" (nil) and refusal together: both leave nothing to check.
    guard let decoded = try? MemberlistCodec.decodeStream(input) else { return }
    let (message, consumed) = decoded
    invariant(consumed > 0 && consumed <= input.count, "stream consumed \(consumed) of \(input.count) bytes")
    let exact = Result { () throws(GossipCodecError) in try MemberlistCodec.decodeStream(Array(input.prefix(consumed))) }
    invariant(exact.map { $0?.message } == .success(message) && exact.map { $0?.consumed } == .success(consumed),
              "the first \(consumed) bytes alone decode to \(exact)")
    let short = Result { () throws(GossipCodecError) in try MemberlistCodec.decodeStream(Array(input.prefix(consumed - 1))) }
    invariant(short.map { $0 == nil } == .success(true), "one byte short of \(consumed) gives \(short), not 'need more'")
    for compress in [false, true] {
        let encoded = MemberlistCodec.encodeStream(message, compress: compress)
        let again = Result { () throws(GossipCodecError) in try MemberlistCodec.decodeStream(encoded) }
        invariant(again.map { $0?.message } == .success(message) && again.map { $0?.consumed } == .success(encoded.count),
                  "stream message \(message) (compress \(compress)) decodes to \(again)")
    }
}

func checkSerf(_ input: [UInt8]) {
    if let message = try? SerfCodec.decode(input) {
        let again = Result { () throws(GossipCodecError) in try SerfCodec.decode(SerfCodec.encode(message)) }
        invariant(again == .success(message), "serf message \(message) re-encoded decodes to \(again)")
    }
    let tags = SerfCodec.decodeTags(input)
    invariant(SerfCodec.decodeTags(SerfCodec.encodeTags(tags)) == tags, "tags \(tags) do not survive encoding")
    if let coordinate = try? SerfCodec.decodeCoordinatePayload(input) {
        let again = Result { () throws(GossipCodecError) in
            try SerfCodec.decodeCoordinatePayload(SerfCodec.encodeCoordinatePayload(coordinate))
        }
        invariant(again == .success(coordinate), "coordinate \(coordinate) re-encoded decodes to \(again)")
    }
}

/// Any bytes compress and come back, through the compress wrapper as memberlist sends them.
func checkCompression(_ input: [UInt8]) {
    let message = MemberlistMessage.user(input)
    let stream = MemberlistCodec.encodeStream(message, compress: true)
    let back = Result { () throws(GossipCodecError) in try MemberlistCodec.decodeStream(stream) }
    invariant(back.map { $0?.message } == .success(message), "\(input.count) bytes do not survive compression: \(back)")
}

/// The libFuzzer entry point; also used by the replay `main` below.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    checkPacket(input)
    checkStream(input)
    checkSerf(input)
    if input.count <= 4096 { checkCompression(input) }
    return 0
}

runFuzzHarness(name: "GossipFuzz", fuzz)
