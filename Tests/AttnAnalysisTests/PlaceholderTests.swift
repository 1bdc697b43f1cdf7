import XCTest
@testable import AttnAnalysis

final class AttnAnalysisPlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
