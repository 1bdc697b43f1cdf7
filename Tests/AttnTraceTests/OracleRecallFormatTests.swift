import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnTrace

/// oracle_recall in the version-2 head entry (docs/trace-format.md §4.3): both column decoders
/// against each other and against frames, its size, its errors, and version-1 files without it.
final class OracleRecallFormatTests: XCTestCase {
    /// Decodes a metrics record body into columns with the fast decoder or the checked one alone.
    func columns(_ body: [UInt8], layers: Int, heads: Int, fast: Bool, oracle: Bool = true) throws -> MetricColumns {
        try body.withUnsafeBytes { raw in
            var r = ByteReader(raw, fileOffset: 0, path: "test", what: "metrics")
            var c = MetricColumns()
            try Codec.decodeMetricColumns(&r, layers: layers, heads: heads, oracle: oracle, into: &c, fast: fast)
            return c
        }
    }

    func bits(_ c: MetricColumns) -> [UInt32] {
        MetricColumns.Field.allCases.flatMap { f in c.withField(f) { $0.map(\.bitPattern) } }
            + c.withCounts { v, s in (Array(v) + Array(s)).map { UInt32(truncatingIfNeeded: $0) } }
    }

    /// Random records (oracle above, equal to and below recall, either NaN): the fast decoder gives
    /// the checked decoder's columns bit for bit, and both give what frames give.
    func testFastColumnDecoderMatchesTheCheckedOne() throws {
        var oracles = 0
        for seed in 0..<300 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let f = RandomRecords.frame(&g, header: header, index: 0)
            let m = header.model, end = f.step.position + f.step.queryCount
            var scratch = ByteWriter(), w = ByteWriter()
            try Codec.encodeMetricsRecord(f.metrics, layers: m.layers, heads: m.heads, end: end, scratch: &scratch, into: &w)
            let fast = try columns(w.bytes, layers: m.layers, heads: m.heads, fast: true)
            let checked = try columns(w.bytes, layers: m.layers, heads: m.heads, fast: false)
            XCTAssertEqual(bits(fast), bits(checked), "seed \(seed)")
            let stored = StepFrame(step: f.step, metrics: f.metrics, kv: []).asStored().metrics
            fast.withField(.oracleRecall) { col in
                for (i, h) in stored.enumerated() {
                    XCTAssertEqual(col[i].bitPattern, h.oracleRecall.isNaN ? col[i].bitPattern : h.oracleRecall.bitPattern, "seed \(seed) head \(i)")
                    XCTAssertEqual(col[i].isNaN, h.oracleRecall.isNaN, "seed \(seed) head \(i)")
                    if !h.oracleRecall.isNaN { oracles += 1 }
                }
            }
        }
        XCTAssertGreaterThan(oracles, 1000)
        // records large enough for the fast path on every head but the last few
        let sample = SyntheticTrace(shape: .smolLM, seed: 5)
        for step in [0, 1, 7] {
            let f = sample.frame(step: step), end = f.step.position + f.step.queryCount
            var scratch = ByteWriter(), w = ByteWriter()
            try Codec.encodeMetricsRecord(f.metrics, layers: 30, heads: 9, end: end, scratch: &scratch, into: &w)
            let fast = try columns(w.bytes, layers: 30, heads: 9, fast: true)
            XCTAssertEqual(bits(fast), bits(try columns(w.bytes, layers: 30, heads: 9, fast: false)), "step \(step)")
            fast.withField(.oracleRecall) { col in
                XCTAssertEqual(Array(col), StepFrame(step: f.step, metrics: f.metrics, kv: []).asStored().metrics.map(\.oracleRecall))
            }
        }
    }

    /// The field is one byte when the oracle is NaN or equals recall (dense attention), two for a
    /// difference below 1/8 of the unit range.
    func testFieldSize() throws {
        func size(recall: Float, oracle: Float) throws -> Int {
            let h = HeadMetrics(layer: 0, head: 0, visibleKV: 10, selected: 10, sinkMass1: 0.5, sinkMass4: 0.5, entropy: 0.5,
                                recall: recall, oracleRecall: oracle, outputError: 0, overlapKept: 1, jaccard: 1, topSinks: [])
            var w = ByteWriter()
            try [h].withUnsafeBufferPointer { try Codec.encodeMetrics($0, layer: 0, first: 0, count: 1, end: 10, into: &w) }
            return w.count - (1 + 1 + 1 + 14 + 1)   // flags, two counts, 7 numbers, no sinks (1 byte)
        }
        XCTAssertEqual(try size(recall: 1, oracle: 1), 1)
        XCTAssertEqual(try size(recall: 0.6, oracle: .nan), 1)
        XCTAssertEqual(try size(recall: 0.6, oracle: 0.7), 2)
        XCTAssertEqual(try size(recall: 0.1, oracle: 0.9), 3)
        XCTAssertEqual(try size(recall: .nan, oracle: 0.9), 3 - 2)   // 3 bytes; recall (2 bytes) not stored
    }

    /// A field that decodes to no unit16 value (above 1, or the NaN code) is an error, the same one
    /// from both column decoders and from frames.
    func testOutOfRangeOracleIsAnError() throws {
        let h = HeadMetrics(layer: 0, head: 0, visibleKV: 10, selected: 10, sinkMass1: 0.5, sinkMass4: 0.5, entropy: 0.5,
                            recall: 1, oracleRecall: 1, outputError: 0, overlapKept: 1, jaccard: 1, topSinks: [])
        var scratch = ByteWriter(), w = ByteWriter()
        try Codec.encodeMetricsRecord([h], layers: 1, heads: 1, end: 10, scratch: &scratch, into: &w)
        var bytes = w.bytes
        // body: L H end, block size, flags, 2 counts, 7 × u16, oracle field (1 = same code as recall)
        let at = 4 + 1 + 2 + 14
        XCTAssertEqual(bytes[at], 1)
        bytes[at] = 3   // zigzag 2: recall's code + 1 = 65535, the NaN code
        for fast in [true, false] {
            assertTraceError(try columns(bytes, layers: 1, heads: 1, fast: fast)) { $0 == .invalidValue(field: "oracle recall", value: "3") }
        }
        let block = Array(bytes[4...])
        assertTraceError(try block.withUnsafeBytes { raw -> HeadMetrics in
            var r = ByteReader(raw, fileOffset: 0, path: "test", what: "metrics")
            return try Codec.decodeHeadMetrics(&r, layer: 0, head: 0, end: 10, previous: nil)
        }) { $0 == .invalidValue(field: "oracle recall", value: "3") }
    }

    /// Version 1 has no oracle field: its traces still open, and every oracle recall reads as NaN
    /// (absent), through frames, one head and columns; the version-2 golden holds the field.
    func testVersion1TracesHaveNoOracle() throws {
        let old = try TraceReader(path: GoldenTests.traces.appendingPathComponent("v1/golden.atrace").path)
        let new = try TraceReader(path: GoldenTests.traces.appendingPathComponent("golden.atrace").path)
        var c = StepColumns()
        for s in 0..<old.stepCount {
            XCTAssertTrue(try old.frame(s).metrics.allSatisfy { $0.oracleRecall.isNaN })
            XCTAssertTrue(try old.metrics(step: s, layer: 0, head: 1).oracleRecall.isNaN)
            try old.columns(s, into: &c)
            c.metrics.withField(.oracleRecall) { XCTAssertTrue($0.allSatisfy(\.isNaN)) }
            let newFrame = try new.frame(s)
            XCTAssertTrue(newFrame.metrics.allSatisfy { !$0.oracleRecall.isNaN && $0.oracleRecall >= $0.recall })
            try new.columns(s, into: &c)
            c.metrics.withField(.oracleRecall) { XCTAssertEqual(Array($0), newFrame.metrics.map(\.oracleRecall)) }
        }
    }
}
