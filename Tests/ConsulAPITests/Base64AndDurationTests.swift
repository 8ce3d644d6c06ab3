import ConsulAPI
import Testing
import Wire

@Suite("Base64")
struct Base64Tests {
    /// Proves the RFC 4648 §10 test vectors, both directions.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    /// Proves the standard alphabet's `+` and `/`, and that every byte value of every tail length round-trips.
    @Test func roundTrips() {
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.encode([0xFB, 0xEF, 0xBE]) == "++++")
        let all = (0...255).map { UInt8($0) }
        for length in 0...all.count {
            let data = Array(all.prefix(length))
            #expect(Base64.decode(Base64.encode(data)) == data, "length \(length)")
        }
    }

    /// Proves `encode(_:into:)` appends to what the buffer already holds.
    @Test func encodeAppends() {
        var out = Array("x=".utf8)
        Base64.encode(Array("hi".utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x=aGk=")
    }

    /// Proves invalid input is refused: bad length, misplaced padding, URL-safe or foreign characters, whitespace.
    @Test(arguments: [
        "Z", "Zg", "Zg=", "Zm9vY", "Zg=a", "=Zg=", "Z===", "====", "Zm9v====", "Zg==Zm8=", "Zm-v", "Zm_v", "Zm9\n",
        " Zm9v", "Zm9v ", "Zé=", "Zm9v\r\n",
    ])
    func rejectsInvalid(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

@Suite("GoDuration")
struct GoDurationTests {
    /// Proves Go's duration grammar: units, compound values, fractions, signs and the bare `0`.
    @Test(arguments: [
        ("300ms", Int64(300_000_000)), ("1h30m", 5_400_000_000_000), ("1.5s", 1_500_000_000), ("-2s", -2_000_000_000),
        ("0", 0), ("-0", 0), ("+5s", 5_000_000_000), ("0s", 0), ("10m", 600_000_000_000), ("1ns", 1), ("2us", 2_000),
        ("2µs", 2_000), ("2μs", 2_000), ("1h0m0s", 3_600_000_000_000), ("2h45m30.5s", 9_930_500_000_000),
        ("0.3s", 300_000_000), ("2.3s", 2_300_000_000), ("4.35s", 4_350_000_000), ("1.1s", 1_100_000_000),
        (".5s", 500_000_000), ("1.s", 1_000_000_000), ("1.000000001s", 1_000_000_001), ("1.001s", 1_001_000_000),
        ("1.003ms", 1_003_000), ("9223372036854775807ns", Int64.max), ("2562047h47m16.854775807s", Int64.max),
        ("-2562047h47m16.854775808s", Int64.min),
    ])
    func parses(_ text: String, _ nanos: Int64) {
        #expect(GoDuration.parse(text) == nanos)
    }

    /// Proves what Go rejects: unit-less numbers other than 0, unknown units, empty input, stray signs, overflow.
    @Test(arguments: ["60", "5x", "", "-", "+", "s", "1.2.3s", "1h30", "ms", "5 s", "5S", "--1s", "1e3s", ".", ".s",
                      "2562047h47m16.854775808s", "9223372036854775808ns9223372036854775808ns", "99999999999999999999h"])
    func rejects(_ text: String) {
        #expect(GoDuration.parse(text) == nil)
    }

    /// Proves Go's `Duration.String()` format for typical and extreme values.
    @Test(arguments: [
        (Int64(300_000_000_000), "5m0s"), (1_500_000_000, "1.5s"), (100_000_000, "100ms"), (0, "0s"),
        (3_600_000_000_000, "1h0m0s"), (90_000_000_000, "1m30s"), (5_400_000_000_000, "1h30m0s"), (1, "1ns"),
        (1_500, "1.5µs"), (999_999_999, "999.999999ms"), (-2_000_000_000, "-2s"), (1_000_000_001, "1.000000001s"),
        (Int64.min, "-2562047h47m16.854775808s"), (Int64.max, "2562047h47m16.854775807s"),
    ])
    func formats(_ nanos: Int64, _ text: String) {
        #expect(GoDuration.format(nanos) == text)
    }

    /// Proves formatting then parsing gives the value back.
    @Test func formatParseRoundTrip() {
        for nanos: Int64 in [1, 1_500, 2_000_000, 1_500_000_000, 90_000_000_000, 5_400_000_000_000, -7_000_000] {
            #expect(GoDuration.parse(GoDuration.format(nanos)) == nanos)
        }
    }
}
