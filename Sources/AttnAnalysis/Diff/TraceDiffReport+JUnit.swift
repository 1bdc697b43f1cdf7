import AttnTrace
import Foundation

// MARK: - JUnit XML and HTML renderings of a diff (CI artefacts)

extension TraceDiffReport {
    /// JUnit XML for CI (GitLab, Jenkins, GitHub): one `<testsuite>` per metric family, one
    /// `<testcase>` per layer (`wall_ns`: one for the run), plus one case for the emitted tokens.
    /// A case fails when some subject of that family in that layer differs beyond tolerance; its
    /// message names the worst one (most tolerances beyond) and the step where it differs most.
    public func renderJUnit() -> String {
        var suites: [(name: String, cases: [(name: String, failure: String?)])] = []
        for m in metrics {
            let layerList: [Int] = m.metric == .wallNanos ? [-1] : Array(0..<max(0, layers))
            var cases: [(String, String?)] = []
            for l in layerList {
                let ds = differences.filter { $0.metric == m.metric && (l < 0 || $0.subject.layer == l) }
                let name = l < 0 ? "run" : "L\(l)"
                guard let worst = ds.max(by: { $0.excess < $1.excess }) else { cases.append((name, nil)); continue }
                let what = m.metric.isDistance ? "distance \(num(worst.maxAbsDelta))"
                    : "baseline \(num(worst.baselineAtMax)) new \(num(worst.newAtMax)) (|Δ| \(num(worst.maxAbsDelta)))"
                cases.append((name, "\(ds.count) \(ds.count == 1 ? "subject differs" : "subjects differ"); worst "
                    + "\(worst.subject) at step \(worst.maxStep): \(what), \(worst.stepsDiffering) of "
                    + "\(worst.stepsCompared) steps beyond tolerance"))
            }
            suites.append((m.metric.name, cases))
        }
        let tokenFailure = tokenMismatchCount == 0 ? nil : "emitted tokens or steps differ at \(tokenMismatchCount) of "
            + "\(stepsCompared) steps; first at step \(tokenMismatches.first.map { "\($0.step)" } ?? "?")"
        suites.append(("tokens", [("emitted", tokenFailure)]))

        let total = suites.reduce(0) { $0 + $1.cases.count }
        let failed = suites.reduce(0) { $0 + $1.cases.filter { $0.failure != nil }.count }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"attnscope diff\" tests=\"\(total)\" failures=\"\(failed)\">\n"
        for s in suites {
            let f = s.cases.filter { $0.failure != nil }.count
            out += "  <testsuite name=\"\(xmlEscape(s.name))\" tests=\"\(s.cases.count)\" failures=\"\(f)\">\n"
            for c in s.cases {
                let open = "    <testcase classname=\"attnscope.diff.\(xmlEscape(s.name))\" name=\"\(xmlEscape(s.name)) \(c.name)\""
                if let message = c.failure {
                    out += open + ">\n      <failure message=\"\(xmlEscape(message))\">\(xmlEscape(message))</failure>\n"
                        + "    </testcase>\n"
                } else {
                    out += open + "/>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// The compare report as one self-contained HTML file (inline style, no script, no fetch):
    /// the verdict, both runs, the per-metric summary, the differences and the token mismatches.
    public func renderHTML(top: Int = 200) -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
        o += "<title>attnscope diff: \(xmlEscape(baseline.label)) vs \(xmlEscape(new.label))</title>\n"
        o += "<style>body{font-family:monospace;margin:1.5em;background:#fff;color:#111}"
            + "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}"
            + "td:first-child,th:first-child,td.l{text-align:left}.bad{background:#fdd}.ok{color:#070}.no{color:#b00}</style>\n"
        o += "</head><body>\n<h1>attnscope diff: <span class=\"\(withinTolerance ? "ok" : "no")\">"
            + (withinTolerance ? "MATCH (within tolerance)" : "DIFFERENT") + "</span></h1>\n"
        o += "<table><tr><th>run</th><th>file</th><th>model</th><th>policy</th><th>steps</th></tr>\n"
        for (name, r) in [("baseline", baseline), ("new", new)] {
            o += "<tr>" + [name, r.label, r.model, r.policy].map { "<td class=\"l\">\(xmlEscape($0))</td>" }.joined()
                + "<td>\(r.steps)</td></tr>\n"
        }
        o += "</table>\n<p>Compared \(stepsCompared) steps × \(layers) layers × \(heads) heads (\(kvHeads) KV heads); "
            + "\(headsDiffering) of \(layers * heads) heads differ beyond tolerance; emitted tokens or steps differ at "
            + "\(tokenMismatchCount) steps.</p>\n"
        for n in notes { o += "<p>note: \(xmlEscape(n))</p>\n" }
        o += "<h2>Metrics</h2>\n<table><tr><th>metric</th><th>tolerance</th><th>differ</th><th>of</th>"
            + "<th>steps≠</th><th>max|Δ|</th></tr>\n"
        for m in metrics {
            let t = tolerances.first { $0.metric == m.metric }.map { "abs \(num($0.abs)) rel \(num($0.rel))" } ?? ""
            o += "<tr\(m.subjectsDiffering > 0 ? " class=\"bad\"" : "")><td>\(m.metric.name)</td><td>\(t)</td>"
                + "<td>\(m.subjectsDiffering)</td><td>\(m.subjectsCompared) \(m.metric.subjectNoun)</td>"
                + "<td>\(m.pairsDiffering)</td><td>\(num(m.maxAbsDelta))</td></tr>\n"
        }
        o += "</table>\n"
        if !differences.isEmpty {
            let shown = differences.prefix(max(0, top))
            o += "<h2>Differences (\(shown.count) of \(differences.count)), most beyond tolerance first</h2>\n"
            o += "<table><tr>" + ["metric", "where", "baseline", "new", "delta", "ratio", "steps≠", "max|Δ|", "@step",
                                  "baseline@", "new@"].map { "<th>\($0)</th>" }.joined() + "</tr>\n"
            for d in shown {
                let dist = d.metric.isDistance
                let cells = [d.metric.name, d.subject.description, dist ? "-" : num(d.baselineMean),
                             dist ? "-" : num(d.newMean), dist ? num(d.delta) : signed(d.delta),
                             d.ratio.isFinite ? num(d.ratio) + "x" : "-", "\(d.stepsDiffering)/\(d.stepsCompared)",
                             num(d.maxAbsDelta), "\(d.maxStep)", dist ? "-" : num(d.baselineAtMax), num(d.newAtMax)]
                o += "<tr>" + cells.map { "<td>\(xmlEscape($0))</td>" }.joined() + "</tr>\n"
            }
            o += "</table>\n"
        }
        if !tokenMismatches.isEmpty {
            o += "<h2>Emitted tokens / steps</h2>\n<table><tr><th>step</th><th>what</th><th>baseline</th><th>new</th></tr>\n"
            for m in tokenMismatches {
                o += "<tr><td>\(m.step)</td>" + [m.what, m.baseline, m.new].map { "<td class=\"l\">\(xmlEscape($0))</td>" }
                    .joined() + "</tr>\n"
            }
            o += "</table>\n"
        }
        return o + "</body></html>\n"
    }
}
