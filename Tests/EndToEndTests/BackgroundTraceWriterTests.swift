import AttnTrace
import Foundation
import XCTest
@testable import attnscope

/// The background writer: its thread runs under SCHED_BATCH (so a push does not hand the
/// pushing thread's core to the encode), and what it is pushed reaches the file in order.
final class BackgroundTraceWriterTests: XCTestCase {
    func testWriterThreadIsBatchScheduledAndWritesEveryFrame() throws {
        let sample = SampleTraces(shape: .tiny, seed: 7)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-bgw-\(getpid()).atrace").path
        let direct = path + ".direct.atrace"   // the same frames through TraceWriter alone
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: direct) }
        try sample.write(to: direct)
        let writer = BackgroundTraceWriter(writer: try TraceWriter(path: path, header: sample.header))
        for step in 0..<sample.stepCount { XCTAssertTrue(writer.push(sample.frame(step: step))) }
        try writer.finish()
        #if os(Linux)
        XCTAssertEqual(writer.schedulingPolicy, BackgroundTraceWriter.schedBatch, "the writer thread is not SCHED_BATCH")
        #endif
        let reader = try TraceReader(path: path), reference = try TraceReader(path: direct)
        XCTAssertEqual(reader.stepCount, sample.stepCount)
        for step in 0..<sample.stepCount {
            // (as text: NaN metrics compare unequal)
            XCTAssertEqual("\(try reader.frame(step))", "\(try reference.frame(step))", "step \(step)")
        }
    }
}
