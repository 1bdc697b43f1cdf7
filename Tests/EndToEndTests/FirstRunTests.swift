// What a new user meets in the first minutes, run through the built binary on the reference
// model: generation that ends where the model ends its answer, `calibrate` without a text, the
// policy list in `record --help`, `scripts/run.sh` without a terminal. The pure pieces behind the
// messages (error text, progress line) are checked directly.

import AttnTestSupport
import AttnTrace
import Foundation
import XCTest
@testable import attnscope

final class FirstRunTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func requireBinary() throws { _ = try AttnscopeBinary.require() }
    /// The binary and the reference model (missing: a failure, see ReferenceModelRequirement).
    func requireBinaryAndModel() throws { try requireBinary(); try requireModel() }

    /// An instruct model's answer ends at <|im_end|>: record stops there (recording the step that
    /// sampled it) and says why; --ignore-eos records exactly -n steps.
    func testRecordStopsAtTheEndOfTurnAndSaysWhy() throws {
        try requireBinaryAndModel()
        let path = tempPath("stop.atrace"), fixed = tempPath("fixed.atrace")
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: fixed) }
        let r = try run(["record", "--chat", "--prompt", "What is the capital of France?", "-n", "48", "--out", path])
        XCTAssertTrue(r.out.contains("stopped after") && r.out.contains("end token <|im_end|>"), r.out)
        XCTAssertFalse(r.out.contains("<|im_start|>"), r.out)
        let reader = try TraceReader(path: path)
        XCTAssertLessThan(reader.stepCount, 48)
        XCTAssertEqual(try reader.stepInfo(reader.stepCount - 1).emittedToken?.text, "<|im_end|>")
        XCTAssertTrue(reader.header.prompt.hasPrefix("<|im_start|>system"), "--chat records the templated prompt")

        let f = try run(["record", "--ignore-eos", "--chat", "--prompt", "What is the capital of France?", "-n", "48", "--out", fixed])
        XCTAssertTrue(f.out.contains("reached -n 48"), f.out)
        XCTAssertEqual(try TraceReader(path: fixed).stepCount, 48)
    }

    func testGenerateStopsAtTheEndOfTurnAndSaysWhy() throws {
        try requireBinaryAndModel()
        let r = try run(["generate", "--chat", "--prompt", "What is the capital of France?", "-n", "64"])
        XCTAssertTrue(r.err.contains("stopped after") && r.err.contains("<|im_end|>"), r.err)
        XCTAssertFalse(r.out.contains("<|im_end|>") || r.out.contains("<|im_start|>"), r.out)
        let fixed = try run(["generate", "--ignore-eos", "--chat", "--prompt", "What is the capital of France?", "-n", "6"])
        XCTAssertTrue(fixed.err.contains("stopped after 6 tokens: reached -n 6"), fixed.err)
    }

    /// Without --text or --text-file, calibrate uses the built-in text (at least the default
    /// 1024 tokens of it) and says so.
    func testCalibrateWithoutATextUsesTheBuiltInOne() throws {
        try requireBinaryAndModel()
        let out = tempPath("budgets.json")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["calibrate", "--policy", "tca", "--out", out])
        XCTAssertTrue(r.err.contains("built-in calibration text"), r.err)
        XCTAssertTrue(r.out.contains("calibrated tca on 1024 tokens"), r.out)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        XCTAssertEqual(json?["calibrationTokens"] as? Int, 1024, "\(json?.keys.sorted() ?? [])")
    }

    /// record --help lists every policy of the registry with its defaults.
    func testRecordHelpListsEveryPolicyWithItsDefaults() throws {
        try requireBinary()
        let help = try run(["record", "--help"]).out
        for line in ["dense", "streaming[:sink=4,window=64]", "h2o[:heavy=64,window=64]",
                     "snapkv[:window=32,capacity=1024,kernel=5,pool=avg]", "tca:budgets=FILE[,window=N,alpha=X]",
                     "quest[:page=16,budget=1024,dense_layers=2]"] {
            XCTAssertTrue(help.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(line) }, "\(line) missing:\n\(help)")
        }
    }

    /// The main job without a terminal (CI, a pipe, ssh host cmd) records, prints info and the
    /// first lines of stats through `head`, and exits 0, not 141
    /// (SIGPIPE when `head` closes the pipe).
    func testRunScriptWithoutATerminalExitsZero() throws {
        try requireBinaryAndModel()
        let out = tempPath("demo.atrace")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=PIPE", "bash", Self.root.appendingPathComponent("scripts/run.sh").path]
        var env = ProcessInfo.processInfo.environment
        env["ATTNSCOPE_BIN"] = binary.path; env["OUT"] = out; env["N"] = "16"
        p.environment = env
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        let stdout = Pipe(), stderr = Pipe()
        p.standardOutput = stdout; p.standardError = stderr
        try p.run()
        let o = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, o + e)
        XCTAssertTrue(o.contains("status    finalized"), o)
        XCTAssertTrue(o.contains("no terminal, so the viewer was not opened"), o)
        XCTAssertEqual(o.split(separator: "\n").filter { $0.hasPrefix("stopped after") }.count, 1, o)
    }

    /// On a terminal record draws prefill progress (tokens, tokens/s) and then decode progress on
    /// stderr; into a pipe it draws nothing. `script` gives the command a pseudo-terminal.
    func testProgressOnlyOnATerminal() throws {
        try requireBinaryAndModel()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no /usr/bin/script") }
        let path = tempPath("progress.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let prompt = Self.root.appendingPathComponent("prompts/demo.txt").path
        let args = ["record", "--ignore-eos", "--prompt-file", prompt, "-n", "4", "--out", path]
        let piped = try run(args)
        XCTAssertFalse(piped.err.contains("prefill") || piped.err.contains("tok/s"), piped.err)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", ([binary.path] + args).map { "'\($0)'" }.joined(separator: " "), "/dev/null"]
        let out = Pipe()
        p.standardOutput = out; p.standardError = out
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.range(of: #"prefill \d+/\d+ tokens"#, options: .regularExpression) != nil, text)
        XCTAssertTrue(text.contains("tokens 4/4"), text)
    }

    // MARK: - Pure pieces

    func testErrorSaysItsSubjectOnce() {
        XCTAssertEqual(CLIError("x.gguf", "x.gguf: offset 8: truncated").description, "x.gguf: offset 8: truncated")
        XCTAssertEqual(CLIError("x.atrace", "x.atrace at byte 3: bad magic").description, "x.atrace at byte 3: bad magic")
        XCTAssertEqual(CLIError("--tau 2.0", "must be in (0, 1]").line(command: "calibrate"), "attnscope calibrate: --tau 2.0: must be in (0, 1]")
        XCTAssertEqual(CLIError("--out /dev/full", "/dev/full at byte 0: write failed").description, "--out /dev/full at byte 0: write failed")
        XCTAssertEqual(CLIError("--out x", "x: cannot create").description, "--out x: cannot create")
    }

    func testParseErrorsNameTheFlag() {
        XCTAssertEqual(ParseErrorText.split("Unknown option '--nope'").subject, "--nope")
        XCTAssertEqual(ParseErrorText.split("Missing expected argument '--out <out>'").subject, "--out")
        let bad = ParseErrorText.split("The value 'abc' is invalid for '-n <n>'")
        XCTAssertEqual(bad.subject, "-n"); XCTAssertEqual(bad.problem, "'abc' is not a valid value")
        XCTAssertEqual(ParseErrorText.split("--size-mb 0: must be in 1...65536").subject, "--size-mb 0")
        XCTAssertEqual(ParseErrorText.split("--heads × --context: must be at most 8").subject, "--heads × --context")
        // typed values: a ParsedArgument's problem, an enum's names (two, several, bulleted); no usage
        let typed = ParseErrorText.split("The value '10x4' is invalid for '--size <size>': expected WxH of at least 20x8")
        XCTAssertEqual(typed.subject, "--size 10x4"); XCTAssertEqual(typed.problem, "expected WxH of at least 20x8")
        XCTAssertFalse(typed.usage)
        let two = ParseErrorText.split("The value 'x' is invalid for '--content <content>'. Please provide one of 'rows' and 'metrics'.")
        XCTAssertEqual(two.subject, "--content x"); XCTAssertEqual(two.problem, "expected rows or metrics")
        let three = ParseErrorText.split("The value 'gif' is invalid for '--format <format>'. Please provide one of 'svg', 'html' or 'png'.")
        XCTAssertEqual(three.problem, "expected svg, html or png")
        let list = ParseErrorText.split("The value 'q' is invalid for '--x <x>'. Please provide one of the following:\n  - a\n  - b\n  - c")
        XCTAssertEqual(list.problem, "expected a, b or c")
        XCTAssertTrue(bad.usage)
        XCTAssertTrue(ParseErrorText.split("Unknown option '--nope'").usage)
        XCTAssertFalse(ParseErrorText.split("--size-mb 0: must be in 1...65536").usage)
    }

    func testProgressText() {
        XCTAssertEqual(ProgressLine.prefillText(done: 3500, total: 7000, seconds: 35), "prefill 3500/7000 tokens  100.0 tok/s  ETA 35 s")
        XCTAssertEqual(ProgressLine.prefillText(done: 0, total: 7000, seconds: 0), "prefill 0/7000 tokens")
        XCTAssertEqual(ProgressLine.duration(185), "3 min 05 s")
        XCTAssertEqual(ProgressLine.decodeText(tokens: 12, total: 64, tokensPerSecond: 31.25, bytes: 1_400_000),
                       "tokens 12/64  31.2 tok/s  trace 1.4 MB")
        XCTAssertFalse(ProgressLine(enabled: false).enabled)
    }
}
