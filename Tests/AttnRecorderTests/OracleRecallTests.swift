@testable import AttnRecorder
import AttnRuntime
import AttnTestSupport
import AttnTraceTestSupport
import AttnTrace
import Foundation
import XCTest

/// Oracle recall (the k largest dense probabilities, k = the keys a head attended to): the
/// selection by partial ordering against a full sort, a hand-made row whose oracle is known, and
/// on the reference model: never below recall, and equal to it (and 1) under dense attention.
final class OracleRecallTests: XCTestCase {
    func oracle(_ dense: [Float], k: Int) -> Float {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, dense.count))
        defer { scratch.deallocate() }
        return dense.withUnsafeBufferPointer { HeadStatistics.oracleRecall(dense: $0, k: k, scratch: scratch) }
    }

    func testHandMadeRow() {
        let dense: [Float] = [0.5, 0.2, 0.2, 0.1]
        let attended: [Int32] = [0, 3]
        let recall = attended.withUnsafeBufferPointer { s in
            dense.withUnsafeBufferPointer { HeadStatistics.recall(selected: s, dense: $0) }
        }
        XCTAssertEqual(recall, 0.6, accuracy: 1e-7)
        XCTAssertEqual(oracle(dense, k: attended.count), 0.7, accuracy: 1e-7)
        XCTAssertEqual(oracle(dense, k: 0), 0)
        XCTAssertEqual(oracle(dense, k: 1), 0.5)
        XCTAssertEqual(oracle(dense, k: 3), 0.9, accuracy: 1e-7)   // a tie at the k-th value
        XCTAssertEqual(oracle(dense, k: 4), 1)
        XCTAssertEqual(oracle(dense, k: 9), 1)
        XCTAssertEqual(oracle([], k: 2), 0)
    }

    /// Random rows (with ties, zeros and runs of equal values) and every kind of k: equal to the sort.
    func testSelectionMatchesSort() {
        var g = SeededGenerator(seed: 20)
        for trial in 0..<400 {
            let n = 1 + Int(g.next() % 300)
            var row: [Float]
            switch trial % 4 {
            case 0: row = g.floats(n, in: 0...1)
            case 1: row = (0..<n).map { _ in Float(g.next() % 5) / 8 }            // many ties
            case 2: row = (0..<n).map { i in i % 7 == 0 ? 0 : Float(n - i) }      // descending with zeros
            default: row = [Float](repeating: 0.25, count: n)                      // all equal
            }
            let sum = row.reduce(0, +)
            if sum > 0 { row = row.map { $0 / sum } }
            for k in [0, 1, 2, n / 3, n / 2, n - 1, n, n + 5] where k >= 0 {
                let fast = oracle(row, k: k), naive = HeadStatistics.oracleRecallNaive(dense: row, k: k)
                XCTAssertEqual(fast, naive, accuracy: 1e-5, "trial \(trial) n \(n) k \(k)")
            }
        }
    }

    /// The input row is left as it was (the selection works on the scratch copy).
    func testDenseRowIsNotReordered() {
        let row: [Float] = [0.1, 0.4, 0.05, 0.3, 0.15]
        let copy = row
        _ = oracle(row, k: 2)
        XCTAssertEqual(row, copy)
        XCTAssertEqual(oracle(row, k: 2), 0.7, accuracy: 1e-7)
    }

    func record(_ spec: String, gguf: GGUFFile, prompt: [Int32], steps: Int) throws -> [StepFrame] {
        let model = try Transformer(gguf: gguf, contextLength: prompt.count + steps + 1, threads: 2)
        let session = try RecordingSession(model: model, policy: try PolicyRegistry.make(spec),
                                           options: .init(capture: .metrics, denseShadow: true))
        var frames: [StepFrame] = []
        var input = prompt
        for _ in 0..<steps {
            let recorded = session.step(input, next: { Int32(Sampler.argmax($0)) }, describe: { TokenInfo(id: $0, text: "") })
            frames.append(recorded.frame)
            input = [recorded.next]
        }
        return frames
    }

    func testNeverBelowRecallOnTheReferenceModel() throws {
        let gguf = try GGUFFile(path: try requireModel())
        let tokenizer = try BPETokenizer(gguf: gguf)
        let prompt = tokenizer.encode("The keeper climbed the steps of the tower every evening, lit the lamp and watched the ships pass the rocks below until morning came.")
        var below = 0, short = 0, known = 0
        for spec in ["h2o:heavy=6,window=6", "quest:page=2,budget=6,dense_layers=2"] {
            for (step, f) in try record(spec, gguf: gguf, prompt: prompt, steps: 8).enumerated() {
                XCTAssertEqual(f.metrics.count, 270)
                for m in f.metrics {
                    XCTAssertEqual(m.oracleRecall.isNaN, m.recall.isNaN, "\(spec) step \(step) L\(m.layer) H\(m.head)")
                    if !m.recall.isNaN { known += 1 }
                    if m.oracleRecall < m.recall - 1e-6 { below += 1 }
                    if m.oracleRecall > m.recall + 1e-3 { short += 1 }
                    XCTAssertLessThanOrEqual(m.oracleRecall, 1)
                }
            }
        }
        XCTAssertGreaterThan(known, 2 * 7 * 270 - 1, "every decode step's heads have a dense reference")
        XCTAssertEqual(below, 0, "heads whose oracle recall is below recall")
        XCTAssertGreaterThan(short, 0, "some head chose keys that are not the top k (else the test shows nothing)")
    }

    func testDenseAttentionIsItsOwnOracle() throws {
        let gguf = try GGUFFile(path: try requireModel())
        let tokenizer = try BPETokenizer(gguf: gguf)
        let prompt = tokenizer.encode("The keeper climbed the steps of the tower every evening.")
        for f in try record("dense", gguf: gguf, prompt: prompt, steps: 4) {
            for m in f.metrics {
                XCTAssertEqual(m.oracleRecall, m.recall, "step \(f.step.index) L\(m.layer) H\(m.head)")
                XCTAssertEqual(m.oracleRecall, 1, accuracy: 1e-5)
            }
        }
    }
}
