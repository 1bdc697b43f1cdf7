import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

final class QuantizeTests: XCTestCase {
    /// The fast log8 (exponent + mantissa table) against its definition (counting thresholds), at
    /// every threshold, one ulp either side of it, and at seeded random values.
    func testFastLog8MatchesReference() {
        var values: [Float] = [0, -1, .nan, .infinity, -.infinity, 1, 2, 1e-30, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for c in 1...255 {
            let t = Float(exp2((Double(c) - 255.5) / 12))
            values += [t, t.nextUp, t.nextDown]
        }
        let seed: UInt64 = 42
        var g = SeededGenerator(seed: seed)
        for _ in 0..<20_000 { values.append(exp2(-Float(g.next() % 30_000) / 1000)) }
        for _ in 0..<5_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: g.next()))) }
        for v in values {
            XCTAssertEqual(Quantize.log8(v), Quantize.log8Reference(v), "v = \(v) (bits \(v.bitPattern), seed \(seed))")
        }
    }

    func testLog8RoundTripError() {
        for i in 0..<2000 {
            let v = exp2(-Float(i) / 100)   // 1 … 2^-20
            let back = Quantize.roundLog(v)
            XCTAssertLessThanOrEqual(abs(back - v) / v, 0.03, "v = \(v)")
        }
        XCTAssertEqual(Quantize.roundLog(0), 0)
        XCTAssertEqual(Quantize.roundLog(1e-9), 0)
        XCTAssertEqual(Quantize.roundLog(1), 1)
    }

    func testUnit16() {
        XCTAssertTrue(Quantize.roundUnit(.nan).isNaN)
        XCTAssertEqual(Quantize.roundUnit(0), 0)
        XCTAssertEqual(Quantize.roundUnit(1), 1)
        XCTAssertEqual(Quantize.roundUnit(1.5), 1)
        XCTAssertEqual(Quantize.roundUnit(-2), 0)
        for i in 0...1000 {
            let v = Float(i) / 1000
            XCTAssertLessThanOrEqual(abs(Quantize.roundUnit(v) - v), 0.5 / 65534 + 1e-7, "v = \(v)")
        }
    }

    /// The bit-twiddling float → half against the standard library's conversion.
    func testHalfMatchesFloat16() {
        var values: [Float] = [0, -0, 1, -1, 65504, 65519, 65520, 1e10, -1e10, .infinity, -.infinity,
                               6.1e-5, 6.0e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9, .leastNonzeroMagnitude]
        let seed: UInt64 = 7
        var g = SeededGenerator(seed: seed)
        for _ in 0..<50_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: g.next()))) }
        for e in -30...20 {   // values around every half rounding boundary
            for _ in 0..<200 {
                let v = Float(sign: g.next() % 2 == 0 ? .plus : .minus, exponent: e,
                              significand: 1 + Float(g.next() % 2048) / 2048 + Float(g.next() % 3) * 0x1p-12)
                values.append(v)
            }
        }
        for v in values where !v.isNaN {
            XCTAssertEqual(Quantize.half(v), Float16(v).bitPattern, "v = \(v) (bits \(v.bitPattern), seed \(seed))")
        }
        XCTAssertTrue(Float16(bitPattern: Quantize.half(.nan)).isNaN)
    }
}
