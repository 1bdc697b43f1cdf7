import AttnTrace
import XCTest
@testable import AttnAnalysis

final class ToleranceTests: XCTestCase {
    func testLineOverridesOnlyWhatItNames() throws {
        var t = ToleranceSet.defaults
        try t.apply(line: "sink_mass_4 abs=0.05")
        XCTAssertEqual(t[.sinkMass4], Tolerance(abs: 0.05, rel: ToleranceSet.defaults[.sinkMass4].rel))
        try t.apply(line: "recall rel=0.2 abs=inf")
        XCTAssertEqual(t[.recall], Tolerance(abs: .infinity, rel: 0.2))
        try t.apply(line: "all abs=1")
        XCTAssertTrue(Metric.allCases.allSatisfy { t[$0].abs == 1 })
    }

    func testFileWithCommentsAndBlankLines() throws {
        var t = ToleranceSet.defaults
        try t.apply(file: """
            # CI tolerances
            entropy   abs=0.01  rel=0.1   # noisy

            kv_bytes abs=4096\r
            """)
        XCTAssertEqual(t[.entropy], Tolerance(abs: 0.01, rel: 0.1))
        XCTAssertEqual(t[.kvBytes].abs, 4096)
    }

    func testErrorsNameTheLineAndProblem() {
        var t = ToleranceSet.defaults
        let cases: [(String, String)] = [
            ("entropy abs=0.1\nsinkmass abs=1", "line 2: unknown metric 'sinkmass'"),
            ("entropy", "line 1: 'entropy' needs abs="),
            ("entropy abs=x", "line 1: 'x' in 'abs=x' is not a number"),
            ("entropy abs=-1", "not a number ≥ 0"),
            ("\n\nentropy tol=1", "line 3: 'tol=1' is not abs=NUMBER"),
        ]
        for (text, expected) in cases {
            do {
                try t.apply(file: text)
                XCTFail("accepted: \(text)")
            } catch {
                XCTAssertTrue(error.description.contains(expected), "\(error.description) ≠ \(expected)")
            }
        }
    }
}

/// The metric catalogue and the lists read from it.
final class MetricCatalogueTests: XCTestCase {
    func testEntriesAreInMetricOrderWithDistinctNames() {
        for (i, m) in Metric.allCases.enumerated() { XCTAssertEqual(m.rawValue, i, "\(m)"); XCTAssertEqual(m.info.metric, m) }
        XCTAssertEqual(Set(Metric.allCases.map(\.name)).count, Metric.allCases.count)
        for m in Metric.allCases { XCTAssertEqual(Metric(name: m.name), m) }
        XCTAssertNil(Metric(name: "no_such_metric"))
    }

    func testListsComeFromTheCatalogue() {
        // Every per-head value is an export column, in catalogue order, and a tolerance name.
        let columns = MetricTable.columns
        let positions = Metric.headValues.map { columns.firstIndex(of: $0.name) }
        XCTAssertFalse(positions.contains(nil))
        XCTAssertEqual(positions.map { $0! }, positions.map { $0! }.sorted())
        for m in Metric.kvValues { XCTAssertTrue(columns.contains(m.name), m.name) }
        for m in Metric.allCases { XCTAssertEqual(ToleranceSet.defaults[m], m.info.tolerance, m.name) }
        // Stats summarises the per-head values that are not counts.
        XCTAssertFalse(Metric.summarisedPerHead.contains(.visibleKV))
        XCTAssertTrue(Metric.summarisedPerHead.contains(.outputError))
        XCTAssertTrue(Metric.overview.contains(.kvBytes))
    }

    func testMetricsEncodeByName() throws {
        let data = try JSONEncoder().encode([Metric.sinkMass4, .kvBytes])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["sink_mass_4","kv_bytes"]"#)
        XCTAssertEqual(try JSONDecoder().decode([Metric].self, from: data), [.sinkMass4, .kvBytes])
        XCTAssertThrowsError(try JSONDecoder().decode([Metric].self, from: Data(#"["nope"]"#.utf8)))
    }
}

/// `differs` at its edges: a difference exactly on an allowance is within it (both comparisons are
/// strict), and the relative allowance is taken at the baseline a, not at b (asymmetric values).
final class ToleranceEdgeTests: XCTestCase {
    func testADifferenceExactlyOnTheAllowanceIsWithinIt() {
        // (values exact in binary: 1.5 − 1 = 0.5 and 3 − 2 = 1 = 0.5 · 2)
        XCTAssertFalse(Tolerance(abs: 0.5, rel: 0).differs(1, 1.5))
        XCTAssertTrue(Tolerance(abs: 0.5, rel: 0).differs(1, 1.5000001))
        XCTAssertFalse(Tolerance(abs: 0, rel: 0.5).differs(2, 3))
        XCTAssertTrue(Tolerance(abs: 0, rel: 0.5).differs(2, 3.0000001))
        XCTAssertEqual(Tolerance(abs: 0, rel: 0.5).allowance(at: 2), 1)
        XCTAssertEqual(Tolerance(abs: 0.5, rel: 0.1).allowance(at: 2), 0.5)
    }

    func testTheRelativeAllowanceIsTakenAtTheBaseline() {
        let t = Tolerance(abs: 0, rel: 0.4)
        XCTAssertTrue(t.differs(2, 3))    // |Δ| 1 > 0.4 · 2 (at b it would be 1.2: within)
        XCTAssertFalse(t.differs(3, 2))   // |Δ| 1 ≤ 0.4 · 3 (at b it would be 0.8: beyond)
        XCTAssertEqual(t.allowance(at: -5), 2, accuracy: 1e-12)
        XCTAssertTrue(t.differs(-2, -3))
        XCTAssertFalse(t.differs(-3, -2))
    }
}
