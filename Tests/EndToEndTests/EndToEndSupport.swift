@testable import AttnTrace
import AttnRuntime
import AttnTestSupport
import Foundation
import XCTest

/// Running the built `attnscope` binary from end-to-end tests.
extension XCTestCase {
    /// The attnscope of this test build (AttnscopeBinary: beside the test bundle).
    var binary: URL { AttnscopeBinary.url }

    /// Tests that run the model call this first: a skip only when ATTNSCOPE_SKIP_MODEL_TESTS=1,
    /// a failure when the model cannot be found; from then on an early exit is a failure.
    @discardableResult
    func requireModel(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ReferenceModelRequirement.require(ModelLocator.referenceModelPath, file: file, line: line)
    }

    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-e2e-\(getpid())-\(name)").path
    }

    /// Runs attnscope and checks its exit status (nil: any).
    @discardableResult
    func run(_ args: [String], expectStatus: Int32? = 0, environment: [String: String?] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> (out: String, err: String) {
        let r = try runProcess(try AttnscopeBinary.require(file: file, line: line), args, environment: environment)
        if let expectStatus {
            XCTAssertEqual(r.status, expectStatus, "attnscope \(args.joined(separator: " ")): \(r.err)", file: file, line: line)
        }
        return (r.out, r.err)
    }

    /// Starts attnscope in the background (stdout and stderr discarded).
    func start(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Process {
        let p = Process()
        p.executableURL = try AttnscopeBinary.require(file: file, line: line)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits (60 s at most: a busy machine is slow, not broken) until `path` holds `bytes` or the
    /// process ended; fails, naming the status, when it ended first.
    func waitForFile(_ path: String, atLeast bytes: Int, of p: Process, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size >= bytes { break }
            if !p.isRunning { break }
            usleep(20_000)
        }
        guard p.isRunning else {
            XCTFail("attnscope \(p.arguments?.joined(separator: " ") ?? "") ended early (status \(p.terminationStatus))",
                    file: file, line: line)
            return false
        }
        return true
    }
}

/// What follows the last complete step of a recovered file is at most one chunk, cut short: a
/// prefix of the sync marker, or a chunk header whose chunk does not fit in what is left.
func assertAtMostOnePartialChunk(_ reader: TraceReader, path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard case .recovered(let valid, _) = reader.status else { return XCTFail("\(path) was finalized", file: file, line: line) }
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let tail = bytes[valid...]
    let sync = Format.sync
    XCTAssertTrue(zip(tail, sync).allSatisfy { $0 == $1 }, "\(tail.count) bytes after the last complete step do not start a chunk",
                  file: file, line: line)
    guard tail.count >= Format.chunkHeaderSize else { return }
    let length = tail.dropFirst(8).prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    XCTAssertLessThan(tail.count, Format.chunkHeaderSize + length,
                      "\(tail.count) bytes after the last complete step: more than the one chunk being written (\(length) bytes)",
                      file: file, line: line)
}
