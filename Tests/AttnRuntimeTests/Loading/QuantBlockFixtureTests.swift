import XCTest
@testable import AttnRuntime

/// The naive dequantization of every quantized type against the `gguf` Python package, on random
/// blocks (fixture quant_blocks.json from reference/quant_fixtures.py: random quant bits and packed
/// sub-block scales, finite f16 scales including subnormal ones), and hand-made K-quant blocks
/// whose values are known without the package.
final class QuantBlockFixtureTests: XCTestCase {
    func testRandomBlocksMatchGGUFPackage() throws {
        let fixture = try Fixtures.json("quant_blocks.json") as! [String: Any]
        let entries = fixture["types"] as! [[String: Any]]
        var seen: Set<GGMLType> = []
        for entry in entries {
            let name = entry["type"] as! String
            let type = try XCTUnwrap(GGMLType.allCases.first { $0.description == name }, name)
            seen.insert(type)
            let bytes = hexBytes(entry["hex"] as! String)
            let blocks = entry["blocks"] as! Int
            XCTAssertEqual(bytes.count, blocks * type.bytesPerBlock, name)
            let expected = (entry["values"] as! [Double]).map(Float.init)
            XCTAssertEqual(expected.count, blocks * type.blockSize, name)
            var out = [Float](repeating: .nan, count: expected.count)
            bytes.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: type, count: expected.count) }
            var mismatches = 0
            for (i, e) in expected.enumerated() where out[i] != e {
                mismatches += 1
                if mismatches <= 3 { XCTFail("\(name) element \(i) (block \(i / type.blockSize)): \(out[i]) vs gguf \(e)") }
            }
            XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(expected.count) values differ from gguf")
        }
        XCTAssertEqual(seen, [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    }

    /// Q4_K with d = 1, dmin = 1: scale of sub-block i = i + 1, minimum = 2 i (packing of
    /// sub-blocks 4-7 across bytes 0-11 included), q = element index % 16.
    func testQ4_KHandMadeBlock() {
        var block: [UInt8] = []
        block.append(le: HalfFloat.f32ToF16(1))
        block.append(le: HalfFloat.f32ToF16(1))
        let scales = (0..<8).map { UInt8($0 + 1) }, mins = (0..<8).map { UInt8(2 * $0) }
        var packed = [UInt8](repeating: 0, count: 12)
        for i in 0..<4 {
            packed[i] = scales[i] | (scales[i + 4] >> 4) << 6
            packed[i + 4] = mins[i] | (mins[i + 4] >> 4) << 6
            packed[i + 8] = (scales[i + 4] & 0x0F) | (mins[i + 4] & 0x0F) << 4
        }
        block += packed
        for j in 0..<4 { for l in 0..<32 { block.append(UInt8(l % 16) | UInt8((l + 1) % 16) << 4); _ = j } }
        var out = [Float](repeating: .nan, count: 256)
        block.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .q4_K, count: 256) }
        for e in 0..<256 {
            let sub = e / 32, l = e % 32
            let q = sub % 2 == 0 ? l % 16 : (l + 1) % 16
            XCTAssertEqual(out[e], Float(sub + 1) * Float(q) - Float(2 * sub), "element \(e)")
        }
    }

    /// Q6_K with d = 1 and scale of sub-block i (16 elements) = i - 8: element e gets
    /// q = e % 64 - 32 spread over ql's nibbles and qh's bit pairs as ggml lays them out.
    func testQ6_KHandMadeBlock() {
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for e in 0..<256 {
            let q = UInt8(e % 64), h = e / 128, k = (e % 128) / 32, l = e % 32
            ql[64 * h + 32 * (k & 1) + l] |= (q & 0x0F) << UInt8(4 * (k >> 1))
            qh[32 * h + l] |= (q >> 4) << UInt8(2 * k)
        }
        var block = ql + qh + (0..<16).map { UInt8(bitPattern: Int8($0 - 8)) }
        block.append(le: HalfFloat.f32ToF16(1))
        var out = [Float](repeating: .nan, count: 256)
        block.withUnsafeBytes { Dequantize.row(out: &out, $0.baseAddress!, type: .q6_K, count: 256) }
        for e in 0..<256 { XCTAssertEqual(out[e], Float(e / 16 - 8) * Float(e % 64 - 32), "element \(e)") }
    }

    func testKQuantSizes() {
        XCTAssertEqual([GGMLType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K].map(\.bytesPerBlock), [84, 110, 144, 176, 210])
        XCTAssertEqual([GGMLType.q5_0, .q5_1].map(\.bytesPerBlock), [22, 24])
        XCTAssertEqual(GGMLType.q4_K.rowBytes(count: 640), nil)
        XCTAssertEqual(GGMLType.q4_K.rowBytes(count: 1024), 576)
    }

    private func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var it = hex.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        while let hi = it.next(), let lo = it.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
        return out
    }
}
