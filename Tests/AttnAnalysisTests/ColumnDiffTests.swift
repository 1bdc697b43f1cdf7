import XCTest
@testable import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

/// The column path of `TraceDiff` (trace files decoded into columns, TraceDiff+Columns.swift)
/// against the reference frame engine (`DiffOptions.columnar = false`): same report, byte for
/// byte in text and JSON, or the same error, on seeded random traces with differences, on
/// corrupted and truncated files, and on the golden traces under traces/diff/.
final class ColumnDiffTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-columndiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: - Helpers

    /// What a diff gave: the report rendered both ways, or the error.
    static func outcome(_ body: () throws -> TraceDiffReport) -> String {
        do {
            let r = try body()
            return "exit \(r.withinTolerance ? 0 : 1)\n" + r.renderText(top: 1000) + r.renderJSON()
        } catch {
            return "error: \(error)"
        }
    }

    /// Runs the reference engine and the column path (with and without the read-ahead thread)
    /// on the same pair and checks that all give the same outcome; returns it.
    @discardableResult
    func assertSameOutcome<A: ColumnSource, B: ColumnSource>(
        _ a: () throws -> A, _ b: () throws -> B, options: DiffOptions, _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) rethrows -> String {
        var reference = options
        reference.columnar = false
        let expected = Self.outcome { try TraceDiff.run(try a(), try b(), labels: ("a", "b"), options: reference) }
        for parallel in [true, false] {
            var fast = options
            fast.columnar = true
            fast.parallelRead = parallel
            let actual = Self.outcome { try TraceDiff.run(try a(), try b(), labels: ("a", "b"), options: fast) }
            if actual != expected {
                let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let x = actual.split(separator: "\n", omittingEmptySubsequences: false)
                let i = zip(e, x).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, x.count)
                XCTFail("\(context), parallel \(parallel): column path differs from the reference at line \(i + 1):\n"
                    + "  reference: \(i < e.count ? String(e[i]) : "<end>")\n  columns:   \(i < x.count ? String(x[i]) : "<end>")",
                    file: file, line: line)
            }
        }
        return expected
    }

    func write(_ name: String, header: RunHeader, frames: [StepFrame]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let w = try TraceWriter(path: path, header: header)
        for f in frames { try w.append(f) }
        try w.finish()
        return path
    }

    /// A small sample run: shape varied by the seed (capture level, evictions, rows, length).
    static func sample(seed: UInt64, steps: Int) -> (RunHeader, [StepFrame]) {
        var g = SeededGenerator(seed: seed)
        var shape = SyntheticTrace.Shape.tiny
        shape.layers = 1 + Int(g.next() % 3); shape.heads = 1 + Int(g.next() % 4); shape.kvHeads = 1
        if shape.heads % 2 == 0 && g.next() % 2 == 0 { shape.kvHeads = 2 }
        shape.decodeSteps = steps - 1
        shape.evicts = g.next() % 2 == 0
        shape.capture = [.metrics, .selections, .rows, .full][Int(g.next() % 4)]
        shape.rowInterval = 1 + Int(g.next() % 3)
        shape.window = 2 + Int(g.next() % 4)
        let sample = SyntheticTrace(shape: shape, seed: seed)
        return (sample.header, (0..<sample.stepCount).map { sample.frame(step: $0) })
    }

    /// B: A with random differences of every kind the diff compares (some within tolerance).
    static func perturb(_ frames: [StepFrame], _ g: inout SeededGenerator) -> [StepFrame] {
        var out = frames
        let changes = Int(g.next() % 12)
        for _ in 0..<changes {
            let s = Int(g.next() % UInt64(out.count))
            var f = out[s]
            let h = Int(g.next() % UInt64(max(1, f.metrics.count)))
            let delta: Float = [0.0004, 0.01, 0.3][Int(g.next() % 3)]
            switch g.next() % 16 {
            case 0: f.metrics[h].sinkMass1 = min(1, f.metrics[h].sinkMass1 + delta)
            case 1: f.metrics[h].sinkMass4 = .nan
            case 2: f.metrics[h].entropy = max(0, f.metrics[h].entropy - delta)
            case 3: f.metrics[h].recall = g.next() % 2 == 0 ? .nan : min(1, f.metrics[h].recall + delta)
            case 4: f.metrics[h].outputError += delta * 10
            case 5: f.metrics[h].overlapKept = g.next() % 2 == 0 ? .nan : max(0, f.metrics[h].overlapKept - delta)
            case 6: f.metrics[h].jaccard = max(0, (f.metrics[h].jaccard.isNaN ? 1 : f.metrics[h].jaccard) - delta)
            case 7: f.metrics[h].selected = max(0, f.metrics[h].selected - 1 - Int(g.next() % 3))
            case 8: f.metrics[h].visibleKV += 1
            case 9:
                if h < f.selections.count {
                    let end = f.step.position + f.step.queryCount
                    f.selections[h].ranges = g.next() % 2 == 0 ? [0..<1] : [0..<max(1, end / 2)]
                }
            case 10:
                let k = Int(g.next() % UInt64(f.kv.count))
                f.kv[k].bytes += 64
                if g.next() % 2 == 0 { f.kv[k].entries -= 1 }
            case 11:
                let k = Int(g.next() % UInt64(f.kv.count))
                f.kv[k].evicted = f.kv[k].evicted.isEmpty ? [0] : Array(f.kv[k].evicted.dropLast()) + [f.kv[k].evicted.last! + 1000]
            case 12:
                if !f.rows.isEmpty {
                    let r = Int(g.next() % UInt64(f.rows.count))
                    let c = Int(g.next() % UInt64(f.rows[r].values.count))
                    f.rows[r].values[c] = min(1, f.rows[r].values[c] + delta)
                }
            case 13:
                if g.next() % 2 == 0 { f.rows = [] } else { f.selections = [] }   // captured by A only
            case 14: f.step.emittedToken = g.next() % 3 == 0 ? nil : TokenInfo(id: 7, text: "x")
            default:
                f.step.wallNanos += 5_000_000
                if !f.step.layerTimes.isEmpty { f.step.layerTimes[0].attentionNanos *= 3 }
            }
            out[s] = f
        }
        return out
    }

    // MARK: - Random traces with differences

    func testColumnPathMatchesReferenceOnRandomTraces() throws {
        for seed: UInt64 in 1...40 {
            var g = SeededGenerator(seed: seed &* 7919)
            let steps = [2, 5, 9, 40, 150][Int(g.next() % 5)]
            let (header, framesA) = Self.sample(seed: seed, steps: steps)
            var framesB = Self.perturb(framesA, &g)
            var options = DiffOptions()
            options.includeTimings = g.next() % 3 == 0
            if g.next() % 4 == 0 {   // B shorter: only the common prefix compares
                framesB.removeLast(1 + Int(g.next() % UInt64(framesB.count)) / 2)
                options.commonPrefix = g.next() % 3 != 0
            }
            if framesB.isEmpty { framesB = [framesA[0]] }
            let a = try write("a\(seed).atrace", header: header, frames: framesA)
            let b = try write("b\(seed).atrace", header: header, frames: framesB)
            try assertSameOutcome({ try openTrace(a) }, { try openTrace(b) }, options: options, "seed \(seed)")
            // The same file object on both sides: read without the second thread.
            let same = try openTrace(a)
            try assertSameOutcome({ same }, { same }, options: options, "seed \(seed), same object")
        }
    }

    /// A long run (many read-ahead batches) whose every step differs a little somewhere.
    func testManyBatchesWithDifferencesEverywhere() throws {
        let seed: UInt64 = 77
        var g = SeededGenerator(seed: seed)
        let (header, framesA) = Self.sample(seed: seed, steps: 400)
        var framesB = framesA
        for s in framesB.indices {
            let h = Int(g.next() % UInt64(framesB[s].metrics.count))
            framesB[s].metrics[h].entropy = Float(g.next() % 1000) / 1000
        }
        let a = try write("a.atrace", header: header, frames: framesA)
        let b = try write("b.atrace", header: header, frames: framesB)
        let outcome = try assertSameOutcome({ try openTrace(a) }, { try openTrace(b) }, options: DiffOptions(), "seed \(seed)")
        XCTAssertTrue(outcome.hasPrefix("exit 1"), outcome)
    }

    // MARK: - Damaged files

    /// Changes one byte of a step chunk's payload and rewrites the chunk's CRC, so that the damage
    /// reaches the record decoders (a CRC mismatch would stop both paths at the same check).
    static func damage(_ bytes: inout [UInt8], step: Int, g: inout SeededGenerator, path: String) throws {
        let reader = try TraceReader(bytes: bytes, name: path)
        let offset = reader.chunkOffsets[step]
        let chunk = try bytes.withUnsafeBytes { try ChunkHeader.read($0, at: offset, path: path) }
        guard chunk.length > 0 else { return }
        let at = offset + Format.chunkHeaderSize + Int(g.next() % UInt64(chunk.length))
        bytes[at] = g.next() % 3 == 0 ? bytes[at] ^ 0x80 : UInt8(truncatingIfNeeded: g.next())
        let crc = bytes.withUnsafeBytes { chunk.computedCRC($0) }
        for k in 0..<4 { bytes[offset + 16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
    }

    func testColumnPathMatchesReferenceOnDamagedAndTruncatedFiles() throws {
        var errors = 0
        for seed: UInt64 in 1...60 {
            var g = SeededGenerator(seed: seed &* 104_729)
            let (header, framesA) = Self.sample(seed: seed, steps: [3, 12, 70][Int(g.next() % 3)])
            let framesB = Self.perturb(framesA, &g)
            let pa = try write("a\(seed).atrace", header: header, frames: framesA)
            let pb = try write("b\(seed).atrace", header: header, frames: framesB)
            var a = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pa)))
            var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pb)))
            var options = DiffOptions()
            switch g.next() % 4 {
            case 0: try Self.damage(&a, step: Int(g.next() % UInt64(framesA.count)), g: &g, path: "a")
            case 1: try Self.damage(&b, step: Int(g.next() % UInt64(framesB.count)), g: &g, path: "b")
            case 2:
                try Self.damage(&a, step: Int(g.next() % UInt64(framesA.count)), g: &g, path: "a")
                try Self.damage(&b, step: Int(g.next() % UInt64(framesB.count)), g: &g, path: "b")
            default:   // cut B short: recovered up to its last complete chunk
                b.removeLast(Int(g.next() % UInt64(b.count / 2)))
                options.commonPrefix = g.next() % 4 != 0
            }
            let outcome = try assertSameOutcome({ try TraceReader(bytes: a, name: "a") },
                                                { try TraceReader(bytes: b, name: "b") },
                                                options: options, "seed \(seed)")
            if outcome.hasPrefix("error") { errors += 1 }
        }
        XCTAssertGreaterThan(errors, 10, "the damage should reach the decoders' checks in many seeds")
    }

    func testReadAheadErrorIsReportedAtItsStep() throws {
        let (header, frames) = Self.sample(seed: 5, steps: 200)
        let pa = try write("a.atrace", header: header, frames: frames)
        var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pa)))
        // Break step 150's metrics record: its first layer block size.
        let reader = try TraceReader(bytes: b, name: "b")
        let chunk = try b.withUnsafeBytes { try ChunkHeader.read($0, at: reader.chunkOffsets[150], path: "b") }
        var p = b.withUnsafeBytes { chunk.payload($0, path: "b") }
        var metricsAt: Int?
        while !p.isAtEnd {
            let start = p.position
            let rec = try p.record()
            if rec.tag == RecordKind.metrics.rawValue { metricsAt = start }
        }
        // Tag (1 byte), length (1 or 2), then L and H: either becomes 127, which the header contradicts.
        let at = chunk.offset + Format.chunkHeaderSize + metricsAt! + 2
        b[at] = 0x7F
        let crc = b.withUnsafeBytes { chunk.computedCRC($0) }
        for k in 0..<4 { b[chunk.offset + 16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        let outcome = try assertSameOutcome({ try openTrace(pa) }, { try TraceReader(bytes: b, name: "b") },
                                            options: DiffOptions(), "damaged step 150")
        XCTAssertTrue(outcome.hasPrefix("error: cannot read trace: b step 150:"), outcome)
    }

    // MARK: - Golden traces

    func testColumnPathMatchesReferenceOnGoldenTraces() throws {
        let a = GoldenTests.dir.appendingPathComponent("a.atrace").path
        let b = GoldenTests.dir.appendingPathComponent("b.atrace").path
        for (x, y) in [(a, b), (b, a), (a, a)] {
            for timings in [false, true] {
                var options = DiffOptions()
                options.includeTimings = timings
                try assertSameOutcome({ try openTrace(x) }, { try openTrace(y) }, options: options, "\(x) vs \(y)")
            }
        }
        let golden = try String(contentsOf: GoldenTests.dir.appendingPathComponent("diff.txt"), encoding: .utf8)
        let report = try TraceDiff.run(try openTrace(a), try openTrace(b),
                                       labels: ("traces/diff/a.atrace", "traces/diff/b.atrace"))
        XCTAssertEqual(report.renderText(), golden)
    }

    // MARK: - Decoders

    /// Columns hold what the frame decoder hands back, field for field.
    func testColumnsHoldWhatFramesHold() throws {
        for seed: UInt64 in 1...12 {
            let (header, frames) = Self.sample(seed: seed, steps: 9)
            let path = try write("t\(seed).atrace", header: header, frames: frames)
            let reader = try TraceReader(path: path)
            var c = StepColumns()
            for s in 0..<reader.stepCount {
                let f = try reader.frame(s)
                try reader.columns(s, into: &c)
                XCTAssertEqual(c.step, f.step, "seed \(seed) step \(s)")
                XCTAssertEqual(c.metrics.count, f.metrics.count)
                for (i, m) in f.metrics.enumerated() {
                    var stripped = m
                    stripped.topSinks = []
                    let x = c.metrics.head(i, heads: header.model.heads)
                    XCTAssertTrue(StepFrame(step: f.step, metrics: [x], kv: [])
                        .storedEquals(StepFrame(step: f.step, metrics: [stripped], kv: [])), "seed \(seed) step \(s) head \(i)")
                    XCTAssertEqual(MetricColumns.selectedSparsity(visibleKV: x.visibleKV, selected: x.selected), m.selectedSparsity)
                }
                XCTAssertEqual(c.kv.count, f.kv.count)
                for (i, k) in f.kv.enumerated() {
                    XCTAssertEqual(c.kv.entries[i], k.entries)
                    XCTAssertEqual(c.kv.bytes[i], k.bytes)
                    XCTAssertEqual(Array(c.kv.evicted[c.kv.evictedStart[i]..<c.kv.evictedStart[i + 1]]), k.evicted)
                }
                XCTAssertEqual(c.selections.present, !f.selections.isEmpty)
                if c.selections.present {
                    XCTAssertEqual(c.selections.count, f.selections.count)
                    for (i, sel) in f.selections.enumerated() {
                        XCTAssertEqual(Array(c.selections.ranges[c.selections.spans[i]]), sel.ranges)
                    }
                }
                XCTAssertEqual(c.rows, f.rows)
            }
        }
    }

    func testHalfConversionMatchesFloat16() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits)), actual = Quantize.fromHalf(bits)
            if expected.isNaN {
                XCTAssertTrue(actual.isNaN, "bits \(bits)")
            } else if expected.bitPattern != actual.bitPattern {
                XCTFail("bits \(bits): \(actual) (\(actual.bitPattern)), expected \(expected) (\(expected.bitPattern))")
                return
            }
        }
    }

    func testUnit16WithoutDivisionMatchesReference() {
        for q in 0...UInt16.max {
            let expected = Quantize.fromUnit16(q), actual = Quantize.fromUnit16Fast(q)
            if expected.bitPattern != actual.bitPattern && !(expected.isNaN && actual.isNaN) {
                XCTFail("code \(q): \(actual), expected \(expected)")
                return
            }
        }
    }

    /// The loop-free varint decoder against ByteReader's, on every length (1…10 bytes) and edges.
    func testFastVarintMatchesByteReader() throws {
        var g = SeededGenerator(seed: 99)
        var values: [UInt64] = [0, 1, 127, 128, 16_383, 16_384, 1 << 56 - 1, 1 << 56, UInt64.max]
        for bits in 1...64 { for _ in 0..<50 { values.append(g.next() >> UInt64(64 - bits)) } }
        for v in values {
            var w = ByteWriter(capacity: 32)
            w.varint(v)
            let encoded = w.bytes
            let padded = encoded + [UInt8](repeating: 0xFF, count: 16)   // fastVarint reads 8 bytes
            try padded.withUnsafeBytes { raw in
                var reader = ByteReader(raw, fileOffset: 0, path: "t", what: "test")
                let expected = try reader.varint("v")
                var q = 0
                let fast = Codec.fastVarint(raw.baseAddress!, &q)
                if encoded.count <= 8 {
                    XCTAssertEqual(fast, expected, "value \(v)")
                    XCTAssertEqual(q, reader.position, "value \(v)")
                } else {
                    XCTAssertNil(fast, "value \(v): \(encoded.count) bytes are left to ByteReader")
                }
            }
        }
    }
}
