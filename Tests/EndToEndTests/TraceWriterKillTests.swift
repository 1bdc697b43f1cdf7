import AttnTrace
import Foundation
import XCTest

/// kill -9 while TraceWriter streams chunks as fast as it can (the large trace of `bench-trace`, no
/// model needed): the file opens by recovery scan with every complete step, in order, and at most
/// one partial chunk after them. (`testKilledRecordingStillOpens` does the same through `record`,
/// when the reference model is installed.)
final class TraceWriterKillTests: XCTestCase {
    func testKilledWriterLeavesEveryCompleteStep() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        let dir = tempPath("kill-dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = binary
        p.arguments = ["bench-trace", "--size-mb", "2048", "--encode-seconds", "0.05", "--dir", dir]
        p.standardOutput = Pipe(); p.standardError = Pipe()
        try p.run()
        let path = (dir as NSString).appendingPathComponent("attnscope-bench-\(p.processIdentifier).atrace")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size > 8_000_000 || !p.isRunning { break }
            usleep(5_000)
        }
        XCTAssertTrue(p.isRunning, "bench-trace ended before it was killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        let fileSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let reader = try TraceReader(path: path)
        guard case .recovered(let validBytes, let reason) = reader.status else {
            return XCTFail("a killed writer's file opened as \(reader.status)")
        }
        XCTAssertGreaterThan(reader.stepCount, 10)
        XCTAssertLessThanOrEqual(validBytes, fileSize)
        for step in 0..<reader.stepCount {
            let f = try reader.frame(step)
            XCTAssertEqual(f.step.index, step, "steps are complete and in order")
        }
        // What follows the last complete step is at most the chunk being written: less than 4 average
        // chunks (a step with attention rows is about 3 times an average one).
        let chunk = fileSize / max(reader.stepCount, 1) * 4
        XCTAssertLessThan(fileSize - validBytes, chunk, "\(fileSize - validBytes) bytes after the last complete step (\(reason))")
    }
}
