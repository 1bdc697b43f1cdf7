import XCTest

/// reference.json, written by reference/reference.py (float64 numpy forward pass of the reference
/// model). Tests of the forward pass compare against it; see docs/runtime.md for the tolerances.
struct ReferenceOutput: Decodable {
    struct TopLogit: Decodable {
        let id: Int32
        let piece: String
        let logit: Double
        let prob: Double
    }

    struct Matrix: Decodable {
        let layer: Int
        let head: Int
        /// rows[t] = attention probabilities of query t over keys 0...t (causal prefill).
        let rows: [[Double]]
    }

    struct Prompt: Decodable {
        let name: String
        let text: String
        let allowSpecial: Bool
        let tokenIds: [Int32]
        let tokenPieces: [String]
        /// Last position's top-20 next tokens, best first.
        let topLogits: [TopLogit]
        /// [layer][head][key]: the last prompt position's attention probabilities.
        let lastRowAttention: [[[Double]]]
        /// Full prefill matrices for a few (layer, head)s.
        let prefillMatrices: [Matrix]
        /// [layer]: mean over heads of the last row's probability on token 0.
        let sinkMassLastRow: [Double]
        /// Greedy continuation (no stop at EOS) and the top1 - top2 logit margin at each step.
        let greedyIds: [Int32]
        let greedyMargins: [Double]
        let greedyText: String
    }

    struct Perplexity: Decodable {
        let text: String
        let tokenIds: [Int32]
        let perplexity: Double
    }

    let model: String
    let greedySteps: Int
    let prompts: [Prompt]
    let perplexity: Perplexity

    static func load() throws -> ReferenceOutput {
        let data = try Data(contentsOf: Fixtures.directory.appendingPathComponent("reference.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ReferenceOutput.self, from: data)
    }

    func prompt(_ name: String) -> Prompt? { prompts.first { $0.name == name } }
}

/// The committed reference output is well-formed and shows the model's known-good behaviour
/// (so a regenerated fixture from a broken reference fails here, before it misleads other tests).
final class ReferenceFixtureSanityTests: XCTestCase {
    func testKnownGoodFacts() throws {
        let ref = try ReferenceOutput.load()
        let paris = try XCTUnwrap(ref.prompt("paris"))
        XCTAssertEqual(paris.tokenIds.count, 5)
        XCTAssertEqual(paris.topLogits.first?.piece, "ĠParis")
        XCTAssertEqual(paris.topLogits.first?.prob ?? 0, 0.77, accuracy: 0.01)
        // Attention sink: layers 2-29 put clearly more than uniform (1/5) mass on token 0 of a 5-token prompt.
        for layer in 2..<30 { XCTAssertGreaterThan(paris.sinkMassLastRow[layer], 0.2, "layer \(layer)") }
        XCTAssertGreaterThan(ref.perplexity.perplexity, 2)
        XCTAssertLessThan(ref.perplexity.perplexity, 25)
    }

    func testShapesAndNormalisation() throws {
        let ref = try ReferenceOutput.load()
        XCTAssertEqual(ref.prompts.count, 3)
        for p in ref.prompts {
            let t = p.tokenIds.count
            XCTAssertEqual(p.lastRowAttention.count, 30)
            XCTAssertEqual(p.sinkMassLastRow.count, 30)
            for layer in p.lastRowAttention {
                XCTAssertEqual(layer.count, 9)
                for row in layer {
                    XCTAssertEqual(row.count, t)
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                }
            }
            for m in p.prefillMatrices {
                XCTAssertEqual(m.rows.count, t)
                for (i, row) in m.rows.enumerated() {
                    XCTAssertEqual(row.count, i + 1)
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                }
                XCTAssertEqual(m.rows.last!, p.lastRowAttention[m.layer][m.head])
            }
            XCTAssertEqual(p.greedyIds.count, ref.greedySteps)
            XCTAssertEqual(p.greedyIds.first, p.topLogits.first?.id)
            XCTAssertTrue(p.greedyMargins.allSatisfy { $0 >= 0 })
            XCTAssertEqual(p.topLogits.map(\.logit), p.topLogits.map(\.logit).sorted(by: >))
        }
    }
}
