// The step's frame: step info with timings, every head's metrics (a head that reported nothing
// gets NaN metrics), the KV residency with the policy's evictions, selections and captured rows.

import AttnRuntime
import AttnTrace
import Foundation

extension TraceRecorder {
    /// The step's frame, after waiting for pending side work. wallNanos: the forward pass;
    /// stepEnd: when it returned; attentionNanos: [L] time inside the attention call (probe included).
    public func finishStep(wallNanos: UInt64, stepEnd: UInt64, attentionNanos: [UInt64], emitted: TokenInfo?,
                           cache: KVCache) -> StepFrame {
        finishSide()
        let times = layerTimes(stepEnd: stepEnd, attentionNanos: attentionNanos)
        let probeTotal = probeNanosThisStep
        let info = StepInfo(index: stepIndex, phase: phase, position: position, queryCount: queryCount,
                            emittedToken: emitted, wallNanos: wallNanos > probeTotal ? wallNanos - probeTotal : 0,
                            layerTimes: times)
        var kv: [KVResidency] = []
        for l in 0..<layers {
            for g in 0..<kvHeads {
                let n = cache.count(layer: l, kvHead: g)
                kv.append(KVResidency(layer: l, kvHead: g, entries: n, bytes: n * 2 * headDim * MemoryLayout<Float>.size,
                                      evicted: evicted[l][g].map(Int.init)))
            }
        }
        rows.append(contentsOf: decodeRows.lazy.compactMap { $0 })   // layer by layer, head by head
        rows.append(contentsOf: pooledPrefillRows())
        // moved out of the slots (a copy would retain each head's arrays again, on this thread)
        var m: [HeadMetrics] = [], sel: [HeadSelection] = []
        m.reserveCapacity(metrics.count)
        for i in metrics.indices { m.append(metrics[i].take() ?? Self.unknown(layer: i / heads, head: i % heads)) }
        if options.capture >= .selections {
            sel.reserveCapacity(selections.count)
            for i in selections.indices {
                sel.append(selections[i].take() ?? HeadSelection(layer: i / heads, head: i % heads, ranges: []))
            }
        }
        return StepFrame(step: info, metrics: m, kv: kv, selections: sel, rows: rows)
    }

    private static func unknown(layer: Int, head: Int) -> HeadMetrics {
        HeadMetrics(layer: layer, head: head, visibleKV: 0, selected: 0, sinkMass1: .nan, sinkMass4: .nan, entropy: .nan,
                    recall: .nan, outputError: .nan, overlapKept: .nan, jaccard: .nan, topSinks: [])
    }
}
