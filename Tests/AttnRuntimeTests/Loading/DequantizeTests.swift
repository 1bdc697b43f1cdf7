import XCTest
@testable import AttnRuntime

/// Dequantization: hand-made blocks with known values, every f16 bit pattern, and rows of the real
/// model against the `gguf` Python package (fixture dequant.json from reference/reference.py).
final class DequantizeTests: XCTestCase {
    /// Q4_1 stores element j in the LOW nibble of byte j and element j+16 in the HIGH nibble of byte j.
    /// The other plausible orders (interleaved pairs; high nibble first) give different values here.
    func testQ4_1NibbleOrder() {
        var block: [UInt8] = []
        block.append(le: HalfFloat.f32ToF16(1))   // d = 1
        block.append(le: HalfFloat.f32ToF16(0))   // m = 0
        for j in 0..<16 { block.append(UInt8(j) | UInt8(15 - j) << 4) }  // low = j, high = 15 - j
        var out = [Float](repeating: .nan, count: 32)
        block.withUnsafeBytes { Dequantize.q4_1(out: &out, $0.baseAddress!, count: 32) }
        let expected = (0..<16).map(Float.init) + (0..<16).map { Float(15 - $0) }
        XCTAssertEqual(out, expected)

        // Scale and minimum: w = d * q + m.
        block.replaceSubrange(0..<4, with: [HalfFloat.f32ToF16(0.5), HalfFloat.f32ToF16(-2)].flatMap { v in
            [UInt8(v & 0xFF), UInt8(v >> 8)]
        })
        block.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .q4_1, count: 32) }
        XCTAssertEqual(out, expected.map { 0.5 * $0 - 2 })
    }

    func testQ4_0AndQ8_0Blocks() {
        var q4: [UInt8] = []
        q4.append(le: HalfFloat.f32ToF16(2))
        for j in 0..<16 { q4.append(UInt8(j) | UInt8(15 - j) << 4) }
        var out = [Float](repeating: .nan, count: 32)
        q4.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .q4_0, count: 32) }
        XCTAssertEqual(out, ((0..<16).map { Float($0 - 8) } + (0..<16).map { Float(7 - $0) }).map { 2 * $0 })

        var q8: [UInt8] = []
        q8.append(le: HalfFloat.f32ToF16(0.25))
        for i in 0..<32 { q8.append(UInt8(bitPattern: Int8(i * 8 - 128))) }
        q8.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .q8_0, count: 32) }
        XCTAssertEqual(out, (0..<32).map { 0.25 * Float($0 * 8 - 128) })
    }

    func testPlainFloatTypes() {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-3, -0.0]
        var f32: [UInt8] = [], f16: [UInt8] = [], bf16: [UInt8] = []
        for v in values {
            f32.append(le: v.bitPattern)
            f16.append(le: HalfFloat.f32ToF16(v))
            bf16.append(le: HalfFloat.f32ToBF16(v))
        }
        var out = [Float](repeating: .nan, count: values.count)
        f32.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .f32, count: values.count) }
        XCTAssertEqual(out, values)
        f16.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .f16, count: values.count) }
        for (a, b) in zip(out, values) { XCTAssertEqual(a, b, accuracy: abs(b) * 1e-3) }
        bf16.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .bf16, count: values.count) }
        for (a, b) in zip(out, values) { XCTAssertEqual(a, b, accuracy: abs(b) * 8e-3) }
        XCTAssertEqual(HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(1.0 + 1.0 / 256)), 1.0)  // ties to even
        XCTAssertTrue(HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(.nan)).isNaN)
    }

    /// The hardware f16 conversion against the by-hand one, for all 65,536 bit patterns.
    func testF16ConversionEveryBitPattern() {
        for bits in 0...UInt16.max {
            let fast = HalfFloat.f16ToF32(bits), naive = HalfFloat.f16ToF32Naive(bits)
            if naive.isNaN { XCTAssertTrue(fast.isNaN, "bits \(bits)") } else if fast != naive || fast.sign != naive.sign {
                XCTFail("f16 bits \(String(bits, radix: 16)): \(fast) vs \(naive)")
                return
            }
        }
    }

    /// Rows of every tensor type in the model against the gguf package (f32; expected bit-identical).
    func testRowsMatchGGUFPackage() throws {
        let gguf = try ReferenceModel.gguf()
        let fixture = try Fixtures.json("dequant.json") as! [String: Any]
        let rows = fixture["rows"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(rows.count, 10)
        var typesSeen: Set<GGMLType> = []
        var maxDiff: Float = 0
        for entry in rows {
            let info = try gguf.tensor(entry["tensor"] as! String)
            XCTAssertEqual(info.type.description, entry["type"] as? String)
            typesSeen.insert(info.type)
            let row = entry["row"] as! Int
            var out = [Float](repeating: .nan, count: info.rowLength)
            Dequantize.row(out: &out, tensor: info, data: gguf.data(info), index: row)
            let expected = (entry["values"] as! [Double]).map(Float.init)
            for (i, e) in expected.enumerated() {
                maxDiff = max(maxDiff, abs(out[i] - e))
                XCTAssertEqual(out[i], e, accuracy: 1e-6 * max(1, abs(e)), "\(info.name) row \(row) [\(i)]")
            }
            let sum = out.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, entry["row_sum"] as! Double, accuracy: 1e-4 * max(1, abs(sum)), "\(info.name) row \(row) sum")
        }
        XCTAssertEqual(typesSeen, [.q8_0, .q4_1, .f32])
        print("dequant: max |Δ| vs gguf package = \(maxDiff)")
    }

    func testWholeTensor() throws {
        let gguf = try ReferenceModel.gguf()
        let info = try gguf.tensor("blk.0.attn_k.weight")
        let all = Dequantize.tensor(info, data: gguf.data(info))
        XCTAssertEqual(all.count, 576 * 192)
        var row = [Float](repeating: 0, count: 576)
        Dequantize.row(out: &row, tensor: info, data: gguf.data(info), index: 191)
        XCTAssertEqual(Array(all[(191 * 576)...]), row)
    }
}

extension HalfFloat {
    /// f32 -> bf16 bits, round to nearest even; NaN stays NaN (to write bf16 test weights).
    static func f32ToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
