import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// Builds trace bytes by hand, with correct CRCs, so that tests can put any payload in a chunk.
enum Craft {
    static func fileHeader(_ header: RunHeader, extraRecords: [(UInt64, [UInt8])] = []) -> [UInt8] {
        var body = ByteWriter()
        try! body.record(.runHeader) { Codec.encode(header, into: &$0) }
        for (tag, bytes) in extraRecords { rawRecord(tag, bytes, into: &body) }
        var w = ByteWriter()
        w.append(Format.magic); w.u32(Format.version); w.u32(UInt32(body.count))
        w.u32(Checksum.crc32(body.bytes, range: 0..<body.count))
        w.append(body.bytes)
        return w.bytes
    }

    static func chunk(step: UInt32, payload: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.append(Format.sync); w.u32(UInt32(payload.count)); w.u32(step); w.u32(0)
        w.append(payload)
        var crc = Checksum.crc32(w.bytes, range: 8..<16)
        crc = Checksum.crc32(w.bytes, range: 20..<w.count, continuing: crc)
        w.patchU32(crc, at: 16)
        return w.bytes
    }

    static func rawRecord(_ tag: UInt64, _ body: [UInt8], into w: inout ByteWriter) {
        w.varint(tag); w.varint(body.count); w.append(body)
    }

    /// The payload the writer would produce for `frame`, as a list of (tag, body) records.
    static func records(_ frame: StepFrame, header: RunHeader) throws -> [(UInt64, [UInt8])] {
        var enc = ChunkEncoder(header: header)
        try enc.encode(frame, step: frame.step.index)
        let bytes = enc.bytes
        var out: [(UInt64, [UInt8])] = []
        try bytes.withUnsafeBytes { b in
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: b[20...]), fileOffset: 20, path: "", what: "")
            while !r.isAtEnd {
                let rec = try r.record()
                var body = rec.body
                out.append((rec.tag, Array(try body.bytes(body.remaining))))
            }
        }
        return out
    }

    static func payload(_ records: [(UInt64, [UInt8])]) -> [UInt8] {
        var w = ByteWriter()
        for (t, b) in records { rawRecord(t, b, into: &w) }
        return w.bytes
    }
}

func tempPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attntrace-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// The bytes of a finalized sample trace (tiny shape unless given).
func sampleBytes(_ sample: SyntheticTrace = SyntheticTrace(shape: .tiny, seed: 7)) throws -> [UInt8] {
    let path = tempPath("sample-\(sample.seed)-\(UUID().uuidString).atrace")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try sample.write(to: path)
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Asserts that `body` throws a TraceError whose problem satisfies `match`; returns it.
@discardableResult
func assertTraceError(_ body: @autoclosure () throws -> Any, _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line,
                      _ match: (TraceError.Problem) -> Bool) -> TraceError? {
    do {
        _ = try body()
        XCTFail("expected a TraceError. \(message)", file: file, line: line)
    } catch let e as TraceError {
        XCTAssertTrue(match(e.problem), "unexpected problem: \(e). \(message)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected a TraceError, got \(error). \(message)", file: file, line: line)
    }
    return nil
}
