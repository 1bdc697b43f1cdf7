// MARK: - Tolerance

/// How far apart two values may be. A pair (a = baseline, b = new) **differs** when
///     |a − b| > abs  AND  |a − b| > rel · |a|
/// so a difference must beat both the absolute and the relative allowance (abs = 0 and rel = 0
/// means "exactly equal"; abs = inf switches the metric off). NaN means "unknown" in a trace:
/// NaN vs NaN is equal, NaN vs a number differs (a metric appeared or vanished), and equal
/// infinities are equal.
public struct Tolerance: Equatable, Codable, Sendable {
    public var abs: Double
    public var rel: Double
    public init(abs: Double, rel: Double) { self.abs = abs; self.rel = rel }

    public func differs(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN != b.isNaN }
        if a == b { return false }
        let d = Swift.abs(a - b)
        return d > self.abs && d > rel * Swift.abs(a)
    }

    /// The allowance at baseline `a`: max(abs, rel · |a|); a difference is beyond it when it
    /// exceeds this value.
    public func allowance(at a: Double) -> Double { Swift.max(self.abs, rel * Swift.abs(a)) }
}
