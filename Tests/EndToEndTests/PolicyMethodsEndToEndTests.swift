import AttnTrace
import Foundation
import XCTest

/// The second wave of policies and layer maps on the reference model (SmolLM2-135M, 30 layers ×
/// 9 heads × 3 KV heads): what the trace records for each, against a dense shadow.
final class PolicyMethodsEndToEndTests: XCTestCase {
    func record(_ policy: [String], _ name: String, n: Int = 3, capture: String = "metrics") throws -> TraceReader {
        let path = tempPath(name)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try run(["record", "--ignore-eos", "--prompt", RecordEndToEndTests.prompt, "-n", "\(n)", "--capture", capture,
                 "--out", path] + policy)
        return try TraceReader(path: path)
    }

    /// A layer map: layers 0–1 dense, the rest knn; the header holds the resolved map, `stats`
    /// prints it, and knn (each head's best 16) recalls at least what the per-KV-head oracle does.
    func testLayerMapKNNAndOracle() throws {
        try requireModel()
        let knn = try record(["--policy", "L0-1=dense;L2-29=knn:budget=16"], "map-knn.atrace")
        XCTAssertEqual(knn.header.policy.name, "layers")
        XCTAssertEqual(knn.header.policy.mode, .selects)
        XCTAssertEqual(knn.header.policy.parameters, [KeyValue("L0-1", "dense"), KeyValue("L2-29", "knn:budget=16")])
        let oracle = try record(["--policy", "L0-1=dense;L2-29=oracle:budget=16"], "map-oracle.atrace")
        let promptCount = knn.header.promptTokens.count
        for step in 1..<knn.stepCount {
            let n = promptCount + step
            let a = try knn.metrics(step: step), b = try oracle.metrics(step: step)
            for (mk, mo) in zip(a, b) {
                XCTAssertEqual(mk.visibleKV, n)
                XCTAssertEqual(mk.selected, mk.layer < 2 ? n : 16, "step \(step) L\(mk.layer) H\(mk.head)")
                XCTAssertEqual(mo.selected, mo.layer < 2 ? n : 16)
                if step == 1 && mk.layer >= 2 {   // same inputs up to the first sparse layer's output on the first step
                    if mk.layer == 2 { XCTAssertGreaterThanOrEqual(mk.recall, mo.recall - 1e-4, "L2 H\(mk.head)") }
                    XCTAssertLessThan(mk.recall, 1.0001)
                }
            }
        }
        let stats = try run(["stats", knn.path]).out
        XCTAssertTrue(stats.contains("L0-1 dense"), stats)
        XCTAssertTrue(stats.contains("L2-29 knn:budget=16"), stats)
    }

    /// ZeroTuning γ = 2 on every head: at the prefill step's layer 0 (same inputs as dense) the
    /// initial token's weight is 2a/(1 + a) of dense's a, and recall / output error are taken
    /// against untouched dense attention.
    func testZeroTuningReweightsAgainstTheDenseShadow() throws {
        try requireModel()
        let zt = try record(["--policy", "zerotuning:gamma=2"], "zt.atrace", n: 2)
        let dense = try record([], "dense-for-zt.atrace", n: 2)
        XCTAssertEqual(zt.header.policy.parameters, [KeyValue("gamma", "2.0"), KeyValue("heads", "all")])
        let z0 = try zt.metrics(step: 0).filter { $0.layer == 0 }, d0 = try dense.metrics(step: 0).filter { $0.layer == 0 }
        for (z, d) in zip(z0, d0) {
            let a = d.sinkMass1
            XCTAssertEqual(z.sinkMass1, 2 * a / (1 + a), accuracy: 2e-4, "H\(z.head)")
            XCTAssertEqual(z.selected, z.visibleKV, "reweighting attends to every entry")
            if a > 0.01 { XCTAssertGreaterThan(z.outputError, 0, "H\(z.head): compared with untouched dense") }
        }
        let decode = try zt.metrics(step: 1)
        XCTAssertTrue(decode.contains { $0.outputError > 0.001 }, "decode rows are reweighted too")
    }

    /// ACT finds hidden sinks on the prompt and calibrates decode rows; power selects a static pattern.
    func testACTAndPowerRun() throws {
        try requireModel()
        let act = try record(["--policy", "L0-1=dense;L2-29=act:beta=0.4"], "act.atrace", n: 2)
        let decode = try act.metrics(step: 1)
        XCTAssertTrue(decode.filter { $0.layer < 2 }.allSatisfy { $0.outputError < 1e-4 }, "dense layers")
        XCTAssertTrue(decode.contains { $0.layer >= 2 && $0.outputError > 1e-3 }, "some head of layers ≥ 2 has a hidden sink")
        let power = try record(["--policy", "power:block=4,sink=1,window=2"], "power.atrace", n: 2)
        let promptCount = power.header.promptTokens.count, n = promptCount + 1
        let qb = (n - 1) / 4
        let blocks = (0...qb).filter { j in j < 1 || qb - j < 2 || ((qb - j) & (qb - j - 1)) == 0 }
        let expected = blocks.reduce(0) { $0 + min(4, n - 4 * $1) }
        XCTAssertTrue(try power.metrics(step: 1).allSatisfy { $0.selected == expected && $0.visibleKV == n })
        // DELTA: layers 1 and 14 are Δ-layers; the others attend to 3 planned pages + the newest page
        let delta = try record(["--policy", "delta:full_layers=0-1+14,page=4,pages=4,recent=1"], "delta.atrace", n: 2)
        for m in try delta.metrics(step: 1) {
            XCTAssertEqual(m.selected, [0, 1, 14].contains(m.layer) ? n : 12 + (n - 1) % 4 + 1, "L\(m.layer) H\(m.head)")
        }
    }
}
