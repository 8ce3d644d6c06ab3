@testable import HTTPAPI
import Testing

/// Floats in coordinate JSON are written as Go's encoding/json writes them.
@Suite struct GoFloatTests {
    @Test func formats() {
        #expect(goFloat(0) == "0")
        #expect(goFloat(1.5) == "1.5")
        #expect(goFloat(2) == "2")
        #expect(goFloat(1e-5) == "0.00001")
        #expect(goFloat(-0.000123) == "-0.000123")
        #expect(goFloat(1e-7) == "1e-07")
        #expect(goFloat(1.25e-9) == "1.25e-09")
        #expect(goFloat(123456.789) == "123456.789")
        #expect(goFloat(1e21) == "1e+21")
    }
}
