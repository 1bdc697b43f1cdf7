// The tests' seeded generator (every test target's): the one synthetic traces draw from, so that
// a randomised case and the trace it runs on replay exactly from their seeds.

import AttnTrace

public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// A float in [0, 1) from the top 24 bits.
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// `n` floats uniform in `range`.
    public mutating func floats(_ n: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &self) }
    }
}
