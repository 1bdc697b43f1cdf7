import AttnTrace

// MARK: - Folding in one step read as columns

/// The fast path of `DiffAccumulator.add(_:_:step:labels:)`: the same comparisons, value for
/// value, on steps decoded as columns (`StepColumns`, from trace files) instead of `StepFrame`s.
/// Every cell sees the same values in the same step order, so the report is identical (tested
/// against the frame path on random and golden traces). Columns come from a `TraceReader`, which
/// hands back complete layer-major grids, so the frame path's order checks cannot fail here.
extension DiffAccumulator {
    /// The metric each stored Float field of `MetricColumns` is compared as.
    static let columnMetrics: [(MetricColumns.Field, DiffMetric)] = [
        (.sinkMass1, .sinkMass1), (.sinkMass4, .sinkMass4), (.entropy, .entropy), (.recall, .recall),
        (.outputError, .outputError), (.overlapKept, .overlapKept), (.jaccard, .jaccard),
    ]

    mutating func add(_ a: StepColumns, _ b: StepColumns, step: Int, labels: (String, String)) throws(DiffError) {
        compareStepInfo(a.step, b.step, step: step)
        try compareHeads(a.metrics, b.metrics, step: step, labels: labels)
        try compareSelections(a.selections, b.selections, step: step, labels: labels)
        compareRows(a.rows, b.rows, step: step)
        try compareKV(a.kv, b.kv, step: step, labels: labels)
        if options.includeTimings { compareTimes(a.step, b.step, step: step) }
    }

    /// One metric at a time over all heads: a tight loop over two columns and the metric's cells
    /// (adjacent: cells are metric-major).
    private mutating func compareHeads(_ a: MetricColumns, _ b: MetricColumns, step: Int,
                                       labels: (String, String)) throws(DiffError) {
        let n = shape.layers * shape.heads
        if a.count != n || b.count != n {   // (no array of the two per step: that allocates)
            throw .malformed("\(a.count != n ? labels.0 : labels.1) step \(step): expected head metrics for "
                + "\(shape.layers) layers × \(shape.heads) heads (\(n)), found \(a.count != n ? a.count : b.count)")
        }
        let tol = tolerance
        let ns = subjects   // cells of metric m start at m · ns (cellIndex)
        let fields = Self.columnMetrics
        cells.withUnsafeMutableBufferPointer { c in
            for (field, metric) in fields {
                let m = metric.index, t = tol[m]
                let cell = c.baseAddress! + m * ns
                a.withField(field) { pa in
                    b.withField(field) { pb in
                        for i in 0..<n { cell[i].record(Double(pa[i]), Double(pb[i]), step: step, tolerance: t) }
                    }
                }
            }
            a.withCounts { va, sa in
                b.withCounts { vb, sb in
                    let sp = DiffMetric.sparsity.index, vk = DiffMetric.visibleKV.index, se = DiffMetric.selected.index
                    let tsp = tol[sp], tvk = tol[vk], tse = tol[se]
                    let cs = c.baseAddress! + sp * ns, cv = c.baseAddress! + vk * ns
                    let cl = c.baseAddress! + se * ns
                    for i in 0..<n {
                        cs[i].record(Double(MetricColumns.sparsity(visibleKV: va[i], selected: sa[i])),
                                     Double(MetricColumns.sparsity(visibleKV: vb[i], selected: sb[i])),
                                     step: step, tolerance: tsp)
                    }
                    for i in 0..<n { cv[i].record(Double(va[i]), Double(vb[i]), step: step, tolerance: tvk) }
                    for i in 0..<n { cl[i].record(Double(sa[i]), Double(sb[i]), step: step, tolerance: tse) }
                }
            }
        }
    }

    /// Jaccard distance of each head's two selected sets. A head that repeats the previous head's
    /// set in both runs has the previous head's distance (computed once).
    private mutating func compareSelections(_ a: SelectionColumns, _ b: SelectionColumns, step: Int,
                                            labels: (String, String)) throws(DiffError) {
        if !a.present && !b.present { return }
        if !a.present || !b.present {
            notes.insert("selections were compared only at steps where both runs captured them")
            return
        }
        let n = shape.layers * shape.heads
        if a.count != n || b.count != n {
            throw .malformed("\(a.count != n ? labels.0 : labels.1) step \(step): expected \(n) selected sets, "
                + "found \(a.count != n ? a.count : b.count)")
        }
        let m = DiffMetric.selection.index, t = tolerance[m], first = cellIndex(0, m)
        var d = 0.0
        cells.withUnsafeMutableBufferPointer { c in
            let cell = c.baseAddress! + first
            a.ranges.withUnsafeBufferPointer { ra in
                b.ranges.withUnsafeBufferPointer { rb in
                    a.spans.withUnsafeBufferPointer { spa in
                        b.spans.withUnsafeBufferPointer { spb in
                            for i in 0..<n {
                                let sa = spa[i], sb = spb[i]
                                if i == 0 || sa != spa[i - 1] || sb != spb[i - 1] {
                                    d = jaccardDistance(UnsafeBufferPointer(rebasing: ra[sa]),
                                                        UnsafeBufferPointer(rebasing: rb[sb]))
                                }
                                cell[i].record(0, d, step: step, tolerance: t)
                            }
                        }
                    }
                }
            }
        }
    }

    private mutating func compareKV(_ a: KVColumns, _ b: KVColumns, step: Int,
                                    labels: (String, String)) throws(DiffError) {
        let n = shape.layers * shape.kvHeads
        if a.count != n || b.count != n {
            throw .malformed("\(a.count != n ? labels.0 : labels.1) step \(step): expected KV residency for "
                + "\(shape.layers) layers × \(shape.kvHeads) KV heads in layer-major order, found "
                + "\(a.count != n ? a.count : b.count) entries")
        }
        let t = tolerance, ns = subjects, first = kvBase
        let mb = DiffMetric.kvBytes.index, me = DiffMetric.kvEntries.index, mv = DiffMetric.evicted.index
        cells.withUnsafeMutableBufferPointer { c in
            let bytes = c.baseAddress! + mb * ns + first, entries = c.baseAddress! + me * ns + first
            let evicted = c.baseAddress! + mv * ns + first
            for i in 0..<n { bytes[i].record(Double(a.bytes[i]), Double(b.bytes[i]), step: step, tolerance: t[mb]) }
            for i in 0..<n { entries[i].record(Double(a.entries[i]), Double(b.entries[i]), step: step, tolerance: t[me]) }
            a.evicted.withUnsafeBufferPointer { ea in
                b.evicted.withUnsafeBufferPointer { eb in
                    for i in 0..<n {
                        let xa = UnsafeBufferPointer(rebasing: ea[a.evictedStart[i]..<a.evictedStart[i + 1]])
                        let xb = UnsafeBufferPointer(rebasing: eb[b.evictedStart[i]..<b.evictedStart[i + 1]])
                        evicted[i].record(0, jaccardDistance(sorted: xa, xb), step: step, tolerance: t[mv])
                    }
                }
            }
        }
    }
}
