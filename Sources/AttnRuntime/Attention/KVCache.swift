// The KV cache: per layer and per KV head, the keys (after RoPE) and values of every entry the
// model may still attend to, each with the position it had when it was written. Entries can be
// removed (eviction policies); the rest keep their order and their original positions, so RoPE,
// which was applied at write time, stays correct.
//
// Storage: one stream per (layer, kvHead) with `capacity` slots. A stream's entries are
// contiguous, oldest first, starting at the stream's base slot b:
//   keys      [capacity, headDim]  f32    entries in slots b ..< b + count
//   values    [capacity, headDim]  f32
//   positions [capacity]           Int32, strictly increasing
// `keys(layer:kvHead:)` etc. point at slot b, so readers see entries 0 ..< count as before.
//
// Why a base: eviction usually removes few entries near one end of a long run (StreamingLLM drops
// the oldest entry behind its sinks at every step). `remove` moves whichever side of the removed
// entries holds fewer kept entries: the tail down, or the head up (then b advances). An append
// moves the stream back to slot 0 first when it finds no room after the last entry, or when the
// freed slots before the entries exceed a quarter of the entries (4·b > count). Every entry moved
// is paid for by a quarter of an entry removed since the stream last started at slot 0, so
// eviction costs amortised O(moved side), and a stream never reaches past slot
// 1.25·count + appended: a windowed layer (Attention+Window.swift), which drops its oldest entry
// at every step, keeps touching the same ~1.25·window slots instead of walking through its whole
// capacity.
//
// Why compaction and not a ring buffer: every reader (the sgemm and split-key kernels, probes'
// key positions, policies' entry indices, gathers) takes a stream as one contiguous [count, d]
// block whose entry i is the i-th oldest; a ring would split it in two for all of them.
//
// The buffers are allocated for the full capacity up front but only touched as they fill, so an
// 8K-capacity cache costs resident memory only for the slots written.

public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    /// Maximum entries per stream.
    public let capacity: Int

    private let keyStore: UnsafeMutablePointer<Float>       // [layers, kvHeads, capacity, headDim]
    private let valueStore: UnsafeMutablePointer<Float>     // [layers, kvHeads, capacity, headDim]
    private let positionStore: UnsafeMutablePointer<Int32>  // [layers, kvHeads, capacity]
    private var counts: [Int]                               // [layers, kvHeads] entries
    private var bases: [Int]                                // [layers, kvHeads] slot of entry 0
    private var dropScratch: [Int] = []                     // sorted removal indices (reused)
    private var editCounts: [Int]                           // [layers, kvHeads] see `edits`

    public init(layers: Int, kvHeads: Int, headDim: Int, capacity: Int) {
        precondition(layers > 0 && kvHeads > 0 && headDim > 0 && capacity > 0)
        self.layers = layers; self.kvHeads = kvHeads; self.headDim = headDim; self.capacity = capacity
        let streams = layers * kvHeads
        keyStore = .allocate(capacity: streams * capacity * headDim)
        valueStore = .allocate(capacity: streams * capacity * headDim)
        positionStore = .allocate(capacity: streams * capacity)
        counts = [Int](repeating: 0, count: streams)
        bases = [Int](repeating: 0, count: streams)
        editCounts = [Int](repeating: 0, count: streams)
    }

    deinit {
        keyStore.deallocate(); valueStore.deallocate(); positionStore.deallocate()
    }

    // MARK: - Reading

    @inline(__always) private func stream(_ layer: Int, _ g: Int) -> Int { layer * kvHeads + g }

    /// Number of entries in the stream of (layer, kvHead).
    @inline(__always) public func count(layer: Int, kvHead g: Int) -> Int { counts[stream(layer, g)] }

    /// Slot of entry 0 of (layer, kvHead) in its stream (0 ... capacity − count).
    @inline(__always) public func base(layer: Int, kvHead g: Int) -> Int { bases[stream(layer, g)] }

    /// How many times entries of (layer, kvHead) were removed or replaced, not appended: while it
    /// stays the same, the stream's positions are the earlier ones followed by appended ones (a
    /// probe can then skip comparing its previous keys).
    @inline(__always) public func edits(layer: Int, kvHead g: Int) -> Int { editCounts[stream(layer, g)] }

    /// Keys of (layer, kvHead): [count, headDim]. Valid until the next append or remove.
    @inline(__always) public func keys(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Float> {
        let s = stream(layer, g)
        return keyStore + (s * capacity + bases[s]) * headDim
    }

    /// Values of (layer, kvHead): [count, headDim]. Valid until the next append or remove.
    @inline(__always) public func values(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Float> {
        let s = stream(layer, g)
        return valueStore + (s * capacity + bases[s]) * headDim
    }

    /// Original positions of (layer, kvHead)'s entries: [count], increasing. Valid until the next
    /// append or remove.
    @inline(__always) public func positions(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Int32> {
        let s = stream(layer, g)
        return positionStore + s * capacity + bases[s]
    }

    /// Entries in all streams together (for KV bytes = entries · 2 · headDim · 4).
    public var totalEntries: Int { counts.reduce(0, +) }

    /// The position the next token would get: one past the newest position in layer 0, KV head 0.
    public var nextPosition: Int {
        let n = count(layer: 0, kvHead: 0)
        return n == 0 ? 0 : Int(positions(layer: 0, kvHead: 0)[n - 1]) + 1
    }

    // MARK: - Writing

    /// Appends `tokens` entries to (layer, kvHead): keys and values [tokens, headDim] with a row
    /// stride of `stride` floats, at positions[0 ..< tokens].
    public func append(layer: Int, kvHead g: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>,
                       stride: Int, positions p: UnsafePointer<Int32>, tokens: Int) {
        let s = stream(layer, g)
        let n = counts[s]
        precondition(n + tokens <= capacity, "KV cache full (\(capacity) entries per stream)")
        if bases[s] + n + tokens > capacity || 4 * bases[s] > n {
            moveEntries(stream: s, from: bases[s], to: 0, count: n); bases[s] = 0
        }
        let kd = keys(layer: layer, kvHead: g) + n * headDim
        let vd = values(layer: layer, kvHead: g) + n * headDim
        let pd = positions(layer: layer, kvHead: g) + n
        if stride == headDim {
            kd.update(from: k, count: tokens * headDim)
            vd.update(from: v, count: tokens * headDim)
        } else {
            for t in 0..<tokens {
                (kd + t * headDim).update(from: k + t * stride, count: headDim)
                (vd + t * headDim).update(from: v + t * stride, count: headDim)
            }
        }
        pd.update(from: p, count: tokens)
        counts[s] = n + tokens
        checkInvariants()
    }

    /// Removes the entries at `indices` (into the stream, any order, no duplicates) from
    /// (layer, kvHead); the others keep their order, positions and contents.
    ///
    /// With i₀ the smallest and i₁ the largest removed index, the kept entries after i₀ either move
    /// down (the tail), or the kept entries before i₁ move up and the base advances (the head),
    /// whichever moves fewer entries; runs of kept entries move with one copy each.
    public func remove(layer: Int, kvHead g: Int, indices: [Int]) {
        guard !indices.isEmpty else { return }
        let s = stream(layer, g)
        let n = counts[s]
        dropScratch.removeAll(keepingCapacity: true)
        dropScratch.append(contentsOf: indices)
        dropScratch.sort()
        for (j, i) in dropScratch.enumerated() {
            precondition(i >= 0 && i < n, "KV index \(i) out of range 0..<\(n)")
            precondition(j == 0 || dropScratch[j - 1] != i, "KV index \(i) removed twice")
        }
        let m = dropScratch.count
        let first = dropScratch[0], last = dropScratch[m - 1]
        let tailCost = n - 1 - first - (m - 1)   // kept entries after `first`
        let headCost = last - (m - 1)            // kept entries before `last`
        let b = bases[s]
        if tailCost <= headCost {
            // runs [drop[j] + 1, drop[j+1]) move down to w, in ascending order
            var w = b + first
            for j in 0..<m {
                let lo = dropScratch[j] + 1, hi = j + 1 < m ? dropScratch[j + 1] : n
                if hi > lo { moveEntries(stream: s, from: b + lo, to: w, count: hi - lo); w += hi - lo }
            }
        } else {
            // runs [drop[j−1] + 1, drop[j]) move up to end at w, in descending order
            var w = b + last + 1
            for j in stride(from: m - 1, through: 0, by: -1) {
                let lo = j > 0 ? dropScratch[j - 1] + 1 : 0, hi = dropScratch[j]
                if hi > lo { w -= hi - lo; moveEntries(stream: s, from: b + lo, to: w, count: hi - lo) }
            }
            bases[s] = b + m
        }
        counts[s] = n - m
        editCounts[s] &+= 1
        checkInvariants()
    }

    /// First step of a gather split over threads (a selecting policy's entries, Attention+Selection):
    /// (layer, kvHead) now holds `count` entries from slot 0, to be filled by `gatherPart` calls
    /// covering 0 ..< count (the invariants hold again once they have all run).
    public func prepareGather(layer: Int, kvHead g: Int, count: Int) {
        precondition(count <= capacity)
        let s = stream(layer, g)
        bases[s] = 0
        counts[s] = count
        editCounts[s] &+= 1
    }

    /// Copies source entries indices[part] into entries `part` of (layer, kvHead), after
    /// `prepareGather`. Writes only those entries' storage, so calls for disjoint parts may run
    /// on different threads at once.
    public func gatherPart(layer: Int, kvHead g: Int, from source: KVCache, layer sourceLayer: Int, kvHead sourceG: Int,
                           indices: [Int], part: Range<Int>) {
        precondition(source.headDim == headDim && part.upperBound <= count(layer: layer, kvHead: g))
        let n = source.count(layer: sourceLayer, kvHead: sourceG)
        let kd = keys(layer: layer, kvHead: g), vd = values(layer: layer, kvHead: g), pd = positions(layer: layer, kvHead: g)
        let ks = source.keys(layer: sourceLayer, kvHead: sourceG), vs = source.values(layer: sourceLayer, kvHead: sourceG)
        let ps = source.positions(layer: sourceLayer, kvHead: sourceG)
        var w = part.lowerBound, i = part.lowerBound
        while i < part.upperBound {
            let lo = indices[i]
            var hi = lo + 1
            i += 1
            while i < part.upperBound && indices[i] == hi { hi += 1; i += 1 }
            precondition(lo >= 0 && hi <= n && (i == indices.count || indices[i] > hi - 1),
                         "gather: indices must ascend within 0..<\(n)")
            (kd + w * headDim).update(from: ks + lo * headDim, count: (hi - lo) * headDim)
            (vd + w * headDim).update(from: vs + lo * headDim, count: (hi - lo) * headDim)
            (pd + w).update(from: ps + lo, count: hi - lo)
            w += hi - lo
        }
    }

    /// Forgets every entry (the buffers stay allocated).
    public func reset() {
        for i in counts.indices { counts[i] = 0; bases[i] = 0; editCounts[i] &+= 1 }
    }

    /// Copies `count` entries (keys, values, positions) of stream s from slot `from` to slot `to`;
    /// the ranges may overlap (`update(from:)` copies like memmove).
    private func moveEntries(stream s: Int, from: Int, to: Int, count: Int) {
        guard count > 0, from != to else { return }
        let k = keyStore + s * capacity * headDim, v = valueStore + s * capacity * headDim
        let p = positionStore + s * capacity
        (k + to * headDim).update(from: k + from * headDim, count: count * headDim)
        (v + to * headDim).update(from: v + from * headDim, count: count * headDim)
        (p + to).update(from: p + from, count: count)
    }
}
