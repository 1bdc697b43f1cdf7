import AttnRuntime
import AttnTestSupport
import AttnTrace
import Foundation
import XCTest

/// The commands on `--model gemma3` (Gemma 3 270M, which scripts/setup.sh installs), as a user runs
/// them: generate, perplexity against the numpy reference's value, record with every policy.
final class Gemma3EndToEndTests: XCTestCase {
    /// The set-up installs Gemma 3, so a missing file fails (ATTNSCOPE_SKIP_MODEL_TESTS=1 skips).
    private func requireGemma3(file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try AttnscopeBinary.require(file: file, line: line)
        try ReferenceModelRequirement.require({ try ModelLocator.path(of: .gemma3) }, file: file, line: line)
    }

    private var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("AttnRuntimeTests/Fixtures")
    }

    func testGenerateGreedyMatchesReference() throws {
        try requireGemma3()
        let r = try run(["generate", "--model", "gemma3", "--prompt", "The capital of France is", "-n", "8"])
        XCTAssertTrue(r.out.contains("The capital of France is the capital of the country of France."), r.out)
    }

    /// llama.cpp's method at --ctx 128 on Fixtures/english-prose.txt: within 1 % of the reference.
    func testPerplexityWithinOnePercentOfReference() throws {
        try requireGemma3()
        let data = try Data(contentsOf: fixtures.appendingPathComponent("gemma3-reference.json"))
        let reference = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let expected = (reference["perplexity"] as! [String: Any])["perplexity"] as! Double
        let r = try run(["perplexity", "--model", "gemma3", "--file", fixtures.appendingPathComponent("english-prose.txt").path,
                         "--ctx", "128"])
        let line = try XCTUnwrap(r.out.split(separator: "\n").first { $0.hasPrefix("Final estimate: PPL = ") }, r.out)
        let value = try XCTUnwrap(Double(line.dropFirst("Final estimate: PPL = ".count).prefix { $0 != " " }))
        XCTAssertEqual(value, expected, accuracy: expected * 0.01, String(line))
    }

    /// Every policy records a readable trace on Gemma 3 (18 layers × 4 heads, 1 KV head).
    func testRecordWithEveryPolicy() throws {
        try requireGemma3()
        for policy in ["dense", "streaming:sink=4,window=16", "h2o:heavy=8,window=8", "snapkv:window=8,capacity=24",
                       "quest:page=4,budget=16,dense_layers=1"] {
            let path = tempPath("gemma3-\(policy.prefix { $0 != ":" }).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try run(["record", "--model", "gemma3", "--prompt", "Once upon a time, in a small village by the sea, there lived",
                     "-n", "6", "--policy", policy, "--capture", "rows", "--out", path])
            let info = try run(["info", path])
            XCTAssertTrue(info.out.contains("18 layers × 4 heads × 1 KV heads, head dim 256"), info.out)
            XCTAssertTrue(info.out.contains("gemma3"), info.out)
        }
    }

    /// 823 prompt tokens: the windowed layers' KV stays at the window while the global layers'
    /// (5, 11, 17) holds every position; nothing is reported as a policy eviction.
    func testWindowedLayersKVStaysAtTheWindow() throws {
        try requireGemma3()
        let path = tempPath("gemma3-window.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try run(["record", "--model", "gemma3", "--prompt-file", fixtures.appendingPathComponent("english-prose.txt").path,
                 "-n", "3", "--policy", "dense", "--capture", "metrics", "--out", path])
        let reader = try TraceReader(path: path)
        for step in 0..<3 {
            let kv = try reader.kv(step: step)
            XCTAssertEqual(kv.count, 18)
            for r in kv {
                if [5, 11, 17].contains(r.layer) {
                    XCTAssertGreaterThan(r.entries, 800, "step \(step) global layer \(r.layer)")
                } else {
                    XCTAssertLessThanOrEqual(r.entries, 512, "step \(step) windowed layer \(r.layer)")
                    XCTAssertGreaterThanOrEqual(r.entries, 511, "step \(step) windowed layer \(r.layer)")
                }
                XCTAssertEqual(r.bytes, r.entries * 2 * 256 * 4)
                XCTAssertTrue(r.evicted.isEmpty, "the window is not a policy eviction")
            }
        }
    }
}
