import Foundation
import XCTest

/// The synthetic Qwen2 / Llama 3 / Mistral files, the tokenizer-only files and their numpy
/// reference, written once per test run by reference/variants_reference.py (GGUFWriter from the
/// `gguf` package, which scripts/setup.sh installs; about 3 s) into a temporary directory.
/// `$PYTHON` names the interpreter (default python3). A failure to run it is a test failure.
enum VariantFixtures {
    nonisolated(unsafe) private static var written: (dir: URL, json: [String: Any])?
    private static let lock = NSLock()

    static func reference(file: StaticString = #filePath, line: UInt = #line) throws -> (dir: URL, json: [String: Any]) {
        lock.lock()
        defer { lock.unlock() }
        if let written { return written }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-variants-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("reference/variants_reference.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["PYTHON"] ?? "python3", script.path, dir.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("\(script.path) failed (\(process.terminationStatus)): \(message)", file: file, line: line)
            throw CocoaError(.executableLoad)
        }
        let data = try Data(contentsOf: dir.appendingPathComponent("variants-reference.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        written = (dir, json)
        return (dir, json)
    }
}
