// `quest`: Quest, query-aware page selection (arXiv 2406.10774) [code: mit-han-lab/Quest
// `evaluation/quest_attention.py::forward, local_heavy_hitter_mask`; METHODS.md §12a]. Selecting:
// the cache keeps every entry; each decode query attends to a few pages of it.
//
// - The stream of each (layer, KV head) is cut into pages of P consecutive entries. Per page and
//   per channel c the policy keeps min_c and max_c of the keys (after RoPE), updated as entries
//   arrive (`QuestPages`).
// - A decode query q scores page p by the upper bound of q·k over the page:
//     U(p) = Σ_c max(q_c·min_c, q_c·max_c)
//   Under GQA the selection is per KV head (AttentionPolicy.swift): U is SUMMED over the query
//   heads of the group (the reference is per query head on MHA models).
// - k = min(max(3, ⌊budget/P⌋), #pages) pages are attended: the current page (the newest,
//   possibly partial one, holding the query's own entry) always, plus the k − 1 other pages with
//   the highest U (ties: the older page). When every page would be chosen the call is dense.
// - Prefill and the first `dense_layers` layers (Quest: 2) attend densely.

public final class QuestPolicy: AttentionPolicy {
    public let name = "quest"
    public let mode = AttentionPolicyMode.selects
    /// P: entries per page.
    public let page: Int
    /// Entries attended per decode query (in whole pages; at least 3 pages).
    public let budget: Int
    /// Layers 0 ..< denseLayers attend densely.
    public let denseLayers: Int
    public var parameters: [(key: String, value: String)] {
        [("page", "\(page)"), ("budget", "\(budget)"), ("dense_layers", "\(denseLayers)")]
    }

    private var shape = AttentionShape(heads: 1, kvHeads: 1, headDim: 1)
    private var pages: [QuestPages] = []          // [layer · G + g]
    private var scores: [Float] = []              // [pages] of one KV head, reused
    private var chosen: [Int] = []                // selected page indices, reused

    public init(page: Int = 16, budget: Int = 1024, denseLayers: Int = 2) throws {
        guard page >= 1 else { throw PolicyError("policy quest: page=\(page) must be ≥ 1") }
        guard budget >= 1 else { throw PolicyError("policy quest: budget=\(budget) must be ≥ 1") }
        guard denseLayers >= 0 else { throw PolicyError("policy quest: dense_layers=\(denseLayers) must be ≥ 0") }
        self.page = page; self.budget = budget; self.denseLayers = denseLayers
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(page: p.int("page"),
                      budget: p.int("budget"),
                      denseLayers: p.int("dense_layers"))
    }

    /// Pages attended per decode query: max(3, ⌊budget/P⌋) (Quest's minimum of 3 pages).
    public var pagesPerQuery: Int { max(3, budget / page) }

    public func check(layers: Int, shape: AttentionShape) throws {
        guard denseLayers <= layers else {
            throw PolicyError("policy quest: dense_layers=\(denseLayers) exceeds the model's \(layers) layers")
        }
    }

    public func reset(layers: Int, shape: AttentionShape) {
        self.shape = shape
        pages = (0..<(layers * shape.kvHeads)).map { _ in QuestPages(page: page, headDim: shape.headDim) }
    }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        for g in 0..<cache.kvHeads { pages[layer * cache.kvHeads + g].update(from: cache, layer: layer, kvHead: g) }
    }

    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        guard layer >= denseLayers else { return false }
        let gCount = cache.kvHeads, r = shape.heads / gCount, d = shape.headDim
        for g in 0..<gCount {
            let n = cache.count(layer: layer, kvHead: g)
            let pageCount = (n + page - 1) / page
            let k = min(pagesPerQuery, pageCount)
            if k >= pageCount { return false }   // every page: dense (no eviction, so heads agree)
            let meta = pages[layer * gCount + g]
            if scores.count < pageCount { scores = [Float](repeating: 0, count: pageCount) }
            scores.withUnsafeMutableBufferPointer { s in
                meta.upperBounds(s.baseAddress!, queries: q + g * r * d, heads: r, pages: pageCount - 1)
            }
            // the current page, plus the k − 1 best of the others
            QuestPolicy.topPages(scores, count: pageCount - 1, k: k - 1, into: &chosen)
            chosen.append(pageCount - 1)
            for p in chosen { selection[g].append(contentsOf: p * page ..< min(n, (p + 1) * page)) }
        }
        return true
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    /// The k best of scores[0 ..< count] (higher score first, ties: the smaller index), returned
    /// ascending in `out`. A min-heap of the k kept, so O(count · log k).
    static func topPages(_ scores: [Float], count: Int, k: Int, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        guard k > 0 else { return }
        if k >= count { out.append(contentsOf: 0..<count); return }
        // Newest pages first: they tend to score highest (recency), so later candidates rarely
        // displace the heap's root.
        out.append(contentsOf: count - k ..< count)
        scores.withUnsafeBufferPointer { sb in
            out.withUnsafeMutableBufferPointer { heap in
                let s = sb.baseAddress!
                // heap[0] is the worst kept: the lowest score, the larger index among equal scores
                @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool { s[a] != s[b] ? s[a] < s[b] : a > b }
                @inline(__always) func siftDown(_ i0: Int) {
                    var i = i0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < k && worse(heap[l], heap[m]) { m = l }
                        if r < k && worse(heap[r], heap[m]) { m = r }
                        if m == i { return }
                        heap.swapAt(i, m); i = m
                    }
                }
                for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
                for p in stride(from: count - k - 1, through: 0, by: -1) where s[p] >= s[heap[0]] {
                    heap[0] = p   // an older page wins ties against every kept (newer) page
                    siftDown(0)
                }
            }
        }
        out.sort()
    }
}

/// Quest's page metadata of one KV stream: per page of P entries, the channel-wise min and max of
/// its keys. Entries are folded in as they arrive; a stream that shrank or changed is rebuilt.
struct QuestPages {
    let page: Int, headDim: Int
    private(set) var minKeys: [Float] = []     // [pages, d]
    private(set) var maxKeys: [Float] = []     // [pages, d]
    private(set) var entries = 0               // entries folded in
    private var lastPosition: Int32 = -1       // position of entry `entries − 1`

    init(page: Int, headDim: Int) { self.page = page; self.headDim = headDim }

    mutating func update(from cache: KVCache, layer: Int, kvHead g: Int) {
        let n = cache.count(layer: layer, kvHead: g), d = headDim
        let positions = cache.positions(layer: layer, kvHead: g)
        if n < entries || (entries > 0 && positions[entries - 1] != lastPosition) {
            minKeys.removeAll(keepingCapacity: true); maxKeys.removeAll(keepingCapacity: true); entries = 0
        }
        guard n > entries else { return }
        let keys = cache.keys(layer: layer, kvHead: g)
        // a new page starts as a copy of its first key
        let pagesNeeded = (n + page - 1) / page
        for p in (minKeys.count / d) ..< pagesNeeded {
            minKeys.append(contentsOf: UnsafeBufferPointer(start: keys + p * page * d, count: d))
            maxKeys.append(contentsOf: UnsafeBufferPointer(start: keys + p * page * d, count: d))
        }
        minKeys.withUnsafeMutableBufferPointer { mnb in
            maxKeys.withUnsafeMutableBufferPointer { mxb in
                let mn = mnb.baseAddress!, mx = mxb.baseAddress!
                for i in entries..<n where i % page != 0 {
                    let k = keys + i * d, o = (i / page) * d
                    var c = 0
                    while c + 8 <= d {   // 8 channels at a time (a prefill folds in every entry)
                        let kv = UnsafeRawPointer(k + c).loadUnaligned(as: SIMD8<Float>.self)
                        let a = UnsafeMutableRawPointer(mn + o + c), b = UnsafeMutableRawPointer(mx + o + c)
                        let lo = a.loadUnaligned(as: SIMD8<Float>.self), hi = b.loadUnaligned(as: SIMD8<Float>.self)
                        a.storeBytes(of: lo.replacing(with: kv, where: kv .< lo), as: SIMD8<Float>.self)
                        b.storeBytes(of: hi.replacing(with: kv, where: kv .> hi), as: SIMD8<Float>.self)
                        c += 8
                    }
                    while c < d { mn[o + c] = min(mn[o + c], k[c]); mx[o + c] = max(mx[o + c], k[c]); c += 1 }
                }
            }
        }
        entries = n
        lastPosition = positions[n - 1]
    }

    /// out[p] = Σ_heads Σ_c max(q_c·min_pc, q_c·max_pc) for pages 0 ..< pages.
    /// queries: [heads, d] (the query heads of one GQA group).
    ///
    /// As min ≤ max, max(q·min, q·max) = q⁺·max + q⁻·min with q⁺ = max(q, 0), q⁻ = min(q, 0), which
    /// is linear in q⁺ and q⁻: the group's sum is one pass with Q⁺ = Σ_h q⁺_h and Q⁻ = Σ_h q⁻_h,
    /// 2·d multiply-adds per page whatever the group size.
    func upperBounds(_ out: UnsafeMutablePointer<Float>, queries q: UnsafePointer<Float>, heads: Int, pages: Int) {
        let d = headDim
        var qPlus = [Float](repeating: 0, count: d), qMinus = [Float](repeating: 0, count: d)
        for h in 0..<heads {
            for c in 0..<d { let v = q[h * d + c]; if v > 0 { qPlus[c] += v } else { qMinus[c] += v } }
        }
        minKeys.withUnsafeBufferPointer { mnb in
            maxKeys.withUnsafeBufferPointer { mxb in
                qPlus.withUnsafeBufferPointer { qpb in
                    qMinus.withUnsafeBufferPointer { qmb in
                        let mn = mnb.baseAddress!, mx = mxb.baseAddress!, qp = qpb.baseAddress!, qm = qmb.baseAddress!
                        guard d % 8 == 0 else {
                            for p in 0..<pages {
                                var u: Float = 0
                                for c in 0..<d { u += qp[c] * mx[p * d + c] + qm[c] * mn[p * d + c] }
                                out[p] = u
                            }
                            return
                        }
                        let qpr = UnsafeRawPointer(qp), qmr = UnsafeRawPointer(qm)
                        for p in 0..<pages {
                            let a = UnsafeRawPointer(mn + p * d), b = UnsafeRawPointer(mx + p * d)
                            var acc = SIMD8<Float>()
                            for c in stride(from: 0, to: d * 4, by: 32) {
                                acc = acc.addingProduct(qpr.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self),
                                                        b.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self))
                                acc = acc.addingProduct(qmr.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self),
                                                        a.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self))
                            }
                            out[p] = acc.sum()
                        }
                    }
                }
            }
        }
    }

    /// The reference for one page: Σ_heads Σ_c max(q_c·min_c, q_c·max_c), in scalar code.
    static func upperBoundNaive(queries q: UnsafePointer<Float>, heads: Int, min mn: UnsafePointer<Float>,
                                max mx: UnsafePointer<Float>, headDim d: Int) -> Float {
        var u: Float = 0
        for h in 0..<heads { for c in 0..<d { u += Swift.max(q[h * d + c] * mn[c], q[h * d + c] * mx[c]) } }
        return u
    }
}
