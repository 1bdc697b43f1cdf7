import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// The RoPE convention: adjacent pairs for GGUF llama weights. These fail if pairs are formed the
/// other way (rotate-half), if the frequency exponent is off, or if the model used the wrong style.
final class RoPETests: XCTestCase {
    /// A hand-computed case: d = 4, base 100, position 1. Pair i has angle 100^(-2i/4) = 1, 0.1.
    func testAdjacentPairsByHand() {
        var cosT = [Float](repeating: 0, count: 2), sinT = cosT
        ropeAngles(cos: &cosT, sin: &sinT, position: 1, rotatedDims: 4, base: 100)
        XCTAssertEqual(cosT[0], cos(1), accuracy: 1e-7); XCTAssertEqual(cosT[1], cos(0.1), accuracy: 1e-7)
        var x: [Float] = [1, 2, 3, 4]
        applyRoPE(&x, heads: 1, headDim: 4, rotatedDims: 4, cos: cosT, sin: sinT, style: .adjacentPairs)
        // (x0, x1) rotated by 1 rad, (x2, x3) by 0.1 rad
        let expected: [Float] = [1 * cos(1) - 2 * sin(1), 1 * sin(1) + 2 * cos(1),
                                 3 * cos(0.1) - 4 * sin(0.1), 3 * sin(0.1) + 4 * cos(0.1)]
        for i in 0..<4 { XCTAssertEqual(x[i], expected[i], accuracy: 1e-6) }

        var y: [Float] = [1, 2, 3, 4]
        applyRoPE(&y, heads: 1, headDim: 4, rotatedDims: 4, cos: cosT, sin: sinT, style: .halves)
        // rotate-half pairs (x0, x2) by 1 rad and (x1, x3) by 0.1 rad: a different answer
        let halves: [Float] = [1 * cos(1) - 3 * sin(1), 2 * cos(0.1) - 4 * sin(0.1),
                               1 * sin(1) + 3 * cos(1), 2 * sin(0.1) + 4 * cos(0.1)]
        for i in 0..<4 { XCTAssertEqual(y[i], halves[i], accuracy: 1e-6) }
        XCTAssertGreaterThan(zip(x, y).map { abs($0 - $1) }.max()!, 0.5)
    }

    /// Rotation keeps each pair's length, and q·k after RoPE depends only on the position
    /// difference (the property attention relies on).
    func testRelativePositionProperty() {
        var rng = SeededGenerator(seed: 5)
        let d = 64
        let q0 = rng.floats(d), k0 = rng.floats(d)
        func rotated(_ v: [Float], _ pos: Int) -> [Float] {
            var c = [Float](repeating: 0, count: d / 2), s = c, out = v
            ropeAngles(cos: &c, sin: &s, position: pos, rotatedDims: d, base: 100_000)
            applyRoPE(&out, heads: 1, headDim: d, rotatedDims: d, cos: c, sin: s, style: .adjacentPairs)
            return out
        }
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map(*).reduce(0, +) }
        let a = dot(rotated(q0, 10), rotated(k0, 3)), b = dot(rotated(q0, 107), rotated(k0, 100))
        XCTAssertEqual(a, b, accuracy: 1e-4)
    }

    /// End to end: with rotate-half the reference model does not match the numpy reference's
    /// top logit for "The capital of France is" (the adjacent-pair model does: ReferenceFixtureTests).
    func testModelUsesAdjacentPairs() throws {
        let m = try Transformer(gguf: try ReferenceModel.gguf(), contextLength: 64, threads: 2)
        XCTAssertEqual(m.ropeStyle, .adjacentPairs)
        let prompt: [Int32] = [504, 3575, 282, 4649, 314]
        let good = m.forward(tokens: prompt)
        let wrong = Transformer.withRoPEStyle(.halves, m) { m.reset(); return m.forward(tokens: prompt) }
        var pg = good, pw = wrong
        softmaxNaive(&pg, count: pg.count); softmaxNaive(&pw, count: pw.count)
        XCTAssertEqual(pg[7042], 0.7725, accuracy: 0.02)    // " Paris", reference p = 0.7725
        XCTAssertGreaterThan(abs(pg[7042] - pw[7042]), 0.05, "rotate-half should change the answer")
    }
}

extension Transformer {
    /// Runs `body` with the model switched to another RoPE pairing (the wrong convention must
    /// give different answers), then switches back.
    static func withRoPEStyle<R>(_ style: RoPEStyle, _ model: Transformer, _ body: () throws -> R) rethrows -> R {
        let saved = model.ropeStyle
        model.ropeStyle = style
        defer { model.ropeStyle = saved }
        return try body()
    }
}
