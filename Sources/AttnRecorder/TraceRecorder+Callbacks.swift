// What the attention call hands the recorder, in the order it does: the call's inputs (for the
// dense shadow), then each head's probabilities (head by head, or a decode layer's heads at once
// with the model's pool), then the positions the policy evicted.
//
// Decode calls deliver all heads of a layer at once. The per-head work (HeadTracker, the dense
// shadow row, the captured row) goes to the pool's worker as side work (TraceRecorder+SideWork)
// while the model goes on with the layer's matrix products, since each head's state is its own.
// Prefill rows go head by head on the calling thread. Each callback adds its own time on the
// calling thread to `probeNanos` (TraceRecorder+Timing).

import AttnRuntime
import AttnTrace
import Foundation

extension TraceRecorder {
    /// Decode rows come unscaled: `head` scales each (beside the model when it runs as side work).
    public var acceptsUnscaledRows: Bool { true }

    public func attentionInputs(layer: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                positions: UnsafePointer<Int32>, tokens t: Int) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        layerStart[layer] = t0
        defer { probeNanos[layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        finishSide()   // the previous layer's heads read buffers this call will overwrite
        guard options.denseShadow else { return }
        copyIntoShadow(layer: layer, q: q, k: k, v: v, positions: positions, tokens: t)
    }

    public func attentionComputed(_ r: HeadProbabilityRows) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { probeNanos[r.layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        if phase == .prefill && options.skipPrefillRows { return }
        if scratch.isEmpty { scratch = [ShadowScratch(capacity: options.denseShadow ? capacity : 0, headDim: headDim)] }
        head(r, scratch: scratch[0], out: outputs)
    }

    /// A decode call's heads, spread over the model's pool (each head's tracker and output slot
    /// are its own; shared state is only read). Prefill pooling stays on this thread.
    public func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
        finishSide()   // (done at the call's start already; `scratch` may grow below)
        // side work costs the caller no fork-join, so short rows go too
        let side = options.sideWork && phase == .decode && pool.threads > 1 && heads.allSatisfy { $0.rowCount == 1 }
        guard pooled.isEmpty, heads.count > 1,
              side || refreshesTop || heads.reduce(0, { $0 + $1.keyCount }) >= options.parallelMinKeys else {
            for r in heads { attentionComputed(r) }
            return
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { probeNanos[layer] += DispatchTime.now().uptimeNanoseconds - t0 }
        if phase == .prefill && options.skipPrefillRows { return }
        parallelBatches += 1
        while scratch.count < pool.threads {
            scratch.append(ShadowScratch(capacity: options.denseShadow ? capacity : 0, headDim: headDim))
        }
        if side {
            startSide(layer: layer, heads: heads, pool: pool)
            return
        }
        let scratch = self.scratch, out = outputs
        pool.parallelFor(heads.count) { range, worker in
            for i in range { self.head(heads[i], scratch: scratch[worker], out: out) }
        }
    }

    /// The step's KV residency reports these positions as evicted from (layer, kvHead).
    public func entriesEvicted(layer: Int, kvHead: Int, positions: [Int32]) {
        evicted[layer][kvHead] = positions
    }
}
