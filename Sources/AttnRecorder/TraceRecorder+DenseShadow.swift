// The dense shadow: a never-evicted copy of every key and value the model wrote, so that each
// head's last row can be compared with dense attention over all positions (recall of the dense
// mass, relative error of the output) whatever the policy kept or selected.

import AttnRuntime
import Foundation

extension TraceRecorder {
    /// Copies a call's new keys and values into the shadow at their positions and keeps the
    /// call's last query row. q: [T, H·d]; k, v: [T, G·d]; positions: [T].
    func copyIntoShadow(layer: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        positions: UnsafePointer<Int32>, tokens t: Int) {
        let d = headDim, hd = heads * d
        lastQuery[layer] = Array(UnsafeBufferPointer(start: q + (t - 1) * hd, count: hd))
        for g in 0..<kvHeads {
            let keys = shadowKeys[layer * kvHeads + g], values = shadowValues[layer * kvHeads + g]
            for i in 0..<t {
                let p = Int(positions[i])
                guard p < capacity else { continue }
                (keys + p * d).update(from: k + i * kvHeads * d + g * d, count: d)
                (values + p * d).update(from: v + i * kvHeads * d + g * d, count: d)
            }
        }
    }

    /// Recall, oracle recall (the k largest dense probabilities, k = the keys the row attended to)
    /// and relative output error of one head's row against dense attention over the shadow cache.
    func shadow(_ r: HeadProbabilityRows, row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>,
                scratch: ShadowScratch) -> (recall: Float, oracle: Float, error: Float) {
        let n = Int(lastPosition) + 1
        let g = r.kvHead, d = headDim
        let keysAll = shadowKeys[r.layer * kvHeads + g], valuesAll = shadowValues[r.layer * kvHeads + g]
        // positions before lo are outside a windowed layer's window: dense attention gives them 0
        let lo = layerWindows[r.layer].map { max(0, n - $0) } ?? 0
        if lo > 0 { scratch.denseProbs.update(repeating: 0, count: lo) }
        return lastQuery[r.layer].withUnsafeBufferPointer { q in
            HeadStatistics.denseRow(probs: scratch.denseProbs + lo, out: scratch.denseOut, q: q.baseAddress! + r.head * d,
                                    keys: keysAll + lo * d, values: valuesAll + lo * d, count: n - lo, headDim: d)
            HeadStatistics.output(scratch.sparseOut, probs: row, positions: keys, values: valuesAll, headDim: d)
            let dense = UnsafeBufferPointer(start: scratch.denseProbs, count: n)
            var k = 0
            for p in keys where Int(p) < n { k += 1 }
            return (HeadStatistics.recall(selected: keys, dense: dense),
                    HeadStatistics.oracleRecall(dense: dense, k: k, scratch: scratch.selectScratch),
                    HeadStatistics.relativeError(UnsafeBufferPointer(start: scratch.sparseOut, count: d),
                                                 reference: UnsafeBufferPointer(start: scratch.denseOut, count: d)))
        }
    }
}

/// One thread's buffers for the dense shadow row.
final class ShadowScratch: @unchecked Sendable {
    let denseProbs: UnsafeMutablePointer<Float>   // [capacity]
    let denseOut: UnsafeMutablePointer<Float>     // [d]
    let sparseOut: UnsafeMutablePointer<Float>    // [d]
    let selectScratch: UnsafeMutablePointer<Float>   // [capacity]: the dense row reordered by the top-k selection

    init(capacity: Int, headDim: Int) {
        denseProbs = .allocate(capacity: max(1, capacity))
        denseOut = .allocate(capacity: headDim)
        sparseOut = .allocate(capacity: headDim)
        selectScratch = .allocate(capacity: max(1, capacity))
    }

    deinit { denseProbs.deallocate(); denseOut.deallocate(); sparseOut.deallocate(); selectScratch.deallocate() }
}
