// The top sinks of one head entry in the metrics record (docs/trace-format.md §4.3): a bitstream,
// least significant bit first, zero-padded to a byte (see BitStream.swift for EG_k):
//
//   n        EG_3     sink count, 0…64
//   p_0      EG_0     lowest position (position 0, the usual sink, takes one bit)       (n ≥ 1)
//   k        4 bits   order of the gap code, 0…15                                      (n ≥ 2)
//   n − 1 ×  EG_k     gap p_i − p_(i−1) ≥ 0 (positions ascending)                      (n ≥ 2)
//   top      8 bits   highest log8 score code                                          (n ≥ 1)
//   w        4 bits   bits per score, 0…8                                              (n ≥ 2)
//   n ×      w bits   top − code_i, in position order                                  (n ≥ 2)
//
// The writer picks the k that makes the gaps shortest. Sinks are read back highest score first,
// ties (equal log8 codes) by lower position first.

extension Codec {
    /// The most bytes `encodeTopSinks` writes for `n` sinks (n ≤ Format.maxTopSinks): EG_3(64) 10 bits,
    /// EG_0 of a position 81, k 4, each gap ≤ 81 (EG_k of a value ≤ 2^40), top 8, w 4, scores 8 each.
    @inline(__always) static func maxTopSinksBytes(_ n: Int) -> Int {
        (10 + 81 + 4 + 81 * n + 12 + 8 * n + 7) >> 3
    }

    // MARK: - Encode

    /// Writes `sinks` (any order) as the bitstream above. Throws when there are more than
    /// `Format.maxTopSinks` or a position is outside 0…Format.maxPosition.
    static func encodeTopSinks(_ sinks: UnsafeBufferPointer<SinkScore>, into w: inout ByteWriter) throws {
        if sinks.count > Format.maxTopSinks { throw FrameProblem("\(sinks.count) top sinks, at most \(Format.maxTopSinks)") }
        w.reserve(maxTopSinksBytes(sinks.count) + 8)
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: topSinksScratchWords) { scratch in
            let loaded = loadTopSinkKeys(sinks, into: scratch.baseAddress!)
            if let p = loaded.badPosition { throw FrameProblem("sink position \(p) out of range") }
            putTopSinkKeys(scratch.baseAddress!, loaded, into: &w)
        }
    }

    /// Words of scratch memory `loadTopSinkKeys` and `putTopSinkKeys` need.
    static let topSinksScratchWords = Format.maxTopSinks

    /// What `loadTopSinkKeys` learnt on its way through the sinks.
    struct LoadedTopSinks {
        var count: Int
        var top: UInt64 = 0          // highest log8 code
        var low: UInt64 = 255        // lowest log8 code
        var badPosition: Int? = nil  // the first position outside 0…Format.maxPosition
    }

    /// Stores one sort key per sink into `keys` [n]: position << 14 | index << 8 | log8 code
    /// (position ≤ 2^40, index < 64). Sorting the keys sorts the sinks by position, equal positions
    /// in the order given (a stable sort), and carries each code along. Reads `sinks` only and
    /// calls nothing: the metrics encoder runs it on a HeadMetrics' array in place, without
    /// retaining it. The highest and lowest codes are found here, in a loop the compiler does not
    /// vectorise (SSE2 has no 64-bit compare: a vectorised min/max of 4 keys took ~130 instructions).
    @inline(__always)
    static func loadTopSinkKeys(_ sinks: UnsafeBufferPointer<SinkScore>, into keys: UnsafeMutablePointer<UInt64>) -> LoadedTopSinks {
        var loaded = LoadedTopSinks(count: sinks.count)
        var top: UInt64 = 0, low: UInt64 = 255
        for i in 0..<sinks.count {
            let s = sinks[i]
            if UInt(bitPattern: s.position) > UInt(Format.maxPosition) { loaded.badPosition = s.position; return loaded }   // negative too
            let c = UInt64(Quantize.log8(s.score))
            keys[i] = UInt64(s.position) &<< 14 | UInt64(i) &<< 8 | c
            top = c > top ? c : top; low = c < low ? c : low
        }
        loaded.top = top; loaded.low = low
        return loaded
    }

    /// Writes the bitstream of the sinks whose keys `loadTopSinkKeys` stored in `keys` (count ≤
    /// Format.maxTopSinks, no bad position), into a writer with `maxTopSinksBytes(count) + 8` bytes
    /// reserved (+ 8: BitWriter stores whole words). `keys` needs room for count + 3 keys.
    static func putTopSinkKeys(_ keys: UnsafeMutablePointer<UInt64>, _ loaded: LoadedTopSinks, into w: inout ByteWriter) {
        let n = loaded.count, top = loaded.top
        var bits = BitWriter()
        bits.putExpGolomb(UInt64(n), k: 3, into: &w)
        if n == 0 { bits.finish(into: &w); return }
        sortTopSinkKeys(keys, count: n)
        let shift: UInt64 = 14   // key → position
        bits.putExpGolomb(keys[0] &>> shift, k: 0, into: &w)
        if n >= 2 {
            let k = gapOrder(keys, count: n, shift: shift)
            bits.put(UInt64(k), 4, into: &w)
            for i in 1..<n { bits.putExpGolomb((keys[i] &>> shift) &- (keys[i - 1] &>> shift), k: k, into: &w) }
        }
        if n == 1 { bits.put(top, 8, into: &w); bits.finish(into: &w); return }
        let width = 64 &- (top &- loaded.low).leadingZeroBitCount
        bits.put(top | UInt64(width) &<< 8, 12, into: &w)
        if width == 0 { bits.finish(into: &w); return }
        if n <= 8 {   // n × width ≤ 64 bits: gather them in a word, then two puts of ≤ 32 bits
            var packed: UInt64 = 0, at: UInt64 = 0
            for i in 0..<n {
                packed |= (top &- keys[i] & 0xFF) &<< at
                at &+= UInt64(width)
            }
            let half = Int(at) &>> 1
            bits.put(packed & ((1 &<< UInt64(half)) &- 1), half, into: &w)
            bits.put(packed &>> UInt64(half), Int(at) &- half, into: &w)
        } else {
            for i in 0..<n { bits.put(top &- keys[i] & 0xFF, width, into: &w) }
        }
        bits.finish(into: &w)
    }

    /// Sorts `keys` [n] ascending (n ≥ 1), using keys[n ..< n + 3] as room. Up to 8 keys (what recorders
    /// report) go through a sorting network padded with UInt64.max: min/max pairs that compile to
    /// conditional moves, so the order of the input costs no mispredicted branches. The recorder
    /// hands sinks over by score, so they rarely arrive sorted by position.
    @_transparent
    static func sortTopSinkKeys(_ keys: UnsafeMutablePointer<UInt64>, count n: Int) {
        @_transparent func exchange(_ i: Int, _ j: Int) {   // keys[i] ≤ keys[j] afterwards
            let a = keys[i], b = keys[j]
            keys[i] = a < b ? a : b; keys[j] = a < b ? b : a
        }
        if n <= 8 {   // pad to 4 or 8 keys (three stores, not a loop: a loop becomes a memset call)
            keys[n] = .max; keys[n &+ 1] = .max; keys[n &+ 2] = .max
        }
        if n <= 4 {
            exchange(0, 1); exchange(2, 3); exchange(0, 2); exchange(1, 3); exchange(1, 2)
        } else if n <= 8 {   // Batcher's odd-even merge sort of 8: 19 exchanges in 6 rounds
            exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7)
            exchange(0, 2); exchange(1, 3); exchange(4, 6); exchange(5, 7)
            exchange(1, 2); exchange(5, 6)
            exchange(0, 4); exchange(1, 5); exchange(2, 6); exchange(3, 7)
            exchange(2, 4); exchange(3, 5)
            exchange(1, 2); exchange(3, 4); exchange(5, 6)
        } else {   // insertion (n ≤ 64), skipped when already in order
            var sorted = true
            for i in 1..<n where keys[i] < keys[i - 1] { sorted = false; break }
            if sorted { return }
            for i in 1..<n {
                let k = keys[i]
                var j = i
                while j > 0 && keys[j - 1] > k { keys[j] = keys[j - 1]; j -= 1 }
                keys[j] = k
            }
        }
    }

    /// The order k in 0…15 for which EG_k of the gaps between `positions` (ascending, n ≥ 2) is
    /// shortest; the lowest such k on ties.
    static func gapOrder(_ positions: UnsafeMutablePointer<UInt64>, count n: Int) -> Int {
        gapOrder(positions, count: n, shift: 0)
    }

    /// The same over `values` [n] whose positions are `value >> shift` (sort keys: shift 14).
    @_transparent
    static func gapOrder(_ values: UnsafeMutablePointer<UInt64>, count n: Int, shift: UInt64) -> Int {
        n <= 8 ? gapOrderOfFew(values, count: n, shift: shift) : gapOrderOfMany(values, count: n, shift: shift)
    }

    /// gapOrder of at most 8 positions (7 gaps): the bits of the gaps under every k at once, one
    /// k per lane of a 16 × Int16 vector (two SSE2 registers), then the lowest k of the fewest bits.
    /// For a gap g of bit length b whose top t bits are ones,
    ///   EG_k(g) = 2 · max(b, k + 1) − 1 − k + 2 · carry = (k + 1) + 2 · (max(b − k − 1, 0) + carry),
    /// carry = 1 when b − t ≤ k < b (g + 2^k carries into bit b). Over G gaps the bits are
    /// G · (k + 1) + 2 · S(k), S = Σ (max(b − k − 1, 0) + carry), and the least of
    /// 16 · bits + k = 16 · G · (k + 1) + 32 · S(k) + k (≤ 11 215) is the answer. No branch
    /// depends on the gaps. Only lane-by-lane operations between vectors, which compile to SSE2
    /// instructions (operations with a scalar, `v .< 0`, `v &* 32`, `v &<< 4`, compile to a loop
    /// over the lanes: 4 times slower for the whole encoder).
    @inline(__always)
    static func gapOrderOfFew(_ values: UnsafeMutablePointer<UInt64>, count n: Int, shift: UInt64) -> Int {
        typealias Lanes = SIMD16<Int16>
        let ks = Lanes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let kPlus1 = ks &+ 1
        var excess = Lanes()   // S(k) ≤ 7 · 42
        for i in 1..<n {
            let g = (values[i] &>> shift) &- (values[i &- 1] &>> shift)
            let b = 64 &- g.leadingZeroBitCount                                          // 0…41
            let t = (~(g &<< UInt64(truncatingIfNeeded: 64 &- b))).leadingZeroBitCount    // 0 when g = 0
            let bs = Lanes(repeating: Int16(truncatingIfNeeded: b))
            let over = bs &- kPlus1
            excess &+= over.replacing(with: Lanes(), where: over .< Lanes())
            let carry = (ks .> Lanes(repeating: Int16(truncatingIfNeeded: b &- t &- 1))) .& (ks .< bs)
            excess &+= Lanes().replacing(with: 1, where: carry)
        }
        let keys = excess &* Lanes(repeating: 32) &+ Lanes(repeating: Int16(truncatingIfNeeded: 16 &* (n &- 1))) &* kPlus1 &+ ks
        let m8 = pointwiseMin(keys.lowHalf, keys.highHalf), m4 = pointwiseMin(m8.lowHalf, m8.highHalf)
        let m2 = pointwiseMin(m4.lowHalf, m4.highHalf)
        return Int(min(m2[0], m2[1]) & 15)
    }

    /// gapOrder of any number of positions (n ≥ 2).
    /// From k to k + 1, EG of a gap g with bit length b and t leading one bits grows by one bit when
    /// b ≤ k or b − t = k + 1, and shrinks by one bit otherwise. One pass counts, for each k, the
    /// gaps that grow (a byte per k in two words); below the lowest k where any gap grows every step
    /// shrinks, from the longest b on every step grows, so only the ks between are scanned.
    @inline(__always)
    static func gapOrderOfMany(_ values: UnsafeMutablePointer<UInt64>, count n: Int, shift: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var low: UInt64 = 0, high: UInt64 = 0   // byte k: gaps that grow from k to k + 1 (k < 8; k − 8)
        var longest = 0
        // Wrapping arithmetic, masking shifts (b ≤ 41) and all-ones masks instead of branches: which
        // lanes a gap adds to depends on the data, and a branch on it mispredicts.
        @inline(__always) func below(_ x: Int, _ limit: Int) -> UInt64 {   // all ones when x < limit
            UInt64(bitPattern: Int64(truncatingIfNeeded: (x &- limit) >> 63))
        }
        for i in 1..<n {
            let g = (values[i] &>> shift) &- (values[i &- 1] &>> shift)
            let b = 64 &- g.leadingZeroBitCount
            longest = b > longest ? b : longest
            // every k ≥ b
            let b8 = below(b, 8), b16 = below(b, 16)
            low &+= (ones &<< UInt64(truncatingIfNeeded: 8 &* b)) & b8
            high &+= (ones & b8) | ((ones &<< UInt64(truncatingIfNeeded: 8 &* (b &- 8))) & b16 & ~b8)
            // k = b − t − 1 (−1 when g is 0 or all ones)
            let k = b &- (~(g &<< UInt64(truncatingIfNeeded: 64 &- b))).leadingZeroBitCount &- 1
            let atLeast0 = ~below(k, 0), atLeast8 = ~below(k, 8)
            low &+= (1 &<< UInt64(truncatingIfNeeded: 8 &* k)) & atLeast0 & ~atLeast8
            high &+= (1 &<< UInt64(truncatingIfNeeded: 8 &* (k &- 8))) & atLeast8 & below(k, 15)
        }
        let first = low != 0 ? low.trailingZeroBitCount >> 3 : 8 &+ (high.trailingZeroBitCount >> 3)
        var best = first < 15 ? first : 15, change = 0, bestChange = 0
        let gaps = n &- 1, last = longest < 15 ? longest : 15
        var k = best
        while k < last {
            let grows = Int(truncatingIfNeeded: ((k < 8 ? low : high) &>> UInt64(truncatingIfNeeded: 8 &* (k & 7))) & 0xFF)
            change &+= 2 &* grows &- gaps                 // bits(k + 1) − bits(k)
            if change < bestChange { bestChange = change; best = k &+ 1 }
            k &+= 1
        }
        return best
    }

    // MARK: - Decode and skip

    /// Reads one head's top sinks into `sinks` (replacing its contents, reusing its storage),
    /// highest score first, ties by lower position.
    static func decodeTopSinks(_ r: inout ByteReader, into sinks: inout [SinkScore]) throws {
        sinks.removeAll(keepingCapacity: true)
        let n = try walkTopSinks(&r, position: { _, p in
            sinks.append(SinkScore(position: p, score: 0))
        }, score: { i, code in
            sinks[i].score = Quantize.fromLog8(code)
        })
        if n < 2 { return }
        sinks.withUnsafeMutableBufferPointer { b in   // stable insertion into score order (n ≤ 64)
            for i in 1..<n {
                let s = b[i]
                var j = i
                while j > 0 && sinkOrder(s, b[j - 1]) { b[j] = b[j - 1]; j -= 1 }
                b[j] = s
            }
        }
    }

    /// Steps over one head's top sinks, checking them as `decodeTopSinks` does (same errors), and
    /// returns how many there are. The only way the rest of the code skips top sinks.
    @discardableResult
    static func skipTopSinks(_ r: inout ByteReader) throws -> Int {
        if let (end, n) = fastTopSinksEnd(r) { r.position = end; return n }   // Codec+TopSinksSkip.swift
        return try walkTopSinks(&r, position: { _, _ in }, score: { _, _ in })
    }

    /// The checked walk alone (the reference the fast skip is tested against).
    static func skipTopSinksChecked(_ r: inout ByteReader) throws -> Int {
        try walkTopSinks(&r, position: { _, _ in }, score: { _, _ in })
    }

    /// The bitstream's one reader: hands each position (ascending) and then each score code (in
    /// position order) to the closures, leaves `r` after the stream's last byte, returns n.
    @inline(__always)
    private static func walkTopSinks(_ r: inout ByteReader, position: (Int, Int) -> Void,
                                     score: (Int, UInt8) -> Void) throws -> Int {
        var bits = BitReader(r)
        let start = r.position
        var fieldStart = 0   // bit where the field being read starts: errors name its byte
        func fail(_ p: TraceError.Problem) -> TraceError {
            var at = r
            at.position = min(start + (fieldStart >> 3), r.count)
            return at.error(p)
        }
        func expGolomb(_ k: Int, _ what: String) throws -> UInt64 {
            fieldStart = bits.bitsRead
            switch bits.readExpGolomb(k: k) {
            case .success(let v): return v
            case .failure(.overrun): throw fail(.invalidValue(field: "top sinks", value: "bitstream runs past the end of the record (reading the \(what))"))
            case .failure(.tooLong): throw fail(.lengthOverflow(field: "top sink " + what))
            }
        }
        func field(_ width: Int, _ what: String) throws -> UInt64 {
            fieldStart = bits.bitsRead
            guard let v = bits.read(width) else {
                throw fail(.invalidValue(field: "top sinks", value: "bitstream runs past the end of the record (reading the \(what))"))
            }
            return v
        }
        let count = try expGolomb(3, "count")
        if count > UInt64(Format.maxTopSinks) {
            throw fail(.lengthExceedsCap(field: "top sink count", value: count, cap: Format.maxTopSinks))
        }
        let n = Int(count)
        if n > 0 {
            var p = try expGolomb(0, "first position")
            if p > UInt64(Format.maxPosition) {
                throw fail(.lengthExceedsCap(field: "sink position", value: p, cap: Format.maxPosition))
            }
            position(0, Int(p))
            if n >= 2 {
                let k = Int(try field(4, "gap order"))
                for i in 1..<n {
                    let gap = try expGolomb(k, "position gap")
                    guard gap <= UInt64(Format.maxPosition) - p else {
                        throw fail(.lengthExceedsCap(field: "sink position", value: p + gap, cap: Format.maxPosition))
                    }
                    p += gap
                    position(i, Int(p))
                }
            }
            let top = try field(8, "top score")
            if n == 1 {
                score(0, UInt8(top))
            } else {
                let width = Int(try field(4, "score width"))
                if width > 8 { throw fail(.invalidValue(field: "top sink score width", value: "\(width) bits (at most 8)")) }
                for i in 0..<n {
                    let d = try field(width, "scores")
                    if d > top { throw fail(.invalidValue(field: "top sink score", value: "top code \(top) − \(d)")) }
                    score(i, UInt8(top - d))
                }
            }
        }
        fieldStart = bits.bitsRead
        let padding = bits.paddingBits()
        if padding != 0 {
            throw fail(.invalidValue(field: "top sink padding bits", value: "\(padding) (must be 0)"))
        }
        r.position = start + bits.bytesUsed
        return n
    }

    /// The order a reader hands top sinks back in: highest score first, ties by lower position.
    @inline(__always) static func sinkOrder(_ a: SinkScore, _ b: SinkScore) -> Bool {
        a.score > b.score || (a.score == b.score && a.position < b.position)
    }
}
