import AttnTrace
import Foundation
import XCTest

/// `attnscope record --policy quest` on the reference model (SmolLM2-135M): a selecting policy
/// keeps the whole cache, and each decode query of layers ≥ dense_layers attends to whole pages,
/// always including its own; its query-aware pages cover far more of the dense attention mass
/// than a window of the most recent entries of the same size.
final class QuestEndToEndTests: XCTestCase {
    func testQuestSelectsPagesAndKeepsTheCache() throws {
        try requireModel()
        let quest = tempPath("quest.atrace"), window = tempPath("window.atrace")
        defer { try? FileManager.default.removeItem(atPath: quest); try? FileManager.default.removeItem(atPath: window) }
        let prompt = RecordEndToEndTests.prompt
        try run(["record", "--ignore-eos", "--prompt", prompt, "-n", "4", "--policy", "quest:page=4,budget=16",
                 "--capture", "selections", "--out", quest])
        try run(["record", "--ignore-eos", "--prompt", prompt, "-n", "4", "--policy", "streaming:sink=0,window=16", "--out", window])
        let q = try TraceReader(path: quest), w = try TraceReader(path: window)
        XCTAssertEqual(q.header.policy.mode, .selects)
        XCTAssertEqual(q.header.policy.parameters, [KeyValue("page", "4"), KeyValue("budget", "16"), KeyValue("dense_layers", "2")])
        let promptCount = q.header.promptTokens.count
        XCTAssertGreaterThan(promptCount, 30)

        XCTAssertEqual(q.stepCount, 4)
        var questRecall: [Float] = [], windowRecall: [Float] = []
        for step in 0..<q.stepCount {
            let n = promptCount + step   // entries visible to the step's last query
            // KV bytes do not drop: every entry stays, nothing is evicted.
            XCTAssertTrue(try q.kv(step: step).allSatisfy { $0.entries == n && $0.bytes == n * 2 * 64 * 4 && $0.evicted.isEmpty },
                          "step \(step)")
            let metrics = try q.metrics(step: step)
            for m in metrics {
                XCTAssertEqual(m.visibleKV, n, "step \(step) L\(m.layer) H\(m.head)")
                if step == 0 || m.layer < 2 {   // prefill and layers 0–1: dense
                    XCTAssertEqual(m.selected, n)
                    XCTAssertEqual(m.recall, 1, accuracy: 1e-3)
                    continue
                }
                // 3 whole pages of 4 plus the current, partial page
                XCTAssertEqual(m.selected, 12 + (n - 1) % 4 + 1, "step \(step) L\(m.layer) H\(m.head)")
                XCTAssertGreaterThan(m.selectedSparsity, 0.5)
                XCTAssertTrue(m.recall > 0 && m.recall <= 1.0001, "recall \(m.recall)")
                questRecall.append(m.recall)
                let sel = try XCTUnwrap(q.selection(step: step, layer: m.layer, head: m.head))
                XCTAssertTrue(sel.ranges.allSatisfy { $0.lowerBound % 4 == 0 && ($0.upperBound % 4 == 0 || $0.upperBound == n) },
                              "pages: \(sel.ranges)")
                XCTAssertEqual(sel.ranges.last?.upperBound, n, "the current page holds the query's own entry")
            }
            if step > 0 { windowRecall += try w.metrics(step: step).filter { $0.layer >= 2 }.map(\.recall) }
        }
        XCTAssertEqual(questRecall.count, 3 * 28 * 9)
        let meanQuest = questRecall.reduce(0, +) / Float(questRecall.count)
        let meanWindow = windowRecall.reduce(0, +) / Float(max(1, windowRecall.count))
        XCTAssertLessThan(meanQuest, 0.999, "pages were left out")
        XCTAssertGreaterThan(meanQuest, meanWindow + 0.2, "quest \(meanQuest) vs recent window \(meanWindow)")
    }
}
