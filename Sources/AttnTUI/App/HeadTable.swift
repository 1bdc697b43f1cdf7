// The rows of the head table: one per (layer, head) at the current step, with sorting and the `/`
// filter. Pure over metrics, so tests can check the order and the filter language.

import AttnTrace

public struct HeadRow: Equatable, Sendable {
    public var metrics: HeadMetrics
    public var kvBytes: Int
    /// Head class (sink / local / retrieval-like / diffuse), when a classifier is available.
    public var headClass: String?
    /// Positions the step's query has seen (`StepInfo.context`), what `sparsity` is relative to.
    public var context = 0
    public var layer: Int { metrics.layer }
    public var head: Int { metrics.head }
}

/// A column of the head table: the head, its class, each catalogue metric with a value per head
/// (plus its KV group's bytes) and the top sink.
public enum HeadColumn: Hashable, Sendable {
    case layer, head, headClass, metric(Metric), topSink

    /// In table order: the catalogue's per-head metrics, then the top sink and the KV group's bytes.
    public static let allCases: [HeadColumn] = [.layer, .head, .headClass] + Metric.headValues.map { .metric($0) }
        + [.topSink, .metric(.kvBytes)]

    /// Position in `allCases`.
    public var rawValue: Int { HeadColumn.allCases.firstIndex(of: self)! }

    public var title: String {
        switch self {
        case .layer: return "L"
        case .head: return "H"
        case .headClass: return "class"
        case .metric(let m): return m.info.label
        case .topSink: return "top sink"
        }
    }
    /// Names accepted in filters (`sink4>0.5`), lower case.
    public var filterName: String {
        switch self {
        case .topSink: return "top"
        case .metric(.kvBytes): return "kv"
        case .metric(.outputError): return "err"
        default: return title.lowercased()
        }
    }
    public var width: Int {
        switch self {
        case .layer, .head: return 3
        case .headClass: return 10
        case .topSink: return 13
        case .metric(let m) where m.info.unit == .bytes: return 9
        default: return 7
        }
    }

    /// Sort key (numbers; class and top sink sort by their text / score).
    func number(_ r: HeadRow) -> Double {
        let m = r.metrics
        switch self {
        case .layer: return Double(m.layer)
        case .head: return Double(m.head)
        case .headClass: return 0
        case .metric(let metric): return metric.info.head?.read(m, context: r.context) ?? Double(r.kvBytes)
        case .topSink: return Double(m.topSinks.first?.score ?? 0)
        }
    }

    public func text(_ r: HeadRow) -> String {
        let m = r.metrics
        switch self {
        case .layer: return "\(m.layer)"
        case .head: return "\(m.head)"
        case .headClass: return r.headClass ?? ""
        case .metric(let metric): return metric.info.text(number(r))
        case .topSink: return m.topSinks.first.map { "\($0.position):\(formatFixed(Double($0.score), 3))" } ?? "–"
        }
    }
}

public struct HeadTableQuery: Equatable, Sendable {
    public var sortColumn: HeadColumn = .layer
    public var descending = false
    public var filter = ""
    public init() {}

    /// Sorted (stable: ties keep layer/head order) and filtered rows. NaN sorts last.
    public func apply(_ rows: [HeadRow]) -> [HeadRow] {
        let terms = HeadTableQuery.parseFilter(filter)
        let kept = rows.filter { row in terms.allSatisfy { $0.matches(row) } }
        let col = sortColumn, desc = descending
        return kept.enumerated().sorted { a, b in
            if col == .headClass {
                let x = a.element.headClass ?? "", y = b.element.headClass ?? ""
                if x != y { return desc ? x > y : x < y }
                return a.offset < b.offset
            }
            let x = col.number(a.element), y = col.number(b.element)
            if x.isNaN != y.isNaN { return y.isNaN }
            if x != y, !x.isNaN { return desc ? x > y : x < y }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// One filter term: `col>v`, `col<v`, `col>=v`, `col<=v`, `col=v`, `L3`, `H5`, or text matched
    /// against the class.
    public struct Term: Equatable, Sendable {
        enum Op: String { case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "=" }
        var column: HeadColumn?
        var op: Op?
        var value: String

        func matches(_ r: HeadRow) -> Bool {
            guard let column, let op else {
                return (r.headClass ?? "").lowercased().contains(value)
            }
            if column == .headClass { return (r.headClass ?? "").lowercased().hasPrefix(value) }
            guard let v = Double(value) else { return false }
            let x = column.number(r)
            switch op {
            case .lt: return x < v
            case .le: return x <= v
            case .gt: return x > v
            case .ge: return x >= v
            case .eq: return abs(x - v) < 1e-9
            }
        }
    }

    static func parseFilter(_ text: String) -> [Term] {
        text.lowercased().split(separator: " ").map { word -> Term in
            let w = String(word)
            for op in ["<=", ">=", "<", ">", "="] {
                if let r = w.range(of: op) {
                    let name = String(w[..<r.lowerBound]), value = String(w[r.upperBound...])
                    if let col = HeadColumn.allCases.first(where: { $0.filterName == name }) {
                        return Term(column: col, op: Term.Op(rawValue: op), value: value)
                    }
                }
            }
            if w.count > 1, let n = Int(w.dropFirst()) {
                if w.first == "l" { return Term(column: .layer, op: .eq, value: "\(n)") }
                if w.first == "h" { return Term(column: .head, op: .eq, value: "\(n)") }
            }
            return Term(column: nil, op: nil, value: w)
        }
    }
}
