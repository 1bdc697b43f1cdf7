import AttnRuntime
import AttnTestSupport
import AttnTrace
import Foundation
import XCTest
import AttnTraceTestSupport

/// The README's promise, command by command: every bad input (a file, a flag, a value) exits with
/// status 2 and a message on stderr that names the input. One row per command × bad input; the
/// rows marked `model` get past their validation only with the model loaded.
final class BadInputTests: XCTestCase {
    struct Case {
        var args: [String]
        /// Strings the message must contain: the path, flag or value at fault.
        var names: [String]
        var model = false
        var environment: [String: String?] = [:]
        /// The command must not create its --out file.
        var writesNothing = false
    }

    var dir: URL!
    var good: String { dir.appendingPathComponent("good.atrace").path }
    var garbage: String { dir.appendingPathComponent("garbage.atrace").path }
    var empty: String { dir.appendingPathComponent("empty.txt").path }
    var missing: String { dir.appendingPathComponent("missing.atrace").path }
    var missingText: String { dir.appendingPathComponent("missing.txt").path }
    var out: String { dir.appendingPathComponent("out.atrace").path }
    let unwritable = "/nonexistent-dir/out.file"
    var otherModelMap: String { dir.appendingPathComponent("map-4-layers.json").path }
    static let prose = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AttnRuntimeTests/Fixtures/english-prose.txt").path

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-bad-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try SyntheticTrace(shape: .tiny, seed: 1).write(to: good)
        var rng = SeededGenerator(seed: 5)
        FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        FileManager.default.createFile(atPath: empty, contents: Data())
        FileManager.default.createFile(atPath: otherModelMap, contents: Data(#"{"model": {"layers": 4, "heads": 9, "kvHeads": 3}, "layers": [{"layers": "0-3", "policy": "dense"}]}"#.utf8))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var cases: [Case] {
        let record = ["record", "--prompt", "hi", "--out", out]
        let generate = ["generate", "--prompt", "hi"]
        let calibrate = ["calibrate", "--text", "a calibration text", "--out", dir.appendingPathComponent("b.json").path]
        return [
            // reading traces
            Case(args: ["view", missing], names: [missing]),
            Case(args: ["view", garbage], names: [garbage]),
            Case(args: ["view", dir.path], names: [dir.path]),
            Case(args: ["view", good, "--color", "bogus"], names: ["--color", "bogus"]),
            Case(args: ["view", good, good, good], names: ["got 3"]),
            Case(args: ["info", missing], names: [missing]),
            Case(args: ["info", garbage], names: [garbage]),
            Case(args: ["info", empty], names: [empty]),
            Case(args: ["info", "--no-such-flag", good], names: ["--no-such-flag"]),
            Case(args: ["dump", missing], names: [missing]),
            Case(args: ["dump", garbage], names: [garbage]),
            Case(args: ["stats", missing], names: [missing]),
            Case(args: ["stats", garbage], names: [garbage]),
            Case(args: ["export", missing, "--format", "csv"], names: [missing]),
            Case(args: ["export", garbage, "--format", "csv"], names: [garbage]),
            Case(args: ["export", good, "--format", "bogus"], names: ["--format", "bogus"]),
            Case(args: ["export", good, "--format", "csv", "-o", unwritable], names: [unwritable]),
            Case(args: ["diff", good, missing], names: [missing]),
            Case(args: ["diff", garbage, good], names: [garbage]),
            Case(args: ["diff", good, good, "--tolerance", "entropy abs=lots"], names: ["lots"]),
            Case(args: ["diff", good, good, "--tolerance", "bogus abs=1"], names: ["bogus"]),
            Case(args: ["diff", good, good, "--tolerance-file", missingText], names: [missingText]),
            Case(args: ["frobnicate"], names: ["frobnicate"]),
            // recording and running the model
            Case(args: ["record", "--out", out], names: ["--prompt"]),
            Case(args: record + ["-n", "0"], names: ["-n 0"]),
            Case(args: record + ["--row-interval", "0"], names: ["--row-interval"]),
            Case(args: record + ["--temperature", "-1"], names: ["--temperature"]),
            Case(args: ["record", "--prompt-file", missingText, "--out", out], names: [missingText]),
            Case(args: record + ["--policy", "nonesuch"], names: ["nonesuch"]),
            Case(args: record + ["--policy", "streaming:window=-1"], names: ["window=-1"]),
            Case(args: record + ["--policy", "tca:budgets=\(missingText)"], names: [missingText]),
            // layer maps (docs/policies.md): one message each, nothing written
            Case(args: record + ["--policy", "L0-3=dense;L2-29=quest"], names: ["L0-3", "L2-29", "overlap"], writesNothing: true),
            Case(args: record + ["--policy", "L0-1=dense;L2-29=quest:budget=0"], names: ["L2-29", "budget=0"], writesNothing: true),
            Case(args: record + ["--policy", "L0-1=dense;L2-29=quest:bogus=1"], names: ["L2-29", "bogus"], writesNothing: true),
            Case(args: record + ["--policy-file", missingText], names: [missingText], writesNothing: true),
            Case(args: record + ["--policy", "L0-1=dense;L5-29=quest"], names: ["L2-4"], model: true, writesNothing: true),
            Case(args: record + ["--policy", "L0-1=dense;L2-40=quest"], names: ["L2-40", "30 layers"], model: true, writesNothing: true),
            Case(args: record + ["--policy-file", otherModelMap], names: [otherModelMap, "4 layers"], model: true, writesNothing: true),
            Case(args: record + ["--capture", "everything"], names: ["--capture", "everything"]),
            Case(args: record + ["--model", missingText], names: [missingText]),
            Case(args: record + ["--threads", "0"], names: ["--threads"]),
            Case(args: ["record", "--prompt", "hi", "--out", unwritable], names: [unwritable], model: true),
            Case(args: generate + ["-n", "0"], names: ["-n 0"]),
            Case(args: ["generate", "--prompt", ""], names: ["--prompt"]),
            Case(args: generate + ["--model", missingText], names: [missingText]),
            Case(args: generate + ["--temperature", "-1"], names: ["--temperature"]),
            Case(args: generate + ["--threads", "0"], names: ["--threads"]),
            Case(args: ["perplexity", "--file", Self.prose, "--ctx", "2"], names: ["--ctx"]),
            Case(args: ["perplexity", "--file", missingText, "--ctx", "64"], names: [missingText]),
            Case(args: ["perplexity", "--file", empty, "--ctx", "64"], names: [empty]),
            Case(args: ["perplexity", "--file", Self.prose, "--ctx", "64", "--max-chunks", "-1"], names: ["--max-chunks"]),
            Case(args: ["perplexity", "--file", Self.prose, "--ctx", "100000"], names: ["--ctx"], model: true),
            Case(args: ["perplexity", "--file", Self.prose, "--ctx", "4096"], names: [Self.prose], model: true),
            Case(args: calibrate + ["--tau", "0"], names: ["--tau"]),
            Case(args: calibrate + ["--tau", "1.5"], names: ["--tau"]),
            Case(args: calibrate + ["--block", "3"], names: ["--block"]),
            Case(args: calibrate + ["--alpha", "2"], names: ["--alpha"]),
            Case(args: calibrate + ["--window", "0"], names: ["--window"]),
            Case(args: calibrate + ["--policy", "h2o"], names: ["--policy"]),
            Case(args: ["calibrate", "--text-file", missingText, "--out", out], names: [missingText]),
            Case(args: ["calibrate", "--text", "a calibration text", "--out", unwritable], names: [unwritable]),
            Case(args: calibrate + ["--threads", "0"], names: ["--threads"]),
            Case(args: ["calibrate", "--text", "too short", "--out", out], names: ["--window"], model: true),
            // benchmarks
            Case(args: ["bench", "--thread-counts", "0"], names: ["--thread-counts"]),
            Case(args: ["bench", "--prefill", "0"], names: ["--prefill"]),
            Case(args: ["bench-record", "--contexts", "8"], names: ["--contexts"]),
            Case(args: ["bench-record", "--policy", "nonesuch"], names: ["nonesuch"]),
            Case(args: ["sweep", "--policy", "power", "--text-file", Self.prose], names: ["--policy power", "{budget}"]),
            Case(args: ["sweep", "--policy", "quest", "--budgets", "64,0", "--text-file", Self.prose], names: ["--budgets", "'0'"]),
            Case(args: ["sweep", "--policy", "quest", "--text-file", missingText], names: [missingText]),
            Case(args: ["perplexity", "--file", Self.prose, "--ctx", "64", "--policy", "quest:budget=0"], names: ["--policy", "budget=0"], model: true),
            Case(args: ["bench-trace", "--size-mb", "0"], names: ["--size-mb"]),
            Case(args: ["bench-trace", "--encode-cases", "9"], names: ["--encode-cases"]),
            Case(args: ["bench-diff", "--megabytes", "0"], names: ["--megabytes"]),
            Case(args: ["bench-view", "--trace", missing], names: [missing]),
            Case(args: ["bench-view", "--trace", garbage], names: [garbage]),
            Case(args: ["bench", "runtime", "--contexts", "128,x"], names: ["--contexts", "128,x"]),
            Case(args: ["bench", "record", "--contexts", "8"], names: ["--contexts"]),
            Case(args: ["bench", "probe", "--shapes", "dense,sparse"], names: ["--shapes", "dense,sparse"]),
            Case(args: ["bench", "trace", "--encode-cases", "1,4"], names: ["--encode-cases", "1,4"]),
            Case(args: ["bench", "diff", "--content", "everything"], names: ["--content", "everything"]),
            Case(args: ["bench", "view", "--size", "10x4"], names: ["--size", "10x4"]),
            Case(args: ["bench", "frobnicate"], names: ["frobnicate"]),
            // typed options of the trace commands
            Case(args: ["view", good, "--view", "graph"], names: ["--view", "graph"]),
            Case(args: ["render", good, "--format", "gif", "--out", out], names: ["--format", "gif"]),
        ]
    }

    func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runProcess(try AttnscopeBinary.require(file: file, line: line), c.args, environment: c.environment)
        let what = "attnscope \(c.args.joined(separator: " "))"
        XCTAssertFalse(r.signalled, "\(what) crashed (\(r.status)): \(r.err)", file: file, line: line)
        XCTAssertEqual(r.status, 2, "\(what): \(r.err)", file: file, line: line)
        for name in c.names {
            XCTAssertTrue(r.err.contains(name), "\(what): the message does not name '\(name)': \(r.err)", file: file, line: line)
        }
        XCTAssertFalse(r.err.contains("Fatal error"), "\(what): \(r.err)", file: file, line: line)
        if c.writesNothing {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(what) wrote \(out)", file: file, line: line)
        }
    }

    /// A benchmark's message names it by the words that run it, under its old name too; plain
    /// `bench` is `bench runtime`.
    func testBenchErrorsNameTheSubcommand() throws {
        let binary = try AttnscopeBinary.require()
        for (args, line) in [(["bench", "trace", "--size-mb", "0"], "attnscope bench trace: --size-mb 0: must be in 1...65536"),
                             (["bench-trace", "--size-mb", "0"], "attnscope bench trace: --size-mb 0: must be in 1...65536"),
                             (["bench", "--prefill", "0"], "attnscope bench runtime: --prefill 0: must be ≥ 1"),
                             (["bench", "view", "--size", "10x4"],
                              "attnscope bench view: --size 10x4: expected WxH of at least 20x8, e.g. 200x60"),
                             (["view", good, "--color", "bogus"], "attnscope view: --color bogus: expected auto, truecolor, 256, 16 or mono")] {
            let r = try runProcess(binary, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertEqual(r.err, line + "\n", "\(args)")
        }
    }

    func testEveryCommandExitsTwoNamingTheBadInput() throws {
        for c in cases where !c.model { try check(c) }
    }

    func testBadInputFoundAfterLoadingTheModel() throws {
        try requireModel()
        for c in cases where c.model { try check(c) }
    }

    /// The model not installed (an empty search path): each command that needs it exits 2 with
    /// the locator's install hint.
    func testModelNotInstalledExitsTwoWithTheInstallHint() throws {
        let noModel: [String: String?] = [ModelLocator.environmentVariable: nil, ModelLocator.searchPathVariable: ""]
        for args in [["record", "--prompt", "hi", "--out", out], ["generate", "--prompt", "hi"],
                     ["perplexity", "--file", Self.prose, "--ctx", "64"],
                     ["calibrate", "--text", "a calibration text", "--out", dir.appendingPathComponent("b.json").path],
                     ["bench", "--decode-tokens", "1"], ["bench-record", "--decode-tokens", "8"]] {
            try check(Case(args: args, names: ["--model", ModelLocator.installCommand], environment: noModel))
        }
        // ATTNSCOPE_MODEL pointing nowhere is named too
        try check(Case(args: ["generate", "--prompt", "hi"], names: ["ATTNSCOPE_MODEL=\(missingText)"],
                       environment: [ModelLocator.environmentVariable: missingText]))
    }
}
