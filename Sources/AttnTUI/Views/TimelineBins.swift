// The Timeline's columns reduced once: every series' min and max over each column's steps, from one
// summary read per step (not one per series and frame). A complete set is kept until the columns or
// the run's length change, so a long run's Timeline redraws without touching its 8K step summaries.

struct TimelineBins {
    var lows: [[Double]]    // [series][column]
    var highs: [[Double]]

    /// The bins for `cols` (NaN where a column has no value yet); kept in `t` once every step was read.
    static func get(_ t: TraceModel, _ cols: TimelineColumns, series: [TimelineView.Series]) -> TimelineBins {
        if let c = t.binned.timeline, c.cols == cols, c.steps == t.stepCount { return c.bins }
        let n = series.count
        var lows = [[Double]](repeating: [], count: n), highs = [[Double]](repeating: [], count: n)
        var complete = true
        var lo = [Double](repeating: .infinity, count: n), hi = [Double](repeating: -.infinity, count: n)
        for c in 0..<cols.used {
            for i in 0..<n { lo[i] = .infinity; hi[i] = -.infinity }
            for step in cols.steps(column: c) {
                guard let s = t.summary(step: step) else { complete = false; continue }
                for i in 0..<n {
                    let v = series[i].value(s)
                    guard v.isFinite else { continue }
                    if v < lo[i] { lo[i] = v }
                    if v > hi[i] { hi[i] = v }
                }
            }
            for i in 0..<n {
                lows[i].append(lo[i] <= hi[i] ? lo[i] : .nan)
                highs[i].append(lo[i] <= hi[i] ? hi[i] : .nan)
            }
        }
        let bins = TimelineBins(lows: lows, highs: highs)
        if complete { t.binned.timeline = (cols, t.stepCount, bins) }
        return bins
    }
}
