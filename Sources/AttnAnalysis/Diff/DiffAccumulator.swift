import AttnTrace

// MARK: - Per (subject, metric) running state

/// What the diff remembers about one metric on one subject: O(1) whatever the number of steps.
struct DiffCell {
    var compared = 0
    var differing = 0
    var sumA = 0.0, countA = 0
    var sumB = 0.0, countB = 0
    var maxAbsAll = 0.0          // over every step, within tolerance or not
    var firstStep = -1
    var maxExcess = -1.0         // over differing steps only
    var maxAbs = 0.0
    var maxStep = -1
    var aAtMax = 0.0, bAtMax = 0.0

    @inline(__always)
    mutating func record(_ a: Double, _ b: Double, step: Int, tolerance: Tolerance) {
        compared += 1
        if a == b {   // the common case: equal finite values (or equal infinities)
            if a.isFinite { sumA += a; countA += 1; sumB += b; countB += 1 }
            return
        }
        if a.isFinite { sumA += a; countA += 1 }
        if b.isFinite { sumB += b; countB += 1 }
        let d: Double = (a.isNaN && b.isNaN) || a == b ? 0 : (a.isNaN || b.isNaN ? .infinity : abs(a - b))
        if d > maxAbsAll || d.isNaN { maxAbsAll = d }
        guard tolerance.differs(a, b) else { return }
        differing += 1
        if firstStep < 0 { firstStep = step }
        let allowance = tolerance.allowance(at: a.isFinite ? a : 0)
        let excess = allowance > 0 ? d / allowance : .infinity
        if excess > maxExcess || (excess == maxExcess && d > maxAbs) {
            maxExcess = excess; maxAbs = d; maxStep = step; aAtMax = a; bAtMax = b
        }
    }
}

// MARK: - Accumulator

/// Holds one `DiffCell` per (subject, metric) and folds in one pair of frames at a time.
/// Subjects are laid out [L × H query heads | L × G KV heads | L layers | run]; cells
/// [metric × subjects], metric-major (`cellIndex`), so that one metric of every head is one
/// contiguous run of cells (the column path walks it).
struct DiffAccumulator {
    let shape: Shape
    let options: DiffOptions
    let metricCount = Metric.allCases.count
    let subjects: Int
    var cells: [DiffCell]
    var tolerance: [Tolerance]            // by metric index
    private var tokenMismatchCount = 0
    private var tokenMismatches: [TokenMismatch] = []
    var notes = Set<String>()
    private var rowsOnlyIn = (0, 0)

    init(shape: Shape, options: DiffOptions) {
        self.shape = shape; self.options = options
        subjects = shape.layers * shape.heads + shape.layers * shape.kvHeads + shape.layers + 1
        cells = Array(repeating: DiffCell(), count: subjects * Metric.allCases.count)
        tolerance = Metric.allCases.map { options.tolerances[$0] }
    }


    var kvBase: Int { shape.layers * shape.heads }
    private var layerBase: Int { kvBase + shape.layers * shape.kvHeads }
    private var runSubject: Int { layerBase + shape.layers }

    @inline(__always) func cellIndex(_ subject: Int, _ metric: Int) -> Int { metric * subjects + subject }

    @inline(__always)
    mutating func record(_ subject: Int, _ metric: Metric, _ a: Double, _ b: Double, _ step: Int) {
        let m = metric.rawValue   // == position in allCases, so no hashing per value
        cells[cellIndex(subject, m)].record(a, b, step: step, tolerance: tolerance[m])
    }

    // MARK: Folding in one step

    mutating func add(_ fa: StepFrame, _ fb: StepFrame, step: Int, labels: (String, String)) throws(DiffError) {
        compareStepInfo(fa.step, fb.step, step: step)
        let ma = try ordered(fa.metrics, label: labels.0, step: step)
        let mb = try ordered(fb.metrics, label: labels.1, step: step)
        compareHeads(ma, mb, contexts: (fa.step.context, fb.step.context), step: step)
        try compareSelections(fa.selections, fb.selections, step: step, labels: labels)
        compareRows(fa.rows, fb.rows, step: step)
        try compareKV(fa.kv, fb.kv, step: step, labels: labels)
        if options.includeTimings { compareTimes(fa.step, fb.step, step: step) }
    }

    /// The per-head metrics of one step, each read as the catalogue says. Reads heads through
    /// buffer pointers and updates cells in place.
    private mutating func compareHeads(_ ma: [HeadMetrics], _ mb: [HeadMetrics], contexts: (Int, Int), step: Int) {
        let ns = subjects
        let tol = tolerance
        cells.withUnsafeMutableBufferPointer { c in
            ma.withUnsafeBufferPointer { pa in
                mb.withUnsafeBufferPointer { pb in
                    for metric in Metric.headValues {
                        let m = metric.rawValue, value = metric.info.head!, t = tol[m]
                        for i in 0..<pa.count {
                            c[m * ns + i].record(value.read(pa[i], context: contexts.0), value.read(pb[i], context: contexts.1),
                                                 step: step, tolerance: t)
                        }
                    }
                }
            }
        }
    }

    /// The head metrics in layer-major order [L × H]; reorders if the producer did not.
    private func ordered(_ m: [HeadMetrics], label: String, step: Int) throws(DiffError) -> [HeadMetrics] {
        let n = shape.layers * shape.heads
        if m.count == n && m.indices.allSatisfy({ m[$0].layer == $0 / shape.heads && m[$0].head == $0 % shape.heads }) {
            return m
        }
        var out = [HeadMetrics?](repeating: nil, count: n)
        for x in m where x.layer >= 0 && x.layer < shape.layers && x.head >= 0 && x.head < shape.heads {
            out[x.layer * shape.heads + x.head] = x
        }
        let found = out.compactMap { $0 }
        guard found.count == n, m.count == n else {
            throw .malformed("\(label) step \(step): expected head metrics for \(shape.layers) layers × "
                + "\(shape.heads) heads (\(n)), found \(m.count) entries covering \(found.count) heads")
        }
        return found
    }

    mutating func compareStepInfo(_ a: StepInfo, _ b: StepInfo, step: Int) {
        if a.phase != b.phase || a.position != b.position || a.queryCount != b.queryCount {
            mismatch(TokenMismatch(step: step, what: "step",
                baseline: "\(a.phase) position \(a.position) queries \(a.queryCount)",
                new: "\(b.phase) position \(b.position) queries \(b.queryCount)"))
        }
        if a.emittedToken?.id != b.emittedToken?.id {
            func show(_ t: TokenInfo?) -> String { t.map { "id \($0.id) \(TraceDump.quote($0.text))" } ?? "none" }
            mismatch(TokenMismatch(step: step, what: "token", baseline: show(a.emittedToken), new: show(b.emittedToken)))
        }
    }

    private mutating func mismatch(_ m: TokenMismatch) {
        tokenMismatchCount += 1
        if tokenMismatches.count < options.tokenExamples { tokenMismatches.append(m) }
    }

    private mutating func compareSelections(_ a: [HeadSelection], _ b: [HeadSelection], step: Int,
                                            labels: (String, String)) throws(DiffError) {
        if a.isEmpty && b.isEmpty { return }
        if a.isEmpty || b.isEmpty {
            notes.insert("selections were compared only at steps where both runs captured them")
            return
        }
        let n = shape.layers * shape.heads
        for (label, s) in [(labels.0, a), (labels.1, b)] where s.count != n {
            throw .malformed("\(label) step \(step): expected \(n) selected sets, found \(s.count)")
        }
        for i in 0..<n {
            let x = a[i], y = b[i]
            guard x.layer == y.layer, x.head == y.head, x.layer * shape.heads + x.head == i else {
                throw .malformed("step \(step): selected sets are not in layer-major order at entry \(i)")
            }
            record(i, .selection, 0, jaccardDistance(x.ranges, y.ranges), step)
        }
    }

    mutating func compareRows(_ a: [AttentionRows], _ b: [AttentionRows], step: Int) {
        if a.isEmpty && b.isEmpty { return }
        func key(_ r: AttentionRows) -> Int { (r.layer * shape.heads + r.head) * 2 + Int(r.kind.rawValue) }
        var byKey = [Int: Int]()
        for (j, r) in b.enumerated() { byKey[key(r)] = j }
        var matched = 0
        for r in a {
            guard r.layer >= 0, r.layer < shape.layers, r.head >= 0, r.head < shape.heads,
                  let j = byKey[key(r)] else { rowsOnlyIn.0 += 1; continue }
            matched += 1
            let (mx, mean) = rowDistance(r, b[j])
            let subject = r.layer * shape.heads + r.head
            record(subject, .rowsMax, 0, mx, step)
            record(subject, .rowsMean, 0, mean, step)
        }
        rowsOnlyIn.1 += b.count - matched
    }

    private mutating func compareKV(_ a: [KVResidency], _ b: [KVResidency], step: Int,
                                    labels: (String, String)) throws(DiffError) {
        if a.isEmpty && b.isEmpty { return }
        if a.isEmpty || b.isEmpty {
            notes.insert("KV residency was compared only at steps where both runs recorded it")
            return
        }
        let n = shape.layers * shape.kvHeads
        for (label, kv) in [(labels.0, a), (labels.1, b)] {
            guard kv.count == n, kv.indices.allSatisfy({ kv[$0].layer * shape.kvHeads + kv[$0].kvHead == $0 })
            else {
                throw .malformed("\(label) step \(step): expected KV residency for \(shape.layers) layers × "
                    + "\(shape.kvHeads) KV heads in layer-major order, found \(kv.count) entries")
            }
        }
        for i in 0..<n {
            let s = kvBase + i
            for metric in Metric.kvValues {
                let value = metric.info.kv!
                record(s, metric, Double(value.read(a[i])), Double(value.read(b[i])), step)
            }
            record(s, .evicted, 0, jaccardDistance(sorted: a[i].evicted, b[i].evicted), step)
        }
    }

    mutating func compareTimes(_ a: StepInfo, _ b: StepInfo, step: Int) {
        record(runSubject, .wallNanos, Double(a.wallNanos), Double(b.wallNanos), step)
        guard a.layerTimes.count == shape.layers, b.layerTimes.count == shape.layers else {
            if !(a.layerTimes.isEmpty && b.layerTimes.isEmpty) {
                notes.insert("per-layer times were compared only at steps where both runs measured them")
            }
            return
        }
        for l in 0..<shape.layers {
            record(layerBase + l, .attentionNanos, Double(a.layerTimes[l].attentionNanos),
                   Double(b.layerTimes[l].attentionNanos), step)
            record(layerBase + l, .restNanos, Double(a.layerTimes[l].restNanos),
                   Double(b.layerTimes[l].restNanos), step)
        }
    }

    // MARK: Report

    private func subject(_ s: Int) -> Subject {
        if s < kvBase { return Subject(kind: .head, layer: s / shape.heads, index: s % shape.heads) }
        if s < layerBase {
            let k = s - kvBase
            return Subject(kind: .kvHead, layer: k / shape.kvHeads, index: k % shape.kvHeads)
        }
        if s < runSubject { return Subject(kind: .layer, layer: s - layerBase, index: -1) }
        return Subject(kind: .run, layer: -1, index: -1)
    }

    func report(baseline: RunSummary, new: RunSummary, steps: Int, notes extra: [String]) -> TraceDiffReport {
        let metrics = Metric.allCases
        var differences: [Difference] = []
        var summaries: [MetricSummary] = []
        var headsDiffering = Set<Int>()
        for (m, metric) in metrics.enumerated() {
            var summary = MetricSummary(metric: metric, subjectsCompared: 0, subjectsDiffering: 0,
                                        pairsDiffering: 0, maxAbsDelta: 0)
            for s in 0...runSubject {
                let c = cells[cellIndex(s, m)]
                guard c.compared > 0 else { continue }
                summary.subjectsCompared += 1
                if c.maxAbsAll > summary.maxAbsDelta || c.maxAbsAll.isNaN { summary.maxAbsDelta = c.maxAbsAll }
                guard c.differing > 0 else { continue }
                summary.subjectsDiffering += 1
                summary.pairsDiffering += c.differing
                if s < kvBase { headsDiffering.insert(s) }
                let meanA = c.countA > 0 ? c.sumA / Double(c.countA) : .nan
                let meanB = c.countB > 0 ? c.sumB / Double(c.countB) : .nan
                differences.append(Difference(
                    subject: subject(s), metric: metric, baselineMean: meanA, newMean: meanB,
                    delta: meanB - meanA, ratio: metric.isDistance || meanA == 0 ? .nan : meanB / meanA,
                    stepsCompared: c.compared, stepsDiffering: c.differing, firstStep: c.firstStep,
                    maxAbsDelta: c.maxAbs, maxStep: c.maxStep, baselineAtMax: c.aAtMax, newAtMax: c.bAtMax,
                    excess: c.maxExcess))
            }
            if summary.subjectsCompared > 0 { summaries.append(summary) }
        }
        differences.sort { x, y in
            if x.excess != y.excess { return x.excess > y.excess }
            if x.stepsDiffering != y.stepsDiffering { return x.stepsDiffering > y.stepsDiffering }
            if x.subject != y.subject { return x.subject < y.subject }
            return metrics.firstIndex(of: x.metric)! < metrics.firstIndex(of: y.metric)!
        }
        var allNotes = extra + notes.sorted()
        if rowsOnlyIn.0 > 0 || rowsOnlyIn.1 > 0 {
            allNotes.append("attention rows captured by one run only (not compared): \(rowsOnlyIn.0) in "
                + "\(baseline.label), \(rowsOnlyIn.1) in \(new.label)")
        }
        if !options.includeTimings { allNotes.append("timings not compared (--timings compares them)") }
        let tolerances = metrics.filter { options.includeTimings || !$0.isTiming }.map {
            MetricTolerance(metric: $0, abs: options.tolerances[$0].abs, rel: options.tolerances[$0].rel)
        }
        return TraceDiffReport(
            baseline: baseline, new: new, stepsCompared: steps, layers: shape.layers, heads: shape.heads,
            kvHeads: shape.kvHeads, timingsCompared: options.includeTimings, notes: allNotes,
            tolerances: tolerances, metrics: summaries, differences: differences,
            headsDiffering: headsDiffering.count, tokenMismatchCount: tokenMismatchCount,
            tokenMismatches: tokenMismatches,
            withinTolerance: differences.isEmpty && tokenMismatchCount == 0)
    }
}
