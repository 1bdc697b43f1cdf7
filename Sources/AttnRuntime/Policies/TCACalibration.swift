// TCA's offline calibration for one KV head (METHODS.md §1, this project's reading): try the M
// log-Gaussian budget candidates from cheapest to dearest, simulate the online selection on the
// calibration prompt, and keep the cheapest whose kept mass reaches τ. If none does, keep
// everything (p* = all blocks at count b).
//
// Kept mass of a selection S for one query head = the mean, over the observed query rows r (the
// last rows of the prompt), of Σ_{k∈S, k ≤ r} A_{r,k}: the share of those queries' dense
// attention that the kept entries cover. The KV head's kept mass is the MINIMUM over its group's
// query heads, so every query head keeps ≥ τ. (The paper's a_i normalisation is UNCONFIRMED.)

public enum TCACalibration {
    /// One query head's observed dense rows: rows[i] covers keys 0 ..< rows[i].count of the prompt;
    /// the LAST row is the scoring query's.
    public typealias HeadRows = [[Float]]

    /// Kept mass of `keep` (ascending key indices) for one head: mean over its rows.
    public static func keptMass(_ keep: [Int], rows: HeadRows) -> Float {
        guard !rows.isEmpty else { return 1 }
        var total: Float = 0
        for r in rows {
            var m: Float = 0
            for k in keep where k < r.count { m += r[k] }
            total += m
        }
        return total / Float(rows.count)
    }

    /// The chosen distribution over 𝒦 and the kept mass it reaches, for a KV head whose group's
    /// query heads observed `group` (each: HeadRows, last row = the scoring query).
    public static func calibrate(group: [HeadRows], block b: Int, window w: Int, alpha: Float, tau: Float)
        -> (budgets: [Float], keptMass: Float) {
        let n = group.first?.last?.count ?? 0
        var s = [Float](repeating: 0, count: n)
        for head in group { if let last = head.last { for j in 0..<min(n, last.count) { s[j] += last[j] } } }
        let candidates = TCASelection.candidates(block: b)
            .sorted { TCASelection.expectedKeep($0, block: b) < TCASelection.expectedKeep($1, block: b) }
        for p in candidates {
            let keep = TCASelection.select(scores: s, budgets: p, block: b, window: w, alpha: alpha)
            let mass = group.map { keptMass(keep, rows: $0) }.min() ?? 1
            if mass >= tau { return (p, mass) }
        }
        var all = [Float](repeating: 0, count: TCASelection.retainCounts(block: b).count)
        all[all.count - 1] = 1
        let keep = TCASelection.select(scores: s, budgets: all, block: b, window: w, alpha: alpha)
        return (all, group.map { keptMass(keep, rows: $0) }.min() ?? 1)
    }
}
