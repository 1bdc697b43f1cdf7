import AttnTrace
import Foundation
import XCTest

/// kill -9 while TraceWriter streams chunks as fast as it can (the large trace of `bench-trace`, no
/// model needed): the file opens by recovery scan with every complete step, in order, and at most
/// one partial chunk after them. (`testKilledRecordingStillOpens` does the same through `record`,
/// when the reference model is installed.)
final class TraceWriterKillTests: XCTestCase {
    func testKilledWriterLeavesEveryCompleteStep() throws {
        let dir = tempPath("kill-dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try start(["bench", "trace", "--size-mb", "2048", "--encode-seconds", "0.05", "--dir", dir])
        let path = (dir as NSString).appendingPathComponent("attnscope-bench-\(p.processIdentifier)-large.atrace")
        guard waitForFile(path, atLeast: 8_000_000, of: p) else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        let fileSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let reader = try TraceReader(path: path)
        guard case .recovered(let validBytes, _) = reader.status else {
            return XCTFail("a killed writer's file opened as \(reader.status)")
        }
        XCTAssertGreaterThan(reader.stepCount, 10)
        XCTAssertLessThanOrEqual(validBytes, fileSize)
        for step in 0..<reader.stepCount {
            let f = try reader.frame(step)
            XCTAssertEqual(f.step.index, step, "steps are complete and in order")
        }
        try assertAtMostOnePartialChunk(reader, path: path)
    }
}
