import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// The fast quantized matvec and row dequantization against the naive element-by-element
/// versions, on random blocks (the K-quants with random packed sub-block scales and minimums).
/// Tolerance 1e-5 relative: both sum ~1000 products of the same dequantized f32 weights; the naive
/// one in Double, the fast one in f32 with a different order (Q4_K / Q5_K / Q5_0 take the minimum or
/// offset through Σx per 32 weights), so only f32 rounding (≈ cols · 6e-8 · |terms|) separates them.
final class QuantDotTests: XCTestCase {
    func testMatvecFastMatchesNaive() {
        for format in [QuantFormat.q4_1, .q4_0, .q8_0, .f32, .q5_0, .q4_K, .q5_K, .q6_K] {
            for seed in UInt64(1)...3 {
                var rng = SeededGenerator(seed: seed)
                let rows = 37, cols = format.blockSize == 256 ? 1024 : 576
                let w = randomQuantMatrix(format, rows: rows, cols: cols, rng: &rng)
                let x = rng.floats(cols)
                var fast = [Float](repeating: 0, count: rows), naive = fast
                var sums = [Float](repeating: 0, count: cols / 32)
                w.withUnsafeBytes { wp in
                    blockSums(&sums, x, blocks: cols / 32)
                    matvecRows(&fast, wp.baseAddress!, format: format, x, xSums: sums, cols: cols, rows: 0..<rows)
                    matvecNaive(&naive, wp.baseAddress!, format: format, x, rows: rows, cols: cols)
                }
                assertClose(fast, naive, below: 1e-5, relative: true, "\(format) seed \(seed)")
            }
        }
    }

    /// Q4_1 nibble order: low nibbles are elements 0-15, high nibbles 16-31. A block with one
    /// nibble set shows where it lands; the swapped order (byte i → elements 2i, 2i+1) would fail.
    func testQ4_1NibbleOrder() {
        // d = 1, m = 0; byte 3 = 0x5A: element 3 = 0xA = 10, element 19 = 0x5 = 5.
        var block = [UInt8](repeating: 0, count: 20)
        let one = HalfFloat.f32ToF16(1)
        block[0] = UInt8(one & 0xFF); block[1] = UInt8(one >> 8)
        block[4 + 3] = 0x5A
        var out = [Float](repeating: -1, count: 32)
        block.withUnsafeBytes { dequantizeRows(&out, $0.baseAddress!, format: .q4_1, cols: 32, rows: 0..<1) }
        var expected = [Float](repeating: 0, count: 32)
        expected[3] = 10; expected[19] = 5
        XCTAssertEqual(out, expected)
        // The matvec agrees: x = e_19 picks element 19.
        var x = [Float](repeating: 0, count: 32); x[19] = 1
        var sums = [Float](repeating: 0, count: 1), y = [Float](repeating: 0, count: 1)
        block.withUnsafeBytes { wp in
            blockSums(&sums, x, blocks: 1)
            matvecRows(&y, wp.baseAddress!, format: .q4_1, x, xSums: sums, cols: 32, rows: 0..<1)
        }
        XCTAssertEqual(y[0], 5)
    }

    /// The SIMD dequantization used by prefill equals the loader's reference `Dequantize.row`.
    func testDequantizeRowsMatchesLoaderReference() {
        let pairs: [(QuantFormat, GGMLType)] = [(.q4_1, .q4_1), (.q4_0, .q4_0), (.q8_0, .q8_0), (.f32, .f32),
                                                (.q5_0, .q5_0), (.q4_K, .q4_K), (.q5_K, .q5_K), (.q6_K, .q6_K)]
        for (format, type) in pairs {
            var rng = SeededGenerator(seed: 7)
            let rows = 5, cols = 256
            let w = randomQuantMatrix(format, rows: rows, cols: cols, rng: &rng)
            var fast = [Float](repeating: 0, count: rows * cols), ref = fast
            w.withUnsafeBytes { wp in
                dequantizeRows(&fast, wp.baseAddress!, format: format, cols: cols, rows: 0..<rows)
                for r in 0..<rows {
                    ref.withUnsafeMutableBufferPointer { rb in
                        Dequantize.row(out: rb.baseAddress! + r * cols, wp.baseAddress! + r * format.rowBytes(cols: cols),
                                       type: type, count: cols)
                    }
                }
            }
            // fma(d, q, m) vs d·q + m: at most one rounding apart.
            assertClose(fast, ref, below: 1e-6, relative: true, "\(format)")
        }
    }

    /// A Q4_K row whose value is known by hand: every scale 1, minimum 0, d = 1, all q = 1 except
    /// one nibble, against x = e_i for positions in each of the eight sub-blocks, low and high nibbles.
    func testQ4_KPicksEachSubBlock() {
        var block: [UInt8] = []
        block.append(le: HalfFloat.f32ToF16(1)); block.append(le: HalfFloat.f32ToF16(1))
        block += [1, 2, 3, 4, 0, 0, 0, 0, 0x05, 0x06, 0x07, 0x08]  // scales 1...8, minimums 0
        block += [UInt8](repeating: 0x21, count: 128)               // low nibble 1, high nibble 2
        var x = [Float](repeating: 0, count: 256), sums = [Float](repeating: 0, count: 8), y: [Float] = [0]
        for e in stride(from: 3, to: 256, by: 32) {
            x = x.map { _ in 0 }; x[e] = 1
            block.withUnsafeBytes { wp in
                blockSums(&sums, x, blocks: 8)
                matvecRows(&y, wp.baseAddress!, format: .q4_K, x, xSums: sums, cols: 256, rows: 0..<1)
            }
            let sub = e / 32
            XCTAssertEqual(y[0], Float(sub + 1) * (sub % 2 == 0 ? 1 : 2), "element \(e)")
        }
    }
}
