// Trace assertions for tests (any test framework), on the engine and text of `attnscope diff`.

import AttnAnalysis
import AttnTrace

/// The outcome of comparing two traces in a test: `matches`, and a message that says why not,
/// listing the differing heads (the same engine and text as `attnscope diff`). XCTest users
/// write `if !r.matches { XCTFail(r.message) }`.
public struct TraceMatchResult: Sendable {
    public var matches: Bool
    public var message: String
    /// nil when the traces could not be read or aligned (`message` says why).
    public var report: TraceDiffReport?
}

/// Compares two runs held as frame sources (A = expected/baseline, B = actual/new).
public func tracesMatch<A: TraceSource, B: TraceSource>(
    _ a: A, _ b: B, labels: (String, String) = ("expected", "actual"),
    tolerances: ToleranceSet = .defaults, options: DiffOptions = DiffOptions(), top: Int = 20
) -> TraceMatchResult {
    var options = options
    options.tolerances = tolerances
    do {
        let report = try TraceDiff.run(a, b, labels: labels, options: options)
        return TraceMatchResult(matches: report.withinTolerance,
                                message: report.withinTolerance ? "traces match" : report.renderText(top: top),
                                report: report)
    } catch {
        return TraceMatchResult(matches: false, message: error.description, report: nil)
    }
}

/// Compares two trace files (expected, actual): the same as `attnscope diff expected actual`.
/// A file that cannot be read gives `matches == false` and a message naming it.
public func assertTracesMatch(_ expectedPath: String, _ actualPath: String,
                              tolerances: ToleranceSet = .defaults, options: DiffOptions = DiffOptions(),
                              top: Int = 20) -> TraceMatchResult {
    do {
        let a = try openTrace(expectedPath), b = try openTrace(actualPath)
        return tracesMatch(a, b, labels: (expectedPath, actualPath), tolerances: tolerances, options: options, top: top)
    } catch {
        return TraceMatchResult(matches: false, message: error.description, report: nil)
    }
}
