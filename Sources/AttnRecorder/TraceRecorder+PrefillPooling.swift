// The prefill matrix pooled into tiles: a prefill of T query rows is stored as a side × side
// matrix whose cell is the mean probability over a tile × tile block (cells above the diagonal
// count as 0), so that a long prompt's matrix stays small. Rows go head by head on the calling
// thread while the prefill is pooled.

import AttnTrace
import Foundation

extension TraceRecorder {
    /// The tile side and the stored side for this step's query count.
    func prefillGeometry() -> (tile: Int, side: Int) {
        let maxSide = options.capture == .full ? max(options.prefillSide, 1024) : options.prefillSide
        let tile = max(1, (queryCount + maxSide - 1) / maxSide)
        return (tile, (queryCount + tile - 1) / tile)
    }

    /// Empty tile sums for every head when this step is a prefill whose rows are captured.
    func beginPrefillPooling() {
        pooled = []
        if captureRows && phase == .prefill {
            let side = prefillGeometry().side
            pooled = Array(repeating: [Float](repeating: 0, count: side * side), count: layers * heads)
        }
    }

    /// Adds one query row (query index within the step) to its tiles of head `slot`.
    func pool(row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>, query: Int, slot: Int) {
        let (tile, side) = prefillGeometry()
        let base = (query / tile) * side
        pooled[slot].withUnsafeMutableBufferPointer { out in
            for j in 0..<row.count {
                let k = Int(keys[j]) - position
                if k >= 0 && k < queryCount { out[base + k / tile] += row[j] }
            }
        }
    }

    /// Every head's pooled matrix (layer by layer, head by head): each tile's sum over its cells.
    func pooledPrefillRows() -> [AttnTrace.AttentionRows] {
        guard !pooled.isEmpty else { return [] }
        let (tile, side) = prefillGeometry()
        var out: [AttnTrace.AttentionRows] = []
        for l in 0..<layers {
            for h in 0..<heads {
                var values = pooled[l * heads + h]
                // Mean of each tile's cells (cells above the diagonal count as 0, as in pooledPrefill).
                for ti in 0..<side {
                    let rowsIn = min(tile, queryCount - ti * tile)
                    for tj in 0..<side {
                        let colsIn = min(tile, queryCount - tj * tile)
                        values[ti * side + tj] /= Float(rowsIn * colsIn)
                    }
                }
                out.append(.init(layer: l, head: h, kind: .prefillMatrix, rows: side, cols: side, tile: tile, values: values))
            }
        }
        return out
    }
}
