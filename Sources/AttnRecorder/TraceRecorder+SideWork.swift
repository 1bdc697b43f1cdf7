// A decode layer's heads as side work beside the model: the heads go to the pool's worker
// (`WorkerPool.startSide`) while the model goes on with the layer's matrix products; the
// recorder waits for them (`finishSide`) when the next attention call begins and at the step's
// end. What the runtime may change before then is copied first.

import AttnRuntime
import Foundation

extension TraceRecorder {
    /// Copies what the runtime may change before the next attention call and hands the heads to
    /// the pool's worker; `finishSide` (at the next attention call and at the step's end) waits.
    func startSide(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
        sideBatches += 1
        let h = heads.count
        if sideRows == nil {
            sideRows = .allocate(capacity: h)
            sideVisible = .allocate(capacity: h)
            sideKeys = .allocate(capacity: kvHeads * capacity)
        }
        let rows = sideRows!, visible = sideVisible!, keys = sideKeys!
        sideQuery[0] = heads[0].queryPositions[0]
        var copiedKV = -1   // the KV head whose keys were copied last (a group's heads are consecutive)
        for (i, r) in heads.enumerated() {
            var row = r
            visible[i] = r.visibleCounts[0]
            row.visibleCounts = UnsafeBufferPointer(start: visible + i, count: 1)
            row.queryPositions = UnsafeBufferPointer(start: sideQuery, count: 1)
            if !r.keysStable {   // an evicting policy compacts the stream when the call returns
                let to = keys + r.kvHead * capacity
                if copiedKV != r.kvHead {
                    to.update(from: r.keyPositions.baseAddress!, count: r.keyCount)
                    copiedKV = r.kvHead
                }
                row.keyPositions = UnsafeBufferPointer(start: to, count: r.keyCount)
            }
            (rows + i).initialize(to: row)
        }
        sidePool = pool
        let delay = options.sideItemDelayNanos
        // unowned(unsafe): deinit waits for the side work before anything is freed
        pool.startSide(h) { [unowned(unsafe) self] i, worker in
            if delay > 0 {
                let until = DispatchTime.now().uptimeNanoseconds + delay
                while DispatchTime.now().uptimeNanoseconds < until {}
            }
            self.head(rows[i], scratch: self.scratch[worker], out: self.outputs)
        }
    }

    /// Waits for the pending side work (running the heads no worker took).
    func finishSide() {
        guard let pool = sidePool else { return }
        pool.finishSide()
        sidePool = nil
    }
}
