import AttnTestSupport
import XCTest
@testable import AttnRuntime

/// Qwen2 (biases on Q, K, V; rotate-half RoPE), Llama 3 (`rope_freqs.weight`) and Mistral
/// (`llama.attention.sliding_window`) on small synthetic GGUFs (VariantFixtures) against the float64
/// numpy reference: logits of every prompt position (prefill, sgemm path) and of 8 greedy decode
/// steps (matvec path) within 1e-4 relative (|Δ| / max(1, max |ref|) per row), every head's
/// last-row attention within 1e-5 absolute, the greedy tokens identical. The reference's logits
/// with the variant's feature switched off differ from it by > 0.5, so a runtime that ignored the
/// feature would fail by 5,000 times the tolerance.
final class LlamaVariantReferenceTests: XCTestCase {
    func model(_ name: String) throws -> (Transformer, [String: Any]) {
        let (dir, json) = try VariantFixtures.reference()
        let entry = try XCTUnwrap((json["models"] as? [String: Any])?[name] as? [String: Any])
        let gguf = try GGUFFile(path: dir.appendingPathComponent(entry["file"] as! String).path)
        return (try Transformer(gguf: gguf, threads: 2), entry)
    }

    func testQwen2BiasesAndRotateHalf() throws {
        let (m, entry) = try model("qwen2")
        XCTAssertEqual(m.config.family, .qwen2)
        XCTAssertTrue(m.config.attentionBiases)
        XCTAssertEqual(m.config.ropeStyle, .halves)
        XCTAssertNotNil(m.weights.layers[0].bq)
        try check(m, entry, "qwen2")
    }

    func testLlama3RopeFrequencyFactors() throws {
        let (m, entry) = try model("llama3")
        XCTAssertEqual(m.config.family, .llama)
        XCTAssertTrue(m.config.ropeFrequencyFactors)
        XCTAssertFalse(m.config.attentionBiases)
        XCTAssertEqual(m.config.ropeStyle, .adjacentPairs)
        // factor 1 for short wavelengths, 8 for long ones, in between for the band
        let factors = try XCTUnwrap(m.weights.ropeFrequencyFactors)
        XCTAssertEqual(factors.first, 1)
        XCTAssertEqual(factors.last, 8)
        XCTAssertTrue(factors.contains { $0 > 1 && $0 < 8 }, "\(factors)")
        try check(m, entry, "llama3")
    }

    func testMistralSlidingWindowInALlamaFile() throws {
        let (m, entry) = try model("mistral")
        let window = (try VariantFixtures.reference().json["window"] as! Int)
        XCTAssertEqual(m.config.family, .llama)
        XCTAssertEqual(m.config.layerWindows, Array(repeating: window, count: m.config.blockCount))
        let capture = try check(m, entry, "mistral")
        let t = (entry["token_ids"] as! [Int]).count
        for l in 0..<m.config.blockCount {
            let row = try XCTUnwrap(capture.rows[l][0].last { $0.query == t - 1 })
            XCTAssertEqual(row.probs.filter { $0 > 0 }.count, window, "layer \(l): keys the last row attends to")
        }
    }

    /// Prefill of the prompt, then the greedy steps; returns the prefill's attention capture.
    @discardableResult
    func check(_ m: Transformer, _ entry: [String: Any], _ name: String,
               file: StaticString = #filePath, line: UInt = #line) throws -> AttentionCapture {
        let ids = (entry["token_ids"] as! [Int]).map(Int32.init)
        let vocab = m.config.vocabSize
        m.reset()
        let capture = AttentionCapture(layers: m.config.blockCount, heads: m.config.headCount)
        m.attention.probe = capture
        let logits = m.forward(tokens: ids, logits: .all)
        m.attention.probe = nil

        var prefill = Deviation(), off = Deviation()
        let expected = entry["logits"] as! [[Double]], featureOff = entry["feature_off_logits"] as! [[Double]]
        for i in 0..<ids.count {
            let row = logits[(i * vocab)..<((i + 1) * vocab)]
            prefill.add(Deviation.relative(row, expected[i]))
            off.add(Deviation.absolute(row, featureOff[i]))
        }
        assertBelow(prefill, 1e-4, "\(name): prefill logits, relative", file: file, line: line)
        XCTAssertGreaterThan(off.largest, 0.5, "\(name): the feature moves the logits", file: file, line: line)

        var attention = Deviation()
        let lastRows = entry["last_row_attention"] as! [[[Double]]]
        for l in 0..<m.config.blockCount {
            for h in 0..<m.config.headCount {
                let row = try XCTUnwrap(capture.rows[l][h].last { $0.query == ids.count - 1 }, file: file, line: line)
                // entry j is the key at keyPositions[j] (a windowed layer's rows start at its window)
                var full = [Float](repeating: 0, count: ids.count)
                for (j, key) in capture.keyPositions[l][h].enumerated() where j < row.probs.count { full[Int(key)] = row.probs[j] }
                attention.add(full, lastRows[l][h])
            }
        }
        assertBelow(attention, 1e-5, "\(name): last-row attention of every head", file: file, line: line)

        var decode = Deviation(), greedy: [Int] = []
        var next = Array(logits[((ids.count - 1) * vocab)...])
        for stepLogits in entry["greedy_logits"] as! [[Double]] {
            greedy.append(next.indices.max { next[$0] < next[$1] }!)
            next = m.forward(tokens: [Int32(greedy.last!)])
            decode.add(Deviation.relative(next, stepLogits))
        }
        XCTAssertEqual(greedy, entry["greedy_ids"] as! [Int], "\(name): greedy tokens", file: file, line: line)
        assertBelow(decode, 1e-4, "\(name): decode logits, relative", file: file, line: line)
        print("\(name): max relative Δ prefill logits \(prefill.largest), decode \(decode.largest), "
              + "attention \(attention.largest); feature off \(off.largest)")
        return capture
    }
}
