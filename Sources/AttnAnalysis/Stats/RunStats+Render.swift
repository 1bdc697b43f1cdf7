import Foundation
import AttnTrace

// MARK: - Rendering RunStats

extension RunStats {
    /// Pretty, key-sorted JSON; non-finite numbers become the strings "nan", "inf", "-inf".
    public func renderJSON() -> String { prettyJSON(self) }

    /// Run totals, head classes, a per-head table (means and percentiles over steps), the sinks
    /// and per-layer KV bytes at a few points in time. `--json` has every number.
    public func renderText() -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let r = run
        line("attnscope stats: \(r.label)")
        line("  model     \(r.model)")
        line("  policy    \(r.policy)   capture \(r.capture)")
        for l in r.policyLayers ?? [] { line("            \(l)") }
        if let t = r.truncation { line("  note: truncated file (\(t)); statistics cover its \(r.steps) complete steps") }
        line("  steps     \(r.steps) (\(r.prefillSteps) prefill over \(r.promptTokens) prompt tokens, "
            + "\(r.decodeSteps) decode); \(r.emittedTokens) tokens emitted")
        line("  time      total \(num(r.totalWallMs)) ms, prefill \(num(r.prefillWallMs)) ms, decode "
            + "\(num(r.decodeWallMs)) ms (\(num(r.decodeTokensPerSecond)) tokens/s)")
        line("  means     " + Metric.summarisedPerHead.map { "\($0.name) \(num(r.means[$0.name] ?? .nan))" }
            .joined(separator: ", "))
        line("  classes   " + HeadClass.allCases.map { "\($0.rawValue) \(classCounts[$0.rawValue] ?? 0)" }
            .joined(separator: ", "))
        line()

        line("Per head (over steps; p50/p90/p99 are percentiles):")
        var table: [[String]] = [["head", "class", "sink4 mean", "p50", "p90", "p99", "entropy mean", "p50", "p90",
                                  "sparsity mean", "recall mean", "min", "out_err mean", "max"]]
        for h in heads {
            let s4 = h.metrics[Metric.sinkMass4.name], e = h.metrics[Metric.entropy.name]
            let sp = h.metrics[Metric.sparsity.name], rc = h.metrics[Metric.recall.name]
            let oe = h.metrics[Metric.outputError.name]
            func f(_ x: Double?) -> String { fixed(x ?? .nan) }
            table.append(["L\(h.layer) H\(h.head)", h.headClass.rawValue,
                          f(s4?.mean), f(s4?.p50), f(s4?.p90), f(s4?.p99), f(e?.mean), f(e?.p50), f(e?.p90),
                          f(sp?.mean), f(rc?.mean), f(rc?.min), f(oe?.mean), f(oe?.max)])
        }
        out += formatTable(table, rightAligned: Set(2...13))
        line()

        line("Sinks (running-mean received attention α at the last step):")
        line("  initial (positions < 4, α ≥ \(num(sinks.initialThreshold))): \(sinks.headsWithInitialSink) of "
            + "\(heads.count) heads")
        for p in sinks.initial { line("    " + describe(p)) }
        line("  non-initial (positions ≥ 4, α ≥ \(num(sinks.nonInitialThreshold))): "
            + (sinks.nonInitial.isEmpty ? "none" : "\(sinks.nonInitial.count) positions"))
        for p in sinks.nonInitial { line("    " + describe(p)) }
        let sm = sinkMetrics
        line("  Sink_1^ε (Gu et al., ε = \(num(sm.epsilon)), α_1 > ε): \(percent(sm.sinkRate)) of heads; per layer "
            + sm.sinkRatePerLayer.enumerated().map { "L\($0) \(percent($1))" }.joined(separator: ", "))
        line("    α_1 from the first \(sm.queries) prefill rows: \(sm.headsFromRows) heads; from the running mean "
            + "over the run: \(sm.headsFromRunningMean); unknown: \(sm.headsUnknown)")
        let n = sm.nonInitialHeads.count
        if n > 0 {
            let points = Array(Set([0, (n - 1) / 4, (n - 1) / 2, 3 * (n - 1) / 4, n - 1])).sorted()
            line("  non-initial sinks over time (heads with some α_k > \(num(sm.nonInitialThreshold)), k ≥ 4 / positions): "
                + points.map { "step \($0) \(sm.nonInitialHeads[$0])/\(sm.nonInitialPositions[$0])" }.joined(separator: ", "))
        }
        line()

        let steps = kv.first?.bytes.count ?? 0
        line("KV memory per layer (bytes resident after the step):")
        if steps == 0 {
            line("  no steps")
        } else {
            let points = Array(Set([0, (steps - 1) / 4, (steps - 1) / 2, 3 * (steps - 1) / 4, steps - 1])).sorted()
            var kvTable: [[String]] = [["layer"] + points.map { "step \($0)" } + ["peak"]]
            for l in kv { kvTable.append(["L\(l.layer)"] + points.map { "\(l.bytes[$0])" } + ["\(l.peak)"]) }
            let total = points.map { p in kv.reduce(0) { $0 + $1.bytes[p] } }
            let peakTotal = (0..<steps).map { s in kv.reduce(0) { $0 + $1.bytes[s] } }.max() ?? 0
            kvTable.append(["all"] + total.map(String.init) + ["\(peakTotal)"])
            out += formatTable(kvTable, rightAligned: Set(1...points.count + 1))
        }
        return out
    }

    private func describe(_ p: SinkPosition) -> String {
        let token = (p.token.map { " " + TraceDump.quote($0) } ?? "") + (p.kind.map { " [\($0.rawValue)]" } ?? "")
        let first = p.firstStep.map { ", from step \($0)" } ?? ""
        let shown = p.heads.prefix(8).joined(separator: ", ") + (p.heads.count > 8 ? ", …" : "")
        let n = p.heads.count
        return "position \(p.position)\(token): \(n) head\(n == 1 ? "" : "s"), max α \(fixed(p.maxScore))\(first) (\(shown))"
    }
}

/// "83.3 %", or "nan".
func percent(_ x: Double) -> String { x.isFinite ? String(format: "%.1f %%", x * 100) : "nan" }

/// 3 decimals, or "nan"/"inf".
func fixed(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.3f", x)
}
