import AttnRuntime
import AttnTrace
import AttnTestSupport
import AttnTraceTestSupport
import Foundation
import XCTest

extension XCTestCase {
    /// The reference model's path (ReferenceModelRequirement: a skip only when opted out).
    func requireModel(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ReferenceModelRequirement.require(ModelLocator.referenceModelPath, file: file, line: line)
    }

    /// A file name in the temporary directory, unique to this test process.
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-recorder-\(getpid())-\(name)").path
    }
}
