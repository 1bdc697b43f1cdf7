import XCTest
@testable import AttnRuntime

final class AttnRuntimePlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
