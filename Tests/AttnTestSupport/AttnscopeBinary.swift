// The `attnscope` binary of the configuration under test, and running it. The test bundle and the
// binary are products of the same `swift test` build, so the binary is looked for beside the
// bundle only: a `.build/release` left from an older build is never picked instead.

import Foundation
import XCTest

public enum AttnscopeBinary {
    /// The build products directory of this test run (.build/<triple>/<configuration>).
    public static var productsDirectory: URL {
        #if os(Linux)
        // The xctest executable swift test runs is itself in the products directory.
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        #else
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
        #endif
    }

    public static var url: URL { productsDirectory.appendingPathComponent("attnscope") }

    /// The binary, or a recorded failure (not a skip: `swift test` builds it with the tests).
    public static func require(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let u = url
        guard FileManager.default.isExecutableFile(atPath: u.path) else {
            XCTFail("no attnscope binary at \(u.path) (the products of this test build)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return u
    }
}

/// What a finished process left: exit status (128 + signal when a signal ended it), stdout, stderr.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
    /// True when the process ended by a signal (a crash, or a kill).
    public var signalled: Bool
}

/// Runs `executable` with `arguments`; stdout and stderr go through files (no pipe can fill up).
/// `environment` entries are added to (nil value: removed from) this process's environment.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String?] = [:],
                       currentDirectory: URL? = nil) throws -> ProcessResult {
    let dir = FileManager.default.temporaryDirectory
    let tag = "attnscope-run-\(getpid())-\(UUID().uuidString)"
    let outURL = dir.appendingPathComponent(tag + ".out"), errURL = dir.appendingPathComponent(tag + ".err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    if !environment.isEmpty {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
    }
    if let currentDirectory { p.currentDirectoryURL = currentDirectory }
    let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
    p.standardOutput = outHandle
    p.standardError = errHandle
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    try? outHandle.close(); try? errHandle.close()
    let signalled = p.terminationReason == .uncaughtSignal
    return ProcessResult(status: signalled ? 128 + p.terminationStatus : p.terminationStatus,
                         out: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                         err: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self),
                         signalled: signalled)
}
