import HTTP1
import Testing

@Suite("HTTPDate and CivilTime")
struct HTTPDateTests {
    /// Proves IMF-fixdate output for known instants, including the epoch, leap days and the day before the epoch.
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (1_764_088_572, "Tue, 25 Nov 2025 16:36:12 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        (-86_400, "Wed, 31 Dec 1969 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func imfFixdate(_ seconds: Int64, _ expected: String) {
        #expect(HTTPDate.format(unixSeconds: seconds) == expected)
    }

    /// Proves the civil-time fields for a known instant.
    @Test func civilFields() {
        let c = CivilTime(unixSeconds: 1_764_088_572)
        #expect([c.year, c.month, c.day, c.hour, c.minute, c.second] == [2025, 11, 25, 16, 36, 12])
    }

    /// Proves ISO-8601 log timestamps with millisecond padding, truncation and pre-epoch instants.
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_764_088_572_000_000_000, "2025-11-25T16:36:12.000Z"),
        (1_764_088_572_123_456_789, "2025-11-25T16:36:12.123Z"),
        (1_764_088_572_007_999_999, "2025-11-25T16:36:12.007Z"),
        (1_764_088_572_050_000_000, "2025-11-25T16:36:12.050Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func iso8601(_ nanos: Int64, _ expected: String) {
        #expect(CivilTime.iso8601(unixNanoseconds: nanos) == expected)
    }
}
