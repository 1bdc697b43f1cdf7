// The one tolerance check of the test suite: the largest difference between computed and expected
// values, which a NaN cannot pass. `Swift.max(worst, d)` and `[d].max()` both drop a NaN (every
// comparison with it is false), so with them an all-NaN result would pass a "max |Δ| < tol" check.

import XCTest

/// The largest |actual − expected| seen so far (divided by a scale for relative checks). A NaN
/// anywhere (in either value or in their difference), or two sequences of different lengths,
/// makes the deviation fail every tolerance.
public struct Deviation: CustomStringConvertible, Sendable {
    /// The largest difference of the numbers compared (NaNs not counted here: see `nanCount`).
    public private(set) var largest: Double = 0
    /// Where `largest` was seen: the number of values compared before it.
    public private(set) var largestAt: Int?
    public private(set) var compared = 0
    public private(set) var nanCount = 0
    /// Lengths of two sequences that should have matched and did not (the first such pair).
    public private(set) var lengthMismatch: (actual: Int, expected: Int)?

    public init() {}

    /// |a − b| / scale, where scale = max(1, max |expected|): the suite's relative error.
    public static func relative<A: Collection, B: Collection>(_ actual: A, _ expected: B) -> Deviation
        where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        var scale = 1.0
        for e in expected {
            let m = Swift.abs(Double(e))
            if m.isNaN { scale = .nan; break }
            scale = Swift.max(scale, m)
        }
        var d = Deviation()
        d.add(actual, expected, scale: scale)
        return d
    }

    /// max |a − b| over the pairs.
    public static func absolute<A: Collection, B: Collection>(_ actual: A, _ expected: B) -> Deviation
        where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        var d = Deviation()
        d.add(actual, expected)
        return d
    }

    public mutating func add<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ actual: A, _ expected: B, scale: Double = 1) {
        let diff = Swift.abs(Double(actual) - Double(expected)) / scale
        if diff.isNaN {
            nanCount += 1
        } else if diff > largest {
            largest = diff
            largestAt = compared
        }
        compared += 1
    }

    public mutating func add<A: Collection, B: Collection>(_ actual: A, _ expected: B, scale: Double = 1)
        where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        if actual.count != expected.count, lengthMismatch == nil { lengthMismatch = (actual.count, expected.count) }
        for (a, e) in zip(actual, expected) { add(a, e, scale: scale) }
    }

    /// Merges another deviation into this one (e.g. per head into per layer).
    public mutating func add(_ other: Deviation) {
        if other.largest > largest { largest = other.largest; largestAt = other.largestAt.map { $0 + compared } }
        compared += other.compared
        nanCount += other.nanCount
        if lengthMismatch == nil { lengthMismatch = other.lengthMismatch }
    }

    /// True only when at least one value was compared, none was NaN, the lengths matched and
    /// every difference is below `tolerance` (strictly).
    public func isBelow(_ tolerance: Double) -> Bool {
        compared > 0 && nanCount == 0 && lengthMismatch == nil && largest < tolerance
    }

    public var description: String {
        var s = "max |Δ| \(largest) over \(compared) values"
        if nanCount > 0 { s += ", \(nanCount) NaN" }
        if let m = lengthMismatch { s += ", lengths \(m.actual) vs \(m.expected)" }
        return s
    }
}

/// Fails unless `deviation.isBelow(tolerance)`.
public func assertBelow(_ deviation: Deviation, _ tolerance: Double, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    if !deviation.isBelow(tolerance) {
        XCTFail("\(deviation), tolerance \(tolerance)\(message().isEmpty ? "" : ": " + message())", file: file, line: line)
    }
}

/// Fails unless every |actual[i] − expected[i]| < tolerance (relative: divided by max(1, max |expected|)).
public func assertClose<A: Collection, B: Collection>(_ actual: A, _ expected: B, below tolerance: Double, relative: Bool = false,
                                                      _ message: @autoclosure () -> String = "",
                                                      file: StaticString = #filePath, line: UInt = #line)
    where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    let d = relative ? Deviation.relative(actual, expected) : Deviation.absolute(actual, expected)
    assertBelow(d, tolerance, message(), file: file, line: line)
}
