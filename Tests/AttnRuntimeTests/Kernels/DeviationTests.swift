import AttnTestSupport
import XCTest

/// The suite's tolerance check (AttnTestSupport.Deviation) cannot be passed by NaN, by a length
/// mismatch or by comparing nothing; it does not use `Swift.max`
/// or `.max()`, which drop NaN.
final class DeviationTests: XCTestCase {
    func testTheLargestDifferenceAndWhereItIs() {
        let d = Deviation.absolute([1, 2, 3] as [Float], [1, 2.5, 2.75] as [Double])
        XCTAssertEqual(d.largest, 0.5)
        XCTAssertEqual(d.largestAt, 1)
        XCTAssertEqual(d.compared, 3)
        XCTAssertTrue(d.isBelow(0.6))
        XCTAssertFalse(d.isBelow(0.5), "strictly below")
        let r = Deviation.relative([4, 8] as [Float], [4, 10] as [Float])
        XCTAssertEqual(r.largest, 0.2, accuracy: 1e-12, "2 / max(1, 10)")
    }

    /// What `max(worst, d)` let through: an all-NaN result (a broken forward pass) against the
    /// reference, one NaN among good values, NaN in the reference, ∞ − ∞.
    func testNaNAnywhereFailsEveryTolerance() {
        let reference: [Double] = [0.5, 0.25, 0.25]
        XCTAssertEqual(Swift.max(Float(0), Float.nan), 0, "the blind spot this helper closes")
        XCTAssertFalse(Deviation.absolute([Float](repeating: .nan, count: 3), reference).isBelow(.infinity))
        XCTAssertFalse(Deviation.absolute([0.5, .nan, 0.25] as [Float], reference).isBelow(1))
        XCTAssertFalse(Deviation.absolute([0.5, 0.25, 0.25] as [Float], [0.5, .nan, 0.25]).isBelow(1))
        XCTAssertFalse(Deviation.relative([0.5, 0.25, 0.25] as [Float], [0.5, .nan, 0.25]).isBelow(1))
        XCTAssertFalse(Deviation.absolute([Float.infinity], [Double.infinity]).isBelow(1))
        var merged = Deviation.absolute([0.5] as [Float], [0.5] as [Double])
        merged.add(Deviation.absolute([Float.nan], [0.5] as [Double]))
        XCTAssertFalse(merged.isBelow(1))
        XCTAssertEqual(merged.nanCount, 1)
    }

    func testLengthMismatchAndNothingComparedFail() {
        XCTAssertFalse(Deviation.absolute([0.5] as [Float], [0.5, 0.5] as [Double]).isBelow(1))
        XCTAssertFalse(Deviation().isBelow(1), "nothing compared is no evidence")
        XCTAssertFalse(Deviation.absolute([Float](), [Double]()).isBelow(1))
    }
}
