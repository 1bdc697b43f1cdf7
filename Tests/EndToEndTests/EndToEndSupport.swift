import Foundation
import XCTest

/// Running the built `attnscope` binary from end-to-end tests.
extension XCTestCase {
    /// .build/<config>/attnscope, next to the test bundle.
    var binary: URL {
        let bundle = Bundle(for: type(of: self)).bundleURL
        let candidates = [bundle.appendingPathComponent("attnscope"),
                          bundle.deletingLastPathComponent().appendingPathComponent("attnscope")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-e2e-\(getpid())-\(name)").path
    }

    @discardableResult
    func run(_ args: [String], expectStatus: Int32? = 0, file: StaticString = #filePath, line: UInt = #line) throws -> (out: String, err: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let result = (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        if result.1.contains("not installed") { throw XCTSkip("reference model not installed: \(result.1)") }
        if let expectStatus { XCTAssertEqual(p.terminationStatus, expectStatus, "attnscope \(args.joined(separator: " ")): \(result.1)", file: file, line: line) }
        return result
    }
}
