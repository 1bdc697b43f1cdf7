// Which steps each column of the Timeline shows: the whole run across the plot's width.

import Foundation

/// Fewer steps than columns: every step gets `width / count` columns. More steps than columns:
/// column c is the bin of steps [first + c·count/width, first + (c+1)·count/width), drawn as the
/// bin's min and max so that a one-step spike never disappears (binning, not sampling).
struct TimelineColumns: Equatable {
    let first: Int       // first step shown (after the prefill when it is excluded)
    let count: Int       // steps shown
    let width: Int       // plot columns available

    var binned: Bool { count > width }
    /// Columns per step when not binned.
    var perStep: Int { binned || count == 0 ? 1 : max(1, width / count) }
    /// Columns in use.
    var used: Int { binned ? width : count * perStep }

    /// The steps column `c` shows (empty past the last used column).
    func steps(column c: Int) -> Range<Int> {
        guard c >= 0, c < used else { return first..<first }
        if !binned { let s = first + c / perStep; return s..<(s + 1) }
        return (first + c * count / width)..<(first + (c + 1) * count / width)
    }

    /// The columns that show `step` (empty when the step is not shown).
    func columns(step: Int) -> Range<Int> {
        let i = step - first
        guard i >= 0, i < count else { return 0..<0 }
        if !binned { return (i * perStep)..<((i + 1) * perStep) }
        // the column whose bin holds i: the largest c with c·count/width ≤ i
        var c = min(width - 1, i * width / count)
        while c > 0 && c * count / width > i { c -= 1 }
        while c + 1 < width && (c + 1) * count / width <= i { c += 1 }
        return c..<(c + 1)
    }
}

/// A value on the Timeline's bar scale: linear, or log10 for the log scale (values ≤ 0 have no log
/// and are drawn at the bottom, as NaN is left blank).
enum TimelineScale {
    static func map(_ v: Double, log: Bool) -> Double {
        guard v.isFinite else { return .nan }
        guard log else { return v }
        return v > 0 ? log10(v) : -.infinity
    }
}
