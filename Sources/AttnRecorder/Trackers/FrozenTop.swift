// The best α_k among positions that left a head's scattered selection (LiveReceivedAttention),
// kept as they leave. A position that is not visible keeps its α until it is visible again, so
// a top-α refresh needs only this list and the live keys, not a scan over every position seen:
// at 4K context after eviction that is ~400 live keys instead of 4,096 positions per head.
//
// Invariant (while `isValid`): every entry ranks above `cutoff`, and every frozen position that
// is not an entry ranks at or below it (nil: none was left out). Ranking: higher α first, then
// the earlier position, as ReceivedAttention.top orders ties. A position that becomes visible
// again is removed; when too few entries remain to vouch for a refresh, it is rebuilt from the
// archive (whose live positions hold count 0 and so are not scanned).

struct FrozenTop {
    typealias Entry = (position: Int, score: Float)

    /// Entries kept: twice the recorder's 8, so that a few positions becoming visible again do
    /// not force a rebuild.
    static let keep = 16

    private(set) var entries: [Entry] = []      // best first
    private(set) var cutoff: Entry?
    /// False: the entries do not describe the frozen positions (a rebuild is due).
    private(set) var isValid = false
    /// Bit (position mod 64) is set for every entry's position: most visible-again positions
    /// are rejected without a search.
    private var mask: UInt64 = 0

    @inline(__always)
    static func ranks(_ a: Entry, above b: Entry) -> Bool {
        a.score > b.score || (a.score == b.score && a.position < b.position)
    }

    mutating func invalidate() {
        isValid = false; entries.removeAll(keepingCapacity: true); cutoff = nil; mask = 0
    }

    /// From the archive's best `keep + 1` (live positions there have count 0: not candidates).
    mutating func rebuild(from archive: ReceivedAttention) {
        archive.top(Self.keep + 1, into: &entries)
        cutoff = entries.count > Self.keep ? entries.removeLast() : nil
        remask()
        isValid = true
    }

    /// Position `p` left the live set with α `score`.
    @inline(__always)
    mutating func offer(_ p: Int, score: Float) {
        guard isValid else { return }
        let e = (position: p, score: score)
        if let c = cutoff, !Self.ranks(e, above: c) { return }
        if entries.count == Self.keep, let last = entries.last, !Self.ranks(e, above: last) {
            cutoff = e   // ranks above the old cutoff and below every entry
            return
        }
        var i = entries.count
        while i > 0 && Self.ranks(e, above: entries[i - 1]) { i -= 1 }
        entries.insert(e, at: i)
        if entries.count > Self.keep { cutoff = entries.removeLast(); remask() } else { mask |= 1 &<< UInt64(p & 63) }
    }

    private mutating func remask() {
        mask = 0
        for e in entries { mask |= 1 &<< UInt64(e.position & 63) }
    }

    /// Position `p` is visible again.
    @inline(__always)
    mutating func remove(_ p: Int) {
        guard mask & (1 &<< UInt64(p & 63)) != 0 else { return }
        if let i = entries.firstIndex(where: { $0.position == p }) { entries.remove(at: i); remask() }
    }

    /// The best `k` of the entries and `live` (the live keys' best k, best first) into `out`
    /// (emptied first, its storage reused); false when the entries cannot vouch for them (a
    /// frozen position outside the list might rank higher; `out` is then not meaningful).
    func merge(with live: [Entry], k: Int, into out: inout [Entry]) -> Bool {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(k)
        var i = 0, j = 0
        while out.count < k && (i < entries.count || j < live.count) {
            if j == live.count || (i < entries.count && Self.ranks(entries[i], above: live[j])) {
                out.append(entries[i]); i += 1
            } else {
                out.append(live[j]); j += 1
            }
        }
        guard let c = cutoff else { return true }
        guard out.count == k, let last = out.last, Self.ranks(last, above: c) else { return false }
        return true
    }
}
