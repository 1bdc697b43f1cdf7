import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// KVCache.remove against a naive reference (an array of entries) on seeded random appends and
/// removals, in a cache small enough that the base advances, wraps back to slot 0 on append, and
/// both removal directions (move the tail down / the head up) occur.
final class KVCacheTests: XCTestCase {
    struct Entry: Equatable { var position: Int32; var key: [Float]; var value: [Float] }

    func contents(_ cache: KVCache, layer: Int, kvHead g: Int) -> [Entry] {
        let d = cache.headDim
        return (0..<cache.count(layer: layer, kvHead: g)).map { i in
            Entry(position: cache.positions(layer: layer, kvHead: g)[i],
                  key: Array(UnsafeBufferPointer(start: cache.keys(layer: layer, kvHead: g) + i * d, count: d)),
                  value: Array(UnsafeBufferPointer(start: cache.values(layer: layer, kvHead: g) + i * d, count: d)))
        }
    }

    func testRandomRemovalsMatchTheNaiveReference() {
        for seed: UInt64 in 0..<40 {
            var rng = SeededGenerator(seed: seed)
            let d = 4, capacity = 48, g = 2
            let cache = KVCache(layers: 2, kvHeads: g, headDim: d, capacity: capacity)
            var reference = Array(repeating: Array(repeating: [Entry](), count: g), count: 2)
            var nextPosition: Int32 = 0
            var sawHeadMove = false, sawTailMove = false, sawWrap = false
            // each stream's edit count and positions after the previous op
            var seen = (0..<2).map { l in (0..<g).map { h in (cache.edits(layer: l, kvHead: h), [Int32]()) } }
            for op in 0..<300 {
                var removed: (Int, Int)?
                defer {
                    // an unchanged edit count means the positions only grew at the end (a probe
                    // relies on that); a removal changes the count of its stream only
                    for l in 0..<2 {
                        for h in 0..<g {
                            let e = cache.edits(layer: l, kvHead: h)
                            let now = Array(UnsafeBufferPointer(start: cache.positions(layer: l, kvHead: h), count: cache.count(layer: l, kvHead: h)))
                            if removed.map({ $0 == (l, h) }) ?? false {
                                XCTAssertNotEqual(e, seen[l][h].0, "seed \(seed) op \(op): a removal counts as an edit")
                            } else {
                                XCTAssertEqual(e, seen[l][h].0, "seed \(seed) op \(op): an append is not an edit")
                                XCTAssertEqual(Array(now.prefix(seen[l][h].1.count)), seen[l][h].1, "seed \(seed) op \(op)")
                            }
                            seen[l][h] = (e, now)
                        }
                    }
                }
                let layer = Int.random(in: 0..<2, using: &rng), kv = Int.random(in: 0..<g, using: &rng)
                let n = reference[layer][kv].count
                if n == 0 || (n < capacity && Bool.random(using: &rng)) {
                    // append 1 … 6 entries (the stride includes the other KV head's columns, as in a model)
                    let t = min(capacity - n, Int.random(in: 1...6, using: &rng))
                    let k = rng.floats(t * g * d), v = rng.floats(t * g * d)
                    let p = (0..<t).map { nextPosition + Int32($0) }
                    nextPosition += Int32(t)
                    let baseBefore = cache.base(layer: layer, kvHead: kv)
                    cache.append(layer: layer, kvHead: kv, keys: Array(k[(kv * d)...]), values: Array(v[(kv * d)...]),
                                 stride: g * d, positions: p, tokens: t)
                    if baseBefore > 0 && cache.base(layer: layer, kvHead: kv) == 0 { sawWrap = true }
                    for i in 0..<t {
                        let o = i * g * d + kv * d
                        reference[layer][kv].append(Entry(position: p[i], key: Array(k[o ..< o + d]), value: Array(v[o ..< o + d])))
                    }
                } else {
                    // remove a random subset: a few near one end (the common case) or anywhere
                    let m = Int.random(in: 1...min(n, 5), using: &rng)
                    var drop: [Int]
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: drop = Array(Array(0..<n).shuffled(using: &rng).prefix(m))
                    case 1: drop = Array(Array(0..<min(n, 8)).shuffled(using: &rng).prefix(m))
                    default: drop = Array(Array(max(0, n - 8)..<n).shuffled(using: &rng).prefix(m))
                    }
                    let baseBefore = cache.base(layer: layer, kvHead: kv)
                    cache.remove(layer: layer, kvHead: kv, indices: drop)
                    removed = (layer, kv)
                    if cache.base(layer: layer, kvHead: kv) > baseBefore { sawHeadMove = true } else { sawTailMove = true }
                    let gone = Set(drop)
                    reference[layer][kv] = reference[layer][kv].enumerated().filter { !gone.contains($0.offset) }.map(\.element)
                }
                XCTAssertNil(cache.invariantViolation(), "seed \(seed) op \(op)")
                for l in 0..<2 {
                    for h in 0..<g where contents(cache, layer: l, kvHead: h) != reference[l][h] {
                        XCTFail("seed \(seed) op \(op): layer \(l) KV head \(h) differs from the reference")
                        return
                    }
                }
            }
            XCTAssertTrue(sawHeadMove && sawTailMove && sawWrap,
                          "seed \(seed): head move \(sawHeadMove), tail move \(sawTailMove), wrap \(sawWrap)")
        }
    }

    /// StreamingLLM's pattern: removing the entry just behind the sinks moves the sinks up (the
    /// base advances) rather than the whole window down.
    func testRemovingBehindTheSinksMovesTheSinks() {
        let cache = KVCache(layers: 1, kvHeads: 1, headDim: 2, capacity: 32)
        let n = 20
        let k = (0..<(n * 2)).map(Float.init)
        cache.append(layer: 0, kvHead: 0, keys: k, values: k, stride: 2, positions: (0..<Int32(n)).map { $0 }, tokens: n)
        cache.remove(layer: 0, kvHead: 0, indices: [4])
        XCTAssertEqual(cache.base(layer: 0, kvHead: 0), 1)
        XCTAssertEqual(positions(cache), [0, 1, 2, 3] + Array(5..<20))
        XCTAssertEqual(cache.keys(layer: 0, kvHead: 0)[2 * 4], 10, "entry 4 is the old entry 5")
        cache.remove(layer: 0, kvHead: 0, indices: [17])   // near the end: the tail moves down
        XCTAssertEqual(cache.base(layer: 0, kvHead: 0), 1)
        XCTAssertEqual(positions(cache), [0, 1, 2, 3] + Array(5..<18) + [19])
        XCTAssertNil(cache.invariantViolation())
    }
}
