// `attnscope bench quant-kernels`: the single-thread decode matvec of every format the kernels read
// directly, on random weights of one shape, in GB/s of weight bytes read (and weights per ns).
// A benchmark, not a test: thread CPU time, so other load on the machine does not count.

import ArgumentParser
import AttnRuntime
import Foundation

struct BenchQuantKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant-kernels",
        abstract: "Time the single-thread matvec of every directly read weight format on random [4096 x 4096] weights (GB/s of weights read).")

    func run() throws {
        let rows = 4096, cols = 4096
        let formats: [QuantFormat] = [.f32, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q5_K, .q6_K]
        var rng = Xoshiro256(seed: 2)
        let x = (0..<cols).map { _ in rng.nextUnitFloat() - 0.5 }
        var sums = [Float](repeating: 0, count: cols / 32)
        blockSums(&sums, x, blocks: cols / 32)
        var out = [Float](repeating: 0, count: rows)
        say("attnscope bench quant-kernels: [\(rows) x \(cols)] random weights, one thread, thread CPU time")
        say("format   bytes/weight   us/call   GB/s read   Gweights/s")
        for format in formats {
            let weights = randomWeights(format, rows: rows, cols: cols, rng: &rng)
            let bytes = format.rowBytes(cols: cols) * rows
            var reps = 0, t0 = 0.0, elapsed = 0.0
            weights.withUnsafeBytes { w in
                matvecRows(&out, w.baseAddress!, format: format, x, xSums: sums, cols: cols, rows: 0..<rows)  // warm-up
                t0 = threadCPUSeconds()
                while elapsed < 0.5 || reps < 5 {
                    matvecRows(&out, w.baseAddress!, format: format, x, xSums: sums, cols: cols, rows: 0..<rows)
                    reps += 1
                    elapsed = threadCPUSeconds() - t0
                }
            }
            let per = elapsed / Double(reps)
            say(String(format: "%-8@ %12.4f %9.1f %11.2f %12.2f", "\(format)" as NSString,
                       Double(bytes) / Double(rows * cols), per * 1e6, Double(bytes) / per / 1e9,
                       Double(rows * cols) / per / 1e9))
        }
    }

    /// Random bytes in `format` whose f16 scales are finite and small (|d| ≤ 0.01).
    private func randomWeights(_ format: QuantFormat, rows: Int, cols: Int, rng: inout Xoshiro256) -> [UInt8] {
        if format == .f32 {
            return (0..<(rows * cols)).flatMap { _ in withUnsafeBytes(of: rng.nextUnitFloat() - 0.5) { Array($0) } }
        }
        let type = format.ggmlType
        let halves: [Int]
        switch format {
        case .q4_1, .q4_K, .q5_K: halves = [0, 2]
        case .q6_K: halves = [208]
        default: halves = [0]
        }
        var bytes = [UInt8](repeating: 0, count: rows * format.rowBytes(cols: cols))
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
        for block in 0..<(bytes.count / type.bytesPerBlock) {
            for offset in halves {
                let h = HalfFloat.f32ToF16(0.01 * rng.nextUnitFloat())
                bytes[block * type.bytesPerBlock + offset] = UInt8(h & 0xFF)
                bytes[block * type.bytesPerBlock + offset + 1] = UInt8(h >> 8)
            }
        }
        return bytes
    }
}
