import AttnTrace

// MARK: - Set distances

/// |A ∩ B| for two sorted lists of disjoint half-open ranges, by one merge pass: O(|A| + |B|) ranges.
public func intersectionCount(_ a: [Range<Int>], _ b: [Range<Int>]) -> Int {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in intersectionCount(pa, pb) } }
}

/// The same over borrowed ranges (the column diff reads them in place).
func intersectionCount(_ a: UnsafeBufferPointer<Range<Int>>, _ b: UnsafeBufferPointer<Range<Int>>) -> Int {
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
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in jaccardDistance(pa, pb) } }
}

func jaccardDistance(_ a: UnsafeBufferPointer<Range<Int>>, _ b: UnsafeBufferPointer<Range<Int>>) -> Double {
    let na = a.reduce(0) { $0 + $1.count }, nb = b.reduce(0) { $0 + $1.count }
    let inter = intersectionCount(a, b)
    let union = na + nb - inter
    return union == 0 ? 0 : 1 - Double(inter) / Double(union)
}

/// 1 − Jaccard of two ascending position lists (evicted positions); 0 when both are empty.
public func jaccardDistance(sorted a: [Int], _ b: [Int]) -> Double {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in jaccardDistance(sorted: pa, pb) } }
}

func jaccardDistance(sorted a: UnsafeBufferPointer<Int>, _ b: UnsafeBufferPointer<Int>) -> Double {
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
/// both distances are then 1, the largest a probability difference can be. So is a capture with
/// a NaN cell (incomparable rather than silently equal).
public func rowDistance(_ a: AttentionRows, _ b: AttentionRows) -> (max: Double, mean: Double) {
    guard a.rows == b.rows, a.cols == b.cols, a.tile == b.tile, a.values.count == b.values.count
    else { return (1, 1) }
    if a.values.isEmpty { return (0, 0) }
    let (mx, sum) = a.values.withUnsafeBufferPointer { pa in
        b.values.withUnsafeBufferPointer { pb in absDiffMaxSum(pa, pb) }
    }
    if mx.isNaN || sum.isNaN { return (1, 1) }
    return (Double(mx), sum / Double(a.values.count))
}

/// max_i |a_i − b_i| and Σ_i |a_i − b_i| (NaN if any cell is NaN); a.count == b.count.
/// 8 lanes at a time; Float partial sums over blocks of 1024 cells keep the sum accurate.
func absDiffMaxSum(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> (Float, Double) {
    let n = a.count
    var mx = SIMD8<Float>(repeating: 0)
    var nan = false
    var sum = 0.0
    var i = 0
    let pa = UnsafeRawPointer(a.baseAddress!), pb = UnsafeRawPointer(b.baseAddress!)
    while i + 8 <= n {
        let end = min(n - (n - i) % 8, i + 1024)
        var part = SIMD8<Float>(repeating: 0)
        while i < end {
            let x = pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let y = pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let d = x - y
            // replacing(with:where:) compiles to vector selects; pointwiseMax did not (3× slower).
            let ad = d.replacing(with: -d, where: d .< 0)
            mx = mx.replacing(with: ad, where: ad .> mx)
            part += ad            // a NaN cell makes the sum NaN: checked at the end
            i += 8
        }
        sum += Double(part.sum())
    }
    if sum.isNaN { nan = true }
    var tail: Float = 0
    var tailMax: Float = 0
    while i < n {
        let d = abs(a[i] - b[i])
        if d.isNaN { nan = true }
        tailMax = max(tailMax, d)
        tail += d
        i += 1
    }
    if nan { return (.nan, .nan) }
    return (max(mx.max(), tailMax), sum + Double(tail))
}

/// The scalar reference `absDiffMaxSum` is tested against.
func absDiffMaxSumNaive(_ a: [Float], _ b: [Float]) -> (Float, Double) {
    var mx: Float = 0, sum = 0.0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        if d.isNaN { return (.nan, .nan) }
        mx = max(mx, d); sum += Double(d)
    }
    return (mx, sum)
}
