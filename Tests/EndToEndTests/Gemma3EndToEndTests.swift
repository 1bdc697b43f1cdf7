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

    /// `calibrate` writes TCA budgets for Gemma 3's 18 layers; then every policy of the registry
    /// (tca with those budgets, the others as given or with their defaults) records a readable
    /// trace (18 layers × 4 heads, 1 KV head).
    func testCalibrateThenRecordWithEveryPolicy() throws {
        try requireGemma3()
        let budgets = tempPath("gemma3-budgets.json")
        defer { try? FileManager.default.removeItem(atPath: budgets) }
        let calibrated = try run(["calibrate", "--model", "gemma3", "--policy", "tca", "--text-file",
                                  fixtures.appendingPathComponent("english-prose.txt").path, "--tokens", "160",
                                  "--window", "32", "--tau", "0.7", "--out", budgets])
        XCTAssertTrue(calibrated.out.hasPrefix("calibrated tca on 160 tokens"), calibrated.out)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: budgets))) as! [String: Any]
        XCTAssertEqual(file["layers"] as? Int, 18)
        XCTAssertEqual((file["budgets"] as? [[[Double]]])?.count, 18)

        var specs = ["streaming:sink=4,window=16", "h2o:heavy=8,window=8", "snapkv:window=8,capacity=24",
                     "quest:page=4,budget=16,dense_layers=1", "tca:budgets=\(budgets)"]
        for d in PolicyRegistry.all where !specs.contains(where: { $0.hasPrefix(d.name + ":") }) {
            specs.append(Self.specWithRequired(d, budgets: budgets))
        }
        for policy in specs {
            let path = tempPath("gemma3-\(policy.prefix { $0 != ":" }).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try run(["record", "--model", "gemma3", "--prompt", "Once upon a time, in a small village by the sea, there lived",
                     "-n", "4", "--ignore-eos", "--policy", policy, "--capture", "rows", "--out", path])
            let info = try run(["info", path])
            XCTAssertTrue(info.out.contains("18 layers × 4 heads × 1 KV heads, head dim 256"), "\(policy): \(info.out)")
            XCTAssertTrue(info.out.contains("gemma3"), info.out)
            XCTAssertEqual(try TraceReader(path: path).stepCount, 4, policy)
        }
    }

    /// A policy's name with a value for each parameter it requires (a budgets file for paths).
    static func specWithRequired(_ d: PolicyDescriptor, budgets: String) -> String {
        let values = d.parameters.filter { $0.defaultValue == nil && $0.note == nil }.map { p -> String in
            switch p.kind {
            case .path: return "\(p.key)=\(budgets)"
            case .int(let r): return "\(p.key)=\(min(max(8, r.lowerBound), r.upperBound))"
            case .float(let r): return "\(p.key)=\((r.lowerBound + r.upperBound) / 2)"
            case .choice(let c): return "\(p.key)=\(c[0])"
            case .heads: return "\(p.key)=all"
            }
        }
        return values.isEmpty ? d.name : d.name + ":" + values.joined(separator: ",")
    }

    /// `bench` and `bench-record` on Gemma 3, short: they print their tables.
    func testBenchAndBenchRecord() throws {
        try requireGemma3()
        let bench = try run(["bench", "--model", "gemma3", "--thread-counts", "2", "--prefill", "32", "--contexts", "64",
                             "--decode-tokens", "2"])
        for row in ["prefill 32", "decode @64", "peak RSS"] { XCTAssertTrue(bench.out.contains(row), bench.out) }
        let record = try run(["bench-record", "--model", "gemma3", "--contexts", "48", "--decode-tokens", "8",
                              "--policy", "dense", "--policy", "streaming:sink=4,window=16"])
        let rows = record.out.split(separator: "\n").filter { $0.hasPrefix("     48  ") }
        XCTAssertEqual(rows.count, 2, record.out)
        // the streaming row's recall is a number below 1 (dense: 1.000)
        XCTAssertTrue(rows.first?.contains(" 1.000 ") ?? false, record.out)
        XCTAssertFalse(rows.last?.contains("nan") ?? true, record.out)
    }

    /// The trace commands on Gemma 3 traces: stats, diff, export (csv, jsonl, chrome) and every
    /// view of the viewer drawn by render.
    func testTraceCommandsOnGemmaTraces() throws {
        try requireGemma3()
        let dense = tempPath("gemma3-tc-dense.atrace"), streaming = tempPath("gemma3-tc-streaming.atrace")
        defer { for f in [dense, streaming] { try? FileManager.default.removeItem(atPath: f) } }
        // 13 prompt tokens: streaming keeps 6 of them, so the two traces differ
        for (path, policy) in [(dense, "dense"), (streaming, "streaming:sink=2,window=4")] {
            try run(["record", "--model", "gemma3", "--prompt", "Once upon a time, in a small village by the sea, there lived",
                     "-n", "4", "--ignore-eos",
                     "--policy", policy, "--capture", "rows", "--row-interval", "1", "--out", path])
        }
        let stats = try run(["stats", dense])
        XCTAssertTrue(stats.out.contains("L17"), stats.out)
        let statsJSON = try JSONSerialization.jsonObject(with: Data(try run(["stats", "--json", dense]).out.utf8))
        XCTAssertNotNil(statsJSON as? [String: Any])
        let same = try run(["diff", dense, dense])
        XCTAssertFalse(same.out.isEmpty)
        let differs = try run(["diff", dense, streaming], expectStatus: 1)
        XCTAssertFalse(differs.out.isEmpty)
        for format in ["csv", "jsonl", "chrome"] {
            let out = try run(["export", dense, "--format", format]).out
            XCTAssertGreaterThan(out.split(separator: "\n").count, 1, format)
        }
        for view in ["overview", "heatmap", "heads", "timeline", "tokens", "info"] {
            let svg = tempPath("gemma3-\(view).svg")
            defer { try? FileManager.default.removeItem(atPath: svg) }
            try run(["render", dense, "--view", view, "--at", "L5H0@3", "--out", svg])
            let text = try String(contentsOfFile: svg, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("<?xml") || text.hasPrefix("<svg"), view)
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
