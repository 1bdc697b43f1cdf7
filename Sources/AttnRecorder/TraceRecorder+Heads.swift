// One head's rows in a step: α_k for every row, the prefill pooling, and for the step's last
// query row the head's metrics, selection and (when captured) its decode row. A head touches
// only its own tracker and output slots, so heads may run on different threads.

import AttnRuntime
import AttnTrace
import Foundation

extension TraceRecorder {
    /// Where `head` writes its results: slot layer·H + head of each [L·H] array.
    struct HeadOutputs: @unchecked Sendable {
        let metrics: UnsafeMutableBufferPointer<HeadMetrics?>
        let selections: UnsafeMutableBufferPointer<HeadSelection?>
        let decodeRows: UnsafeMutableBufferPointer<AttnTrace.AttentionRows?>
        let topSinks: UnsafeMutableBufferPointer<[SinkScore]>
    }

    /// One head's rows: α_k for each, prefill pooling, and the last row's metrics. Touches only
    /// this head's tracker and slots (and `pooled`, which is empty unless rows go head by head).
    /// A decode row arrives unscaled (`acceptsUnscaledRows`): scaled here first, on whichever
    /// thread runs the head.
    func head(_ unscaled: HeadProbabilityRows, scratch: ShadowScratch, out: HeadOutputs) {
        let r = unscaled.scaleInPlace()
        let slot = r.layer * heads + r.head
        for i in 0..<r.rowCount {
            let row = r.row(i)
            let keys = UnsafeBufferPointer(rebasing: r.keyPositions[0 ..< row.count])
            if !pooled.isEmpty { pool(row: row, keys: keys, query: Int(r.queryPositions[i]) - position, slot: slot) }
            if r.queryPositions[i] == lastPosition {
                lastRow(r, row: row, keys: keys, entropy: r.entropies.map { $0[i] }, slot: slot, scratch: scratch, out: out)
            } else {
                trackers[slot].add(row, keyPositions: keys)
            }
        }
    }

    /// Metrics of the step's last query row for one head.
    private func lastRow(_ r: HeadProbabilityRows, row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>,
                         entropy: Float?, slot: Int, scratch: ShadowScratch, out: HeadOutputs) {
        var recall = Float.nan, oracle = Float.nan, error = Float.nan
        if options.denseShadow, !lastQuery[r.layer].isEmpty {
            (recall, oracle, error) = shadow(r, row: row, keys: keys, scratch: scratch)
        }
        let tracker = trackers[slot]
        let stats = tracker.lastRow(row, keyPositions: keys, entropy: entropy, keyEdits: r.keyEdits,
                                    compareWithPrevious: stepIndex > 0, refreshTop: refreshesTop,
                                    topCount: topSinkCount)
        if stats.topRefreshed { out.topSinks[slot] = tracker.topSinks.map { SinkScore(position: $0.position, score: $0.score) } }
        out.metrics[slot] = HeadMetrics(
            layer: r.layer, head: r.head, visibleKV: r.selectedFrom ?? stats.visible, selected: stats.visible,
            sinkMass1: stats.sinkMass1, sinkMass4: stats.sinkMass4, entropy: stats.entropy,
            recall: recall, oracleRecall: oracle, outputError: error, overlapKept: stats.overlapKept, jaccard: stats.jaccard,
            topSinks: out.topSinks[slot])
        if options.capture >= .selections {
            out.selections[slot] = HeadSelection(layer: r.layer, head: r.head, ranges: tracker.selection)
        }
        if captureRows && phase == .decode {
            var values = [Float](repeating: 0, count: Int(lastPosition) + 1)
            for j in 0..<row.count where Int(keys[j]) < values.count { values[Int(keys[j])] = row[j] }
            out.decodeRows[slot] = .init(layer: r.layer, head: r.head, kind: .decodeRow, rows: 1, cols: values.count, tile: 1,
                                         values: values)
        }
    }
}
