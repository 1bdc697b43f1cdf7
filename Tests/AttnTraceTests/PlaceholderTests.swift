import XCTest
@testable import AttnTrace

final class AttnTracePlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
