import AttnTrace

// MARK: - Set distances

/// |A ∩ B| for two sorted lists of disjoint half-open ranges, by one merge pass: O(|A| + |B|) ranges.
public func intersectionCount(_ a: [Range<Int>], _ b: [Range<Int>]) -> Int {
    var i = 0, j = 0, n = 0
    while i < a.count, j < b.count {
        let lo = max(a[i].lowerBound, b[j].lowerBound)
        let hi = min(a[i].upperBound, b[j].upperBound)
        if hi > lo { n += hi - lo }
        if a[i].upperBound <= b[j].upperBound { i += 1 } else { j += 1 }
    }
    return n
}

/// Naive |A ∩ B| through sets of positions: the reference the merge is tested against.
func intersectionCountNaive(_ a: [Range<Int>], _ b: [Range<Int>]) -> Int {
    Set(a.flatMap { Array($0) }).intersection(b.flatMap { Array($0) }).count
}

/// 1 − |A ∩ B| / |A ∪ B| for two range lists; 0 when both are empty.
public func jaccardDistance(_ a: [Range<Int>], _ b: [Range<Int>]) -> Double {
    let na = a.reduce(0) { $0 + $1.count }, nb = b.reduce(0) { $0 + $1.count }
    let inter = intersectionCount(a, b)
    let union = na + nb - inter
    return union == 0 ? 0 : 1 - Double(inter) / Double(union)
}

/// 1 − Jaccard of two ascending position lists (evicted positions); 0 when both are empty.
public func jaccardDistance(sorted a: [Int], _ b: [Int]) -> Double {
    if a.isEmpty && b.isEmpty { return 0 }
    var i = 0, j = 0, inter = 0
    while i < a.count, j < b.count {
        if a[i] == b[j] { inter += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
    }
    return 1 - Double(inter) / Double(a.count + b.count - inter)
}

// MARK: - Attention rows

/// Max and mean |a − b| over the cells of two captures of the same (layer, head, kind).
/// Captures of different shapes (rows, cols or tile differ) cannot be compared cell by cell:
/// both distances are then 1, the largest a probability difference can be.
public func rowDistance(_ a: AttentionRows, _ b: AttentionRows) -> (max: Double, mean: Double) {
    guard a.rows == b.rows, a.cols == b.cols, a.tile == b.tile, a.values.count == b.values.count
    else { return (1, 1) }
    if a.values.isEmpty { return (0, 0) }
    var mx: Float = 0
    var sum: Double = 0
    a.values.withUnsafeBufferPointer { pa in
        b.values.withUnsafeBufferPointer { pb in
            // Chunks of 1024 keep the Float partial sums accurate and the loop vectorisable.
            var start = 0
            while start < pa.count {
                let end = min(start + 1024, pa.count)
                var part: Float = 0
                for k in start..<end {
                    let d = abs(pa[k] - pb[k])
                    mx = max(mx, d)
                    part += d
                }
                sum += Double(part)
                start = end
            }
        }
    }
    // A NaN cell makes the capture incomparable rather than silently equal.
    if mx.isNaN || sum.isNaN { return (1, 1) }
    return (Double(mx), sum / Double(a.values.count))
}
