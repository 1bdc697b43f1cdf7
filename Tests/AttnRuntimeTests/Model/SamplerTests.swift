import XCTest
@testable import AttnRuntime

final class SamplerTests: XCTestCase {
    let logits: [Float] = [1, 3, 2, 0.5, 2.9]

    func testGreedyIsArgmax() {
        var s = Sampler(SamplerSettings())
        XCTAssertEqual(s.sample(logits), 1)
    }

    func testSameSeedSameSequenceDifferentSeedDiffers() {
        let settings = SamplerSettings(temperature: 1, seed: 42)
        var a = Sampler(settings), b = Sampler(settings), c = Sampler(SamplerSettings(temperature: 1, seed: 43))
        let sa = (0..<200).map { _ in a.sample(logits) }, sb = (0..<200).map { _ in b.sample(logits) }
        let sc = (0..<200).map { _ in c.sample(logits) }
        XCTAssertEqual(sa, sb)
        XCTAssertNotEqual(sa, sc)
    }

    /// top-k = 2 only ever returns the two largest (1 and 4); top-p = 0.5 with these logits keeps
    /// tokens 1 and 4 (p ≈ 0.38, 0.35 at temperature 1); the frequencies follow the softmax.
    func testTopKAndTopPRestrictTheCandidates() {
        var k = Sampler(SamplerSettings(temperature: 1, topK: 2, seed: 1))
        XCTAssertEqual(Set((0..<500).map { _ in k.sample(logits) }), [1, 4])
        var p = Sampler(SamplerSettings(temperature: 1, topP: 0.5, seed: 2))
        XCTAssertEqual(Set((0..<500).map { _ in p.sample(logits) }), [1, 4])
        var all = Sampler(SamplerSettings(temperature: 1, seed: 3))
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<20_000 { counts[all.sample(logits)] += 1 }
        let z = logits.map { exp(Double($0)) }.reduce(0, +)
        for i in 0..<5 {
            XCTAssertEqual(Double(counts[i]) / 20_000, exp(Double(logits[i])) / z, accuracy: 0.015, "token \(i) seed 3")
        }
    }

    func testSettingsValidation() {
        XCTAssertNotNil(SamplerSettings(temperature: -1).problem)
        XCTAssertNotNil(SamplerSettings(topK: -3).problem)
        XCTAssertNotNil(SamplerSettings(topP: 0).problem)
        XCTAssertNil(SamplerSettings(temperature: 0.7, topK: 40, topP: 0.9, seed: 1).problem)
    }
}
