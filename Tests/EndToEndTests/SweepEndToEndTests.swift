import Foundation
import XCTest

/// `attnscope sweep` and `perplexity --policy` on the reference model: token by token through a
/// policy beside dense on the same tokens.
final class SweepEndToEndTests: XCTestCase {
    func testSweepWritesOneRowPerPolicyAndBudget() throws {
        try requireModel()
        let csv = tempPath("sweep.csv"), json = tempPath("sweep.json")
        defer { try? FileManager.default.removeItem(atPath: csv); try? FileManager.default.removeItem(atPath: json) }
        let out = try run(["sweep", "--policy", "streaming", "--policy", "quest:page=4", "--budgets", "16,32", "--tokens", "64",
                           "--text-file", BadInputTests.prose, "--csv", csv, "--json", json]).out
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5, "header + 2 policies × 2 budgets")
        XCTAssertTrue(lines[0].hasPrefix("policy,budget,spec,tokens,perplexity,dense_perplexity,perplexity_delta,kv_bytes"))
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["spec"] as? String }, ["streaming:sink=4,window=12", "streaming:sink=4,window=28",
                                                           "quest:page=4,budget=16,dense_layers=2", "quest:page=4,budget=32,dense_layers=2"])
        let dense = try XCTUnwrap(rows[0]["dense_perplexity"] as? Double)
        XCTAssertTrue(dense > 1 && dense < 1000, "\(dense)")
        for r in rows {
            XCTAssertEqual(r["dense_perplexity"] as? Double, dense, "one dense run for every row")
            let ppl = try XCTUnwrap(r["perplexity"] as? Double)
            XCTAssertTrue(ppl.isFinite && ppl > 1)
        }
        // streaming keeps sink + window per KV head and layer; quest keeps everything
        XCTAssertEqual(rows[0]["kv_bytes"] as? Int, 30 * 3 * 16 * 2 * 64 * 4)
        XCTAssertEqual(rows[2]["kv_bytes"] as? Int, rows[2]["dense_kv_bytes"] as? Int)
        XCTAssertNotEqual(rows[0]["perplexity"] as? Double, dense, "a window of 16 changes the predictions")
        XCTAssertTrue(out.contains("streaming:sink=4,window=12"), out)
    }

    func testPerplexityThroughAPolicy() throws {
        try requireModel()
        let out = try run(["perplexity", "--file", BadInputTests.prose, "--ctx", "48", "--policy", "streaming:sink=4,window=8"]).out
        XCTAssertTrue(out.contains("streaming:sink=4,window=8: PPL = "), out)
        XCTAssertTrue(out.contains("dense: PPL = "), out)
        XCTAssertTrue(out.contains("difference: "), out)
    }
}
