import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// The top-sink bitstream of a metrics head entry (docs/trace-format.md §4.3, Codec+TopSinks.swift):
/// the fast encoder against a plain one, round trips over seeded random sinks, and one test per
/// way the bitstream can be wrong (decode and skip must agree on each).
final class TopSinksTests: XCTestCase {
    // MARK: - Round trips

    func testEncoderMatchesTheReferenceAndRoundTrips() throws {
        for seed in 0..<3000 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let sinks = Self.randomSinks(&g)
            let bytes = try Self.encode(sinks)
            XCTAssertEqual(bytes, TopSinksReference.encode(sinks), "seed \(seed): \(sinks)")
            let (got, used) = try Self.decode(bytes + [0xAB])   // a following byte is left alone
            XCTAssertEqual(used, bytes.count, "seed \(seed)")
            XCTAssertEqual(got, Self.stored(sinks), "seed \(seed): \(sinks)")
            XCTAssertEqual(try Self.skip(bytes + [0xAB]), bytes.count, "seed \(seed)")
        }
    }

    /// The fast skip (raw word loads) must accept exactly what the checked walk accepts and end
    /// at the same byte; on damaged streams it may only give up (nil), never disagree.
    func testFastSkipAgreesWithTheCheckedWalk() throws {
        var accepted = 0
        for seed in 0..<3000 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            var bytes = try Self.encode(Self.randomSinks(&g))
            let damage = seed % 3 == 0
            if damage && !bytes.isEmpty {   // flip one random bit
                let i = Int(g.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(1 << (g.next() % 8))
            }
            bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: g.next()), count: Int(g.next() % 40))   // what follows in the record (the fast path needs 8 bytes past each load)
            try bytes.withUnsafeBytes { raw in
                let r = ByteReader(raw, fileOffset: 0, path: "test", what: "metrics")
                var checked = r
                let walked = try? Codec.skipTopSinksChecked(&checked)
                if let fast = Codec.fastTopSinksEnd(r) {
                    accepted += 1
                    XCTAssertEqual(walked, fast.count, "seed \(seed): fast skip accepted what the walk refuses")
                    XCTAssertEqual(checked.position, fast.end, "seed \(seed)")
                }
                var both = r
                let viaSkip = try? Codec.skipTopSinks(&both)
                XCTAssertEqual(viaSkip, walked, "seed \(seed)")
                if walked != nil { XCTAssertEqual(both.position, checked.position, "seed \(seed)") }
            }
        }
        XCTAssertGreaterThan(accepted, 1000, "the fast path should take most valid streams")
    }

    func testEdgeCases() throws {
        // No sinks: EG_3(0) = 1 then 000.
        XCTAssertEqual(try Self.encode([]), [0x01])
        XCTAssertEqual(try Self.decode([0x01]).sinks, [])
        // One sink at position 0 with score 1: EG_3(1) = 1 100, EG_0(0) = 1, top = 255 (8 bits); 13 bits.
        XCTAssertEqual(try Self.encode([SinkScore(position: 0, score: 1)]), [0xF3, 0x1F])
        // The largest position, alone and after position 0; a duplicate position; equal scores.
        let max = Format.maxPosition
        for sinks in [[SinkScore(position: max, score: 0.5)],
                      [SinkScore(position: 0, score: 0.9), SinkScore(position: max, score: 0.9)],
                      [SinkScore(position: 7, score: 0.25), SinkScore(position: 7, score: 0.5), SinkScore(position: 3, score: 0.25)],
                      [SinkScore(position: 5, score: 0), SinkScore(position: 1, score: 0), SinkScore(position: 9, score: 0)],
                      [SinkScore(position: 10, score: .nan), SinkScore(position: 11, score: 7)]] {
            let bytes = try Self.encode(sinks)
            XCTAssertEqual(bytes, TopSinksReference.encode(sinks), "\(sinks)")
            XCTAssertEqual(try Self.decode(bytes).sinks, Self.stored(sinks), "\(sinks)")
        }
        // Equal scores read back by position; the stored order (by position) does not matter.
        let tied = [SinkScore(position: 30, score: 0.5), SinkScore(position: 2, score: 0.5), SinkScore(position: 9, score: 0.5)]
        XCTAssertEqual(try Self.decode(try Self.encode(tied)).sinks.map(\.position), [2, 9, 30])
        // 64 sinks fit, 65 do not; positions outside 0…maxPosition are refused.
        let many = (0..<64).map { SinkScore(position: $0 * 1000, score: Float($0) / 64) }
        XCTAssertEqual(try Self.decode(try Self.encode(many)).sinks, Self.stored(many))
        XCTAssertThrowsError(try Self.encode(many + [SinkScore(position: 1, score: 0)]))
        XCTAssertThrowsError(try Self.encode([SinkScore(position: -1, score: 0)]))
        XCTAssertThrowsError(try Self.encode([SinkScore(position: max + 1, score: 0)]))
    }

    func testGapOrderIsTheShortest() {
        for seed in 0..<2000 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let n = 2 + Int(g.next() % 20)
            let scale = UInt64(1) << (g.next() % 42)
            var p: UInt64 = 0
            var positions: [UInt64] = []
            for _ in 0..<n {
                p += g.next() % 4 == 0 ? g.next() % 4 : g.next() % scale
                positions.append(min(p, UInt64(Format.maxPosition)))
            }
            let fast = positions.withUnsafeMutableBufferPointer { Codec.gapOrder($0.baseAddress!, count: n) }
            XCTAssertEqual(fast, TopSinksReference.gapOrder(positions), "seed \(seed): \(positions)")
        }
    }

    /// The encoder's key sort: the sorting networks (n ≤ 8) on every 0/1 input (the 0-1 principle:
    /// a comparator network that sorts all of them sorts any input), the insertion sort on seeded keys.
    func testKeySortSortsEveryInput() {
        for n in 1...8 {
            for pattern in 0..<(1 << n) {
                let input = (0..<n).map { UInt64(pattern >> $0 & 1) }
                var keys = input + [UInt64](repeating: 7, count: Codec.topSinksScratchWords - n)
                keys.withUnsafeMutableBufferPointer { Codec.sortTopSinkKeys($0.baseAddress!, count: n) }
                XCTAssertEqual(Array(keys[0..<n]), input.sorted(), "n \(n), pattern \(pattern)")
            }
        }
        for seed in 0..<200 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let n = 1 + Int(g.next() % 64)
            let input = (0..<n).map { _ in g.next() % 4 == 0 ? g.next() % 8 : g.next() }
            var keys = input + [UInt64](repeating: 0, count: Codec.topSinksScratchWords - n)
            keys.withUnsafeMutableBufferPointer { Codec.sortTopSinkKeys($0.baseAddress!, count: n) }
            XCTAssertEqual(Array(keys[0..<n]), input.sorted(), "seed \(seed)")
        }
    }

    /// The documented example (docs/trace-format.md §4.3), bit by bit.
    func testDocumentedExample() throws {
        let sinks = [SinkScore(position: 0, score: 0.9), SinkScore(position: 300, score: 0.5),
                     SinkScore(position: 2, score: 0.5), SinkScore(position: 301, score: 0.1)]
        XCTAssertEqual(try Self.encode(sinks), [0x59, 0x0A, 0x74, 0x59, 0xBF, 0x01, 0x8A, 0x62, 0x02])
    }

    // MARK: - Errors: decode and skip throw the same problem, at the byte it is found in

    func testTruncatedBitstreamIsAnOverrun() throws {
        var g = SeededGenerator(seed: 99)
        for _ in 0..<50 {
            let sinks = Self.randomSinks(&g)
            let bytes = try Self.encode(sinks)
            for cut in 0..<bytes.count {
                assertBoth(Array(bytes.prefix(cut)), "cut at \(cut) of \(bytes.count): \(sinks)") {
                    if case .invalidValue(let field, let value) = $0 { return field == "top sinks" && value.contains("runs past") }
                    return false
                }
            }
        }
    }

    func testCountOverTheCap() {
        var b = Bits(); b.expGolomb(65, k: 3)
        assertBoth(b.bytes) { $0 == .lengthExceedsCap(field: "top sink count", value: 65, cap: 64) }
    }

    func testZeroPrefixLongerThanAnyValue() {
        assertBoth([UInt8](repeating: 0, count: 12)) { $0 == .lengthOverflow(field: "top sink count") }
        var b = Bits(); b.expGolomb(2, k: 3); b.expGolomb(0, k: 0); b.field(15, 4)
        b.bits += [Bool](repeating: false, count: 30); b.bits.append(true); b.bits += [Bool](repeating: false, count: 50)
        assertBoth(b.bytes) { $0 == .lengthOverflow(field: "top sink position gap") }
    }

    func testPositionOverTheCap() {
        let max = UInt64(Format.maxPosition)
        var b = Bits(); b.expGolomb(1, k: 3); b.expGolomb(max + 1, k: 0); b.field(200, 8)
        assertBoth(b.bytes) { $0 == .lengthExceedsCap(field: "sink position", value: max + 1, cap: Format.maxPosition) }
        var c = Bits(); c.expGolomb(2, k: 3); c.expGolomb(max, k: 0); c.field(0, 4); c.expGolomb(1, k: 0)
        c.field(200, 8); c.field(0, 4)
        assertBoth(c.bytes) { $0 == .lengthExceedsCap(field: "sink position", value: max + 1, cap: Format.maxPosition) }
    }

    func testScoreWidthOutOfRange() {
        var b = Bits(); b.expGolomb(2, k: 3); b.expGolomb(0, k: 0); b.field(0, 4); b.expGolomb(1, k: 0)
        b.field(200, 8); b.field(9, 4); b.field(0, 18)
        assertBoth(b.bytes) { $0 == .invalidValue(field: "top sink score width", value: "9 bits (at most 8)") }
    }

    func testScoreBelowZero() {
        var b = Bits(); b.expGolomb(2, k: 3); b.expGolomb(0, k: 0); b.field(0, 4); b.expGolomb(1, k: 0)
        b.field(3, 8); b.field(3, 4); b.field(0, 3); b.field(4, 3)
        assertBoth(b.bytes) { $0 == .invalidValue(field: "top sink score", value: "top code 3 − 4") }
    }

    func testPaddingMustBeZero() throws {
        var bytes = try Self.encode([SinkScore(position: 0, score: 1)])   // 13 bits: 3 padding bits
        bytes[1] |= 0x80
        assertBoth(bytes) { $0 == .invalidValue(field: "top sink padding bits", value: "4 (must be 0)") }
    }

    func testErrorsNameTheByte() throws {
        var b = Bits(); b.expGolomb(2, k: 3); b.expGolomb(0, k: 0); b.field(0, 4); b.expGolomb(1, k: 0)
        b.field(200, 8); b.field(9, 4)
        let e = assertTraceError(try Self.decode(b.bytes, fileOffset: 1000)) { _ in true }
        XCTAssertEqual(e?.offset, 1000 + 20 / 8)   // the width field starts at bit 20 (4 + 1 + 4 + 3 + 8)
    }

    // MARK: - Helpers

    func assertBoth(_ bytes: [UInt8], _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
                    _ match: (TraceError.Problem) -> Bool) {
        let a = assertTraceError(try Self.decode(bytes), message, file: file, line: line, match)
        let b = assertTraceError(try Self.skip(bytes), message, file: file, line: line, match)
        XCTAssertEqual(a, b, "decode and skip disagree. \(message)", file: file, line: line)
    }

    static func encode(_ sinks: [SinkScore]) throws -> [UInt8] {
        var w = ByteWriter()
        try sinks.withUnsafeBufferPointer { try Codec.encodeTopSinks($0, into: &w) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], fileOffset: Int = 0) throws -> (sinks: [SinkScore], used: Int) {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, fileOffset: fileOffset, path: "test", what: "metrics record")
            var sinks: [SinkScore] = [SinkScore(position: 1, score: 1)]   // replaced
            try Codec.decodeTopSinks(&r, into: &sinks)
            return (sinks, r.position)
        }
    }

    static func skip(_ bytes: [UInt8]) throws -> Int {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, fileOffset: 0, path: "test", what: "metrics record")
            try Codec.skipTopSinks(&r)
            return r.position
        }
    }

    /// What a reader hands back for `sinks`: log8 scores, highest first, ties by lower position.
    static func stored(_ sinks: [SinkScore]) -> [SinkScore] {
        sinks.map { SinkScore(position: $0.position, score: Quantize.roundLog($0.score)) }
            .enumerated().sorted { a, b in
                Codec.sinkOrder(a.element, b.element)
                    || (!Codec.sinkOrder(b.element, a.element) && a.offset < b.offset)   // stable
            }.map(\.element)
    }

    /// 0…64 sinks (mostly ≤ 8) placed in one of several ways; scores with ties, zeros, NaN.
    static func randomSinks(_ g: inout SeededGenerator) -> [SinkScore] {
        let n = g.next() % 8 == 0 ? Int(g.next() % 65) : Int(g.next() % 9)
        let placement = g.next() % 6
        let end = 1 + Int(g.next() % 8192)
        return (0..<n).map { i in
            let p: Int
            switch placement {
            case 0: p = Int(g.next() % UInt64(end))                                      // uniform
            case 1: p = i == 0 ? 0 : (g.next() % 3 == 0 ? Int(g.next() % 64) : max(0, end - 1 - Int(g.next() % 64)))
            case 2: p = Int(g.next() % 4)                                                // duplicates likely
            case 3: p = Int(g.next() % UInt64(Format.maxPosition + 1))                   // anywhere
            case 4: p = g.next() % 2 == 0 ? 0 : Format.maxPosition
            default: p = i * (1 + Int(g.next() % 3))                                     // already ascending
            }
            let s: Float
            switch g.next() % 8 {
            case 0: s = 0
            case 1: s = 0.5
            case 2: s = .nan
            default: s = Float(g.next() % 100_000) / 100_000
            }
            return SinkScore(position: p, score: s)
        }
    }
}

/// Bits written LSB first, as the format packs them; for crafting streams by hand.
struct Bits {
    var bits: [Bool] = []
    mutating func field(_ v: UInt64, _ width: Int) { for i in 0..<width { bits.append(v >> UInt64(i) & 1 == 1) } }
    mutating func expGolomb(_ v: UInt64, k: Int) {
        let x = v + (UInt64(1) << UInt64(k))
        let b = 64 - x.leadingZeroBitCount
        bits += [Bool](repeating: false, count: b - 1 - k)
        bits.append(true)
        field(x, b - 1)
    }
    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            var byte: UInt8 = 0
            for i in start..<min(start + 8, bits.count) where bits[i] { byte |= 1 << UInt8(i - start) }
            return byte
        }
    }
}

/// The plain encoder: stable sort by position, every order k tried, a list of bits.
enum TopSinksReference {
    static func gapOrder(_ positions: [UInt64]) -> Int {
        var best = 0, bestBits = Int.max
        for k in 0..<16 {
            var b = Bits()
            for i in 1..<positions.count { b.expGolomb(positions[i] - positions[i - 1], k: k) }
            if b.bits.count < bestBits { bestBits = b.bits.count; best = k }
        }
        return best
    }

    static func encode(_ sinks: [SinkScore]) -> [UInt8] {
        let sorted = sinks.enumerated().sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }.map(\.element)
        var b = Bits()
        b.expGolomb(UInt64(sinks.count), k: 3)
        guard let first = sorted.first else { return b.bytes }
        let positions = sorted.map { UInt64($0.position) }
        let codes = sorted.map { UInt64(Quantize.log8Reference($0.score)) }
        b.expGolomb(UInt64(first.position), k: 0)
        if sinks.count >= 2 {
            let k = gapOrder(positions)
            b.field(UInt64(k), 4)
            for i in 1..<positions.count { b.expGolomb(positions[i] - positions[i - 1], k: k) }
        }
        let top = codes.max()!
        b.field(top, 8)
        if sinks.count >= 2 {
            var width = 0
            while (top - codes.min()!) >> UInt64(width) != 0 { width += 1 }
            b.field(UInt64(width), 4)
            for c in codes { b.field(top - c, width) }
        }
        return b.bytes
    }
}
