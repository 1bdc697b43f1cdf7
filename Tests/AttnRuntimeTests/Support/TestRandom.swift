import AttnTraceTestSupport
import Foundation
@testable import AttnRuntime

/// The runtime tests' name for the seeded generator.
typealias SeededRandom = SeededGenerator

/// Random quant blocks of `rows` rows × `cols` weights in `format` (per QuantBlocks.swift).
func randomQuantMatrix(_ format: QuantFormat, rows: Int, cols: Int, rng: inout SeededGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    for _ in 0..<rows {
        for _ in 0..<(cols / format.blockSize) {
            func randomBytes(_ n: Int) { for _ in 0..<n { bytes.append(UInt8.random(in: 0...255, using: &rng)) } }
            switch format {
            case .q5_0:
                appendHalf(&bytes, Float.random(in: -0.1...0.1, using: &rng))
                randomBytes(20)
            case .q4_K, .q5_K:  // d, dmin, then packed 6-bit scales/minimums and quants, all random
                appendHalf(&bytes, Float.random(in: 0.0001...0.01, using: &rng))
                appendHalf(&bytes, Float.random(in: 0.0001...0.01, using: &rng))
                randomBytes(format == .q4_K ? 140 : 172)
            case .q6_K:  // ql, qh, int8 scales random, then d
                randomBytes(208)
                appendHalf(&bytes, Float.random(in: -0.01...0.01, using: &rng))
            case .q4_1:
                appendHalf(&bytes, Float.random(in: 0.001...0.1, using: &rng))
                appendHalf(&bytes, Float.random(in: -0.5...0.1, using: &rng))
                for _ in 0..<16 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            case .q4_0:
                appendHalf(&bytes, Float.random(in: -0.1...0.1, using: &rng))
                for _ in 0..<16 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            case .q8_0:
                appendHalf(&bytes, Float.random(in: -0.01...0.01, using: &rng))
                for _ in 0..<32 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            case .f32:
                for _ in 0..<32 {
                    let v = Float.random(in: -1...1, using: &rng).bitPattern
                    for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
                }
            }
        }
    }
    return bytes
}

private func appendHalf(_ bytes: inout [UInt8], _ v: Float) {
    let h = HalfFloat.f32ToF16(v)
    bytes.append(UInt8(h & 0xFF)); bytes.append(UInt8(h >> 8))
}
