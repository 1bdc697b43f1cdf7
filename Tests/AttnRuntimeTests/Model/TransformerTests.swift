import XCTest
@testable import AttnRuntime

/// The whole model on the reference file.
final class TransformerTests: XCTestCase {
    /// Known-good (MODELS.md): after "The capital of France is" the top token is " Paris" with
    /// p ≈ 0.77 (the f32 numpy reference). ±0.02 leaves room for f32 summation order only.
    func testCapitalOfFranceIsParis() throws {
        let model = try Transformer(gguf: try ReferenceModel.gguf(), contextLength: 256, threads: 2)
        let prompt: [Int32] = [504, 3575, 282, 4649, 314]   // "The", " capital", " of", " France", " is"
        let paris = 7042
        for path in ["prefill", "decode"] {
            model.reset()
            var logits: [Float] = []
            if path == "prefill" {
                model.matrixPathMinTokens = 4
                logits = model.forward(tokens: prompt)
            } else {
                for t in prompt { logits = model.forward(tokens: [t]) }
            }
            var probs = logits
            softmaxNaive(&probs, count: probs.count)
            let top = probs.indices.max { probs[$0] < probs[$1] }!
            XCTAssertEqual(top, paris, path)
            XCTAssertEqual(probs[paris], 0.77, accuracy: 0.02, path)
            print("\(path): p(Paris) = \(probs[paris])")
        }
    }
}
