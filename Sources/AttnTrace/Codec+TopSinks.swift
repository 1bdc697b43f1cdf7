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
        w.reserve(maxTopSinksBytes(min(sinks.count, Format.maxTopSinks)) + 8)
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: topSinksScratchWords) { scratch in
            try putTopSinks(count: sinks.count, { sinks[$0] }, scratch: scratch.baseAddress!, into: &w)
        }
    }

    /// Words of scratch memory `putTopSinks` needs.
    static let topSinksScratchWords = 2 * Format.maxTopSinks

    /// The same for a caller that reserved `maxTopSinksBytes(Format.maxTopSinks) + 8` bytes (+ 8:
    /// BitWriter stores whole words) and hands over `topSinksScratchWords` words of scratch memory.
    /// `sink(i)` is the i-th sink: the metrics encoder reads them in place from its HeadMetrics
    /// (no retain of the array).
    @inline(__always)
    static func putTopSinks(count n: Int, _ sink: (Int) -> SinkScore, scratch: UnsafeMutablePointer<UInt64>,
                            into w: inout ByteWriter) throws {
        if n > Format.maxTopSinks { throw FrameProblem("\(n) top sinks, at most \(Format.maxTopSinks)") }
        var bits = BitWriter()
        bits.putExpGolomb(UInt64(n), k: 3, into: &w)
        if n == 0 { bits.finish(into: &w); return }
        // [0, n): positions ascending; [n, 2n): their log8 codes.
        let positions = scratch, codes = scratch + n
        var top: UInt64 = 0, low: UInt64 = 255
        var unsorted: UInt64 = 0, previous: UInt64 = 0
        for i in 0..<n {
            let s = sink(i)
            if s.position < 0 || s.position > Format.maxPosition {
                throw FrameProblem("sink position \(s.position) out of range")
            }
            let p = UInt64(s.position), c = UInt64(Quantize.log8(s.score))
            positions[i] = p; codes[i] = c
            unsorted |= p < previous ? 1 : 0   // not `&&`: a short circuit is a branch on the data
            previous = p
            top = max(top, c); low = min(low, c)
        }
        if unsorted != 0 {   // insertion by position (n ≤ 64); the recorder hands sinks over by score
            for i in 1..<n {
                let p = positions[i], c = codes[i]
                var j = i
                while j > 0 && positions[j - 1] > p { positions[j] = positions[j - 1]; codes[j] = codes[j - 1]; j -= 1 }
                positions[j] = p; codes[j] = c
            }
        }
        bits.putExpGolomb(positions[0], k: 0, into: &w)
        if n >= 2 {
            let k = gapOrder(positions, count: n)
            bits.put(UInt64(k), 4, into: &w)
            for i in 1..<n { bits.putExpGolomb(positions[i] &- positions[i - 1], k: k, into: &w) }
        }
        bits.put(top, 8, into: &w)
        if n >= 2 {
            let width = 64 - (top - low).leadingZeroBitCount
            bits.put(UInt64(width), 4, into: &w)
            if width > 0 { for i in 0..<n { bits.put(top &- codes[i], width, into: &w) } }
        }
        bits.finish(into: &w)
    }

    /// The order k in 0…15 for which EG_k of the gaps between `positions` (ascending, n ≥ 2) is
    /// shortest; the lowest such k on ties.
    ///
    /// From k to k + 1, EG of a gap g with bit length b and t leading one bits grows by one bit when
    /// b ≤ k or b − t = k + 1, and shrinks by one bit otherwise. One pass counts, for each k, the
    /// gaps that grow (a byte per k in two words); below the lowest k where any gap grows every step
    /// shrinks, from the longest b on every step grows, so only the ks between are scanned.
    @_transparent
    static func gapOrder(_ positions: UnsafeMutablePointer<UInt64>, count n: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var low: UInt64 = 0, high: UInt64 = 0   // byte k: gaps that grow from k to k + 1 (k < 8; k − 8)
        var longest = 0
        // Wrapping arithmetic, masking shifts (b ≤ 41) and all-ones masks instead of branches: which
        // lanes a gap adds to depends on the data, and a branch on it mispredicts.
        @inline(__always) func below(_ x: Int, _ limit: Int) -> UInt64 {   // all ones when x < limit
            UInt64(bitPattern: Int64(truncatingIfNeeded: (x &- limit) >> 63))
        }
        for i in 1..<n {
            let g = positions[i] &- positions[i &- 1]
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
