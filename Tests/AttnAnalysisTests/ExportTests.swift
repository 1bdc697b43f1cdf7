import XCTest
import AttnTrace
@testable import AttnAnalysis

final class ExportTests: XCTestCase {
    func render(_ body: (TextOutput) throws -> Void) throws -> String {
        var bytes: [UInt8] = []
        let out = TextOutput(blockSize: 64) { bytes += $0 }    // small blocks: exercises flushing
        try body(out)
        try out.finish()
        return String(decoding: bytes, as: UTF8.self)
    }

    func testCSVHeaderRowsAndUnknownValues() throws {
        var t = SyntheticRun.make(seed: 21, steps: 3)
        t.steps[1].metrics[2].recall = .nan
        let text = try render { try CSVExport.write(t, to: $0) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.first.map(String.init), MetricTable.columns.joined(separator: ","))
        XCTAssertEqual(lines.count, 1 + 3 * SyntheticRun.layers * SyntheticRun.heads)
        let recallColumn = MetricTable.columns.firstIndex(of: "recall")!
        let row = lines[1 + 1 * 8 + 2].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(row.count, MetricTable.columns.count)
        XCTAssertEqual(row[0], "1")                 // step
        XCTAssertEqual(row[recallColumn], "")       // NaN → empty field
        let kvHead = MetricTable.columns.firstIndex(of: "kv_head")!
        XCTAssertEqual(row[kvHead], "1")            // head 2 of 4 with 2 KV heads → KV head 1
    }

    func testCSVQuotesTextFields() {
        XCTAssertEqual(CSVExport.field(.text("a,b\"c")), "\"a,b\"\"c\"")
        XCTAssertEqual(CSVExport.field(.text("decode")), "decode")
        XCTAssertEqual(CSVExport.field(.float(.infinity)), "")
    }

    func testJSONLParsesLineByLine() throws {
        var t = SyntheticRun.make(seed: 22, steps: 2)
        t.steps[0].metrics[0].entropy = .nan
        let text = try render { try JSONLExport.write(t, to: $0) }
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 2 * SyntheticRun.layers * SyntheticRun.heads)
        for (i, line) in lines.enumerated() {
            let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "line \(i)")
            XCTAssertEqual(Set(obj.keys), Set(MetricTable.columns), "line \(i)")
        }
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertTrue(first["entropy"] is NSNull)
        XCTAssertEqual(first["phase"] as? String, "prefill")
    }

    func testChromeTraceHasSpansCountersAndMetadata() throws {
        var t = SyntheticRun.make(seed: 23, steps: 4)
        t.steps[2].annotations = ["checkpoint \"2\""]
        t.steps[3].step.layerTimes[0].restNanos = 10_000_000   // layers longer than the step: scaled
        let text = try render { try ChromeTraceExport.write(t, to: $0) }
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let events = try XCTUnwrap(obj["traceEvents"] as? [[String: Any]])
        let phases = Set(events.compactMap { $0["ph"] as? String })
        XCTAssertTrue(phases.isSuperset(of: ["X", "C", "M", "i"]), "\(phases)")
        XCTAssertEqual(events.filter { $0["ph"] as? String == "X" && $0["tid"] as? Int == 1 }.count, 4)
        XCTAssertTrue(events.contains { $0["name"] as? String == "KV bytes" && ($0["args"] as? [String: Any])?["L1"] != nil })
        XCTAssertNotNil((obj["otherData"] as? [String: Any])?["model"])
        // Spans on one thread never overlap.
        for tid in 1...3 {
            let spans = events.filter { $0["ph"] as? String == "X" && $0["tid"] as? Int == tid }
                .map { (($0["ts"] as? Double) ?? 0, ($0["dur"] as? Double) ?? 0) }.sorted { $0.0 < $1.0 }
            for (x, y) in zip(spans, spans.dropFirst()) {
                XCTAssertLessThanOrEqual(x.0 + x.1, y.0 + 1e-6, "tid \(tid): \(x) overlaps \(y)")
            }
        }
    }
}
