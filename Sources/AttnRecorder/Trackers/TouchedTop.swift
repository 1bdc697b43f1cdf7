// The top-α refresh of a head whose α_k all sit in the position-indexed arrays (a selection of
// few runs: a window, sinks + a window, pages) without a scan of every position seen. Between
// two refreshes only positions that some row saw can change α; every other position keeps the
// α, and so the rank, it had at the last refresh. So the best positions of the last refresh are
// kept (`entries`), with a cutoff that ranks at or above every other position, and the blocks
// that rows touched since are marked; a refresh scans only those blocks and merges them with the
// untouched entries. At 4K context a block is 16 positions (a Quest page): a sink + 406-key
// window touches 27 of 261 blocks, and Quest's pages (16, 410 keys) touch a quarter of them in 8
// steps (with 64 blocks of 72 positions they touched half).
//
// Invariant (while `isValid`): every entry ranks above `cutoff`, and every position that is not
// an entry and lies in no touched block ranks at or below it (nil: none was left out). Ranking:
// higher α first, then the earlier position (FrozenTop.ranks, as ReceivedAttention.top orders).
// When the entries cannot vouch for the top k, or after anything this list does not see (a
// prefill row, a switch to key order), the list is rebuilt by a scan of every position.

/// A word whose lowest n bits are set (none for n ≤ 0; all 64 from n = 64 on).
@inline(__always)
func lowBits(_ n: Int) -> UInt64 {
    n >= 64 ? .max : n <= 0 ? 0 : ((1 as UInt64) << UInt64(n)) &- 1
}

/// A set of blocks 0 ..< 512, block b as bit b % 64 of word b / 64 (inline: no allocation).
struct BlockBits: Equatable {
    static let count = 512
    var words = SIMD8<UInt64>()

    static let all = BlockBits(words: SIMD8(repeating: .max))

    /// Blocks 0 ..< n.
    static func first(_ n: Int) -> BlockBits {
        var s = BlockBits()
        for w in 0..<8 { s.words[w] = lowBits(n - 64 * w) }
        return s
    }

    @inline(__always)
    func contains(_ b: Int) -> Bool { words[b >> 6] & ((1 as UInt64) << UInt64(b & 63)) != 0 }

    /// Adds blocks a ... b (0 ≤ a ≤ b < 512).
    @inline(__always)
    mutating func insert(_ a: Int, through b: Int) {
        var w = a >> 6
        while w <= b >> 6 {
            let lo = w == a >> 6 ? a & 63 : 0, hi = w == b >> 6 ? b & 63 : 63
            words[w] |= lowBits(hi - lo + 1) << UInt64(lo)
            w += 1
        }
    }

    static func & (x: BlockBits, y: BlockBits) -> BlockBits { BlockBits(words: x.words & y.words) }
}

struct TouchedTop {
    typealias Entry = FrozenTop.Entry

    /// Entries kept: a few more than the recorder's 8, so that entries losing rank seldom force
    /// a rebuild (a longer list lowers the threshold below which the scan skips positions).
    static let keep = 10

    /// Positions per block: a multiple of 8 (ReceivedAttention scans 8 at a time) such that 512
    /// blocks cover the capacity (16 at 4K context).
    let blockSize: Int
    private(set) var entries: [Entry] = []   // best first
    private(set) var cutoff: Entry?
    private(set) var isValid = false
    /// Bit b: some row saw a position of block b (b·blockSize ..< (b+1)·blockSize) since the
    /// entries were made.
    private(set) var touched = BlockBits()

    init(capacity: Int) {
        blockSize = max(8, ((capacity + BlockBits.count - 1) / BlockBits.count + 7) / 8 * 8)
    }

    mutating func invalidate() {
        guard isValid else { return }
        isValid = false; entries.removeAll(keepingCapacity: true); cutoff = nil; touched = BlockBits()
    }

    /// A row saw the positions of `r`.
    @inline(__always)
    mutating func touch(_ r: Range<Int>) {
        guard isValid, r.lowerBound < r.upperBound else { return }
        let last = BlockBits.count - 1
        touched.insert(min(last, r.lowerBound / blockSize), through: min(last, (r.upperBound - 1) / blockSize))
    }

    /// The `k` highest α of `archive` (highest first; equal to `archive.top(k)`), from the
    /// touched blocks and the untouched entries, or from a scan of every position when the list
    /// is not valid or cannot vouch for them.
    /// Written into `out` (its storage reused).
    mutating func refresh(_ k: Int, archive: ReceivedAttention, into out: inout [Entry]) {
        // (when rows touched every block, as dense rows do, a scan of everything is as cheap)
        let blocks = (archive.limit + blockSize - 1) / blockSize
        let seen = BlockBits.first(blocks)
        if !(isValid && touched & seen != seen && fromTouched(k, archive: archive)) {
            // every block, from the highest down (as fast as a scan upwards for dense rows, and
            // faster where the higher α sit at recent positions)
            entries.removeAll(keepingCapacity: true)
            archive.top(Self.keep + 1, inBlocks: .all, of: blockSize, into: &entries)
            cutoff = entries.count > Self.keep ? entries.removeLast() : nil
            touched = BlockBits()
            isValid = true
        }
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: entries.prefix(k))
    }

    /// The candidates of `fromTouched` (kept: no allocation per refresh).
    private var merged: [Entry] = []

    /// The entries after the rows since the last refresh, or false when they cannot vouch for
    /// the top k (nothing changed then).
    private mutating func fromTouched(_ k: Int, archive: ReceivedAttention) -> Bool {
        // the entries no row saw (their α is the one they were ranked with), then the touched
        // positions: the best keep + 1 of both (every other touched position ranks below the last)
        merged.removeAll(keepingCapacity: true)
        merged.reserveCapacity(Self.keep + 2)
        for e in entries where !touched.contains(min(BlockBits.count - 1, e.position / blockSize)) {
            merged.append(e)
        }
        archive.top(Self.keep + 1, inBlocks: touched, of: blockSize, into: &merged)
        // the new entries: the best keep of them that rank above the old cutoff (any other
        // position ranks at or below it); the best one left out becomes the cutoff if higher
        var taken = min(Self.keep, merged.count)
        if let c = cutoff { while taken > 0 && !FrozenTop.ranks(merged[taken - 1], above: c) { taken -= 1 } }
        var newCutoff = cutoff
        if merged.count > Self.keep, newCutoff.map({ FrozenTop.ranks(merged[Self.keep], above: $0) }) ?? true {
            newCutoff = merged[Self.keep]
        }
        guard taken >= k || newCutoff == nil else { return false }
        merged.removeLast(merged.count - taken)
        swap(&entries, &merged)
        cutoff = newCutoff
        touched = BlockBits()
        return true
    }
}
