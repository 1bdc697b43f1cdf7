import XCTest
@testable import AttnTUI

final class AttnTUIPlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
