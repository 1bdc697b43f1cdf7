import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

final class RoundTripTests: XCTestCase {
    func testSampleTraceRoundTrips() throws {
        for seed: UInt64 in [1, 2, 3] {
            var shape = SyntheticTrace.Shape()
            shape.layers = 4; shape.heads = 6; shape.kvHeads = 2; shape.decodeSteps = 12; shape.rowInterval = 3
            let sample = SyntheticTrace(shape: shape, seed: seed)
            let path = tempPath("rt-\(seed).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try sample.write(to: path)
            let r = try TraceReader(path: path)
            XCTAssertEqual(r.status, .finalized, "seed \(seed)")
            XCTAssertEqual(r.header, sample.header, "seed \(seed)")
            XCTAssertEqual(r.stepCount, sample.stepCount, "seed \(seed)")
            for s in 0..<r.stepCount {
                let expected = sample.frame(step: s).asStored()
                let got = try r.frame(s)
                XCTAssertTrue(got.storedEquals(expected), "seed \(seed) step \(s): \(got) != \(expected)")
                for l in 0..<shape.layers {
                    for h in 0..<shape.heads {
                        let m = try r.metrics(step: s, layer: l, head: h)
                        XCTAssertEqual(m.layer, l); XCTAssertEqual(m.head, h)
                        XCTAssertEqual(m.visibleKV, expected.metrics[l * shape.heads + h].visibleKV)
                        XCTAssertEqual(try r.selection(step: s, layer: l, head: h), expected.selections[l * shape.heads + h])
                    }
                }
            }
            XCTAssertEqual(r.unknownRecordCount, 0)
        }
    }

    /// `frame(_:into:)` with one buffer kept across steps (as the diff does) reads what `frame(_:)`
    /// reads, whatever the buffer held before (other sink counts, NaNs, shared selections).
    func testFrameIntoAReusedBufferEqualsAFreshRead() throws {
        for seed: UInt64 in 0..<20 {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let frames = (0..<Int(2 + g.next() % 5)).map { RandomRecords.frame(&g, header: header, index: $0) }
            let path = tempPath("reuse-\(seed).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let w = try TraceWriter(path: path, header: header)
            for f in frames { try w.append(f) }
            try w.finish()
            let r = try TraceReader(path: path)
            var buffer = StepFrame.empty
            for i in (0..<frames.count).reversed() + Array(0..<frames.count) {
                try r.frame(i, into: &buffer)
                XCTAssertTrue(buffer.storedEquals(try r.frame(i)), "seed \(seed) step \(i)")
                XCTAssertTrue(buffer.storedEquals(frames[i].asStored()), "seed \(seed) step \(i)")
                try r.frame(i, into: &buffer, topSinks: false)   // the diff's read: no top sinks
                var expected = frames[i].asStored()
                for k in expected.metrics.indices { expected.metrics[k].topSinks = [] }
                XCTAssertTrue(buffer.storedEquals(expected), "seed \(seed) step \(i), topSinks: false")
            }
        }
    }

    /// Random records with edge values (NaN, out-of-range floats, empty lists, Unicode, huge
    /// positions), over random shapes; every seed is reported on failure.
    func testRandomRecordsRoundTrip() throws {
        for seed: UInt64 in 0..<40 {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let frames = (0..<Int(1 + g.next() % 6)).map { RandomRecords.frame(&g, header: header, index: $0) }
            let encoding: RowEncoding = g.next() % 2 == 0 ? .log8 : .half
            let path = tempPath("random-\(seed).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let w = try TraceWriter(path: path, header: header, options: .init(rowEncoding: encoding))
            for f in frames { try w.append(f) }
            let finalize = g.next() % 4 != 0
            if finalize { try w.finish() }
            let r = try TraceReader(path: path)
            XCTAssertEqual(r.status.isFinalized, finalize, "seed \(seed)")
            XCTAssertEqual(r.header, header, "seed \(seed)")
            XCTAssertEqual(r.stepCount, frames.count, "seed \(seed)")
            for (i, f) in frames.enumerated() {
                let got = try r.frame(i)
                XCTAssertTrue(got.storedEquals(f.asStored(rowEncoding: encoding)), "seed \(seed) step \(i)")
                let m = header.model
                let l = Int(g.next() % UInt64(m.layers)), h = Int(g.next() % UInt64(m.heads))
                let one = try r.metrics(step: i, layer: l, head: h)
                XCTAssertTrue(StepFrame(step: f.step, metrics: [one], kv: [])
                    .storedEquals(StepFrame(step: f.step, metrics: [f.metrics[l * m.heads + h]], kv: []).asStored()),
                              "seed \(seed) step \(i) layer \(l) head \(h)")
                if !f.selections.isEmpty {
                    XCTAssertEqual(try r.selection(step: i, layer: l, head: h), f.selections[l * m.heads + h], "seed \(seed)")
                } else {
                    XCTAssertNil(try r.selection(step: i, layer: l, head: h), "seed \(seed)")
                }
                for rows in f.rows {
                    let got = try r.rows(step: i, layer: rows.layer, head: rows.head)
                    XCTAssertNotNil(got, "seed \(seed)")
                }
            }
        }
    }

    /// Whatever the writer accepts, the reader reads back; whatever it refuses, it refuses with
    /// `invalidFrame` and without writing a byte. Frames get one random corruption each.
    func testWriterAcceptsOnlyWhatTheReaderReads() throws {
        let extremes = [-1, Int.min, Int.max, Format.maxPosition, Format.maxPosition + 1, 1 << 50]
        var accepted = 0, refused = 0
        for seed: UInt64 in 100..<160 {
            var g = SeededGenerator(seed: seed)
            let header = RandomRecords.header(&g)
            let path = tempPath("corrupt-\(seed).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let w = try TraceWriter(path: path, header: header)
            var written: [StepFrame] = []
            for attempt in 0..<8 {
                var f = RandomRecords.frame(&g, header: header, index: written.count)
                let x = extremes[Int(g.next() % UInt64(extremes.count))]
                switch g.next() % 9 {
                case 0: f.step.position = x
                case 1: f.step.queryCount = x
                case 2: f.metrics[Int(g.next() % UInt64(f.metrics.count))].visibleKV = x
                case 3: f.metrics[Int(g.next() % UInt64(f.metrics.count))].selected = x
                case 4: f.metrics[0].topSinks.append(SinkScore(position: x, score: 0.5))
                case 5: f.kv[Int(g.next() % UInt64(f.kv.count))].entries = x
                case 6: f.kv[0].evicted.append(x)
                case 7: if !f.selections.isEmpty { f.selections[0].ranges.append(0..<max(x, 0)) }
                default: f.rows.append(AttentionRows(layer: 0, head: 0, kind: .decodeRow, rows: 1, cols: max(x, 0) % 100,
                                                    tile: 1, values: []))
                }
                let before = w.bytesWritten
                do {
                    try w.append(f)
                    written.append(f); accepted += 1
                } catch let e as TraceError {
                    refused += 1
                    guard case .invalidFrame = e.problem else { return XCTFail("seed \(seed) attempt \(attempt): \(e)") }
                    XCTAssertEqual(w.bytesWritten, before, "seed \(seed): a refused frame wrote bytes")
                }
            }
            try w.finish()
            let r = try TraceReader(path: path)
            XCTAssertEqual(r.stepCount, written.count, "seed \(seed)")
            for (i, f) in written.enumerated() {
                XCTAssertTrue(try r.frame(i).storedEquals(f.asStored()), "seed \(seed) step \(i)")
            }
        }
        XCTAssertGreaterThan(accepted, 50); XCTAssertGreaterThan(refused, 50)   // both paths were taken
    }

    func testSyntheticTracesAreDeterministicAndShaped() throws {
        let a = SyntheticTrace(seed: 5), b = SyntheticTrace(seed: 5), c = SyntheticTrace(seed: 6)
        XCTAssertEqual(a.header, b.header)
        XCTAssertEqual(a.header.model.layers, 30); XCTAssertEqual(a.header.model.heads, 9)
        XCTAssertEqual(a.header.model.kvHeads, 3)
        XCTAssertTrue(a.frame(step: 3).storedEquals(b.frame(step: 3)))
        XCTAssertFalse(a.frame(step: 3).storedEquals(c.frame(step: 3)))
        XCTAssertEqual(a.frame(step: 0).step.phase, .prefill)
        XCTAssertEqual(a.frame(step: 1).step.phase, .decode)
        // Some heads are sink-heavy, some are not.
        let sinks = a.frame(step: 5).metrics.map(\.sinkMass1)
        XCTAssertTrue(sinks.contains { $0 > 0.5 } && sinks.contains { $0 < 0.2 })
    }
}

/// Seeded random records that cover the corners of the encoding.
enum RandomRecords {
    static func float(_ g: inout SeededGenerator) -> Float {
        switch g.next() % 10 {
        case 0: return .nan
        case 1: return 0
        case 2: return 1
        case 3: return 1.0000001   // clamped to 1
        case 4: return -0.25       // clamped to 0
        default: return Float(g.next() % 1_000_000) / 1_000_000
        }
    }

    static func string(_ g: inout SeededGenerator) -> String {
        let pieces = ["", "a", " the", "\n", "\"", "\\", "é", "🙂", "\u{0}", "日本", "\t"]
        return (0..<Int(g.next() % 4)).map { _ in pieces[Int(g.next() % UInt64(pieces.count))] }.joined()
    }

    static func header(_ g: inout SeededGenerator) -> RunHeader {
        let kv = 1 + Int(g.next() % 3)
        let heads = kv * (1 + Int(g.next() % 3))
        let model = ModelInfo(name: string(&g), architecture: "llama", layers: 1 + Int(g.next() % 4), heads: heads,
                              kvHeads: kv, headDim: 64, contextLength: Int(g.next() % 100_000), vocabSize: 49152)
        let tokens = (0..<Int(g.next() % 5)).map { _ in TokenInfo(id: Int32(truncatingIfNeeded: g.next()), text: string(&g)) }
        return RunHeader(producer: string(&g), createdUnixSeconds: Int64(bitPattern: g.next()) >> 20, model: model,
                         policy: PolicyInfo(name: string(&g), mode: PolicyMode(rawValue: UInt8(g.next() % 3))!,
                                            parameters: [KeyValue(string(&g), string(&g))]),
                         capture: CaptureLevel(rawValue: UInt8(g.next() % 4))!, rowInterval: Int(g.next() % 9),
                         prompt: string(&g), promptTokens: tokens,
                         extra: g.next() % 2 == 0 ? [] : [KeyValue("k", string(&g))])
    }

    static func randomPosition(_ g: inout SeededGenerator) -> Int {
        g.next() % 5 == 0 ? Int(g.next() % UInt64(Format.maxPosition / 4)) : Int(g.next() % 5000)
    }

    static func frame(_ g: inout SeededGenerator, header: RunHeader, index: Int) -> StepFrame {
        let m = header.model
        let position = randomPosition(&g), queries = 1 + Int(g.next() % 3)
        let end = position + queries
        let step = StepInfo(index: index, phase: Phase(rawValue: UInt8(g.next() % 2))!, position: position,
                            queryCount: queries,
                            emittedToken: g.next() % 3 == 0 ? nil : TokenInfo(id: Int32(truncatingIfNeeded: g.next()), text: string(&g)),
                            wallNanos: g.next() >> UInt64(g.next() % 64),
                            layerTimes: g.next() % 2 == 0 ? [] : (0..<m.layers).map { _ in
                                LayerTime(attentionNanos: g.next() >> 3, restNanos: g.next() % 1000) })
        var metrics: [HeadMetrics] = []
        for l in 0..<m.layers {
            for h in 0..<m.heads {
                let visible = g.next() % 2 == 0 ? end : Int(g.next() % UInt64(end + 1))
                var sinks: [SinkScore] = []
                for _ in 0..<Int(g.next() % 9) {
                    sinks.append(SinkScore(position: randomPosition(&g), score: g.next() % 7 == 0 ? 0 : float(&g)))
                }
                metrics.append(HeadMetrics(layer: l, head: h, visibleKV: visible, selected: Int(g.next() % UInt64(visible + 1)),
                                           sinkMass1: float(&g), sinkMass4: float(&g), entropy: float(&g), recall: float(&g),
                                           oracleRecall: float(&g),
                                           outputError: g.next() % 2 == 0 ? float(&g) : Float(g.next() % 100_000) / 7,
                                           overlapKept: float(&g), jaccard: float(&g), topSinks: sinks))
            }
        }
        var kv: [KVResidency] = []
        for l in 0..<m.layers {
            for k in 0..<m.kvHeads {
                var ev: [Int] = []
                var p = -1
                for _ in 0..<Int(g.next() % 4) { p += 1 + Int(g.next() % 300); ev.append(p) }
                kv.append(KVResidency(layer: l, kvHead: k, entries: Int(g.next() % 10_000), bytes: Int(g.next() % 10_000_000), evicted: ev))
            }
        }
        var selections: [HeadSelection] = []
        if g.next() % 3 != 0 {
            var previous: [Range<Int>] = []
            for l in 0..<m.layers {
                for h in 0..<m.heads {
                    if g.next() % 3 == 0 && !(l == 0 && h == 0) {
                        selections.append(HeadSelection(layer: l, head: h, ranges: previous)); continue
                    }
                    var ranges: [Range<Int>] = []
                    var at = 0
                    for _ in 0..<Int(g.next() % 4) {
                        let start = at + Int(g.next() % 50), len = 1 + Int(g.next() % 50)
                        if start + len > end { break }
                        ranges.append(start..<(start + len)); at = start + len
                    }
                    if g.next() % 2 == 0, at < end { ranges.append(max(at, end - 1 - Int(g.next() % 20))..<end) }
                    previous = ranges
                    selections.append(HeadSelection(layer: l, head: h, ranges: ranges))
                }
            }
        }
        var rows: [AttentionRows] = []
        for _ in 0..<Int(g.next() % 3) {
            let r = Int(g.next() % 4), c = Int(g.next() % 40)
            rows.append(AttentionRows(layer: Int(g.next() % UInt64(m.layers)), head: Int(g.next() % UInt64(m.heads)),
                                      kind: r == 1 ? .decodeRow : .prefillMatrix, rows: r, cols: c, tile: 1 + Int(g.next() % 3),
                                      values: (0..<(r * c)).map { _ in g.next() % 4 == 0 ? 0 : float(&g) }))
        }
        let notes = (0..<Int(g.next() % 3)).map { _ in string(&g) }
        return StepFrame(step: step, metrics: metrics, kv: kv, selections: selections, rows: rows, annotations: notes)
    }
}
