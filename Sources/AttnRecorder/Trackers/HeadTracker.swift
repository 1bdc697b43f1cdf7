// What a probe keeps per (layer, head) across steps, and the statistics of a step's last query
// row (METHODS.md §16) in as few passes over the row as the statistics allow:
//   - a selection of few runs (dense, a window, sinks + window): α_k by position, with the
//     entropy in the same pass when it is one run (ReceivedAttention.addReturningEntropy), and
//     the overlap with the previous selection over ranges (O(runs), not O(keys));
//   - a scattered selection (heavy hitters, selected pages): α_k of the visible keys in key
//     order, merged with the previous row's keys, which also gives the overlap
//     (LiveReceivedAttention);
//   - the top-α refresh (every few steps) scans only the blocks of positions that rows saw
//     since the last refresh, beside the best positions of that refresh (TouchedTop), or for a
//     scattered selection reads only its live keys and the best α of the keys that left
//     (FrozenTop);
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

    /// α_k of every position (a materialised copy: the scattered state written back).
    public var received: ReceivedAttention {
        var copy = archive
        live.writeBack(row: rows, into: &copy)
        return copy
    }
    /// The selection (positions the last row attended to) as sorted disjoint ranges.
    public var selection: [Range<Int>] {
        switch previous {
        case .none: return []
        case .ranges: return previousRanges
        case .keys:
            var out: [Range<Int>] = []
            HeadStatistics.ranges(live.previousKeys, into: &out)
            return out
        }
    }
    /// The latest top-α list, highest first.
    public private(set) var topSinks: [(position: Int, score: Float)] = []

    /// A selection of at most this many runs goes to the position-indexed arrays (a cache line or
    /// two per run), and one of more is merged in key order (LiveReceivedAttention), except that
    /// a selection whose keys come and go needs more than twice as many.
    public let maxIndexedRuns: Int

    /// α_k by position; stale for the keys `live` holds while it is live.
    private var archive: ReceivedAttention
    /// The previous last row's keys as a few ranges (`previousRanges`) or as keys in `live`,
    /// which then also holds their α state unless it was flushed.
    private enum Previous { case none, ranges, keys }
    private var previous = Previous.none
    private var previousRanges: [Range<Int>] = []
    private var scratchRanges: [Range<Int>] = []
    private let live = LiveReceivedAttention()
    /// The top-α list while the archive holds every α (no live keys).
    private var indexedTop: TouchedTop
    /// Last rows seen so far.
    private var rows: Int32 = 0
    /// Keys of the row before the last that the last row no longer saw.
    private var previousLeft = 0
    /// The previous last row's key count and `keyEdits` (nil: not given). A prefill row in between
    /// leaves them valid: it changes α, not the previous row's keys.
    private var previousKeyCount = 0
    private var previousEdits: Int?

    public init(capacity: Int, maxIndexedRuns: Int = 32) {
        archive = ReceivedAttention(capacity: capacity)
        indexedTop = TouchedTop(capacity: capacity)
        self.maxIndexedRuns = maxIndexedRuns
    }

    /// A query row that is not the step's last (prefill rows): only α_k changes.
    public func add(_ row: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {
        live.flush(row: rows, into: &archive)
        archive.add(row, keyPositions: keyPositions)
        indexedTop.invalidate()
    }

    /// The step's last row: probs[j] for the key at keyPositions[j] (strictly ascending). Updates
    /// α_k and the selection; compares the selection with the previous row's when
    /// `compareWithPrevious` (else overlap and jaccard are NaN); recomputes the top `topCount` α
    /// positions when `refreshTop` or when there is no list yet. `entropy`: −Σ p ln p of the row
    /// when the caller has it (the attention kernel's, from its scores), else computed here.
    /// `keyEdits`: the KV stream's `KVCache.edits` when the keys are the whole stream; equal to
    /// the previous last row's, the keys are that row's followed by appended positions, so they
    /// are not compared again and the previous runs are extended.
    ///
    /// A selection of few runs (dense, a window, sinks + a window) goes to the position-indexed
    /// arrays, its overlap computed over ranges; a scattered one (heavy hitters, pages) is merged
    /// with the previous keys (LiveReceivedAttention), which also counts the keys both rows saw.
    public func lastRow(_ row: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>, entropy given: Float? = nil,
                        keyEdits: Int? = nil, compareWithPrevious: Bool, refreshTop: Bool, topCount: Int) -> RowStats {
        let keys = UnsafeBufferPointer(rebasing: keyPositions[0 ..< min(row.count, keyPositions.count)])
        let probs = UnsafeBufferPointer(rebasing: row[0 ..< keys.count])
        let visible = row.count, n = keys.count
        rows &+= 1
        // the previous last row's keys followed by appended ones (known, not compared)
        let appended = keyEdits != nil && keyEdits == previousEdits && previous != .none && n >= previousKeyCount
        previousEdits = keyEdits
        defer { previousKeyCount = n }
        var common = 0, previousCount = 0
        let entropySum: Float
        // A scattered selection tends to stay scattered: while it is, its runs are looked for
        // only every 16th row. Key order pays off for a selection that keeps its keys (eviction
        // settled: one addition per key); one whose keys come and go (Quest's pages) stays
        // position-indexed up to twice `maxIndexedRuns` runs, since each switch into key order
        // folds the count steps (O(positions)) and its keys would enter and leave every row.
        // Either path gives the same results.
        let lookForRuns = previous != .keys || rows & 15 == 0
        let runLimit = previous == .keys || previousLeft <= 1 ? maxIndexedRuns : 2 * maxIndexedRuns
        let haveRuns: Bool
        if appended && previous == .ranges {
            // the previous runs, the appended keys (past the last of them) extending them
            scratchRanges.removeAll(keepingCapacity: true)
            scratchRanges.append(contentsOf: previousRanges)
            for k in keys[previousKeyCount...] {
                let p = Int(k)
                if let last = scratchRanges.last, last.upperBound == p {
                    scratchRanges[scratchRanges.count - 1] = last.lowerBound ..< p + 1
                } else {
                    scratchRanges.append(p ..< p + 1)
                }
            }
            haveRuns = scratchRanges.count <= runLimit
        } else {
            haveRuns = lookForRuns && HeadStatistics.ranges(keys, into: &scratchRanges, atMost: runLimit)
        }
        if haveRuns {
            switch previous {
            case .none: break
            case .ranges where appended:
                common = previousKeyCount; previousCount = previousKeyCount
            case .ranges:
                common = HeadStatistics.commonCount(scratchRanges, previousRanges)
                previousCount = previousRanges.reduce(0) { $0 + $1.count }
            case .keys:
                live.flush(row: rows &- 1, into: &archive)
                for r in scratchRanges { common += live.common(with: r) }
                previousCount = live.count
                live.clear()
            }
            swap(&previousRanges, &scratchRanges)
            previous = .ranges
            for r in previousRanges { indexedTop.touch(r) }
            if let given {
                archive.add(probs, keyPositions: keys, ranges: previousRanges)
                entropySum = given
            } else if let only = previousRanges.first, previousRanges.count == 1, only.upperBound <= archive.capacity {
                entropySum = archive.addReturningEntropy(probs, run: only)
            } else {   // (no keys at all: no runs, entropy 0)
                entropySum = archive.addReturningEntropy(probs, keyPositions: keys, ranges: previousRanges)
            }
        } else {
            switch previous {
            case .none:
                live.clear()
                _ = live.merge(probs, keys: keys, row: rows, archive: &archive)
            case .ranges:   // the archive holds everything: every key enters from it
                for r in previousRanges { common += LiveReceivedAttention.count(keys, in: r) }
                previousCount = previousRanges.reduce(0) { $0 + $1.count }
                live.clear()
                _ = live.merge(probs, keys: keys, row: rows, archive: &archive)
            case .keys:
                previousCount = live.count
                common = live.merge(probs, keys: keys, row: rows, archive: &archive, appended: appended)
            }
            previous = .keys
            indexedTop.invalidate()   // the live keys' α are not in the archive
            entropySum = given ?? HeadStatistics.entropySum(probs)
        }
        previousLeft = previousCount - common
        var kept = Float.nan, jaccard = Float.nan
        if compareWithPrevious {
            (kept, jaccard) = HeadStatistics.overlap(common: common, current: n, previous: previousCount)
        }
        let refresh = refreshTop || topSinks.isEmpty
        if refresh {
            // scattered: the live keys and the frozen list; otherwise the blocks rows touched
            // since the last refresh and that refresh's best (or every position seen)
            if live.isLive {
                live.top(topCount, row: rows, archive: &archive, into: &topSinks)
            } else {
                indexedTop.refresh(topCount, archive: archive, into: &topSinks)
            }
        }
        return RowStats(visible: visible,
                        sinkMass1: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 1),
                        sinkMass4: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 4),
                        entropy: HeadStatistics.normalised(entropy: entropySum, visible: visible),
                        overlapKept: kept, jaccard: jaccard, topRefreshed: refresh)
    }
}
