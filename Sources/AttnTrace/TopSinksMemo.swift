// The metrics encoder's memory of each head's last top sinks and the bytes they encoded to.
// A recorder reports a head's top-α list unchanged for several steps (it recomputes it every
// few steps), so a head whose sinks equal last step's gets last step's bitstream copied
// instead of re-encoded. The output is byte-identical either way (the bitstream depends only on
// the positions and scores, compared bit for bit); the memo only saves encoder time.

/// One memo per ChunkEncoder: slot = layer · H + head.
final class TopSinksMemo {
    /// Heads with more sinks than this are always encoded afresh.
    static let maxSinks = 16
    /// Room per slot: the longest bitstream of `maxSinks` sinks.
    static let maxBytes = Codec.maxTopSinksBytes(maxSinks)

    private var slots = 0
    private var counts: UnsafeMutablePointer<Int>          // [slots]; −1 = nothing remembered
    private var positions: UnsafeMutablePointer<Int>       // [slots, maxSinks]
    private var scores: UnsafeMutablePointer<UInt32>       // [slots, maxSinks] Float bit patterns
    private var lengths: UnsafeMutablePointer<Int>         // [slots]
    private var bytes: UnsafeMutablePointer<UInt8>         // [slots, maxBytes]

    init() {
        counts = .allocate(capacity: 0); positions = .allocate(capacity: 0); scores = .allocate(capacity: 0)
        lengths = .allocate(capacity: 0); bytes = .allocate(capacity: 0)
    }

    deinit {
        counts.deallocate(); positions.deallocate(); scores.deallocate(); lengths.deallocate(); bytes.deallocate()
    }

    /// Makes room for `n` slots (forgetting everything when it grows).
    func reserve(slots n: Int) {
        guard n > slots else { return }
        counts.deallocate(); positions.deallocate(); scores.deallocate(); lengths.deallocate(); bytes.deallocate()
        counts = .allocate(capacity: n); counts.initialize(repeating: -1, count: n)
        positions = .allocate(capacity: n * Self.maxSinks); scores = .allocate(capacity: n * Self.maxSinks)
        lengths = .allocate(capacity: n); bytes = .allocate(capacity: n * Self.maxBytes)
        slots = n
    }

    /// The remembered bitstream of `slot` if its sinks were exactly `sinks` (in the same order).
    @inline(__always)
    func lookup(slot: Int, _ sinks: UnsafeBufferPointer<SinkScore>) -> UnsafeRawBufferPointer? {
        guard slot < slots, counts[slot] == sinks.count else { return nil }
        let p = positions + slot * Self.maxSinks, s = scores + slot * Self.maxSinks
        for i in 0..<sinks.count where p[i] != sinks[i].position || s[i] != sinks[i].score.bitPattern { return nil }
        return UnsafeRawBufferPointer(start: bytes + slot * Self.maxBytes, count: lengths[slot])
    }

    /// Remembers that `sinks` encoded to `encoded`.
    @inline(__always)
    func store(slot: Int, _ sinks: UnsafeBufferPointer<SinkScore>, encoded: UnsafeRawBufferPointer) {
        guard slot < slots else { return }
        guard sinks.count <= Self.maxSinks, encoded.count <= Self.maxBytes else { counts[slot] = -1; return }
        let p = positions + slot * Self.maxSinks, s = scores + slot * Self.maxSinks
        for i in 0..<sinks.count { p[i] = sinks[i].position; s[i] = sinks[i].score.bitPattern }
        UnsafeMutableRawPointer(bytes + slot * Self.maxBytes).copyMemory(from: encoded.baseAddress!, byteCount: encoded.count)
        lengths[slot] = encoded.count
        counts[slot] = sinks.count
    }
}
