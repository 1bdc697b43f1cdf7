@testable import AttnTrace
import Foundation
import XCTest
@testable import AttnRecorder
import AttnTraceTestSupport

/// The background writer: its thread runs under SCHED_BATCH where the system allows it (so a push
/// does not hand the pushing thread's core to the encode), what it is pushed reaches the file in
/// order, and it holds at most one frame that is not on disk (kill -9 loses at most the last step).
final class BackgroundTraceWriterTests: XCTestCase {
    /// Whether this system lets a thread make itself SCHED_BATCH (some containers refuse).
    static func batchSchedulingAllowed() -> Bool {
        final class Result: @unchecked Sendable { var policy: Int32 = -1 }
        let result = Result(), done = DispatchSemaphore(value: 0)
        let t = Thread {
            var param = sched_param()
            _ = pthread_setschedparam(pthread_self(), BackgroundTraceWriter.schedBatch, &param)
            var policy: Int32 = -1
            _ = pthread_getschedparam(pthread_self(), &policy, &param)
            result.policy = policy
            done.signal()
        }
        t.start()
        done.wait()
        return result.policy == BackgroundTraceWriter.schedBatch
    }

    func testWriterThreadIsBatchScheduledAndWritesEveryFrame() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 7)
        let path = tempPath("bgw.atrace")
        let direct = path + ".direct.atrace"   // the same frames through TraceWriter alone
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: direct) }
        try sample.write(to: direct)
        let writer = BackgroundTraceWriter(writer: try TraceWriter(path: path, header: sample.header))
        for step in 0..<sample.stepCount { XCTAssertTrue(writer.push(sample.frame(step: step))) }
        try writer.finish()
        #if os(Linux)
        if Self.batchSchedulingAllowed() {
            XCTAssertEqual(writer.schedulingPolicy, BackgroundTraceWriter.schedBatch, "the writer thread is not SCHED_BATCH")
        } else {
            XCTAssertEqual(writer.schedulingPolicy, SCHED_OTHER, "SCHED_BATCH refused here: the writer keeps the default policy")
        }
        #endif
        let reader = try TraceReader(path: path), reference = try TraceReader(path: direct)
        XCTAssertEqual(reader.stepCount, sample.stepCount)
        for step in 0..<sample.stepCount {
            // (as text: NaN metrics compare unequal)
            XCTAssertEqual("\(try reader.frame(step))", "\(try reference.frame(step))", "step \(step)")
        }
    }

    /// When push(k) returns, steps 0 ..< k are in the file (written to the kernel, so they survive
    /// a kill -9): at most the frame just pushed is not. A deeper queue would let push return with
    /// several frames pending, which this sees as a file shorter than chunk k's start.
    func testPushReturnsOnlyWhenEveryEarlierStepIsInTheFile() throws {
        let sample = SyntheticTrace(shape: .smolLM, seed: 3)
        let path = tempPath("bound.atrace"), direct = tempPath("bound-direct.atrace")
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: direct) }
        try sample.write(to: direct)
        let offsets = try TraceReader(path: direct).chunkOffsets
        let steps = sample.stepCount
        XCTAssertGreaterThan(steps, 10)
        let writer = BackgroundTraceWriter(writer: try TraceWriter(path: path, header: sample.header))
        var behind: [Int] = []
        for step in 0..<steps {
            XCTAssertTrue(writer.push(sample.frame(step: step)))
            var st = stat()
            XCTAssertEqual(stat(path, &st), 0)
            if Int(st.st_size) < offsets[step] { behind.append(step) }
        }
        try writer.finish()
        XCTAssertEqual(behind, [], "push returned while earlier steps were not yet in the file")
        XCTAssertEqual(try TraceReader(path: path).stepCount, steps)
    }
}
