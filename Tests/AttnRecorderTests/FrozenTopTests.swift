import XCTest
import AttnTraceTestSupport
@testable import AttnRecorder
import AttnRuntime
import AttnTestSupport

/// FrozenTop against a brute-force model: the set of frozen positions with their α. Whatever
/// sequence of positions leaving (offer) and becoming visible again (remove), a merged top-k
/// that the list vouches for must be the top k of the frozen positions and the live ones.
final class FrozenTopTests: XCTestCase {
    typealias Entry = FrozenTop.Entry

    func bruteTop(_ all: [Entry], k: Int) -> [Entry] {
        Array(all.sorted { FrozenTop.ranks($0, above: $1) }.prefix(k))
    }

    func testMergedTopIsTheTopOfFrozenAndLive() {
        var vouched = 0, refused = 0
        for seed: UInt64 in 0..<200 {
            var rng = SeededGenerator(seed: seed)
            var top = FrozenTop()
            var frozen: [Int: Float] = [:]
            // start valid and empty: nothing has left yet (a rebuild from an empty archive)
            top.rebuild(from: ReceivedAttention(capacity: 0))
            for op in 0..<400 {
                let p = Int.random(in: 0..<120, using: &rng)
                if frozen[p] == nil, Int.random(in: 0..<3, using: &rng) > 0 {
                    // few distinct scores, so that ties are ranked by position
                    let a = Float(Int.random(in: 0..<40, using: &rng)) / 40
                    frozen[p] = a
                    top.offer(p, score: a)
                } else if frozen[p] != nil {
                    frozen[p] = nil
                    top.remove(p)
                }
                let live: [Entry] = (0..<Int.random(in: 0...10, using: &rng)).compactMap { _ in
                    let q = 1000 + Int.random(in: 0..<50, using: &rng)
                    return (q, Float(Int.random(in: 0..<40, using: &rng)) / 40)
                }
                var seenLive = Set<Int>()
                let liveUnique = live.filter { seenLive.insert($0.position).inserted }
                let k = Int.random(in: 1...8, using: &rng)
                let liveTop = bruteTop(liveUnique, k: k)
                let expect = bruteTop(frozen.map { ($0.key, $0.value) } + liveUnique, k: k)
                if let got = merged(top, liveTop, k: k) {
                    vouched += 1
                    XCTAssertEqual(got.map(\.position), expect.map(\.position), "seed \(seed) op \(op)")
                    XCTAssertEqual(got.map(\.score), expect.map(\.score), "seed \(seed) op \(op)")
                } else {
                    refused += 1
                }
            }
        }
        // both outcomes occur, so both the list and its refusals were tested
        XCTAssertGreaterThan(vouched, 1000)
        XCTAssertGreaterThan(refused, 100)
    }

    /// Hand-made: 17 positions leave (the worst becomes the cutoff), one more leaves between the
    /// last entry and the cutoff (it becomes the cutoff), then 10 entries become visible again:
    /// the 6 entries left cannot vouch for a top 8, and do for a top 6.
    func testCutoffFollowsTheBestPositionLeftOut() {
        var top = FrozenTop()
        top.rebuild(from: ReceivedAttention(capacity: 0))
        for p in 0..<17 { top.offer(p, score: Float(100 - p)) }   // 100 … 84
        XCTAssertEqual(top.entries.count, 16)
        XCTAssertEqual(top.cutoff?.position, 16)
        top.offer(50, score: 84.5)   // below entry 15 (85), above the cutoff (84)
        XCTAssertEqual(top.cutoff?.position, 50)
        for p in 0..<10 { top.remove(p) }
        XCTAssertNil(merged(top, [(200, 1)], k: 8))
        XCTAssertEqual(merged(top, [(200, 1)], k: 6)?.map(\.position), [10, 11, 12, 13, 14, 15])
        XCTAssertEqual(merged(top, [(200, 95)], k: 7)?.map(\.position), [200, 10, 11, 12, 13, 14, 15])
    }

    /// FrozenTop.merge as an optional list.
    func merged(_ top: FrozenTop, _ live: [FrozenTop.Entry], k: Int) -> [FrozenTop.Entry]? {
        var out: [FrozenTop.Entry] = []
        return top.merge(with: live, k: k, into: &out) ? out : nil
    }
}
