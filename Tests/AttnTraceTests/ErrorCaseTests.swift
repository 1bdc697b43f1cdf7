import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// One test per way a file (or a writer's input) can be wrong; each checks the error case and that
/// the message names the file and the offset.
final class ErrorCaseTests: XCTestCase {
    let sample = SyntheticTrace(shape: .tiny, seed: 7)

    /// A file with the sample's header and chunk 0 replaced by `records` (valid CRCs).
    func fileWithStep0(_ records: [(UInt64, [UInt8])]) -> [UInt8] {
        Craft.fileHeader(sample.header) + Craft.chunk(step: 0, payload: Craft.payload(records))
    }

    func step0Records() throws -> [(UInt64, [UInt8])] { try Craft.records(sample.frame(step: 0), header: sample.header) }

    /// step0Records with the body of `kind` replaced.
    func replacing(_ kind: RecordKind, with body: [UInt8]) throws -> [(UInt64, [UInt8])] {
        try step0Records().map { $0.0 == kind.rawValue ? ($0.0, body) : $0 }
    }

    func body(_ build: (inout ByteWriter) -> Void) -> [UInt8] {
        var w = ByteWriter(); build(&w); return w.bytes
    }

    // MARK: - File structure

    func testWrongMagic() throws {
        let e = assertTraceError(try TraceReader(bytes: Array("hello, this is not a trace".utf8), name: "x.atrace")) {
            $0 == .wrongMagic
        }
        XCTAssertEqual(e?.offset, 0)
        XCTAssertTrue(e?.description.hasPrefix("x.atrace at byte 0:") ?? false, e?.description ?? "")
    }

    func testUnsupportedVersion() throws {
        var b = try sampleBytes()
        b[8] = 3   // one past the newest version
        let e = assertTraceError(try TraceReader(bytes: b)) { $0 == .unsupportedVersion(3) }
        XCTAssertEqual(e?.offset, 8)
    }

    func testTruncatedHeader() throws {
        let b = try sampleBytes()
        assertTraceError(try TraceReader(bytes: Array(b[0..<12]))) { $0 == .truncatedHeader(needed: 20, available: 12) }
        assertTraceError(try TraceReader(bytes: Array(b[0..<40]))) {
            if case .truncatedHeader = $0 { return true } else { return false }
        }
        assertTraceError(try TraceReader(bytes: [])) { $0 == .truncatedHeader(needed: 20, available: 0) }
    }

    func testHeaderTooLarge() throws {
        var b = try sampleBytes()
        b[12] = 0xFF; b[13] = 0xFF; b[14] = 0xFF; b[15] = 0x7F
        assertTraceError(try TraceReader(bytes: b)) { $0 == .headerTooLarge(0x7FFF_FFFF) }
    }

    func testHeaderChecksumMismatch() throws {
        var b = try sampleBytes()
        b[30] ^= 1
        let e = assertTraceError(try TraceReader(bytes: b)) {
            if case .checksumMismatch = $0 { return true } else { return false }
        }
        XCTAssertEqual(e?.offset, 20)
    }

    func testChunkChecksumMismatchIsReportedOnRead() throws {
        var b = try sampleBytes()
        let r0 = try TraceReader(bytes: b)
        b[r0.chunkOffsets[1] + 25] ^= 0x10
        let r = try TraceReader(bytes: b, name: "t.atrace")
        XCTAssertTrue(r.status.isFinalized)          // the footer is intact; chunks are checked lazily
        XCTAssertNoThrow(try r.frame(0))
        let e = assertTraceError(try r.frame(1)) {
            if case .checksumMismatch = $0 { return true } else { return false }
        }
        XCTAssertEqual(e?.offset, r0.chunkOffsets[1])
    }

    func testBadSyncMarker() throws {
        var b = try sampleBytes()
        let r0 = try TraceReader(bytes: b)
        b[r0.chunkOffsets[2]] ^= 0xFF
        let r = try TraceReader(bytes: b)
        assertTraceError(try r.frame(2)) { $0 == .badSyncMarker }
    }

    func testTruncatedChunk() throws {
        let b = try sampleBytes()
        let r0 = try TraceReader(bytes: b)
        let cut = Array(b[0..<(r0.chunkOffsets[1] + 30)])
        let r = try TraceReader(bytes: cut, name: "cut.atrace")
        XCTAssertEqual(r.stepCount, 1)
        guard case .recovered(let valid, let reason) = r.status else { return XCTFail() }
        XCTAssertEqual(valid, r0.chunkOffsets[1])
        XCTAssertTrue(reason.contains("cut.atrace at byte \(r0.chunkOffsets[1]): truncated chunk"), reason)
        assertTraceError(try ChunkHeader.read(r.file.bytes, at: r0.chunkOffsets[1], path: "cut")) {
            if case .truncatedChunk = $0 { return true } else { return false }
        }
    }

    func testChunkTooLarge() throws {
        var chunk = Craft.chunk(step: 0, payload: [1, 2, 3])
        chunk[8] = 0xF0; chunk[9] = 0xFF; chunk[10] = 0xFF; chunk[11] = 0xFF
        let b = Craft.fileHeader(sample.header) + chunk
        let r = try TraceReader(bytes: b)
        XCTAssertEqual(r.stepCount, 0)
        guard case .recovered(_, let reason) = r.status else { return XCTFail() }
        XCTAssertTrue(reason.contains("exceeds the cap"), reason)
        assertTraceError(try ChunkHeader.read(r.file.bytes, at: r.chunksStart, path: "")) { $0 == .chunkTooLarge(0xFFFF_FFF0) }
    }

    func testBadTrailerFallsBackToScan() throws {
        var b = try sampleBytes()
        b[b.count - 1] ^= 0xFF   // end magic
        let r = try TraceReader(bytes: b)
        XCTAssertEqual(r.stepCount, sample.stepCount)
        guard case .recovered(_, let reason) = r.status else { return XCTFail() }
        XCTAssertTrue(reason.contains("footer unusable") && reason.contains("no end magic"), reason)
        assertTraceError(try TraceReader.readFooter(r.file.bytes, path: "t", chunksStart: r.chunksStart)) {
            $0 == .badTrailer("no end magic")
        }
        // A footer offset pointing outside the file.
        var c = try sampleBytes()
        let t = c.count - Format.trailerSize
        c[t + 7] = 0x40
        var w = ByteWriter(); w.append(Array(c[t..<(t + 12)]))
        c.replaceSubrange((t + 12)..<(t + 16), with: withUnsafeBytes(of: Checksum.crc32(w.bytes, range: 0..<12).littleEndian, Array.init))
        let r2 = try TraceReader(bytes: c)
        guard case .recovered(_, let reason2) = r2.status else { return XCTFail() }
        XCTAssertTrue(reason2.contains("footer offset"), reason2)
    }

    // MARK: - Record contents

    func testTruncatedRecord() throws {
        let records = try step0Records()
        let step = records.first { $0.0 == RecordKind.step.rawValue }!.1
        let r = try TraceReader(bytes: fileWithStep0(try replacing(.step, with: Array(step.prefix(3)))))
        assertTraceError(try r.stepInfo(0)) {
            if case .truncatedRecord(let kind, _, _) = $0 { return kind == "step record" } else { return false }
        }
        // A record whose length runs past the chunk.
        var payload = Craft.payload(records)
        payload += [RecordKind.annotation.rawValue.asByte, 0x7F, 0x41]
        let r2 = try TraceReader(bytes: Craft.fileHeader(sample.header) + Craft.chunk(step: 0, payload: payload))
        assertTraceError(try r2.frame(0)) {
            if case .truncatedRecord = $0 { return true } else { return false }
        }
    }

    func testLengthOverflow() throws {
        let bad = body { w in w.append([UInt8](repeating: 0xFF, count: 10) + [0x01]) }
        let r = try TraceReader(bytes: fileWithStep0(try replacing(.step, with: bad)))
        assertTraceError(try r.stepInfo(0)) { $0 == .lengthOverflow(field: "step index") }
    }

    func testLengthExceedsCap() throws {
        // A selections record claiming 2^40 + 1 ranges for the first head.
        let m = sample.header.model
        let bad = body { w in w.varint(m.layers); w.varint(m.heads); w.varint(6); w.u8(1); w.varint(UInt64(1) << 41) }
        let r = try TraceReader(bytes: fileWithStep0(try replacing(.selections, with: bad)))
        assertTraceError(try r.selection(step: 0, layer: 0, head: 0)) {
            if case .lengthExceedsCap(let field, _, _) = $0 { return field == "range count" } else { return false }
        }
        // A plausible count with too few bytes behind it never allocates: it is a truncation.
        let bad2 = body { w in w.varint(m.layers); w.varint(m.heads); w.varint(6); w.u8(1); w.varint(1_000_000) }
        let r2 = try TraceReader(bytes: fileWithStep0(try replacing(.selections, with: bad2)))
        assertTraceError(try r2.selection(step: 0, layer: 0, head: 0)) {
            if case .truncatedRecord = $0 { return true } else { return false }
        }
    }

    func testInvalidValue() throws {
        var step = try step0Records().first { $0.0 == RecordKind.step.rawValue }!.1
        step[1] = 9   // phase
        let r = try TraceReader(bytes: fileWithStep0(try replacing(.step, with: step)))
        assertTraceError(try r.stepInfo(0)) { $0 == .invalidValue(field: "phase", value: "9") }
    }

    func testMissingRecord() throws {
        let records = try step0Records().filter { $0.0 != RecordKind.metrics.rawValue }
        let r = try TraceReader(bytes: fileWithStep0(records))
        assertTraceError(try r.metrics(step: 0)) { $0 == .missingRecord(kind: "metrics") }
    }

    func testShapeMismatch() throws {
        let bad = body { w in w.varint(7); w.varint(2); w.varint(6) }
        let r = try TraceReader(bytes: fileWithStep0(try replacing(.metrics, with: bad)))
        assertTraceError(try r.metrics(step: 0, layer: 0, head: 0)) {
            if case .shapeMismatch = $0 { return true } else { return false }
        }
    }

    func testUnknownRecordKindsAreSkippedAndCounted() throws {
        var records = try step0Records()
        records.insert((99, [1, 2, 3, 4]), at: 1)
        records.append((1000, []))
        let b = Craft.fileHeader(sample.header, extraRecords: [(77, [9, 9])]) + Craft.chunk(step: 0, payload: Craft.payload(records))
        let r = try TraceReader(bytes: b)
        XCTAssertEqual(r.unknownRecordCount, 1)   // the header's
        XCTAssertTrue(try r.frame(0).storedEquals(sample.frame(step: 0).asStored()))
        XCTAssertEqual(r.unknownRecordCount, 3)
        _ = try r.frame(0)
        XCTAssertEqual(r.unknownRecordCount, 3)   // each chunk counted once
        XCTAssertTrue(r.sizeByRecordKind().contains { $0.kind == "unknown(99)" && $0.bytes == 6 })
    }

    // MARK: - Use

    func testOutOfRangeAccess() throws {
        let r = try TraceReader(bytes: try sampleBytes())
        assertTraceError(try r.frame(r.stepCount)) { $0 == .stepOutOfRange(step: r.stepCount, count: r.stepCount) }
        assertTraceError(try r.frame(-1)) { $0 == .stepOutOfRange(step: -1, count: r.stepCount) }
        assertTraceError(try r.metrics(step: 0, layer: 2, head: 0)) { $0 == .headOutOfRange(layer: 2, head: 0) }
        assertTraceError(try r.rows(step: 0, layer: 0, head: -1)) { $0 == .headOutOfRange(layer: 0, head: -1) }
    }

    func testWriterRejectsInvalidFrames() throws {
        let path = tempPath("invalid.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TraceWriter(path: path, header: sample.header)
        var f = sample.frame(step: 1)   // index 1 as the first step
        assertTraceError(try w.append(f)) {
            if case .invalidFrame(let why) = $0 { return why.contains("expected 0") } else { return false }
        }
        f = sample.frame(step: 0)
        f.metrics.removeLast()
        assertTraceError(try w.append(f)) { if case .invalidFrame = $0 { return true } else { return false } }
        f = sample.frame(step: 0)
        f.selections[1].ranges = [5..<9, 2..<3]
        assertTraceError(try w.append(f)) { if case .invalidFrame = $0 { return true } else { return false } }
        f = sample.frame(step: 0)
        f.kv[0].evicted = [4, 4]
        assertTraceError(try w.append(f)) { if case .invalidFrame = $0 { return true } else { return false } }
        f = sample.frame(step: 0)
        f.rows.append(AttentionRows(layer: 0, head: 0, kind: .decodeRow, rows: 1, cols: 3, tile: 1, values: [1]))
        assertTraceError(try w.append(f)) { if case .invalidFrame = $0 { return true } else { return false } }
        try w.append(sample.frame(step: 0))   // nothing bad was written before
        try w.finish()
        assertTraceError(try w.append(sample.frame(step: 1))) { $0 == .writerFinished }
        let r = try TraceReader(path: path)
        XCTAssertEqual(r.stepCount, 1); XCTAssertTrue(r.status.isFinalized)
        var bad = sample.header
        bad.model.kvHeads = 2; bad.model.heads = 3
        assertTraceError(try TraceWriter(path: path, header: bad)) { if case .invalidFrame = $0 { return true } else { return false } }
    }

    func testOpenErrorsNameTheFile() throws {
        let e = assertTraceError(try TraceReader(path: "/nonexistent/x.atrace")) {
            if case .io(let op, let code, _) = $0 { return op == "open" && code == ENOENT } else { return false }
        }
        XCTAssertTrue(e?.description.contains("/nonexistent/x.atrace") ?? false)
        assertTraceError(try TraceReader(path: "/tmp")) { if case .io = $0 { return true } else { return false } }
    }
}

extension UInt64 { var asByte: UInt8 { UInt8(truncatingIfNeeded: self) } }
