import AttnRuntime
import AttnTrace
import Foundation
import XCTest

/// `generate` and `perplexity` run as a user would, with their results checked against the
/// runtime's own library calls and the numpy reference; a recording killed with SIGKILL still
/// opens. (Bad input of every command: BadInputTests.)
final class RuntimeCommandsEndToEndTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AttnRuntimeTests/Fixtures")

    /// Greedy generation prints the prompt, then exactly the reference's greedy continuation
    /// (reference/reference.py's token ids, decoded by the model's tokenizer).
    func testGenerateGreedyPrintsTheReferenceContinuation() throws {
        let model = try requireModel()
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("reference.json"))) as! [String: Any]
        let paris = (reference["prompts"] as! [[String: Any]]).first { ($0["name"] as! String) == "paris" }!
        let prompt = paris["text"] as! String
        let greedy = (paris["greedy_ids"] as! [Int]).prefix(12).map(Int32.init)
        let tokenizer = try BPETokenizer(gguf: try GGUFFile(path: model))
        XCTAssertFalse(greedy.contains(tokenizer.eosID), "the reference continuation runs past 12 tokens")
        let r = try run(["generate", "--prompt", prompt, "-n", "12"])
        XCTAssertEqual(r.out, prompt + tokenizer.decode(Array(greedy)) + "\n")
        XCTAssertTrue(r.out.contains("Paris"), r.out)
        XCTAssertTrue(r.err.contains("prefill: 5 tokens") && r.err.contains("decode:  11 tokens"), r.err)
    }

    /// `perplexity` reports what the runtime's chunkedPerplexity computes on the same text
    /// (llama.cpp's method: chunks of --ctx, second half scored), in the known-good range.
    func testPerplexityReportsTheLibraryValue() throws {
        let model = try requireModel()
        let file = Self.fixtures.appendingPathComponent("english-prose.txt").path
        let r = try run(["perplexity", "--file", file, "--ctx", "128", "--max-chunks", "3"])
        let line = try XCTUnwrap(r.out.split(separator: "\n").first { $0.hasPrefix("Final estimate: PPL = ") }, r.out)
        let fields = line.split(separator: " ")
        let ppl = try XCTUnwrap(Double(fields[4]), String(line))
        XCTAssertTrue(line.contains("over 189 scored tokens (3 chunks of 128)"), String(line))   // 3 × (128 − 65)

        let gguf = try GGUFFile(path: model)
        let tokens = try BPETokenizer(gguf: gguf).encode(try String(contentsOfFile: file, encoding: .utf8))
        let expected = chunkedPerplexity(model: try Transformer(gguf: gguf, contextLength: 128, threads: 2),
                                         tokens: tokens, ctx: 128, maxChunks: 3)
        XCTAssertEqual(expected.scoredTokens, 189)
        XCTAssertEqual(ppl, expected.perplexity, accuracy: 1e-4 * expected.perplexity)
        XCTAssertGreaterThan(ppl, 3); XCTAssertLessThan(ppl, 22)
    }

    func testTruncatedModelFileExitsTwoNamingFileAndOffset() throws {
        let model = try requireModel()
        let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: model))
        let head = try XCTUnwrap(try source.read(upToCount: 100_000))
        let cut = tempPath("cut.gguf")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try head.write(to: URL(fileURLWithPath: cut))
        let r = try run(["generate", "--model", cut, "--prompt", "hi", "-n", "1"], expectStatus: 2)
        XCTAssertTrue(r.err.contains(cut) && r.err.contains("offset"), r.err)
    }

    /// kill -9 in the middle of a recording leaves a file that opens (recovered), with every step
    /// that was complete on disk and at most the chunk being written after them.
    func testKilledRecordingStillOpens() throws {
        try requireModel()
        let path = tempPath("killed.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try start(["record", "--ignore-eos", "--prompt", "Once upon a time", "-n", "2000", "--capture", "selections", "--out", path])
        guard waitForFile(path, atLeast: 100_000, of: p) else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let reader = try TraceReader(path: path)
        XCTAssertFalse(reader.status.isFinalized)
        XCTAssertGreaterThan(reader.stepCount, 1)
        for step in 0..<reader.stepCount { XCTAssertEqual(try reader.frame(step).step.index, step) }
        try assertAtMostOnePartialChunk(reader, path: path)
    }
}
