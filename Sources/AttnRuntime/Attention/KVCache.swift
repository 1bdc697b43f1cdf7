// The KV cache: per layer and per KV head, the keys (after RoPE) and values of every entry the
// model may still attend to, each with the position it had when it was written. Entries can be
// removed (eviction policies); the rest keep their order and their original positions, so RoPE,
// which was applied at write time, stays correct.
//
// Storage: one stream per (layer, kvHead) with `capacity` slots; a stream's entries are
// contiguous, oldest first:
//   keys    [capacity, headDim]  f32
//   values  [capacity, headDim]  f32
//   positions [capacity]         Int32, strictly increasing
// The buffers are allocated for the full capacity up front but only touched as they fill, so an
// 8K-capacity cache costs resident memory only for the entries written.

public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    /// Maximum entries per stream.
    public let capacity: Int

    private let keyStore: UnsafeMutablePointer<Float>       // [layers, kvHeads, capacity, headDim]
    private let valueStore: UnsafeMutablePointer<Float>     // [layers, kvHeads, capacity, headDim]
    private let positionStore: UnsafeMutablePointer<Int32>  // [layers, kvHeads, capacity]
    private var counts: [Int]                               // [layers, kvHeads]

    public init(layers: Int, kvHeads: Int, headDim: Int, capacity: Int) {
        precondition(layers > 0 && kvHeads > 0 && headDim > 0 && capacity > 0)
        self.layers = layers; self.kvHeads = kvHeads; self.headDim = headDim; self.capacity = capacity
        let streams = layers * kvHeads
        keyStore = .allocate(capacity: streams * capacity * headDim)
        valueStore = .allocate(capacity: streams * capacity * headDim)
        positionStore = .allocate(capacity: streams * capacity)
        counts = [Int](repeating: 0, count: streams)
    }

    deinit {
        keyStore.deallocate(); valueStore.deallocate(); positionStore.deallocate()
    }

    // MARK: - Reading

    @inline(__always) private func stream(_ layer: Int, _ g: Int) -> Int { layer * kvHeads + g }

    /// Number of entries in the stream of (layer, kvHead).
    @inline(__always) public func count(layer: Int, kvHead g: Int) -> Int { counts[stream(layer, g)] }

    /// Keys of (layer, kvHead): [count, headDim].
    @inline(__always) public func keys(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Float> {
        keyStore + stream(layer, g) * capacity * headDim
    }

    /// Values of (layer, kvHead): [count, headDim].
    @inline(__always) public func values(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Float> {
        valueStore + stream(layer, g) * capacity * headDim
    }

    /// Original positions of (layer, kvHead)'s entries: [count], increasing.
    @inline(__always) public func positions(layer: Int, kvHead g: Int) -> UnsafeMutablePointer<Int32> {
        positionStore + stream(layer, g) * capacity
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
        let kd = keys(layer: layer, kvHead: g) + n * headDim
        let vd = values(layer: layer, kvHead: g) + n * headDim
        let pd = positions(layer: layer, kvHead: g) + n
        for t in 0..<tokens {
            (kd + t * headDim).update(from: k + t * stride, count: headDim)
            (vd + t * headDim).update(from: v + t * stride, count: headDim)
            pd[t] = p[t]
        }
        counts[s] = n + tokens
        checkInvariants()
    }

    /// Removes the entries at `indices` (into the stream, any order, no duplicates) from
    /// (layer, kvHead); the others keep their order, positions and contents.
    public func remove(layer: Int, kvHead g: Int, indices: [Int]) {
        guard !indices.isEmpty else { return }
        let s = stream(layer, g)
        let n = counts[s]
        var drop = [Bool](repeating: false, count: n)
        for i in indices { precondition(i >= 0 && i < n, "KV index \(i) out of range 0..<\(n)"); drop[i] = true }
        let k = keys(layer: layer, kvHead: g), v = values(layer: layer, kvHead: g), p = positions(layer: layer, kvHead: g)
        var w = 0
        for r in 0..<n where !drop[r] {
            if w != r {
                (k + w * headDim).update(from: k + r * headDim, count: headDim)
                (v + w * headDim).update(from: v + r * headDim, count: headDim)
                p[w] = p[r]
            }
            w += 1
        }
        counts[s] = w
        checkInvariants()
    }

    /// Forgets every entry (the buffers stay allocated).
    public func reset() {
        for i in counts.indices { counts[i] = 0 }
    }
}
