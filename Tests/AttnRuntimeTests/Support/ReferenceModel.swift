import AttnTestSupport
import XCTest
@testable import AttnRuntime

/// The reference model, opened once for all tests (ModelLocator; ATTNSCOPE_MODEL overrides).
/// scripts/setup.sh installs it, so a missing model is a failure, not a skip (unless
/// ATTNSCOPE_SKIP_MODEL_TESTS=1: ReferenceModelRequirement).
enum ReferenceModel {
    nonisolated(unsafe) private static var cached: GGUFFile?
    private static let lock = NSLock()

    static func gguf(file: StaticString = #filePath, line: UInt = #line) throws -> GGUFFile {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let path = try ReferenceModelRequirement.require(ModelLocator.referenceModelPath, file: file, line: line)
        do {
            let opened = try GGUFFile(path: path)
            cached = opened
            return opened
        } catch {
            XCTFail("reference model at \(path) does not open: \(error)", file: file, line: line)
            throw error
        }
    }
}

/// Fixtures written by reference/reference.py (see docs/runtime.md).
enum Fixtures {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static func json(_ name: String) throws -> Any {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data)
    }
}
