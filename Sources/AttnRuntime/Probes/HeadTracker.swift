// What a probe keeps per (layer, head) across steps, and the statistics of a step's last query
// row (METHODS.md §16) in as few passes over the row as the statistics allow:
//   - α_k and the entropy in one pass (ReceivedAttention.addReturningEntropy);
//   - the selection as ranges of positions (O(1) when it is contiguous: dense, a window);
//   - the overlap with the previous step's selection over ranges (O(ranges), not O(keys));
//   - sink masses read only the first keys.
// Each tracker is independent of the others, so a probe may update different heads on different
// threads. HeadTrackerTests checks every value against the per-statistic functions of
// HeadStatistics and ReceivedAttention.add.

public final class HeadTracker {
    /// Statistics of one head's last query row at one step.
    public struct RowStats: Equatable, Sendable {
        public var visible: Int             // |V_t|: keys the query saw
        public var sinkMass1: Float         // Σ p over position 0
        public var sinkMass4: Float         // Σ p over positions 0 ..< 4
        public var entropy: Float           // normalised, in [0, 1]
        public var overlapKept: Float       // |S ∩ P| / |S|; NaN when not compared
        public var jaccard: Float           // |S ∩ P| / |S ∪ P|; NaN when not compared
        public var topRefreshed: Bool       // topSinks was recomputed by this row
    }

    public private(set) var received: ReceivedAttention
    /// The selection (positions the last row attended to) as sorted disjoint ranges.
    public private(set) var selection: [Range<Int>] = []
    /// The previous step's selection (empty before the first row).
    private var previous: [Range<Int>] = []
    /// The latest top-α list, highest first.
    public private(set) var topSinks: [(position: Int, score: Float)] = []

    public init(capacity: Int) {
        received = ReceivedAttention(capacity: capacity)
    }

    /// A query row that is not the step's last (prefill rows): only α_k changes.
    public func add(_ row: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {
        received.add(row, keyPositions: keyPositions)
    }

    /// The step's last row: probs[j] for the key at keyPositions[j] (ascending). Updates α_k and
    /// the selection; compares the selection with the previous row's when `compareWithPrevious`
    /// (else overlap and jaccard are NaN); recomputes the top `topCount` α positions when
    /// `refreshTop` or when there is no list yet.
    public func lastRow(_ row: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>,
                        compareWithPrevious: Bool, refreshTop: Bool, topCount: Int) -> RowStats {
        let keys = UnsafeBufferPointer(rebasing: keyPositions[0 ..< min(row.count, keyPositions.count)])
        let visible = row.count
        swap(&previous, &selection)
        HeadStatistics.ranges(keys, into: &selection)
        let entropySum = received.addReturningEntropy(UnsafeBufferPointer(rebasing: row[0 ..< keys.count]), ranges: selection)
        var kept = Float.nan, jaccard = Float.nan
        if compareWithPrevious { (kept, jaccard) = HeadStatistics.overlap(current: selection, previous: previous) }
        let refresh = refreshTop || topSinks.isEmpty
        if refresh { topSinks = received.top(topCount) }
        return RowStats(visible: visible,
                        sinkMass1: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 1),
                        sinkMass4: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 4),
                        entropy: HeadStatistics.normalised(entropy: entropySum, visible: visible),
                        overlapKept: kept, jaccard: jaccard, topRefreshed: refresh)
    }
}
