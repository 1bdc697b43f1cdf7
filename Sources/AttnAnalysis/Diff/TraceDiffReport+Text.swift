import AttnTrace
import Foundation

// MARK: - Text rendering (perf-diff style)

extension TraceDiffReport {
    /// A summary (how many heads differ on which metric), then the `top` differences most beyond
    /// tolerance with baseline, new, delta and ratio columns, then the emitted-token mismatches.
    public func renderText(top: Int = 20) -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        line("attnscope diff: " + (withinTolerance ? "MATCH (within tolerance)" : "DIFFERENT"))
        line("  baseline  \(baseline.label)  \(baseline.model)  policy \(baseline.policy)  \(baseline.steps) steps")
        line("  new       \(new.label)  \(new.model)  policy \(new.policy)  \(new.steps) steps")
        line("  compared  \(stepsCompared) steps × \(layers) layers × \(heads) heads (\(kvHeads) KV heads)")
        for note in notes { line("  note: " + note) }
        line()
        let totalHeads = layers * heads
        line("Summary: \(headsDiffering) of \(totalHeads) heads differ beyond tolerance; emitted tokens or "
            + "steps differ at \(tokenMismatchCount) of \(stepsCompared) steps.")
        line()

        var table: [[String]] = [["metric", "tolerance", "differ", "of", "steps≠", "max|Δ|"]]
        for m in metrics {
            let t = tolerances.first { $0.metric == m.metric }
            table.append([m.metric.name, t.map { "abs \(num($0.abs)) rel \(num($0.rel))" } ?? "",
                          "\(m.subjectsDiffering)", "\(m.subjectsCompared) \(m.metric.subjectNoun)",
                          "\(m.pairsDiffering)", num(m.maxAbsDelta)])
        }
        out += formatTable(table, rightAligned: [2, 4, 5])

        if !differences.isEmpty {
            line()
            let shown = differences.prefix(max(0, top))
            line("Differences (\(shown.count) of \(differences.count)), most beyond tolerance first; "
                + "baseline/new are means over steps, delta = new − baseline:")
            var rows: [[String]] = [["metric", "where", "baseline", "new", "delta", "ratio", "steps≠",
                                     "max|Δ|", "@step", "baseline@", "new@"]]
            for d in shown {
                let distance = d.metric.isDistance
                rows.append([
                    d.metric.name, d.subject.description,
                    distance ? "-" : num(d.baselineMean), distance ? "-" : num(d.newMean),
                    distance ? num(d.delta) : signed(d.delta), d.ratio.isFinite ? num(d.ratio) + "x" : "-",
                    "\(d.stepsDiffering)/\(d.stepsCompared)", num(d.maxAbsDelta), "\(d.maxStep)",
                    distance ? "-" : num(d.baselineAtMax), num(d.newAtMax),
                ])
            }
            out += formatTable(rows, rightAligned: Set(2...10))
        }
        if tokenMismatchCount > 0 {
            line()
            line("Emitted tokens / steps (\(tokenMismatchCount) of \(stepsCompared) steps differ"
                + (tokenMismatches.count < tokenMismatchCount ? ", first \(tokenMismatches.count) shown" : "") + "):")
            for m in tokenMismatches {
                line("  step \(m.step) \(m.what): baseline \(m.baseline)  new \(m.new)")
            }
        }
        return out
    }
}

extension Metric {
    /// What the metric is compared on, for the summary table.
    var subjectNoun: String {
        switch info.subject {
        case .kvHead: return "KV heads"
        case .run: return "run"
        case .layer: return "layers"
        case .head: return "heads"
        }
    }
}

// MARK: - Formatting helpers

/// Up to 6 significant digits; "nan", "inf" for non-finite values.
func num(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}

func signed(_ x: Double) -> String {
    if x.isFinite && x >= 0 { return "+" + num(x) }
    return num(x)
}

/// Columns padded to their widest cell, separated by two spaces; a rule under the first row.
func formatTable(_ rows: [[String]], rightAligned: Set<Int>) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var width = [Int](repeating: 0, count: columns)
    for r in rows { for (i, c) in r.enumerated() { width[i] = max(width[i], c.count) } }
    var out = ""
    for (n, r) in rows.enumerated() {
        var cells: [String] = []
        for (i, c) in r.enumerated() {
            let padding = String(repeating: " ", count: width[i] - c.count)
            cells.append(rightAligned.contains(i) ? padding + c : c + padding)
        }
        out += "  " + cells.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        if n == 0 {
            out += "  " + width.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        }
    }
    return out
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
