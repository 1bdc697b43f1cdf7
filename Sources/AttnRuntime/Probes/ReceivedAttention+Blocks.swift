// `top` for an archive most of which did not change since the last refresh: a sink plus a
// window, selected pages (few runs that move), where every step writes a few hundred of 4,096
// positions. Each block of 16 positions keeps its largest α and the sum of its count steps from
// when it was last scanned; a block that nothing wrote to since (its dirty bit clear) is skipped
// when its largest α is below the list's last score, without reading its positions. Every write
// marks the blocks it touches, a run of positions all blocks from its first position to its
// end step (the counts inside a run change too). Same result as `top` (HeadTrackerTests).

extension ReceivedAttention {
    static let blockShift = 4

    /// Marks the blocks holding positions lo … hi (inclusive; hi may be a run's end step).
    @inline(__always)
    mutating func markDirty(_ lo: Int, through hi: Int) {
        let last = dirty.count &* 64 &- 1
        let b0 = max(0, lo) >> Self.blockShift, b1 = min(hi >> Self.blockShift, last)
        guard b0 <= b1 else { return }
        dirty.withUnsafeMutableBufferPointer { d in
            for w in (b0 >> 6) ... (b1 >> 6) {
                let from = w == b0 >> 6 ? b0 & 63 : 0, to = w == b1 >> 6 ? b1 & 63 : 63
                let bits: UInt64 = to - from == 63 ? ~0 : ((1 << UInt64(to - from + 1)) - 1) << UInt64(from)
                d[w] |= bits
            }
        }
    }

    mutating func markAllDirty() {
        dirty.withUnsafeMutableBufferPointer { $0.update(repeating: ~0) }
    }

    /// The `k` positions with the highest α, highest first (ties: earlier position first), as
    /// `top(k)`, skipping blocks that did not change and cannot beat the list. A block that is
    /// scanned gets its α 8 positions at a time (the same division as `top`'s) and its largest
    /// kept; dense rows change every block, and then this is a scan of every position as `top`.
    public mutating func topByBlocks(_ k: Int) -> [(position: Int, score: Float)] {
        var best: [(position: Int, score: Float)] = []
        guard k > 0, limit > 0 else { return best }
        best.reserveCapacity(k + 1)
        let limit = self.limit, blocks = (limit + 15) >> Self.blockShift
        sums.withUnsafeBufferPointer { s in
          countSteps.withUnsafeBufferPointer { c in
            countBase.withUnsafeBufferPointer { base in
              blockMax.withUnsafeMutableBufferPointer { bmax in
                blockSteps.withUnsafeMutableBufferPointer { bsteps in
                  dirty.withUnsafeMutableBufferPointer { d in
                    let sRaw = UnsafeRawPointer(s.baseAddress!), cRaw = UnsafeRawPointer(c.baseAddress!)
                    let bRaw = UnsafeRawPointer(base.baseAddress!)
                    let ones = SIMD8<Float>(repeating: 1)
                    var running: Int32 = 0
                    for b in 0 ..< blocks {
                        let isDirty = d[b >> 6] & (1 << UInt64(b & 63)) != 0
                        if !isDirty && (bmax[b] == -.infinity || best.count == k && bmax[b] < best[k - 1].score) {
                            running &+= bsteps[b]
                            continue
                        }
                        let before = running
                        var m = SIMD8<Float>(repeating: -.infinity)
                        for p in stride(from: b << Self.blockShift, to: (b + 1) << Self.blockShift, by: 8) {
                            // (the arrays hold whole blocks: capacity + 8 rounded up to 16 ≥ p + 8)
                            let steps = cRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self)
                            var cs = steps &+ SIMD8(0, steps[0], steps[1], steps[2], steps[3], steps[4], steps[5], steps[6])
                            cs &+= SIMD8(0, 0, cs[0], cs[1], cs[2], cs[3], cs[4], cs[5])
                            cs &+= SIMD8(0, 0, 0, 0, cs[0], cs[1], cs[2], cs[3])
                            cs &+= SIMD8(repeating: running)
                            running = cs[7]
                            guard p < limit else { continue }
                            let counts = cs &+ bRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self)
                            let cv = unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: counts) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
                            // lanes with count 0 (never seen) and past the limit take no part
                            var seen = cv .> ones * 0.5
                            if p + 8 > limit { for lane in (limit - p) ..< 8 { seen[lane] = false } }
                            let a = (sRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Float>.self) / cv)
                                .replacing(with: -.infinity, where: .!seen)
                            m = pointwiseMax(m, a)
                            if best.count == k && !any(a .> ones * best[k - 1].score) { continue }
                            for lane in 0 ..< 8 where seen[lane] {
                                let score = a[lane]
                                if best.count == k, let last = best.last, score <= last.score { continue }
                                var i = best.count
                                while i > 0 && best[i - 1].score < score { i -= 1 }
                                best.insert((p + lane, score), at: i)
                                if best.count > k { best.removeLast() }
                            }
                        }
                        bmax[b] = m.max(); bsteps[b] = running &- before
                        d[b >> 6] &= ~(1 << UInt64(b & 63))
                    }
                  }
                }
              }
            }
          }
        }
        return best
    }
}
