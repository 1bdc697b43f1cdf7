import AttnTrace

// MARK: - Tolerances of the diff

/// One tolerance per metric, starting from the documented defaults (docs/headless.md).
public struct ToleranceSet: Equatable, Sendable {
    public private(set) var byMetric: [Metric: Tolerance]

    /// The catalogue's default tolerance of every metric.
    public static let defaults = ToleranceSet(byMetric: Dictionary(
        uniqueKeysWithValues: Metric.allCases.map { ($0, $0.info.tolerance) }))

    public subscript(metric: Metric) -> Tolerance {
        get { byMetric[metric] ?? Tolerance(abs: 0, rel: 0) }
        set { byMetric[metric] = newValue }
    }

    // MARK: Parsing

    /// Applies one line `METRIC [abs=X] [rel=Y]` (as in a tolerance file or `--tolerance`);
    /// what the line leaves out keeps its current value. `all` sets every metric.
    public mutating func apply(line: String) throws(ToleranceError) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let name = words.first else { throw .syntax("empty tolerance") }
        let targets: [Metric]
        if name == "all" {
            targets = Metric.allCases
        } else if let m = Metric(name: name) {
            targets = [m]
        } else {
            throw .unknownMetric(name)
        }
        guard words.count > 1 else { throw .syntax("'\(name)' needs abs=… and/or rel=…") }
        var abs: Double?, rel: Double?
        for word in words.dropFirst() {
            let kv = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, kv[0] == "abs" || kv[0] == "rel" else {
                throw .syntax("'\(word)' is not abs=NUMBER or rel=NUMBER")
            }
            guard let v = Double(kv[1]), !v.isNaN, v >= 0 else {
                throw .syntax("'\(kv[1])' in '\(word)' is not a number ≥ 0 (inf allowed)")
            }
            if kv[0] == "abs" { abs = v } else { rel = v }
        }
        for m in targets {
            var t = self[m]
            if let abs { t.abs = abs }
            if let rel { t.rel = rel }
            self[m] = t
        }
    }

    /// Applies a tolerance file: one `METRIC [abs=X] [rel=Y]` per line; `#` starts a comment;
    /// blank lines are ignored. Errors name the line.
    public mutating func apply(file text: String) throws(ToleranceError) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map(String.init) ?? ""
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            do {
                try apply(line: line.trimmedBlanks())
            } catch {
                throw .atLine(i + 1, error)
            }
        }
    }
}

public indirect enum ToleranceError: Error, Equatable, CustomStringConvertible {
    case unknownMetric(String)
    case syntax(String)
    case atLine(Int, ToleranceError)

    public var description: String {
        switch self {
        case .unknownMetric(let name):
            return "unknown metric '\(name)' (known: all, "
                + Metric.allCases.map(\.name).joined(separator: ", ") + ")"
        case .syntax(let s): return s
        case .atLine(let n, let e): return "line \(n): \(e)"
        }
    }
}

private extension String {
    func trimmedBlanks() -> String {
        let set: Set<Character> = [" ", "\t", "\r"]
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
