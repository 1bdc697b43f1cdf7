// Whether the tests that need the reference model run. scripts/setup.sh installs the model, so on
// a machine set up by it a model that cannot be found is a failure of the suite (a regression in
// how the model is found must not turn every model test into a skip). People without the model
// opt out explicitly with ATTNSCOPE_SKIP_MODEL_TESTS=1.

import Foundation
import XCTest

public enum ReferenceModelRequirement {
    public static let optOutVariable = "ATTNSCOPE_SKIP_MODEL_TESTS"

    /// ATTNSCOPE_SKIP_MODEL_TESTS is set to something other than "" or "0".
    public static var optedOut: Bool {
        let v = ProcessInfo.processInfo.environment[optOutVariable] ?? ""
        return !v.isEmpty && v != "0"
    }

    /// The model's path from `locate` (the runtime's ModelLocator), decided before a test starts
    /// anything. Throws XCTSkip when opted out; records a failure and throws when the model
    /// cannot be found.
    @discardableResult
    public static func require(_ locate: () throws -> String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if optedOut { throw XCTSkip("\(optOutVariable) is set: tests that need the reference model are skipped") }
        do {
            return try locate()
        } catch {
            XCTFail("the reference model cannot be found (scripts/setup.sh installs it; "
                    + "\(optOutVariable)=1 skips the tests that need it): \(error)", file: file, line: line)
            throw error
        }
    }
}
