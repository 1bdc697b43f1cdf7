// Zoom and pan along one axis of a heatmap: which data indices each screen cell covers.
// Pure arithmetic, tested on its own.

public struct AxisView: Equatable, Sendable {
    /// First data index shown (fractional when zoomed in).
    public var origin: Double = 0
    /// Data units per cell; < 1 magnifies. Ignored while `fitted`.
    public var perCell: Double = 1
    /// When true the axis is recomputed to show all the data whatever the screen size.
    public var fitted = true

    public static let minPerCell = 0.125   // at most 8 cells per data unit

    public init() {}

    /// The data-units-per-cell actually used for `length` data units on `cells` cells.
    public func effectivePerCell(length: Int, cells: Int) -> Double {
        fitted ? max(AxisView.minPerCell, Double(length) / Double(max(1, cells))) : perCell
    }
    public func effectiveOrigin(length: Int, cells: Int) -> Double { fitted ? 0 : origin }

    /// Data indices [lo, hi) that cell `i` covers (hi > lo), or nil when beyond the data.
    public func span(cell i: Int, length: Int, cells: Int) -> Range<Int>? {
        let p = effectivePerCell(length: length, cells: cells)
        let o = effectiveOrigin(length: length, cells: cells)
        let lo = Int((o + Double(i) * p).rounded(.down))
        guard lo >= 0, lo < length else { return nil }
        let hi = max(lo + 1, min(length, Int((o + Double(i + 1) * p).rounded(.down))))
        return lo..<hi
    }

    /// Keeps the origin inside the data.
    mutating func clamp(length: Int, cells: Int) {
        let maxOrigin = max(0, Double(length) - Double(cells) * perCell)
        origin = min(max(0, origin), maxOrigin)
    }

    /// Zoom by `factor` (< 1 zooms in) around the centre of the visible part.
    public mutating func zoom(by factor: Double, length: Int, cells: Int) {
        let p = effectivePerCell(length: length, cells: cells)
        let o = effectiveOrigin(length: length, cells: cells)
        let centre = o + Double(cells) * p / 2
        let fitP = max(AxisView.minPerCell, Double(length) / Double(max(1, cells)))
        perCell = min(max(AxisView.minPerCell, p * factor), max(fitP, AxisView.minPerCell))
        fitted = false
        origin = centre - Double(cells) * perCell / 2
        clamp(length: length, cells: cells)
    }

    /// Move by `n` cells (negative = towards index 0).
    public mutating func pan(cells n: Int, length: Int, cells: Int) {
        if fitted { perCell = effectivePerCell(length: length, cells: cells); origin = 0; fitted = false }
        origin += Double(n) * perCell
        clamp(length: length, cells: cells)
    }

    public mutating func fit() { fitted = true; origin = 0 }
}
