// The command line as a new user meets it: output into a pipe whose reader stops early
// (`| head`), and one format for every error message.

import XCTest
import AttnTestSupport
import AttnTrace

extension CLITests {
    /// Runs the binary with stdout a pipe whose read end is already closed, so the first write
    /// fails with EPIPE, and SIGPIPE at its default action (as a shell leaves it; the test runner
    /// may ignore it, and an ignored signal would be inherited).
    func runIntoClosedPipe(_ args: [String]) throws -> (status: Int32, signalled: Bool, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=PIPE", try AttnscopeBinary.require().path] + args
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        p.standardOutput = pipe
        let errURL = dir.appendingPathComponent("stderr-pipe")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, try String(contentsOf: errURL, encoding: .utf8))
    }

    /// `attnscope stats x | head` and friends end quietly: no death by SIGPIPE (141 under
    /// pipefail), no trap in a Foundation write, nothing on stderr; diff keeps its verdict.
    func testReaderClosingThePipeEndsQuietly() throws {
        let a = try write("a.atrace")
        let b = try write("b.atrace") { f in if f.step.index == 2 { f.metrics[1].sinkMass4 = 0.99 } }
        let cases: [([String], Int32)] = [
            (["stats", a], 0), (["stats", "--json", a], 0), (["dump", a], 0), (["info", a], 0),
            (["export", a, "--format", "csv"], 0), (["export", a, "--format", "jsonl", "-o", "-"], 0),
            (["diff", a, a], 0), (["diff", a, b], 1), (["record", "--help"], 0),
        ]
        for (args, status) in cases {
            let r = try runIntoClosedPipe(args)
            XCTAssertFalse(r.signalled, "\(args): killed by signal \(r.status)")
            XCTAssertEqual(r.status, status, "\(args): \(r.err)")
            if args != ["record", "--help"] { XCTAssertEqual(r.err, "", "\(args)") }
        }
    }

    /// Every error: "attnscope <command>: <file or flag>: <problem>", exit 2, the file said once
    /// (library errors that name their file already are not prefixed with it again).
    func testErrorsShareOneFormat() throws {
        let a = try write("a.atrace")
        let missing = dir.appendingPathComponent("nope.atrace").path
        let garbage = dir.appendingPathComponent("garbage.atrace").path
        FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x41, count: 4096))
        let notGGUF = dir.appendingPathComponent("x.gguf").path
        FileManager.default.createFile(atPath: notGGUF, contents: Data(repeating: 0x42, count: 64))
        let cases: [(args: [String], names: String)] = [
            (["stats", missing], missing), (["stats", garbage], garbage), (["info", garbage], garbage),
            (["dump", missing], missing), (["export", garbage, "--format", "csv"], garbage),
            (["diff", a, missing], missing), (["diff", garbage, a], garbage),
            (["view", missing], missing), (["view", a, "--color", "pink"], "--color pink"),
            (["diff", a, a, "--tolerance", "entropy abs=lots"], "--tolerance 'entropy abs=lots'"),
            (["generate", "--model", notGGUF, "--prompt", "hi"], notGGUF),
            (["record", "--model", notGGUF, "--prompt", "hi", "--out", dir.appendingPathComponent("r.atrace").path], notGGUF),
            (["record", "--prompt", "hi", "--policy", "nonesuch", "--out", "x.atrace"], "--policy nonesuch"),
            (["record", "--prompt", "hi", "--capture", "everything", "--out", "x.atrace"], "--capture everything"),
            (["calibrate", "--tau", "2", "--out", "b.json"], "--tau 2.0"),
            (["perplexity", "--file", missing], "--file \(missing)"),
        ]
        for (args, names) in cases {
            let r = try run(args)
            let first = r.err.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            // "<file>: problem", or the reader's "<file> at byte N: problem"
            let head = "attnscope \(args[0]): \(names)"
            XCTAssertTrue(first.hasPrefix(head + ": ") || first.hasPrefix(head + " at byte "), "\(args): \(first)")
            XCTAssertEqual(first.components(separatedBy: names).count - 1, 1, "\(args): said more than once: \(first)")
            XCTAssertFalse(r.err.contains("error: error") || r.err.contains("Error:"), r.err)
        }
    }

    /// A command line that cannot work shows the command's short usage after the message.
    func testUsageErrorsShowTheShortUsage() throws {
        for (args, subject) in [(["info", "--no-such-flag", "x.atrace"], "--no-such-flag"), (["generate", "-n", "abc", "--prompt", "hi"], "-n"),
                                (["diff", "a.atrace"], "<new>"), (["record", "--out", "x.atrace"], "--prompt")] {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("attnscope \(args[0]): \(subject): "), "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("Usage: attnscope \(args[0])"), "\(args): \(r.err)")
        }
    }
}
