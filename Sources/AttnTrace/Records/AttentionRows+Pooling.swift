extension AttentionRows {
    /// A prefill attention matrix, pooled into square tiles when T is larger than `maxSide`, so that
    /// a long prompt's T×T matrix stays small in the trace. A tile holds the mean of its cells
    /// (cells above the diagonal are 0 and count in the mean, so every tile row still sums to ≤ 1).
    ///
    /// - Parameters:
    ///   - matrix: [T × T] row-major probabilities, query × key.
    ///   - size: T.
    ///   - maxSide: largest stored side; the tile is ⌈T / maxSide⌉.
    public static func pooledPrefill(layer: Int, head: Int, matrix: [Float], size t: Int,
                                     maxSide: Int = 256) -> AttentionRows {
        precondition(matrix.count == t * t, "matrix must be T × T")
        let tile = max(1, (t + max(maxSide, 1) - 1) / max(maxSide, 1))
        if tile == 1 {
            return AttentionRows(layer: layer, head: head, kind: .prefillMatrix, rows: t, cols: t, tile: 1, values: matrix)
        }
        let side = (t + tile - 1) / tile
        var out = [Float](repeating: 0, count: side * side)   // [side × side]
        var counts = [Float](repeating: 0, count: side * side)
        for i in 0..<t {
            let ti = i / tile
            for j in 0..<t {
                let k = ti * side + j / tile
                out[k] += matrix[i * t + j]
                counts[k] += 1
            }
        }
        for k in out.indices where counts[k] > 0 { out[k] /= counts[k] }
        return AttentionRows(layer: layer, head: head, kind: .prefillMatrix, rows: side, cols: side, tile: tile, values: out)
    }
}
