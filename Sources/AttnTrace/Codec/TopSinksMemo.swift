// The metrics encoder's memory of each head's last top sinks and the bytes they encoded to.
// A recorder reports a head's top-α list unchanged for several steps (it recomputes it every
// few steps), so a head whose sinks equal last step's gets last step's bitstream copied
// instead of re-encoded. The output is byte-identical either way (the bitstream depends only on
// the positions and scores, compared bit for bit); the memo only saves encoder time.
//
// Remembering costs the encoder a few stores per head, also when every head's sinks change at
// every step: the sinks are copied while they are read, the bytes in whole words.

/// One memo per ChunkEncoder: slot = layer · H + head.
final class TopSinksMemo {
    /// Heads with more sinks than this are always encoded afresh.
    static let maxSinks = 16
    /// Room per slot: the longest bitstream of `maxSinks` sinks, in whole words.
    static let maxBytes = Codec.maxTopSinksBytes(maxSinks)
    static let slotBytes = (maxBytes + 7) & ~7

    private var slots = 0
    private var counts: UnsafeMutablePointer<Int>          // [slots]; −1 = nothing remembered
    private var positions: UnsafeMutablePointer<Int>       // [slots, maxSinks]
    private var scores: UnsafeMutablePointer<UInt32>       // [slots, maxSinks] Float bit patterns
    private var lengths: UnsafeMutablePointer<Int>         // [slots]
    private var bytes: UnsafeMutablePointer<UInt8>         // [slots, slotBytes]

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
        lengths = .allocate(capacity: n)
        bytes = .allocate(capacity: n * Self.slotBytes); bytes.initialize(repeating: 0, count: n * Self.slotBytes)
        slots = n
    }

    /// When `slot`'s sinks were exactly `sinks` (in the same order), appends the remembered
    /// bitstream to `w` (which has `slotBytes` + 8 reserved: the copy stores whole words) and returns
    /// true. Calls nothing, so that a caller may read `sinks` in place.
    @inline(__always)
    func copy(slot: Int, ifSame sinks: UnsafeBufferPointer<SinkScore>, into w: inout ByteWriter) -> Bool {
        guard slot < slots, counts[slot] == sinks.count else { return false }
        let p = positions + slot * Self.maxSinks, s = scores + slot * Self.maxSinks
        for i in 0..<sinks.count where p[i] != sinks[i].position || s[i] != sinks[i].score.bitPattern { return false }
        w.putWords(UnsafeRawPointer(bytes + slot * Self.slotBytes), count: lengths[slot])
        return true
    }

    /// Remembers `sinks` for `slot`; the slot counts as empty until `remember(slot:encoded:)`.
    @inline(__always)
    func remember(slot: Int, _ sinks: UnsafeBufferPointer<SinkScore>) {
        guard slot < slots else { return }
        counts[slot] = -1
        guard sinks.count <= Self.maxSinks else { return }
        let p = positions + slot * Self.maxSinks, s = scores + slot * Self.maxSinks
        for i in 0..<sinks.count { p[i] = sinks[i].position; s[i] = sinks[i].score.bitPattern }
    }

    /// Remembers that the `count` sinks given to `remember(slot:_:)` encoded to `length` bytes at
    /// `encoded`, which must be readable for max(16, `length` + 7) bytes (the copy loads whole
    /// words, the first two always).
    @inline(__always)
    func remember(slot: Int, count: Int, encoded: UnsafeRawPointer, length: Int) {
        guard slot < slots, count <= Self.maxSinks, length <= Self.maxBytes else { return }
        let to = UnsafeMutableRawPointer(bytes + slot * Self.slotBytes)
        to.storeBytes(of: encoded.loadUnaligned(as: UInt64.self), as: UInt64.self)   // as ByteWriter.putWords
        to.storeBytes(of: encoded.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        var i = 16
        while i < length {
            to.storeBytes(of: encoded.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        lengths[slot] = length
        counts[slot] = count
    }
}
