import Foundation
import XCTest
@testable import AttnRuntime

/// Headwise delivery (HeadwiseAttentionProbe): a decode call hands each head to the probe on the
/// pool thread that merged it. What the probe sees, the attention output and what an observing
/// or evicting policy does must be the same, bit for bit, as with the batch delivery, on the
/// split-key path (after per-head eviction) and on the selection path (runs and gather).
final class HeadwiseDeliveryTests: XCTestCase {
    /// One delivered head, copied out (the buffers are reused).
    struct Head: Equatable {
        var head: Int, kvHead: Int, keys: [Int32], visible: [Int], row: [UInt32], entropy: UInt32?, selectedFrom: Int?

        init(_ r: AttentionRows) {
            head = r.head; kvHead = r.kvHead; keys = Array(r.keyPositions); visible = Array(r.visibleCounts)
            row = Array(r.row(0)).map(\.bitPattern); entropy = r.entropies?[0].bitPattern; selectedFrom = r.selectedFrom
        }
    }

    /// Takes the heads through `headComputed` when `accepts`, else through the batch method.
    final class Probe: HeadwiseAttentionProbe, @unchecked Sendable {
        let accepts: Bool
        let lock = NSLock()
        var calls: [[Head]] = []          // per attention call, in head order
        var pending: [Head] = []
        var workers = Set<Int>()
        var keyCounts: [Int] = []         // beginHeads' keyCount per call
        var open = false, batches = 0, headwiseCalls = 0

        init(accepts: Bool) { self.accepts = accepts }

        func attentionComputed(_ rows: AttentionRows) { XCTFail("decode delivers heads or a batch, not single rows") }
        func attentionComputed(layer: Int, heads: UnsafeBufferPointer<AttentionRows>, pool: WorkerPool) {
            XCTAssertFalse(open, "no batch inside a headwise call")
            batches += 1
            calls.append(heads.map(Head.init))
        }
        func beginHeads(layer: Int, heads: Int, keyCount: Int, threads: Int) -> Bool {
            XCTAssertFalse(open)
            XCTAssertEqual(threads, 2)
            keyCounts.append(keyCount)
            open = accepts
            return accepts
        }
        func headComputed(_ rows: AttentionRows, worker: Int) {
            let head = Head(rows)
            lock.lock(); pending.append(head); workers.insert(worker); lock.unlock()
        }
        func endHeads(layer: Int) {
            XCTAssertTrue(open, "endHeads follows an accepted beginHeads")
            open = false
            headwiseCalls += 1
            calls.append(pending.sorted { $0.head < $1.head })
            XCTAssertEqual(pending.count, Set(pending.map(\.head)).count, "each head once")
            pending = []
        }
    }

    /// A probe with the batch method only (not headwise).
    final class BatchOnly: AttentionProbe {
        var calls: [[Head]] = []
        func attentionComputed(_ rows: AttentionRows) { XCTFail("decode delivers a batch") }
        func attentionComputed(layer: Int, heads: UnsafeBufferPointer<AttentionRows>, pool: WorkerPool) {
            calls.append(heads.map(Head.init))
        }
    }

    struct Run {
        var outputs: [[UInt32]] = [], calls: [[Head]] = [], positions: [[Int32]] = [], probe: Probe?
        var observed: [UInt32] = []   // an H2O policy's accumulated scores after the run
    }

    /// Prefills `prefill` tokens without a probe, evicts different entries from the two KV heads
    /// (when `evict`), then makes `steps` decode calls. headwise: nil = a batch-only probe.
    func run(policy spec: String?, headwise: Bool?, gather: Bool, evict: Bool, prefill: Int, steps: Int) throws -> Run {
        let shape = AttentionShape(heads: 6, kvHeads: 2, headDim: 64)
        let attention = Attention(shape: shape, capacity: 1024, pool: WorkerPool(threads: 2))
        attention.selectionScratch.gather = gather
        let policy = try spec.map { try PolicyRegistry.make($0) }
        if let policy {
            policy.reset(layers: 1, shape: shape)
            attention.policy = policy
        }
        let cache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 1024)
        var rng = SeededRandom(seed: 31)
        var pos: Int32 = 0
        func call(_ t: Int) -> [UInt32] {
            let q = rng.floats(t * 6 * 64, in: -2...2), k = rng.floats(t * 2 * 64, in: -2...2), v = rng.floats(t * 2 * 64)
            var out = [Float](repeating: 0, count: t * 6 * 64)
            attention.forward(out: &out, q: q, k: k, v: v, positions: (0..<Int32(t)).map { pos + $0 }, tokens: t,
                              layer: 0, cache: cache)
            pos += Int32(t)
            return out.map(\.bitPattern)
        }
        _ = call(prefill)
        if evict {
            cache.remove(layer: 0, kvHead: 0, indices: Array(4 ..< 40))
            cache.remove(layer: 0, kvHead: 1, indices: [1, 2, 300, 301, 302])
        }
        var result = Run()
        let batchOnly = BatchOnly()
        let probe = headwise.map { Probe(accepts: $0) }
        attention.probe = probe ?? batchOnly
        for _ in 0..<steps {
            result.outputs.append(call(1))
            result.positions.append((0..<2).flatMap { Array(UnsafeBufferPointer(start: cache.positions(layer: 0, kvHead: $0),
                                                                                 count: cache.count(layer: 0, kvHead: $0))) })
        }
        result.calls = probe?.calls ?? batchOnly.calls
        result.probe = probe
        result.observed = (policy as? H2OPolicy)?.scores.flatMap { $0.flatMap { $0.map(\.bitPattern) } } ?? []
        return result
    }

    func check(policy spec: String?, gather: Bool = false, evict: Bool = false, prefill: Int = 700, steps: Int = 5,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let context = "\(spec ?? "no policy") gather \(gather) evict \(evict)"
        func run(_ headwise: Bool?) throws -> Run {
            try self.run(policy: spec, headwise: headwise, gather: gather, evict: evict, prefill: prefill, steps: steps)
        }
        let batch = try run(nil), headwise = try run(true), declined = try run(false)
        XCTAssertEqual(batch.calls.count, steps, context, file: file, line: line)
        XCTAssertEqual(headwise.probe?.headwiseCalls, steps, context, file: file, line: line)
        XCTAssertEqual(headwise.probe?.batches, 0, context, file: file, line: line)
        XCTAssertEqual(declined.probe?.headwiseCalls, 0, context, file: file, line: line)
        XCTAssertEqual(declined.probe?.batches, steps, context, file: file, line: line)
        XCTAssertEqual(headwise.probe?.workers.isSubset(of: [0, 1]), true, context, file: file, line: line)
        XCTAssertEqual(headwise.probe?.keyCounts, batch.calls.map { $0.reduce(0) { $0 + $1.keys.count } }, context, file: file, line: line)
        for other in [headwise, declined] {
            XCTAssertEqual(other.outputs, batch.outputs, "\(context): attention output", file: file, line: line)
            XCTAssertEqual(other.positions, batch.positions, "\(context): the cache after the policy", file: file, line: line)
            XCTAssertEqual(other.calls, batch.calls, "\(context): what the probe saw", file: file, line: line)
            XCTAssertEqual(other.observed, batch.observed, "\(context): what the policy observed", file: file, line: line)
        }
        XCTAssertEqual(batch.calls.first?.map(\.head), Array(0..<6), context, file: file, line: line)
    }

    func testSplitKeyPath() throws {
        try check(policy: nil, evict: true)        // different counts per KV head
        try check(policy: "h2o:heavy=100,window=100")   // observes every row, evicts every step
        try check(policy: "streaming:sink=4,window=300")
    }

    func testSelectionPath() throws {
        try check(policy: "quest:page=16,budget=256")   // the runs in place, more than one chunk
        try check(policy: "quest:page=16,budget=256", gather: true)
    }
}
