import XCTest
@testable import AttnRuntime

/// A cache of one layer with entries at positions 0 ..< n in every KV head (contents irrelevant).
func filledCache(kvHeads: Int = 1, count n: Int, headDim d: Int = 4, capacity: Int = 256) -> KVCache {
    let cache = KVCache(layers: 1, kvHeads: kvHeads, headDim: d, capacity: capacity)
    let zeros = [Float](repeating: 0, count: n * d)
    let positions = (0..<n).map { Int32($0) }
    for g in 0..<kvHeads {
        cache.append(layer: 0, kvHead: g, keys: zeros, values: zeros, stride: d, positions: positions, tokens: n)
    }
    return cache
}

func positions(_ cache: KVCache, layer: Int = 0, kvHead g: Int = 0) -> [Int] {
    (0..<cache.count(layer: layer, kvHead: g)).map { Int(cache.positions(layer: layer, kvHead: g)[$0]) }
}

/// Hands a policy hand-made rows: rows[i] is the probability row of the query at
/// queryPositions[i], over stream entries 0 ..< row.count of (layer 0, head, kvHead).
func observe(_ policy: AttentionPolicy, head: Int, kvHead g: Int, cache: KVCache,
             queryPositions: [Int32], rows: [[Float]]) {
    let stride = rows.map(\.count).max() ?? 0
    var flat = [Float](repeating: 0, count: rows.count * stride)
    for (i, r) in rows.enumerated() { for (j, p) in r.enumerated() { flat[i * stride + j] = p } }
    let visible = rows.map(\.count)
    let n = cache.count(layer: 0, kvHead: g)
    flat.withUnsafeBufferPointer { f in
        queryPositions.withUnsafeBufferPointer { qp in
            visible.withUnsafeBufferPointer { v in
                policy.observe(HeadProbabilityRows(
                    layer: 0, head: head, kvHead: g, queryPositions: qp,
                    keyPositions: UnsafeBufferPointer(start: cache.positions(layer: 0, kvHead: g), count: n),
                    probabilities: f.baseAddress!, rowStride: stride, visibleCounts: v))
            }
        }
    }
}

/// Applies a policy's end-of-call evictions to the cache, as Attention does.
func applyEnd(_ policy: AttentionPolicy, cache: KVCache, queryCount: Int) -> [[Int]] {
    let drops = policy.endCall(layer: 0, queryCount: queryCount, cache: cache)
    for (g, d) in drops.enumerated() { cache.remove(layer: 0, kvHead: g, indices: d) }
    return drops
}
