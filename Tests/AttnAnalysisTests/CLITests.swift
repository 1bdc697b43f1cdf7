import XCTest
import AttnTestSupport
import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

/// Runs the `attnscope` binary of this test build (AttnscopeBinary) on small sample traces written
/// to a temporary directory, and checks exit statuses and messages.
final class CLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try runProcess(try AttnscopeBinary.require(), args)
        return (r.status, r.out, r.err)
    }

    /// A tiny sample trace; `perturb` edits frames before they are written.
    func write(_ name: String, seed: UInt64 = 1, perturb: (inout StepFrame) -> Void = { _ in }) throws -> String {
        let sample = SyntheticTrace(shape: .tiny, seed: seed)
        let path = dir.appendingPathComponent(name).path
        let w = try TraceWriter(path: path, header: sample.header)
        for s in 0..<sample.stepCount {
            var f = sample.frame(step: s)
            perturb(&f)
            try w.append(f)
        }
        try w.finish()
        return path
    }

    func testDiffExitStatuses() throws {
        let a = try write("a.atrace")
        let same = try run(["diff", a, a])
        XCTAssertEqual(same.status, 0, same.out + same.err)
        XCTAssertTrue(same.out.contains("MATCH"), same.out)

        let b = try write("b.atrace") { f in if f.step.index == 2 { f.metrics[1].sinkMass4 = 0.99 } }
        let differ = try run(["diff", a, b])
        XCTAssertEqual(differ.status, 1, differ.out + differ.err)
        XCTAssertTrue(differ.out.contains("L0 H1"), differ.out)

        let json = try run(["diff", "--json", a, b])
        XCTAssertEqual(json.status, 1)
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["withinTolerance"] as? Bool, false)

        let loose = try run(["diff", a, b, "--tolerance", "sink_mass_4 abs=1"])
        XCTAssertEqual(loose.status, 0, loose.out + loose.err)
    }

    func testBadInputExitsTwoWithAMessageNamingTheFile() throws {
        let a = try write("a.atrace")
        let missing = dir.appendingPathComponent("nope.atrace").path
        let garbage = dir.appendingPathComponent("garbage.atrace").path
        var rng = SeededGenerator(seed: 5)
        FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        for args in [["diff", a, missing], ["diff", garbage, a], ["stats", missing], ["stats", garbage],
                     ["export", garbage, "--format", "csv"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(args.contains(missing) ? missing : garbage), "\(args): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), r.err)
        }
        let tolFile = dir.appendingPathComponent("tol.txt").path
        try "entropy abs=0.1\nbogus abs=1\n".write(toFile: tolFile, atomically: true, encoding: .utf8)
        let badTol = try run(["diff", a, a, "--tolerance-file", tolFile])
        XCTAssertEqual(badTol.status, 2)
        XCTAssertTrue(badTol.err.contains("line 2: unknown metric 'bogus'"), badTol.err)
        let badLine = try run(["diff", a, a, "--tolerance", "entropy abs=lots"])
        XCTAssertEqual(badLine.status, 2)
    }

    func testTruncatedFileNeedsCommonPrefix() throws {
        let a = try write("a.atrace")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: a))
        let cut = dir.appendingPathComponent("cut.atrace").path
        FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count * 3 / 4))
        let refused = try run(["diff", a, cut])
        XCTAssertEqual(refused.status, 2, refused.out + refused.err)
        XCTAssertTrue(refused.err.contains("truncated") && refused.err.contains("--common-prefix"), refused.err)
        let prefix = try run(["diff", "--common-prefix", a, cut])
        XCTAssertEqual(prefix.status, 0, prefix.out + prefix.err)
        XCTAssertTrue(prefix.out.contains("truncated"), prefix.out)
        let stats = try run(["stats", cut])
        XCTAssertEqual(stats.status, 0, stats.err)
        XCTAssertTrue(stats.err.contains("recovered"), stats.err)
    }

    func testStatsAndExportsSucceed() throws {
        let a = try write("a.atrace")
        let stats = try run(["stats", a])
        XCTAssertEqual(stats.status, 0, stats.err)
        XCTAssertTrue(stats.out.contains("Per head"), stats.out)
        for format in ["chrome", "csv", "jsonl"] {
            let out = dir.appendingPathComponent("out.\(format)").path
            let r = try run(["export", a, "--format", format, "-o", out])
            XCTAssertEqual(r.status, 0, "\(format): \(r.err)")
            XCTAssertGreaterThan((try? Data(contentsOf: URL(fileURLWithPath: out)).count) ?? 0, 100, format)
        }
        let unwritable = try run(["export", a, "--format", "csv", "-o", "/nonexistent-dir/x.csv"])
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.err.contains("/nonexistent-dir/x.csv"), unwritable.err)
    }
}
