import AttnTestSupport
import XCTest
@testable import AttnRuntime

/// The Swift runtime against the independent numpy reference (reference/reference.py, float64,
/// weights dequantized by the PyPI `gguf` package): Fixtures/reference.json.
///
/// Tolerances, and why:
/// - attention probabilities: max |Δp| ≤ 1e-3 (the issue's bound). The runtime computes in f32;
///   after 30 layers its hidden states differ from float64 by ~1e-5 relative, which moves
///   probabilities by ~1e-5, so 1e-3 leaves two orders of magnitude of room while still failing
///   on any real error (a wrong RoPE pairing, GQA map or mask moves them by > 0.05).
/// - top-20 logits: |Δ| ≤ 0.02, probabilities |Δ| ≤ 1e-3 (logits are ~20 in size; f32 error ~1e-4).
/// - greedy continuation: 32 identical tokens. The reference's smallest top1−top2 margin is ≥ 0.02
///   logits on these prompts, well above the f32 error, so identical tokens are a fair demand.
final class ReferenceFixtureTests: XCTestCase {
    nonisolated(unsafe) static var shared: Transformer?

    func model() throws -> Transformer {
        if let m = Self.shared { return m }
        let m = try Transformer(gguf: try ReferenceModel.gguf(), contextLength: 512, threads: 2)
        Self.shared = m
        return m
    }

    func prompts() throws -> [[String: Any]] {
        let reference = try Fixtures.json("reference.json") as! [String: Any]
        return reference["prompts"] as! [[String: Any]]
    }

    /// Prefill of each prompt (paris: 5 tokens, row path; prose 40 and chat 18: sgemm path):
    /// top logits, the last row of every layer and head, the full prefill matrices, sink mass.
    func testPrefillMatchesReference() throws {
        let m = try model()
        for prompt in try prompts() {
            let name = prompt["name"] as! String
            let ids = (prompt["token_ids"] as! [Int]).map(Int32.init)
            m.reset()
            let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
            m.attention.probe = capture
            defer { m.attention.probe = nil }
            let logits = m.forward(tokens: ids)
            var probs = logits
            softmaxNaive(&probs, count: probs.count)

            var worstLogit = Deviation(), worstProb = Deviation()
            for top in prompt["top_logits"] as! [[String: Any]] {
                let id = top["id"] as! Int
                worstLogit.add(logits[id], top["logit"] as! Double)
                worstProb.add(probs[id], top["prob"] as! Double)
            }
            assertBelow(worstLogit, 0.02, "\(name): top-20 logits")
            assertBelow(worstProb, 1e-3, "\(name): top-20 probabilities")

            let t = ids.count
            let lastRows = prompt["last_row_attention"] as! [[[Double]]]
            var worst = Deviation()
            for l in 0..<m.config.blockCount {
                for h in 0..<m.config.headCount {
                    let rows = capture.rows[l][h]
                    XCTAssertEqual(rows.count, t)
                    worst.add(rows[t - 1].probs, lastRows[l][h])
                }
            }
            assertBelow(worst, 1e-3, "\(name): last-row attention, all layers and heads")

            for matrix in prompt["prefill_matrices"] as! [[String: Any]] {
                let l = matrix["layer"] as! Int, h = matrix["head"] as! Int
                let rows = matrix["rows"] as! [[Double]]
                var w = Deviation()
                for (i, row) in rows.enumerated() {
                    XCTAssertEqual(capture.rows[l][h][i].probs.count, i + 1, "causal row length")
                    w.add(capture.rows[l][h][i].probs, row)
                }
                assertBelow(w, 1e-3, "\(name): prefill matrix layer \(l) head \(h)")
            }
            print("\(name): logits \(worstLogit); last rows \(worst)")
        }
    }

    /// The decode path (one token at a time) gives the same last rows and the reference's 32
    /// greedy tokens.
    func testDecodeAndGreedyContinuationMatchReference() throws {
        let m = try model()
        for prompt in try prompts() {
            let name = prompt["name"] as! String
            let ids = (prompt["token_ids"] as! [Int]).map(Int32.init)
            m.reset()
            if ids.count > 1 { _ = m.forward(tokens: Array(ids.dropLast()), logits: .none) }
            let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
            m.attention.probe = capture
            var logits = m.forward(tokens: [ids.last!])
            m.attention.probe = nil
            let lastRows = prompt["last_row_attention"] as! [[[Double]]]
            var worst = Deviation()
            for l in 0..<m.config.blockCount {
                for h in 0..<m.config.headCount { worst.add(capture.rows[l][h][0].probs, lastRows[l][h]) }
            }
            assertBelow(worst, 1e-3, "\(name): decode-path last rows")

            let expected = prompt["greedy_ids"] as! [Int]
            var got: [Int] = []
            for _ in 0..<expected.count {
                let next = Sampler.argmax(logits)
                got.append(next)
                logits = m.forward(tokens: [Int32(next)])
            }
            XCTAssertEqual(got, expected, "\(name): greedy continuation")
        }
    }

    /// Known-good: the first token is an attention sink in layers 2–29. Measured as the
    /// received-attention score α₀ (METHODS.md §16.3): the attention token 0 gets, averaged over
    /// heads and over the query rows t ≥ 1 of the 40-token prose prompt. Uniform attention would
    /// give mean_t 1/(t+1) ≈ 0.085. The last rows' sink mass also equals the reference's.
    /// Measured (runtime and reference agree): α₀ is 0.21–0.87 in layers 2–29 except layers 10 and
    /// 11 (0.11, 0.03) on this prompt, and 0.07, 0.04 in layers 0–1; so the test asks for a sink
    /// in at least 26 of the 28 deep layers rather than in every one.
    func testFirstTokenIsAnAttentionSink() throws {
        let m = try model()
        let prompt = try prompts().first { ($0["name"] as! String) == "prose" }!
        let ids = (prompt["token_ids"] as! [Int]).map(Int32.init)
        let t = ids.count
        m.reset()
        let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
        m.attention.probe = capture
        defer { m.attention.probe = nil }
        _ = m.forward(tokens: ids, logits: .none)
        let expected = prompt["sink_mass_last_row"] as! [Double]
        let uniform = (1..<t).map { 1 / Float($0 + 1) }.reduce(0, +) / Float(t - 1)
        var scores: [Float] = []
        for l in 0..<m.config.blockCount {
            let heads = 0..<m.config.headCount
            let last = heads.map { capture.rows[l][$0][t - 1].probs[0] }.reduce(0, +) / Float(heads.count)
            XCTAssertEqual(last, Float(expected[l]), accuracy: 1e-3, "layer \(l) last-row sink mass")
            let alpha = heads.map { h in (1..<t).map { capture.rows[l][h][$0].probs[0] }.reduce(0, +) }
                .reduce(0, +) / Float(heads.count * (t - 1))
            scores.append(alpha)
        }
        let sinkLayers = (2..<scores.count).filter { scores[$0] > 2 * uniform }
        XCTAssertGreaterThanOrEqual(sinkLayers.count, 26, "layers 2–29 where token 0 gets > 2× uniform attention")
        let deep = scores[2...].reduce(0, +) / Float(scores.count - 2)
        XCTAssertGreaterThan(deep, 0.3, "mean α₀ over layers 2–29")
        XCTAssertLessThan(scores[0] + scores[1], 2 * deep, "layers 0–1 should show less sink than the rest")
        print("α₀ per layer: \(scores.map { String(format: "%.2f", $0) }.joined(separator: " ")) (uniform \(uniform))")
    }

    /// Perplexity of the reference's prose paragraph (every token after the first scored, as the
    /// reference does): equal to the reference within 0.5%, and in the known-good range.
    func testPerplexityOfProseMatchesReference() throws {
        let m = try model()
        let reference = try Fixtures.json("reference.json") as! [String: Any]
        let ppl = reference["perplexity"] as! [String: Any]
        let ids = (ppl["token_ids"] as! [Int]).map(Int32.init)
        m.reset()
        let logits = m.forward(tokens: ids, logits: .all)
        let result = negativeLogLikelihood(logits: logits, vocab: m.config.vocabSize, targets: ids, from: 0)
        let value = exp(result.sum / Double(result.count))
        let expected = ppl["perplexity"] as! Double
        XCTAssertEqual(value, expected, accuracy: expected * 0.005)
        // the blocked scoring path (perplexity command) gives the same sum
        m.reset()
        let blocked = m.negativeLogLikelihood(tokens: ids, scoringFrom: 0)
        XCTAssertEqual(blocked.count, result.count)
        XCTAssertEqual(blocked.sum, result.sum, accuracy: 1e-3)
        XCTAssertGreaterThan(value, 1); XCTAssertLessThan(value, 25)
        print("perplexity \(value) (reference \(expected))")
    }

}

/// `attnscope perplexity`'s method (llama.cpp's: chunks of ctx, second half scored, no BOS) on
/// a committed English text (Fixtures/english-prose.txt, 832 tokens, written for this test).
final class PerplexityTests: XCTestCase {
    func testEnglishProseIsInTheKnownGoodRange() throws {
        let gguf = try ReferenceModel.gguf()
        let model = try Transformer(gguf: gguf, contextLength: 256, threads: 2)
        let tokenizer = try BPETokenizer(gguf: gguf)
        let text = try String(contentsOf: Fixtures.directory.appendingPathComponent("english-prose.txt"), encoding: .utf8)
        let ids = tokenizer.encode(text)
        let result = chunkedPerplexity(model: model, tokens: ids, ctx: 128)
        XCTAssertEqual(result.chunks, ids.count / 128)
        XCTAssertEqual(result.scoredTokens, result.chunks * 63)   // tokens 65 ..< 128 of each chunk
        // Known-good: plain English prose at short context is single-digit to low twenties
        // (13.07 measured; rotate-half RoPE gives ~34 per MODELS.md).
        XCTAssertGreaterThan(result.perplexity, 3)
        XCTAssertLessThan(result.perplexity, 22)
        print("perplexity @128: \(result.perplexity)")
    }
}
