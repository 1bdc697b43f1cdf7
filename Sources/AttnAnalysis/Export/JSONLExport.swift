import AttnTrace

// MARK: - JSON Lines

/// Writes one JSON object per (step, layer, head) per line, keys = `MetricTable.columns`;
/// unknown values are `null`. Reads with `pandas.read_json(path, lines=True)`,
/// DuckDB `read_json_auto`, Spark `spark.read.json`.
public enum JSONLExport {
    public static func write<S: TraceSource>(_ source: S, to out: TextOutput) throws {
        let model = source.header.model
        let keys = MetricTable.columns.map { jsonString($0) + ":" }
        for i in 0..<source.stepCount {
            let frame = try source.frame(i)
            try MetricTable.rows(of: frame, model: model) { cells in
                var line = "{"
                for (k, c) in cells.enumerated() {
                    if k > 0 { line += "," }
                    line += keys[k] + value(c)
                }
                try out.write(line + "}\n")
            }
        }
    }

    static func value(_ c: TableValue) -> String {
        switch c {
        case .int(let v): return String(v)
        case .float(let v): return jsonNumber(v)
        case .text(let s): return jsonString(s)
        case .missing: return "null"
        }
    }
}
