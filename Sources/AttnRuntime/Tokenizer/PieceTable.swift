// MARK: - Lookup structures of the SentencePiece tokenizer

/// Byte string -> first id with those bytes, looked up from a slice without allocating.
/// Keyed by bytes, not String: String equality is canonical equivalence.
struct PieceTable: Sendable {
    private let pieces: [[UInt8]]
    /// Open addressing over FNV-1a hashes; slots hold id + 1 (0 = empty).
    private let slots: [Int32]
    private let mask: Int

    init(_ pieces: [[UInt8]]) {
        self.pieces = pieces
        var capacity = 16
        while capacity < pieces.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (id, p) in pieces.enumerated() {
            var s = Int(PieceTable.hash(p[...]) & UInt64(mask))
            var duplicate = false
            while slots[s] != 0 {
                if pieces[Int(slots[s]) - 1] == p { duplicate = true; break }
                s = (s + 1) & mask
            }
            if !duplicate { slots[s] = Int32(id + 1) }
        }
        self.slots = slots
        self.mask = mask
    }

    static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    func id(_ bytes: ArraySlice<UInt8>) -> Int32? {
        var s = Int(PieceTable.hash(bytes) & UInt64(mask))
        while slots[s] != 0 {
            let id = Int(slots[s]) - 1
            if pieces[id].elementsEqual(bytes) { return Int32(id) }
            s = (s + 1) & mask
        }
        return nil
    }
}

/// A candidate merge of two adjacent symbols.
struct SymbolPair {
    var score: Float
    var left: Int32
    var right: Int32
    var size: Int32   // bytes of the merged piece

    /// Pops before `other`: higher score, then the leftmost.
    func precedes(_ other: SymbolPair) -> Bool {
        score != other.score ? score > other.score : left < other.left
    }
}

/// A binary max-heap of merge candidates (SentencePiece's agenda).
struct PairHeap {
    private var items: [SymbolPair] = []

    mutating func push(_ p: SymbolPair) {
        items.append(p)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].precedes(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> SymbolPair? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count && items[l].precedes(items[best]) { best = l }
                if r < items.count && items[r].precedes(items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}
