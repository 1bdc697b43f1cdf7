import AttnTrace

// MARK: - CSV

/// Writes the per-(step, layer, head) metrics as CSV (RFC 4180, header row, `,` separated, `\n`
/// line ends). Unknown values are empty fields, which pandas reads as NaN and DuckDB as NULL.
public enum CSVExport {
    public static func write<S: TraceSource>(_ source: S, to out: TextOutput) throws {
        try out.write(MetricTable.columns.joined(separator: ",") + "\n")
        let model = source.header.model
        for i in 0..<source.stepCount {
            let frame = try source.frame(i)
            try MetricTable.rows(of: frame, model: model) { cells in
                var line = ""
                for (k, c) in cells.enumerated() {
                    if k > 0 { line += "," }
                    line += field(c)
                }
                try out.write(line + "\n")
            }
        }
    }

    static func field(_ c: TableValue) -> String {
        switch c {
        case .int(let v): return String(v)
        case .float(let v): return v.isFinite ? "\(v)" : ""
        case .missing: return ""
        case .text(let s):
            guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
            return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
