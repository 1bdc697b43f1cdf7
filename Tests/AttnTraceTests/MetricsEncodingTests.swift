import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// The metrics record's compact forms (docs/trace-format.md §4.3): heads that share their
/// selection with the previous head, and top sinks stored by position, read back by score.
final class MetricsEncodingTests: XCTestCase {
    func head(_ h: Int, visible: Int = 90, selected: Int = 70, overlap: Float = 0.9,
              sinks: [SinkScore] = []) -> HeadMetrics {
        HeadMetrics(layer: 0, head: h, visibleKV: visible, selected: selected, sinkMass1: 0.5, sinkMass4: 0.6,
                    entropy: 0.3, recall: 0.99, outputError: 0.01, overlapKept: overlap, jaccard: 0.8, topSinks: sinks)
    }

    func encode(_ heads: [HeadMetrics], end: Int = 100) throws -> [UInt8] {
        var w = ByteWriter()
        try heads.withUnsafeBufferPointer {
            try Codec.encodeMetrics($0, layer: 0, first: 0, count: heads.count, end: end, into: &w)
        }
        return w.bytes
    }

    func decode(_ bytes: [UInt8], heads: Int, end: Int = 100) throws -> [HeadMetrics] {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, fileOffset: 0, path: "test", what: "metrics")
            var out: [HeadMetrics] = []
            for h in 0..<heads {
                out.append(try Codec.decodeHeadMetrics(&r, layer: 0, head: h, end: end, previous: out.last))
            }
            XCTAssertEqual(r.remaining, 0)
            return out
        }
    }

    func testHeadsSharingASelectionStoreItOnce() throws {
        let heads = [head(0), head(1), head(2, selected: 71), head(3, selected: 71, overlap: .nan)]
        let bytes = try encode(heads)
        // Head 0: flags, visible, selected, 7 numbers, oracle (NaN: 1 byte), count = 1+1+1+14+1+1.
        // Head 1 repeats head 0: flags (bit 7), 5 numbers, oracle, count = 1+10+1+1. Head 2 differs
        // (selected), head 3 (overlap NaN).
        XCTAssertEqual(bytes.count, 19 + 13 + 19 + 17)
        XCTAssertEqual(bytes[0], 0)
        XCTAssertEqual(bytes[19], 128)
        XCTAssertEqual(bytes[32], 0)
        XCTAssertEqual(bytes[51], 16)
        let got = StepFrame(step: sampleStep, metrics: try decode(bytes, heads: 4), kv: [])
        XCTAssertTrue(got.storedEquals(StepFrame(step: sampleStep, metrics: heads, kv: []).asStored()), "\(got.metrics)")
    }

    func testSinksAreStoredByPositionAndReadHighestScoreFirst() throws {
        let sinks = [SinkScore(position: 0, score: 0.9), SinkScore(position: 300, score: 0.5),
                     SinkScore(position: 2, score: 0.5), SinkScore(position: 301, score: 0.1)]
        let bytes = try encode([head(0, visible: 400, selected: 400, sinks: sinks)], end: 400)
        // The top-sink bitstream (docs/trace-format.md §4.3; TopSinksTests.testDocumentedExample).
        XCTAssertEqual(Array(bytes.suffix(9)), [0x59, 0x0A, 0x74, 0x59, 0xBF, 0x01, 0x8A, 0x62, 0x02])
        XCTAssertEqual(bytes.count, 1 + 2 + 14 + 1 + 9)
        let got = try decode(bytes, heads: 1, end: 400)[0].topSinks
        XCTAssertEqual(got.map(\.position), [0, 2, 300, 301])   // equal scores: lower position first
        XCTAssertEqual(got.map(\.score), [0.9, 0.5, 0.5, 0.1].map { Quantize.roundLog($0) })
        XCTAssertEqual(got, head(0, sinks: sinks).asStoredSinks)
    }

    func testFastEncoderMatchesTheReference() throws {
        for seed in 0..<300 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let f = RandomRecords.frame(&g, header: header, index: 0)
            let m = header.model, end = f.step.position + f.step.queryCount
            var scratch = ByteWriter(), w = ByteWriter()
            try Codec.encodeMetricsRecord(f.metrics, layers: m.layers, heads: m.heads, end: end, scratch: &scratch, into: &w)
            XCTAssertEqual(w.bytes, MetricsReferenceEncoder.record(f.metrics, layers: m.layers, heads: m.heads, end: end), "seed \(seed)")
        }
        let sample = SyntheticTrace(shape: .smolLM, seed: 5)
        for step in [0, 1, 7] {
            let f = sample.frame(step: step), end = f.step.position + f.step.queryCount
            var scratch = ByteWriter(), w = ByteWriter()
            try Codec.encodeMetricsRecord(f.metrics, layers: 30, heads: 9, end: end, scratch: &scratch, into: &w)
            XCTAssertEqual(w.bytes, MetricsReferenceEncoder.record(f.metrics, layers: 30, heads: 9, end: end), "step \(step)")
        }
    }

    /// A memo carried across steps (as ChunkEncoder does) must not change a byte: heads whose
    /// sinks repeat get the remembered bitstream, heads whose sinks changed in any bit of a score
    /// or position, or in count, are encoded afresh.
    func testTopSinksMemoGivesTheSameBytesAsAFreshEncoder() throws {
        for seed in 0..<40 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let m = header.model
            let memo = TopSinksMemo()
            var previous: [HeadMetrics] = []
            for step in 0..<12 {
                var f = RandomRecords.frame(&g, header: header, index: step)
                if !previous.isEmpty {
                    for i in f.metrics.indices where i < previous.count {
                        switch g.next() % 5 {
                        case 0, 1: f.metrics[i].topSinks = previous[i].topSinks                       // unchanged
                        case 2 where !previous[i].topSinks.isEmpty:                                    // one score bit
                            f.metrics[i].topSinks = previous[i].topSinks
                            let j = Int(g.next() % UInt64(previous[i].topSinks.count))
                            f.metrics[i].topSinks[j].score = Float(bitPattern: f.metrics[i].topSinks[j].score.bitPattern ^ 1)
                        case 3 where !previous[i].topSinks.isEmpty:                                    // one position
                            f.metrics[i].topSinks = previous[i].topSinks
                            f.metrics[i].topSinks[0].position ^= 1
                        default: break                                                                 // fresh sinks
                        }
                    }
                }
                let end = f.step.position + f.step.queryCount
                var scratch = ByteWriter(), withMemo = ByteWriter(), fresh = ByteWriter()
                try Codec.encodeMetricsRecord(f.metrics, layers: m.layers, heads: m.heads, end: end, memo: memo,
                                              scratch: &scratch, into: &withMemo)
                try Codec.encodeMetricsRecord(f.metrics, layers: m.layers, heads: m.heads, end: end,
                                              scratch: &scratch, into: &fresh)
                XCTAssertEqual(withMemo.bytes, fresh.bytes, "seed \(seed) step \(step)")
                previous = f.metrics
            }
        }
    }

    func testSelectionFlagNeedsAPreviousHeadAndNoOverlapBits() throws {
        var bytes = try encode([head(0), head(1)])
        XCTAssertEqual(bytes[19], 128)
        bytes[19] = 128 | 16
        assertTraceError(try decode(bytes, heads: 2)) { $0 == .invalidValue(field: "metrics flags", value: "144") }
        let lone = Array(bytes[19...])
        assertTraceError(try decode(lone, heads: 1)) { $0 == .invalidValue(field: "metrics flags", value: "144") }
        var first = try encode([head(0)])
        first[0] = 128
        assertTraceError(try decode(first, heads: 1)) { $0 == .invalidValue(field: "metrics flags", value: "128") }
    }

    let sampleStep = StepInfo(index: 0, phase: .decode, position: 99, queryCount: 1, emittedToken: nil,
                              wallNanos: 0, layerTimes: [])
}

private extension HeadMetrics {
    var asStoredSinks: [SinkScore] {
        StepFrame(step: StepInfo(index: 0, phase: .decode, position: 0, queryCount: 1, emittedToken: nil, wallNanos: 0,
                                 layerTimes: []), metrics: [self], kv: []).asStored().metrics[0].topSinks
    }
}
