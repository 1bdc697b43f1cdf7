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
        XCTAssertTrue(DiffMetric.allCases.allSatisfy { t[$0].abs == 1 })
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

final class DiffMetricTests: XCTestCase {
    func testIndexIsPositionInAllCases() {
        for (i, m) in DiffMetric.allCases.enumerated() { XCTAssertEqual(m.index, i, "\(m)") }
    }
}
