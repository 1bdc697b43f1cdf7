import AttnTrace

// MARK: - Folding in one step read as columns

/// The fast path of `DiffAccumulator.add(_:_:step:labels:)`: the same comparisons, value for
/// value, on steps decoded as columns (`StepColumns`, from trace files) instead of `StepFrame`s.
/// Every cell sees the same values in the same step order, so the report is identical (tested
/// against the frame path on random and golden traces). Columns come from a `TraceReader`, which
/// hands back complete layer-major grids, so the frame path's order checks cannot fail here.
extension DiffAccumulator {
    mutating func add(_ a: StepColumns, _ b: StepColumns, step: Int, labels: (String, String)) throws(DiffError) {
        compareStepInfo(a.step, b.step, step: step)
        try compareHeads(a.metrics, b.metrics, contexts: (a.step.context, b.step.context), step: step, labels: labels)
        try compareSelections(a.selections, b.selections, step: step, labels: labels)
        compareRows(a.rows, b.rows, step: step)
        try compareKV(a.kv, b.kv, step: step, labels: labels)
        if options.includeTimings { compareTimes(a.step, b.step, step: step) }
    }

    /// One metric at a time over all heads: a tight loop over two columns and the metric's cells
    /// (adjacent: cells are metric-major).
    private mutating func compareHeads(_ a: MetricColumns, _ b: MetricColumns, contexts: (Int, Int), step: Int,
                                       labels: (String, String)) throws(DiffError) {
        let n = shape.layers * shape.heads
        if a.count != n || b.count != n {   // (no array of the two per step: that allocates)
            throw .malformed("\(a.count != n ? labels.0 : labels.1) step \(step): expected head metrics for "
                + "\(shape.layers) layers × \(shape.heads) heads (\(n)), found \(a.count != n ? a.count : b.count)")
        }
        let tol = tolerance
        let ns = subjects   // cells of metric m start at m · ns (cellIndex)
        cells.withUnsafeMutableBufferPointer { c in
            for metric in Metric.headValues {
                let m = metric.rawValue, t = tol[m]
                let cell = c.baseAddress! + m * ns
                switch metric.info.head! {
                case .stored(let field):
                    a.withField(field) { pa in
                        b.withField(field) { pb in
                            for i in 0..<n { cell[i].record(Double(pa[i]), Double(pb[i]), step: step, tolerance: t) }
                        }
                    }
                case .visibleKV:
                    a.withCounts { va, _ in
                        b.withCounts { vb, _ in
                            for i in 0..<n { cell[i].record(Double(va[i]), Double(vb[i]), step: step, tolerance: t) }
                        }
                    }
                case .selected:
                    a.withCounts { _, sa in
                        b.withCounts { _, sb in
                            for i in 0..<n { cell[i].record(Double(sa[i]), Double(sb[i]), step: step, tolerance: t) }
                        }
                    }
                case .selectedOfVisible:
                    a.withCounts { va, sa in
                        b.withCounts { vb, sb in
                            for i in 0..<n {
                                cell[i].record(Double(MetricColumns.selectedSparsity(visibleKV: va[i], selected: sa[i])),
                                               Double(MetricColumns.selectedSparsity(visibleKV: vb[i], selected: sb[i])),
                                               step: step, tolerance: t)
                            }
                        }
                    }
                case .ofContext:
                    a.withCounts { _, sa in
                        b.withCounts { _, sb in
                            for i in 0..<n {
                                cell[i].record(Double(MetricColumns.sparsity(selected: sa[i], context: contexts.0)),
                                               Double(MetricColumns.sparsity(selected: sb[i], context: contexts.1)),
                                               step: step, tolerance: t)
                            }
                        }
                    }
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
        let m = Metric.selection.rawValue, t = tolerance[m], first = cellIndex(0, m)
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
        let mv = Metric.evicted.rawValue
        cells.withUnsafeMutableBufferPointer { c in
            for metric in Metric.kvValues {
                let m = metric.rawValue, value = metric.info.kv!
                let cell = c.baseAddress! + m * ns + first
                let xa = a.values(value), xb = b.values(value)
                for i in 0..<n { cell[i].record(Double(xa[i]), Double(xb[i]), step: step, tolerance: t[m]) }
            }
            let evicted = c.baseAddress! + mv * ns + first
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
