// TCA-Attention's selection rule (arXiv 2512.09238) as pure functions, shared by the `tca`
// policy and `attnscope calibrate`. The paper's formulas are only partly confirmed
// (METHODS.md §1); this is this project's reading, documented in docs/policies.md:
//
// - Scores s come from ONE query (the last one): s = softmax(q_L Kᵀ/√d). Under GQA they are the
//   SUM of the group's query heads' rows (the cache is evicted per KV head).
// - Entries older than the local window are cut into blocks of b. Block j's score is
//   h_j = (1−α)·Σ_{i∈B_j} s_i + α·(1 − Σ s_i² / (Σ s_i)²)   (mass + one minus Herfindahl).
// - A budget configuration p is a distribution over the retain counts 𝒦 = {1, 2, 4, …, b}.
//   Ψ hands the counts out over the blocks ranked by h_j, LARGEST counts to the HIGHEST-ranked
//   blocks (the mapping direction is UNCONFIRMED), with round(p_k · #blocks) blocks per count.
// - Each block keeps its top-t entries by s; the local window is always kept.

public enum TCASelection {
    /// 𝒦 = {1, 2, 4, …, b} for a power-of-two block size b.
    public static func retainCounts(block b: Int) -> [Int] {
        var k = [1]
        while k.last! * 2 <= b { k.append(k.last! * 2) }
        return k
    }

    /// The log-Gaussian candidates: p_k ∝ exp(−(log₂k − μ)² / (2σ²)) for μ over 0 … log₂b in
    /// 7 steps and σ ∈ {0.5, 1}: M = 14 configurations, each a distribution over 𝒦.
    public static func candidates(block b: Int) -> [[Float]] {
        let levels = retainCounts(block: b).map { log2(Float($0)) }
        let top = levels.last!
        var out: [[Float]] = []
        for sigma: Float in [0.5, 1] {
            for step in 0..<7 {
                let mu = top * Float(step) / 6
                let w = levels.map { expf(-($0 - mu) * ($0 - mu) / (2 * sigma * sigma)) }
                let total = w.reduce(0, +)
                out.append(w.map { $0 / total })
            }
        }
        return out
    }

    /// Expected entries kept per block: Σ_k k · p_k.
    public static func expectedKeep(_ p: [Float], block b: Int) -> Float {
        zip(retainCounts(block: b), p).reduce(0) { $0 + Float($1.0) * $1.1 }
    }

    /// h_j for one block of scores.
    public static func blockScore(_ s: ArraySlice<Float>, alpha: Float) -> Float {
        let mass = s.reduce(0, +)
        guard mass > 0 else { return 0 }
        let hhi = s.reduce(0) { $0 + $1 * $1 } / (mass * mass)
        return (1 - alpha) * mass + alpha * (1 - hhi)
    }

    /// Ψ: budgets for `blocks` blocks ranked best first, from distribution p over 𝒦 (largest
    /// remainder rounding so that exactly `blocks` budgets come out), largest counts first.
    public static func rankedBudgets(_ p: [Float], blocks: Int, block b: Int) -> [Int] {
        let counts = retainCounts(block: b)
        let raw = p.map { $0 * Float(blocks) }
        var n = raw.map { Int($0) }
        var left = blocks - n.reduce(0, +)
        let order = raw.indices.sorted { (raw[$0] - Float(n[$0])) > (raw[$1] - Float(n[$1])) }
        for i in order where left > 0 { n[i] += 1; left -= 1 }
        var budgets: [Int] = []
        for level in counts.indices.reversed() { budgets += repeatElement(counts[level], count: n[level]) }
        return budgets
    }

    /// The indices (into s) kept: the top-t entries of each block of the prefix 0 ..< s.count − window
    /// (t from Ψ over blocks ranked by h_j) plus the last `window` entries; ascending.
    public static func select(scores s: [Float], budgets p: [Float], block b: Int, window w: Int, alpha: Float) -> [Int] {
        let prefix = max(0, s.count - w)
        let blockCount = (prefix + b - 1) / b
        var keep = Array(prefix ..< s.count)
        guard blockCount > 0 else { return keep }
        let ranges = (0..<blockCount).map { j in j * b ..< min(prefix, (j + 1) * b) }
        let h = ranges.map { blockScore(s[$0], alpha: alpha) }
        let ranked = ranges.indices.sorted { h[$0] != h[$1] ? h[$0] > h[$1] : $0 < $1 }
        let budgets = rankedBudgets(p, blocks: blockCount, block: b)
        for (rank, j) in ranked.enumerated() {
            keep += topIndices(s, in: ranges[j], k: budgets[rank])
        }
        return keep.sorted()
    }
}

import Foundation
