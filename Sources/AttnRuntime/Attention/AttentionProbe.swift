// What the attention step can hand back: for each head, the probabilities it computed.
// The runtime never knows what a probe does with them (the recorder turns them into trace
// records; tests compare them with the numpy reference).

/// Attention probabilities of one head for a run of consecutive queries of one attention call.
/// Valid only during the `AttentionProbe.attentionComputed` call (the buffers are reused).
/// (AttnTrace's `AttentionRows` is the trace record the recorder makes of some of them.)
public struct HeadProbabilityRows {
    public var layer: Int
    public var head: Int                 // query head h
    public var kvHead: Int               // g = h / (H / G)
    /// Positions of the query rows: [rowCount].
    public var queryPositions: UnsafeBufferPointer<Int32>
    /// Original positions of the cache entries the rows cover: [keyCount]. Entry j of a row is
    /// the attention paid to the key at keyPositions[j].
    public var keyPositions: UnsafeBufferPointer<Int32>
    /// Probabilities [rowCount, rowStride]; row i is valid over the first `visibleCounts[i]`
    /// entries and 0 beyond (causal mask). Each row sums to 1.
    public var probabilities: UnsafePointer<Float>
    public var rowStride: Int
    /// Entries each row attended to: [rowCount].
    public var visibleCounts: UnsafeBufferPointer<Int>
    /// Under a selecting policy: the entries of the KV stream the row could have attended to
    /// (|V_t|), of which `keyPositions` are the selected ones; nil when the rows attended to
    /// everything they could see (dense or evicting policies).
    public var selectedFrom: Int? = nil
    /// −Σ_j p_ij ln p_ij of each row as the kernel computed it from its scores ([rowCount], the
    /// split-key decode path), or nil: a probe computes it from the row. Equal to the entropy of
    /// `row(i)` up to rounding (ProbeDeliveryTests: within 1e-5 relative + 1e-6).
    public var entropies: UnsafePointer<Float>? = nil
    /// `KVCache.edits` of the head's stream when `keyPositions` are the whole stream (the decode
    /// row path), else nil. Equal values at two calls: the later keys are the earlier ones
    /// followed by appended positions.
    public var keyEdits: Int? = nil
    /// True when `keyPositions` stay as they are until the next attention call of the model
    /// begins (no policy evicts from the stream after this call). Decode batches
    /// (`attentionComputed(layer:heads:pool:)`) keep `probabilities` and `entropies` valid until
    /// then too (a probe that is an `AttentionInputObserver` hears of that call first); the
    /// other buffers are valid during the call only.
    public var keysStable = false
    /// Set only for a probe that `acceptsUnscaledRows` (decode, T = 1): the row holds
    /// e^(s_j − m_c), and entry j of chunk c = j / chunk is p_j once multiplied by factors[c].
    /// `scaleInPlace` does that (and writes the zeros past the visible entries) before the row
    /// is read. Valid as long as `probabilities`.
    public var pendingScale: PendingScale? = nil

    /// Per-chunk factors of an unscaled row (`pendingScale`).
    public struct PendingScale {
        public var factors: UnsafePointer<Float>   // [⌈visible / chunk⌉]
        public var chunk: Int
        public init(factors: UnsafePointer<Float>, chunk: Int) { self.factors = factors; self.chunk = chunk }
    }

    public var rowCount: Int { queryPositions.count }
    public var keyCount: Int { keyPositions.count }

    /// Scales a row delivered unscaled into probabilities in place, with the products the
    /// kernel would have computed (so the row is bit-identical to a scaled delivery), and zeros
    /// its entries past the visible ones; returns the rows with no pending scale. Call once,
    /// before reading the row, from any thread, before the next attention call of the model.
    public func scaleInPlace() -> HeadProbabilityRows {
        guard let pending = pendingScale else { return self }
        precondition(rowCount == 1, "unscaled rows come from decode calls (T = 1)")
        let row = UnsafeMutablePointer(mutating: probabilities), visible = visibleCounts[0]
        var lo = 0, c = 0
        while lo < visible {
            let hi = min(visible, lo + pending.chunk)
            scaleCopy(row + lo, row + lo, by: pending.factors[c], count: hi - lo)
            lo = hi; c += 1
        }
        if visible < rowStride { (row + visible).update(repeating: 0, count: rowStride - visible) }
        var scaled = self
        scaled.pendingScale = nil
        return scaled
    }

    /// Row i as a buffer of its visible entries.
    public func row(_ i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: probabilities + i * rowStride, count: visibleCounts[i])
    }
}

/// Receives attention probabilities as they are computed. Called on the thread that called
/// the model's forward pass, once per (layer, head, block of query rows), in layer order.
public protocol AttentionProbe: AnyObject {
    func attentionComputed(_ rows: HeadProbabilityRows)

    /// All H heads of one row-path call (decode) at once, in head order, with the model's worker
    /// pool, which is idle for the duration of this call: a probe may spread per-head work over
    /// it (`pool.parallelFor`), since each head's rows are independent. Called on the thread that
    /// called the forward pass; the buffers are valid only during the call. The default hands
    /// the heads to `attentionComputed(_:)` one by one.
    func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool)

    /// True when the probe scales decode rows itself (`HeadProbabilityRows.scaleInPlace`, e.g. on its
    /// own worker): the kernel then skips that pass over every head's row. Default false.
    var acceptsUnscaledRows: Bool { get }

    /// The attached policy removed the entries at these original `positions` (increasing) from
    /// (layer, kvHead) when layer's attention call ended. Called on the forward pass's thread,
    /// after the call's rows; only for a call that evicted something. Default: ignored.
    func entriesEvicted(layer: Int, kvHead: Int, positions: [Int32])
}

extension AttentionProbe {
    public func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
        for rows in heads { attentionComputed(rows) }
    }

    public var acceptsUnscaledRows: Bool { false }

    public func entriesEvicted(layer: Int, kvHead: Int, positions: [Int32]) {}
}

/// The name the runtime's rows had, for branches written against it; not for new code.
@available(*, deprecated, renamed: "HeadProbabilityRows")
public typealias AttentionRows = HeadProbabilityRows
