// How tables show a metric's value: the catalogue's format, shared by the viewer and the reports.

extension MetricInfo {
    /// Fractions, ratios and distances with `MetricInfo.decimals` decimals, counts as integers,
    /// bytes as B/K/M/G, times in ms; "–" when unknown.
    public func text(_ v: Double) -> String {
        if v.isNaN { return "–" }
        switch unit {
        case .fraction, .ratio, .distance: return formatFixed(v, MetricInfo.decimals)
        case .count: return v.isFinite ? String(Int(v)) : formatFixed(v, 0)
        case .bytes: return v.isFinite ? formatBytes(Int(v)) : formatFixed(v, 0)
        case .nanoseconds: return formatFixed(v / 1e6, 2) + "ms"
        }
    }
}

/// `v` with `decimals` decimals, rounded half away from zero; "–" for NaN, "∞" / "-∞".
public func formatFixed(_ v: Double, _ decimals: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "–" : (v > 0 ? "∞" : "-∞") }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (abs(v) * p).rounded()
    let whole = Int(r / p), frac = Int(r.truncatingRemainder(dividingBy: p))
    var fs = String(frac)
    while fs.count < decimals { fs = "0" + fs }
    let sign = v < 0 && r > 0 ? "-" : ""
    return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fs)"
}

/// Bytes as B, K, M or G (binary multiples).
public func formatBytes(_ b: Int) -> String {
    let v = Double(b)
    if v >= Double(1 << 30) { return formatFixed(v / Double(1 << 30), 2) + "G" }
    if v >= Double(1 << 20) { return formatFixed(v / Double(1 << 20), 1) + "M" }
    if v >= Double(1 << 10) { return formatFixed(v / Double(1 << 10), 1) + "K" }
    return "\(b)B"
}
