import XCTest
@testable import AttnRuntime

/// The second model, Gemma 3 270M Q4_K_M (ModelLocator.path(of: .gemma3)), opened once for all tests.
/// scripts/setup.sh installs it, so a missing file is a failure, not a skip.
enum Gemma3Model {
    nonisolated(unsafe) private static var cached: GGUFFile?
    private static let lock = NSLock()

    static func gguf(file: StaticString = #filePath, line: UInt = #line) throws -> GGUFFile {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        do {
            let opened = try GGUFFile(path: try ModelLocator.path(of: .gemma3))
            cached = opened
            return opened
        } catch {
            XCTFail("Gemma 3 model unavailable: \(error)", file: file, line: line)
            throw error
        }
    }
}
