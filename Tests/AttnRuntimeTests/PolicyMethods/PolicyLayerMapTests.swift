// Layer maps (`--policy 'L0-1=dense;L2-29=quest:budget=256'`, `--policy-file`): parsing, the
// checks against a model, and that each layer's calls reach its own policy.

import Foundation
import XCTest
@testable import AttnRuntime

final class PolicyLayerMapTests: XCTestCase {
    let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 4)

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func testParsesRangesAndResolvesEachPolicy() throws {
        let p = try XCTUnwrap(PolicyRegistry.make("L2-3=quest:budget=256; L0-1=dense") as? LayerMapPolicy)
        XCTAssertEqual(p.map.ranges.map(\.layers), [0...1, 2...3], "sorted by first layer")
        XCTAssertEqual(p.parameters.map(\.key), ["L0-1", "L2-3"])
        XCTAssertEqual(p.parameters.map(\.value), ["dense", "quest:page=16,budget=256,dense_layers=2"])
        XCTAssertEqual(p.specDescription, "L0-1=dense;L2-3=quest:page=16,budget=256,dense_layers=2")
        XCTAssertEqual(p.mode, .selects)
        XCTAssertEqual(try PolicyRegistry.make("L0=streaming;L1=quest").mode, .evicts, "evicts wins over selects")
        XCTAssertEqual(try PolicyRegistry.make("L0-3=dense").mode, .dense)
        try p.check(layers: 4, shape: shape)
        // the resolved map parses back to the same map
        let again = try XCTUnwrap(PolicyRegistry.make(p.specDescription) as? LayerMapPolicy)
        XCTAssertEqual(again.specDescription, p.specDescription)
    }

    func testBadMapsNameTheProblem() throws {
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L0-3=dense;L2-5=quest") }.contains("L0-3 and L2-5 overlap"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L0-1=dense;L2-3=quest:budget=0") }.contains("L2-3: policy quest: budget=0"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L0-1=dense;L2-3=quest:bogus=1") }.contains("unknown parameter bogus"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L0-1=dense;L2-3=nonesuch") }.contains("unknown policy 'nonesuch'"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L3-1=dense") }.contains("range 3-1 is empty"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L1x=dense") }.contains("not a layer"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make("L0") }.contains("not Lfirst-last=POLICY"))
        let gap = try PolicyRegistry.make("L0=dense;L3-5=dense")
        XCTAssertEqual(message { try gap.check(layers: 8, shape: shape) },
                       "layer map: no policy for L1-2, L6-7 (every layer 0-7 needs one)")
        let beyond = try PolicyRegistry.make("L0-1=dense;L2-9=dense")
        XCTAssertEqual(message { try beyond.check(layers: 4, shape: shape) },
                       "layer map: L2-9 names layer 9; the model has 4 layers (0-3)")
        let quest = try PolicyRegistry.make("L0-1=dense;L2-3=quest:dense_layers=9")
        XCTAssertTrue(message { try quest.check(layers: 4, shape: shape) }.contains("L2-3: policy quest: dense_layers=9"))
    }

    func testPolicyFileIsForOneModelShape() throws {
        let file = #"{"model": {"name": "m", "layers": 4, "heads": 4, "kvHeads": 2}, "layers": [{"layers": "0-1", "policy": "dense"}, {"layers": "2-3", "policy": "streaming:sink=1,window=2"}]}"#
        let p = try PolicyRegistry.make(policyFile: "map.json") { _ in file }
        try p.check(layers: 4, shape: shape)
        XCTAssertEqual(p.specDescription, "L0-1=dense;L2-3=streaming:sink=1,window=2")
        XCTAssertEqual(message { try p.check(layers: 4, shape: AttentionShape(heads: 8, kvHeads: 2, headDim: 4)) },
                       "policy file map.json (m): written for 4 layers × 4 heads × 2 KV heads, the model has 4 × 8 × 2")
        XCTAssertTrue(message { _ = try PolicyRegistry.make(policyFile: "x.json") { _ in #"{"model": {"layers": 4, "heads": 4, "kvHeads": 2}, "layers": [], "extra": 1}"# } }
            .contains("unknown key 'extra'"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make(policyFile: "x.json") { _ in "[1]" } }.contains("not a JSON object"))
        XCTAssertTrue(message { _ = try PolicyRegistry.make(policyFile: "x.json") { _ in #"{"model": {"layers": 4, "heads": 4, "kvHeads": 2}, "layers": []}"# } }
            .contains("non-empty list"))
    }

    /// Layer 0 dense, layer 1 streaming: only layer 1 is cut, and each policy sees its own layer.
    func testEachLayerRunsItsOwnPolicy() throws {
        let p = try XCTUnwrap(PolicyRegistry.make("L0=dense;L1=streaming:sink=1,window=2") as? LayerMapPolicy)
        let layers = 2
        try p.check(layers: layers, shape: shape)
        p.reset(layers: layers, shape: shape)
        XCTAssertTrue(p.policy(layer: 0) is DensePolicy)
        XCTAssertTrue(p.policy(layer: 1) is StreamingPolicy)
        let attention = Attention(shape: shape, capacity: 64, pool: WorkerPool(threads: 2))
        attention.policy = p
        let cache = KVCache(layers: layers, kvHeads: 2, headDim: 4, capacity: 64)
        var rng = SeededRandom(seed: 3)
        let t = 10
        var out = [Float](repeating: 0, count: t * 16)
        for layer in 0..<layers {
            attention.forward(out: &out, q: rng.floats(t * 16), k: rng.floats(t * 8), v: rng.floats(t * 8),
                              positions: (0..<Int32(t)).map { $0 }, tokens: t, layer: layer, cache: cache)
        }
        XCTAssertEqual(positions(cache, layer: 0), Array(0..<t), "dense keeps every entry")
        XCTAssertEqual(positions(cache, layer: 1), [0, 8, 9], "streaming keeps sink 1 + window 2")
    }
}
