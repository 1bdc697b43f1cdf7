import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

final class RecoveryTests: XCTestCase {
    /// Cutting the file at every byte offset: before the end of the file header it does not open;
    /// after, it opens with exactly the chunks that are complete, each intact.
    func testTruncationAtEveryOffsetRecoversExactlyTheCompleteChunks() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 7)
        let bytes = try sampleBytes(sample)
        let full = try TraceReader(bytes: bytes)
        let ends = try full.chunkOffsets.map { try ChunkHeader.read(full.file.bytes, at: $0, path: "").end }
        let expected = (0..<sample.stepCount).map { sample.frame(step: $0).asStored() }
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[0..<cut])
            if cut < full.chunksStart {
                assertTraceError(try TraceReader(bytes: prefix), "cut at \(cut)") {
                    if case .truncatedHeader = $0 { return true } else { return false }
                }
                continue
            }
            let r = try TraceReader(bytes: prefix, name: "cut\(cut)")
            let complete = ends.filter { $0 <= cut }.count
            XCTAssertEqual(r.stepCount, complete, "cut at \(cut)")
            guard case .recovered(let valid, let reason) = r.status else {
                XCTFail("cut at \(cut) opened as finalized"); continue
            }
            // Intact up to the last complete chunk; a complete footer chunk (trailer cut) counts too.
            let footerEnd = bytes.count - Format.trailerSize
            let expectedValid = cut >= footerEnd ? footerEnd : complete == 0 ? full.chunksStart : ends[complete - 1]
            XCTAssertEqual(valid, expectedValid, "cut at \(cut): \(reason)")
            XCTAssertFalse(reason.isEmpty)
            for s in 0..<complete {
                XCTAssertTrue(try r.frame(s).storedEquals(expected[s]), "cut at \(cut) step \(s)")
            }
        }
        XCTAssertEqual(try TraceReader(bytes: bytes).status, .finalized)
    }

    /// Flipping any single byte of a finalized file is detected: it does not open, opens as
    /// recovered, or a step read fails its CRC (never silently different data).
    func testEveryFlippedByteIsDetected() throws {
        let bytes = try sampleBytes()
        for at in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[at] ^= mask
                var detected = false
                do {
                    let r = try TraceReader(bytes: damaged)
                    if !r.status.isFinalized { detected = true } else { try r.verifyAll() }
                } catch is TraceError {
                    detected = true
                }
                XCTAssertTrue(detected, "flip \(mask) at byte \(at) went unnoticed")
            }
        }
    }

    /// A damaged chunk in the middle of an unfinalized file is skipped: the scan finds the next
    /// sync marker and recovers every later chunk.
    func testScanResynchronisesAfterDamage() throws {
        var shape = SyntheticTrace.Shape.tiny
        shape.decodeSteps = 6
        let sample = SyntheticTrace(shape: shape, seed: 3)
        let path = tempPath("resync.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TraceWriter(path: path, header: sample.header)
        for s in 0..<sample.stepCount { try w.append(sample.frame(step: s)) }
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))   // not finished: no footer
        let clean = try TraceReader(bytes: bytes)
        XCTAssertEqual(clean.stepCount, sample.stepCount)
        let third = clean.chunkOffsets[3]
        bytes[third + 30] ^= 0x5A
        let r = try TraceReader(bytes: bytes, name: "damaged")
        XCTAssertEqual(r.stepCount, sample.stepCount - 1)
        guard case .recovered(let valid, let reason) = r.status else { return XCTFail("finalized?") }
        XCTAssertEqual(valid, third)
        XCTAssertTrue(reason.contains("checksum mismatch"), reason)
        XCTAssertTrue(reason.contains("3 later chunks"), reason)
        XCTAssertEqual(try r.stepInfo(3).index, 4)   // ordinal 3 is step 4: step 3 was skipped
    }

    /// A writer that runs out of space throws a clear error; what it wrote stays readable.
    func testWriteErrorLeavesReadablePrefix() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 9)
        let path = tempPath("full.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        signal(SIGXFSZ, SIG_IGN)
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        var thrown: TraceError?
        var written = 0
        do {
            // The limit is process-wide: restored however this block is left.
            var limited = old
            limited.rlim_cur = 700
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited)
            defer { setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old) }
            do {
                let w = try TraceWriter(path: path, header: sample.header)
                for s in 0..<sample.stepCount { try w.append(sample.frame(step: s)); written += 1 }
                try w.finish()
            } catch let e as TraceError {
                thrown = e
            }
        }
        guard let thrown, case .io(let op, let code, _) = thrown.problem else { return XCTFail("no io error") }
        XCTAssertEqual(op, "write"); XCTAssertEqual(code, EFBIG)
        XCTAssertTrue(thrown.description.contains(path))
        let r = try TraceReader(path: path)
        XCTAssertEqual(r.stepCount, written)
        XCTAssertFalse(r.status.isFinalized)
        for s in 0..<written { XCTAssertTrue(try r.frame(s).storedEquals(sample.frame(step: s).asStored())) }
    }

    /// Dropping the map's pages changes nothing that is read.
    func testReleasePagesKeepsReadsCorrect() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 4)
        let path = tempPath("release.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try sample.write(to: path)
        let r = try TraceReader(path: path)
        for s in 0..<r.stepCount {
            r.releasePages(beforeStep: s)
            XCTAssertTrue(try r.frame(s).storedEquals(sample.frame(step: s).asStored()), "step \(s)")
            r.releasePages()
            XCTAssertEqual(try r.metrics(step: s, layer: 1, head: 1).visibleKV, sample.frame(step: s).metrics[3].visibleKV)
        }
        XCTAssertTrue(r.damagedSteps().isEmpty)
    }

    /// Following a live recording: reopened() sees appended steps (continuing the scan), a
    /// half-written chunk is left for later, and the finished file opens as finalized.
    func testReopenedFollowsAGrowingTrace() throws {
        var shape = SyntheticTrace.Shape.tiny
        shape.decodeSteps = 5
        let sample = SyntheticTrace(shape: shape, seed: 11)
        let path = tempPath("live.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TraceWriter(path: path, header: sample.header)
        for s in 0..<2 { try w.append(sample.frame(step: s)) }
        let r1 = try TraceReader(path: path)
        XCTAssertEqual(r1.stepCount, 2)
        XCTAssertEqual(r1.resumeAt, r1.fileSize)
        // Half of a third chunk, as if the writer were in the middle of a write.
        var enc = ChunkEncoder(header: sample.header)
        try enc.encode(sample.frame(step: 2), step: 2)
        let partial = Array(enc.bytes.prefix(enc.byteCount / 2))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd(); try h.write(contentsOf: partial); try h.close()
        let r2 = try r1.reopened()
        XCTAssertEqual(r2.stepCount, 2)
        XCTAssertEqual(r2.resumeAt, r1.fileSize)
        // The real writer goes on (its file offset is past the partial bytes; rewrite the file the
        // way the writer would have left it instead).
        try FileManager.default.removeItem(atPath: path)
        let w2 = try TraceWriter(path: path, header: sample.header)
        for s in 0..<4 { try w2.append(sample.frame(step: s)) }
        let r3 = try r2.reopened()
        XCTAssertEqual(r3.stepCount, 4)
        for s in 0..<4 { XCTAssertTrue(try r3.frame(s).storedEquals(sample.frame(step: s).asStored()), "step \(s)") }
        for s in 4..<sample.stepCount { try w2.append(sample.frame(step: s)) }
        try w2.finish()
        let r4 = try r3.reopened()
        XCTAssertTrue(r4.status.isFinalized)
        XCTAssertEqual(r4.stepCount, sample.stepCount)
        _ = w
        // A different run at the same path: the old scan is not reused.
        var other = sample.header
        other.prompt = "another run"
        let w3 = try TraceWriter(path: path, header: other)
        try w3.append(sample.frame(step: 0))
        let r5 = try r3.reopened()
        XCTAssertEqual(r5.header.prompt, "another run")
        XCTAssertEqual(r5.stepCount, 1)
    }
}
