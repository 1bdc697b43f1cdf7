import AttnTestSupport
import XCTest
@testable import AttnRuntime

/// The Swift runtime on Gemma 3 270M against the independent numpy reference
/// (reference/gemma3_reference.py: float64, weights dequantized by the PyPI `gguf` package):
/// Fixtures/gemma3-reference.json.
///
/// Tolerances as in ReferenceFixtureTests (f32 against float64): top-20 logits |Δ| ≤ 0.02 and
/// probabilities |Δ| ≤ 1e-3; every head's last-row attention |Δp| ≤ 1e-3; greedy tokens identical
/// (the reference's smallest top1−top2 margin on these prompts is 0.0048 logits, above the f32
/// error seen here); perplexity within 1 %.
final class Gemma3ReferenceTests: XCTestCase {
    nonisolated(unsafe) static var shared: Transformer?

    func model() throws -> Transformer {
        if let m = Self.shared { return m }
        let m = try Transformer(gguf: try Gemma3Model.gguf(), contextLength: 1024, threads: 2)
        Self.shared = m
        return m
    }

    func reference() throws -> [String: Any] { try Fixtures.json("gemma3-reference.json") as! [String: Any] }

    func prompt(_ name: String) throws -> [String: Any] {
        try XCTUnwrap((try reference()["prompts"] as! [[String: Any]]).first { $0["name"] as? String == name })
    }

    func testConfigFromMetadata() throws {
        let c = try model().config
        XCTAssertEqual(c.family, .gemma3)
        XCTAssertEqual([c.blockCount, c.embeddingLength, c.headCount, c.headCountKV, c.headDim], [18, 640, 4, 1, 256])
        XCTAssertEqual(c.ropeStyle, .halves)
        XCTAssertEqual(c.embeddingScale, Float(640).squareRoot())
        let windowed = (try reference()["windowed_layers"] as! [Bool])
        XCTAssertEqual(c.layerWindows.map { $0 != nil }, windowed)
        XCTAssertEqual(Set(c.layerWindows.compactMap { $0 }), [512])
        XCTAssertEqual(c.layerRopeBases.enumerated().map { windowed[$0.offset] ? 10000 : 1_000_000 }, c.layerRopeBases)
    }

    /// Prefill (paris: 6 tokens, the windowed layers' matrix path; story: 41 tokens, sgemm) and
    /// then 32 greedy decode steps.
    func testPromptsMatchReference() throws {
        let m = try model()
        for name in ["paris", "story"] {
            let p = try prompt(name)
            let ids = (p["token_ids"] as! [Int]).map(Int32.init)
            m.reset()
            let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
            m.attention.probe = capture
            let logits = m.forward(tokens: ids)
            m.attention.probe = nil
            checkTopLogits(logits, p, name)

            let t = ids.count
            let lastRows = p["last_row_attention"] as! [[[Double]]]
            var worst = Deviation()
            for l in 0..<m.config.blockCount {
                for h in 0..<m.config.headCount {
                    let row = try XCTUnwrap(capture.rows[l][h].last { $0.query == t - 1 })
                    XCTAssertEqual(row.probs.count, t, "\(name) L\(l)H\(h)")
                    worst.add(row.probs, lastRows[l][h])
                }
            }
            assertBelow(worst, 1e-3, "\(name): last-row attention of every head")
            if name == "paris" {
                let bos = try XCTUnwrap(capture.rows[0][0].last { $0.query == t - 1 }).probs[0]
                XCTAssertEqual(bos, 0.665, accuracy: 0.001, "layer 0 head 0's mass on BOS")
            }

            var next = logits, greedy: [Int] = []
            for _ in 0..<(p["greedy_ids"] as! [Int]).count {
                let id = argmax(next)
                greedy.append(id)
                next = m.forward(tokens: [Int32(id)])
            }
            XCTAssertEqual(greedy, p["greedy_ids"] as! [Int], "\(name): greedy continuation")
        }
    }

    /// 600 tokens, more than the 512-token window: the windowed layers' last row sees exactly the
    /// last 512 positions, the cache of a windowed layer keeps 511 entries after each call and 512
    /// during a decode call, and the global layers keep everything.
    func testLongPromptThroughTheWindow() throws {
        let m = try model()
        let p = try prompt("long")
        let ids = (p["token_ids"] as! [Int]).map(Int32.init)
        m.reset()
        let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
        m.attention.probe = capture
        let logits = m.forward(tokens: ids)
        m.attention.probe = nil
        checkTopLogits(logits, p, "long")
        let t = ids.count
        let visible = p["visible_keys_last_row"] as! [Int]
        for l in 0..<m.config.blockCount {
            let row = try XCTUnwrap(capture.rows[l][0].last { $0.query == t - 1 }).probs
            XCTAssertEqual(row.filter { $0 > 0 }.count, visible[l], "layer \(l): keys with attention")
            let expectedCount = m.config.layerWindows[l].map { $0 - 1 } ?? t
            XCTAssertEqual(m.cache.count(layer: l, kvHead: 0), expectedCount, "layer \(l): KV entries after prefill")
        }
        var next = logits, greedy: [Int] = []
        let bytes0 = m.cache.totalEntries
        for _ in 0..<(p["greedy_ids"] as! [Int]).count {
            greedy.append(argmax(next))
            next = m.forward(tokens: [Int32(greedy.last!)])
        }
        XCTAssertEqual(greedy, p["greedy_ids"] as! [Int], "long: greedy continuation")
        let globals = m.config.layerWindows.filter { $0 == nil }.count
        XCTAssertEqual(m.cache.totalEntries - bytes0, globals * greedy.count, "only the global layers' KV grows")
    }

    /// The windowed layers' dropping cache against the reference that keeps every entry and masks
    /// by position (`dropsBehindWindow = false`): 1,052 tokens in calls of 600, 300, 64, 5 and 3
    /// rows and 80 single tokens, so the window wraps twice and a stream moves back to slot 0.
    /// Logits agree to f32 rounding; a windowed stream holds ≤ 512 entries and never reaches past
    /// slot 1.25·511 + the call's rows, while the reference's windowed streams hold every position.
    func testDroppingWindowMatchesKeepingEveryEntry() throws {
        let gguf = try Gemma3Model.gguf()
        let dropping = try Transformer(gguf: gguf, contextLength: 1100, threads: 2)
        let keeping = try Transformer(gguf: gguf, contextLength: 1100, threads: 2)
        keeping.attention.dropsBehindWindow = false
        let tok = try loadTokenizer(gguf: gguf)
        let text = try String(contentsOf: Fixtures.directory.appendingPathComponent("english-prose.txt"), encoding: .utf8)
        let prose = tok.encode(text, addBOS: false, allowSpecial: false)
        let ids = [Int32(tok.bosID)] + prose + prose
        let calls = [600] + Array(repeating: 1, count: 30) + [5, 300] + Array(repeating: 1, count: 30) + [64, 3]
            + Array(repeating: 1, count: 20)
        var at = 0, worst = Deviation(), sawMoveBack = false
        let windowed = dropping.config.layerWindows.indices.filter { dropping.config.layerWindows[$0] != nil }
        for t in calls {
            let chunk = Array(ids[at ..< at + t])
            let basesBefore = windowed.map { dropping.cache.base(layer: $0, kvHead: 0) }
            let a = dropping.forward(tokens: chunk, logits: .from(max(0, t - 2)))
            let b = keeping.forward(tokens: chunk, logits: .from(max(0, t - 2)))
            worst.add(a, b)
            at += t
            for (i, l) in windowed.enumerated() {
                let n = dropping.cache.count(layer: l, kvHead: 0), base = dropping.cache.base(layer: l, kvHead: 0)
                XCTAssertEqual(n, min(at, 511), "layer \(l) at \(at): entries")
                XCTAssertLessThanOrEqual(4 * (base + n), 5 * 511 + 4 * t, "layer \(l) at \(at): slots touched")
                if base < basesBefore[i] { sawMoveBack = true }
                XCTAssertEqual(keeping.cache.count(layer: l, kvHead: 0), at, "the reference keeps every entry")
            }
        }
        XCTAssertGreaterThan(at, 1024)
        XCTAssertTrue(sawMoveBack, "a windowed stream moved back to slot 0")
        assertBelow(worst, 2e-3, "logits, dropping vs keeping")
        print("dropping vs keeping every entry over \(at) tokens: \(worst)")
    }

    func testPerplexityWithinOnePercent() throws {
        let m = try model()
        let ref = try reference()["perplexity"] as! [String: Any]
        let tok = try loadTokenizer(gguf: try Gemma3Model.gguf())
        let text = try String(contentsOf: Fixtures.directory.appendingPathComponent(ref["file"] as! String), encoding: .utf8)
        let ids = tok.encode(text, addBOS: false, allowSpecial: false)
        let result = chunkedPerplexity(model: m, tokens: ids, ctx: ref["ctx"] as! Int, bos: tok.bosID)
        let expected = ref["perplexity"] as! Double
        XCTAssertEqual(result.scoredTokens, ref["scored"] as! Int)
        XCTAssertEqual(result.perplexity, expected, accuracy: expected * 0.01)
    }

    private func checkTopLogits(_ logits: [Float], _ p: [String: Any], _ name: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        var probs = logits
        softmaxNaive(&probs, count: probs.count)
        var worstLogit = Deviation(), worstProb = Deviation()
        let top = p["top_logits"] as! [[String: Any]]
        for entry in top {
            let id = entry["id"] as! Int
            worstLogit.add(logits[id], entry["logit"] as! Double)
            worstProb.add(probs[id], entry["prob"] as! Double)
        }
        assertBelow(worstLogit, 0.02, "\(name): top-20 logits", file: file, line: line)
        assertBelow(worstProb, 1e-3, "\(name): top-20 probabilities", file: file, line: line)
        XCTAssertEqual(argmax(logits), top[0]["id"] as! Int, "\(name): top token", file: file, line: line)
    }

    private func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }
}
